"""A decorated method is what its decorators return (engine/decorators.py): TF 1.8-2.x Keras
decorates ``build`` with ``shape_type_conversion``, whose ``wrapper(instance, input_shape)``
converts the shape before calling the method as written; a layer calling another layer's
``build`` runs that wrapper, as Python does. Each answer is checked against CPython's."""

from __future__ import annotations

import textwrap

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, FunctionV, Seq, Value
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree

SOURCE = """
def conversion(fn):
    def wrapper(instance, input_shape):
        if isinstance(input_shape, list):
            input_shape = tuple(input_shape)
        return fn(instance, input_shape + ("converted",))
    return wrapper


def same(fn):
    fn.marked = True
    return fn


class Cell(object):
    @conversion
    def build(self, input_shape):
        self.seen = input_shape
        return ("cell", input_shape)


class Layer(object):
    def __init__(self):
        self.cell = Cell()

    @conversion
    def build(self, input_shape):
        self.seen = input_shape
        return (len(input_shape), self.cell.build(list(input_shape)))


class Given(object):
    @same
    def build(self, input_shape):
        return input_shape


def nested():
    layer = Layer()
    out = layer.build([3, 4])
    return (out[0], out[1][0], out[1][1], layer.seen, layer.cell.seen)


def given_back():
    return (Given().build([1]), Given.build.__name__)
"""


def interp() -> Interpreter:
    tree = MemoryTree({"pkg/__init__.py": "", "pkg/mod.py": textwrap.dedent(SOURCE)})
    return Interpreter(tree, ENGINE_RULES)


def py(v: Value) -> object:
    if isinstance(v, Seq):
        items = [py(i) for i in v.items]
        return items if v.kind == "list" else tuple(items)
    assert isinstance(v, Const), v
    return v.value


def run(name: str) -> object:
    it = interp()
    return py(it.call(it.resolve(f"pkg.mod.{name}"), [], {}))


def python_answer(name: str) -> object:
    ns: dict[str, object] = {}
    exec(compile(textwrap.dedent(SOURCE), "pkg/mod.py", "exec"), ns)  # noqa: S102
    fn = ns[name]
    assert callable(fn)
    return fn()


def test_a_build_called_by_another_layer_runs_through_its_decorator() -> None:
    """The outer build's wrapper hands a tuple; the cell's own wrapper runs too (the same
    decorator's closure around two methods is no recursion)."""
    assert run("nested") == python_answer("nested") == (
        3, "cell", (3, 4, "converted", "converted"), (3, 4, "converted"),
        (3, 4, "converted", "converted"))


def test_a_decorator_giving_the_function_back_leaves_the_method() -> None:
    assert run("given_back") == python_answer("given_back") == ([1], "build")


def test_the_member_remembers_the_method_as_written() -> None:
    it = interp()
    layer = it.call(it.resolve("pkg.mod.Layer"), [], {})
    build = it.getattr(layer, "build")
    assert isinstance(build, FunctionV) and build.decorates is not None
    assert build.name == "build" and build.decorates.original.node is not build.node
    assert build.bound is layer
