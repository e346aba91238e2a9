"""--pin's rewrite: new keyword arguments in the call's own layout, nothing else touched,
imports only when needed, idempotent; notebooks keep every other cell byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfinit_audit.usercode.codemod import rewrite, unified_diff
from tfinit_audit.usercode.files import notebook_with, read
from tfinit_audit.usercode.model import Pin

RA = Pin("reset_after", "False", "analysis")
RACT = Pin("recurrent_activation", '"hard_sigmoid"', "analysis")


@pytest.mark.parametrize("before, after", [
    ("f(64)", 'f(64, reset_after=False, recurrent_activation="hard_sigmoid")'),
    ("f()", 'f(reset_after=False, recurrent_activation="hard_sigmoid")'),
    ("f(\n    64,\n    name='g',\n)",
     "f(\n    64,\n    name='g',\n    reset_after=False,\n"
     "    recurrent_activation=\"hard_sigmoid\",\n)"),
    ("f(\n    64,\n    name='g'\n)",
     "f(\n    64,\n    name='g',\n    reset_after=False,\n"
     "    recurrent_activation=\"hard_sigmoid\"\n)"),
    ("f(64,  # units\n  name='g',  # the name\n)",
     "f(64,  # units\n  name='g',  # the name\n  reset_after=False,\n"
     "  recurrent_activation=\"hard_sigmoid\",\n)"),
    ("f(64, reset_after=True)", 'f(64, reset_after=True, recurrent_activation="hard_sigmoid")'),
])
def test_layouts(before: str, after: str) -> None:
    text, imports, changed = rewrite(f"x = {before}\n", {0: [RA, RACT]})
    assert text == f"x = {after}\n"
    assert imports == [] and changed == 1


def test_only_the_indexed_call_and_nothing_else_changes() -> None:
    src = ("# header\nimport tensorflow as tf\n\n\ndef m(x):  # keep\n"
           "    a = tf.keras.layers.GRU(3)(x)   # spaces  kept\n"
           "    b = tf.keras.layers.GRU(4)\n    return a, b\n")
    text, _, changed = rewrite(src, {2: [RA]})  # calls: GRU(3)(x)=0, GRU(3)=1, GRU(4)=2
    assert changed == 1
    assert text == src.replace("GRU(4)", "GRU(4, reset_after=False)")


def test_a_call_with_double_star_kwargs_is_never_extended() -> None:
    src = "f(1, **kw)\n"
    assert rewrite(src, {0: [RA]}) == (src, [], 0)


def test_idempotent() -> None:
    once, _, _ = rewrite("g = f(1)\n", {0: [RA, RACT]})
    twice, imports, changed = rewrite(once, {0: [RA, RACT]})
    assert twice == once and changed == 0 and imports == []


@pytest.mark.parametrize("src, want", [
    ("import os\nimport keras\n\nx = f(1)\n",
     "import os\nimport keras\nimport tensorflow as tf\n\n"
     "x = f(1, k=tf.keras.initializers.Zeros())\n"),
    ('"""Doc."""\nx = f(1)\n',
     '"""Doc."""\nimport tensorflow as tf\n'
     "x = f(1, k=tf.keras.initializers.Zeros())\n"),
    ("# licence\nx = f(1)\n",
     "# licence\nimport tensorflow as tf\nx = f(1, k=tf.keras.initializers.Zeros())\n"),
    ("from __future__ import annotations\nx = f(1)\n",
     "from __future__ import annotations\nimport tensorflow as tf\n"
     "x = f(1, k=tf.keras.initializers.Zeros())\n"),
])
def test_imports_added_after_the_last_top_level_import(src: str, want: str) -> None:
    pin = Pin("k", "tf.keras.initializers.Zeros()", "signature", ["import tensorflow as tf"])
    text, imports, _ = rewrite(src, {0: [pin]})
    assert text == want and imports == ["import tensorflow as tf"]


def test_unified_diff_names_the_file() -> None:
    d = unified_diff("m/a.py", "x = f(1)\n", "x = f(1, a=2)\n")
    assert d.startswith("--- a/m/a.py\n+++ b/m/a.py\n") and "+x = f(1, a=2)\n" in d
    assert unified_diff("m/a.py", "same\n", "same\n") == ""


def test_notebook_only_the_changed_cell_is_rewritten(tmp_path: Path) -> None:
    nb = {"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["%matplotlib inline\n", "import tensorflow as tf\n", "\n", "\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["text"]},
        {"cell_type": "code", "metadata": {"k": 1}, "outputs": [], "execution_count": 3,
         "source": ["g = tf.keras.layers.GRU(3)\n", "!ls"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n")
    src = read(path)
    new_module, _, changed = rewrite(src.text, {0: [RA]})
    out = json.loads(notebook_with(src, new_module))
    assert changed == 1
    assert out["cells"][0] == nb["cells"][0] and out["cells"][1] == nb["cells"][1]
    assert out["cells"][2]["source"] == ["g = tf.keras.layers.GRU(3, reset_after=False)\n",
                                         "!ls"]
    assert out["cells"][2]["metadata"] == {"k": 1}


def test_notebook_import_lands_in_the_first_code_cell(tmp_path: Path) -> None:
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                     "execution_count": None, "source": "x = f(1)\n"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(nb))
    src = read(path)
    pin = Pin("k", "tf.keras.initializers.Zeros()", "signature", ["import tensorflow as tf"])
    new_module, _, _ = rewrite(src.text, {0: [pin]})
    out = json.loads(notebook_with(src, new_module))
    assert out["cells"][0]["source"] == ("import tensorflow as tf\n"
                                         "x = f(1, k=tf.keras.initializers.Zeros())\n")
