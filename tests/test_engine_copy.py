"""``copy.copy`` as the engine models it (no network): Keras 1.x ``Bidirectional`` makes its
forward layer with ``copy.copy(layer)`` -- a new object of the layer's class whose attributes
are the original's (the two share one ``cell``), built on its own. A class with ``__copy__``
is copied by it; one that takes over the pickle protocol is not guessed."""

from __future__ import annotations

import copy
import textwrap

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, Seq, Unknown, Value
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree

SOURCE = """
import copy


class Cell(object):
    def __init__(self, units):
        self.units = units
        self.built = False


class Layer(object):
    def __init__(self, units, name="lstm"):
        self.cell = Cell(units)
        self.name = name
        self.go_backwards = False

    def build(self):
        self.cell.built = True
        self.kernel = self.cell.units * 4


class Copied(Layer):
    def __copy__(self):
        return Layer(self.cell.units + 1, name="made_by___copy__")


class Pickled(Layer):
    def __reduce_ex__(self, protocol):
        return (Layer, (1,))


def wrap(layer):
    forward = copy.copy(layer)
    forward.name = "forward_" + forward.name
    forward.build()
    return (forward.name, layer.name, forward.cell is layer.cell, layer.cell.built,
            forward.kernel, type(forward) is Layer,
            forward is layer)


def wrapped():
    return wrap(Layer(64))


def containers():
    items = [1, [2]]
    copied = copy.copy(items)
    copied.append(3)
    config = {"units": 4}
    other = copy.copy(config)
    other["units"] = 5
    return (len(items), len(copied), copied[1] is items[1], config["units"],
            other["units"], copy.copy(7), copy.copy((1, 2)))


def by_own_copy():
    return copy.copy(Copied(3)).name, copy.copy(Copied(3)).cell.units


def by_reduce():
    return copy.copy(Pickled(3))
"""


def interp() -> Interpreter:
    tree = MemoryTree({"pkg/__init__.py": "", "pkg/mod.py": textwrap.dedent(SOURCE)})
    return Interpreter(tree, ENGINE_RULES)


def items(v: Value) -> list[object]:
    assert isinstance(v, Seq), v
    return [i.to_python() if isinstance(i, Const | Seq) else i for i in v.items]


def run(name: str) -> Value:
    it = interp()
    out: Value = it.call(it.resolve(f"pkg.mod.{name}"), [], {})
    return out


def test_an_instance_copy_shares_its_attributes_and_builds_on_its_own() -> None:
    out = run("wrapped")
    python = _python_answer("wrapped")
    assert items(out) == python == ["forward_lstm", "lstm", True, True, 256, True, False]


def test_a_copy_of_a_list_or_dict_is_a_new_container_of_the_same_items() -> None:
    assert items(run("containers")) == _python_answer("containers") == [
        2, 3, True, 4, 5, 7, (1, 2)]


def test_a_class_with_its_own___copy___is_copied_by_it() -> None:
    assert items(run("by_own_copy")) == _python_answer("by_own_copy") == [
        "made_by___copy__", 4]


def test_a_class_taking_over_the_pickle_protocol_is_not_guessed() -> None:
    assert isinstance(run("by_reduce"), Unknown)


def _python_answer(name: str) -> list[object]:
    """What CPython answers for the same source (the fixture is checked against it)."""
    ns: dict[str, object] = {"copy": copy}
    exec(compile(textwrap.dedent(SOURCE), "pkg/mod.py", "exec"), ns)  # noqa: S102
    fn = ns[name]
    assert callable(fn)
    return list(fn())
