"""A module whose module-level code sets names through ``globals()`` (engine/globals_writers.py):
a name no binding of it gives is unknown, with that line -- not absent -- as protobuf 4's
generated modules (``_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, ..., globals())``: TF
2.15's ``tf.compat.v1.ConfigProto``) and Keras' ``globals().update(...)`` need; handing
``globals()`` to an object that is assigned (TF's ``_LazyLoader``) is not such code, and a
module without any keeps answering "absent". The modules are run by CPython too."""

from __future__ import annotations

from pathlib import Path

from engine_modules import imported
from engine_modules import interp as engine_interp

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import MISSING, Const, Unknown

FILES = {
    "p/__init__.py": "",
    "p/builder.py": """
        def build(descriptor, scope):
            scope["Message"] = descriptor
        """,
    "p/generated_pb2.py": """
        from p import builder as _builder
        DESCRIPTOR = "d"
        _builder.build(DESCRIPTOR, globals())
        """,
    "p/aliased.py": """
        from p import builder as _builder
        _g = globals()
        _builder.build("d", _g)
        """,
    "p/updated.py": """
        TABLE = {"alpha": 1}
        globals().update(TABLE)
        """,
    "p/looped.py": """
        for _n in ("beta", "gamma"):
            globals()[_n] = 2
        """,
    "p/lazy.py": """
        class Loader(object):
            def __init__(self, name, parent):
                self._name, self._parent = name, parent

        sub = Loader("sub", globals())
        KNOWN = 1
        """,
}


def interp() -> Interpreter:
    return engine_interp(FILES)


def test_a_name_set_through_globals_is_unknown_with_the_line() -> None:
    it = interp()
    for dotted, line in (("p.generated_pb2.Message", 4), ("p.aliased.Message", 4),
                         ("p.updated.alpha", 3), ("p.looped.beta", 2)):
        v = it.resolve(dotted)
        assert isinstance(v, Unknown), dotted
        assert v.line == line and "globals()" in v.text, (dotted, v)
    descriptor = it.resolve("p.generated_pb2.DESCRIPTOR")  # a binding still wins
    assert isinstance(descriptor, Const) and descriptor.value == "d"


def test_without_such_code_a_missing_name_stays_absent() -> None:
    it = interp()
    assert it.resolve("p.lazy.Nope") is MISSING  # globals() kept by an object, not written
    assert it.resolve("p.builder.Nope") is MISSING
    known = it.resolve("p.lazy.KNOWN")
    assert isinstance(known, Const) and known.value == 1


def test_cpython_has_the_names_the_engine_calls_unknown(tmp_path: Path) -> None:
    """What the engine cannot decide does exist at run time (so "absent" was wrong), and
    what it calls absent does not."""
    with imported(FILES, tmp_path) as get:
        assert get("p.generated_pb2").Message == "d" and get("p.aliased").Message == "d"
        assert get("p.updated").alpha == 1 and get("p.looped").beta == 2
        assert not hasattr(get("p.lazy"), "Nope")
