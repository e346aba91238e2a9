"""A lookup made while a binding or star import it depends on is still being evaluated (an
import cycle) gets the partial answer Python would give there -- and that answer is not kept
for later: once the cycle is done, the same name is looked up afresh (engine/namespaces.py
``_enter``/``_leave``). TF 1.4.1: ``dir(tf)`` asked first met ``tf.keras`` inside the star
import ``from tensorflow.python import *`` and kept it missing, so ``--symbols all`` listed no
``tf.keras`` name. Checked against CPython importing the same package."""

from __future__ import annotations

from pathlib import Path

from engine_modules import imported
from engine_modules import interp as engine_interp

from tfinit_audit.analysis.engine.frames import IMPORT
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, ModuleV, Seq

FILES = {
    "cy/__init__.py": """
        from cy.python import *
        """,
    "cy/python/__init__.py": """
        from cy.python.ops import *
        from cy.python import keras
        """,
    "cy/python/ops.py": """
        import cy
        EARLY = getattr(cy, "keras", None)  # cy is half imported here: None in Python
        """,
    "cy/python/keras.py": """
        LAYER = 1
        """,
}


def interp() -> Interpreter:
    return engine_interp(FILES)


def names(it: Interpreter, module: str) -> list[str]:
    listed = it.call(it.builtin("dir"), [it.import_module(module)], {}, mode=IMPORT)
    assert isinstance(listed, Seq)
    return [i.value for i in listed.items if isinstance(i, Const)]


def test_a_name_met_inside_a_cycle_is_looked_up_again_after_it(tmp_path: Path) -> None:
    with imported(FILES, tmp_path) as get:
        cy = get("cy")
        assert cy.EARLY is None and "keras" in dir(cy) and cy.keras.LAYER == 1
    it = interp()  # dir() first: EARLY's lookup of cy.keras runs inside the star import
    assert "keras" in names(it, "cy") and "EARLY" in names(it, "cy")
    early = it.resolve("cy.EARLY")  # inside the cycle: the partial answer, as in Python
    assert isinstance(early, Const) and early.value is None
    keras = it.resolve("cy.keras")
    assert isinstance(keras, ModuleV) and keras.name == "cy.python.keras"
    other = interp()  # the other order gives the same
    assert isinstance(other.resolve("cy.keras"), ModuleV)
    assert "keras" in names(other, "cy")
