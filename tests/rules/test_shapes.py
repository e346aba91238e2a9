"""TensorShapeRule (rules/shapes.py): a ``TensorShape`` of a list is that list."""

from __future__ import annotations

from typing import Any

import pytest
from rule_fixtures import evaluate, interp, line_of, make_tree

from tfinit_audit.analysis.engine.frames import Raised
from tfinit_audit.analysis.engine.values import ClassV, Const, Instance, Seq, Unknown
from tfinit_audit.analysis.rules.shapes import TensorShapeRule, UnknownShape

TENSOR_SHAPE = '''
    """Mimics tensorflow/python/framework/tensor_shape.py: a ``TensorShape`` class over a list of
    dimensions, the ``as_shape`` converter, and ``Dimension`` objects whose ``.value`` is the
    number (TF 1.x)."""


    class Dimension(object):
        def __init__(self, value):
            self._value = value


    class TensorShape(object):
        def __init__(self, dims):
            self._dims = [Dimension(d) for d in dims]


    def as_shape(shape):
        if isinstance(shape, TensorShape):
            return shape
        return TensorShape(shape)
    '''

CORE = '''
    """Mimics a TF 1.x layer module: the input shape is converted, then its last dimension's
    ``.value`` sizes the kernel."""
    from mylib.framework import tensor_shape

    INPUT = tensor_shape.TensorShape([None, 32])
    RANK = INPUT.ndims


    def kernel_shape(input_shape, units):
        input_shape = tensor_shape.TensorShape(input_shape)
        return [input_shape[-1].value, units]
    '''


def tree(core: str = CORE) -> Any:
    return make_tree({"mylib/framework/tensor_shape.py": TENSOR_SHAPE,
                      "mylib/layers/core.py": core})


def ev(expr: str, rules: Any = None, core: str = CORE) -> Any:
    return evaluate(interp(tree(core), rules), "mylib/layers/core.py", expr)


def plain(v: Any) -> list[Any]:
    assert isinstance(v, Seq), v
    consts = [i for i in v.items if isinstance(i, Const)]
    assert len(consts) == len(v.items), v
    return [i.value for i in consts]


# ------------------------------------------------------------------ decided
def test_tensor_shape_of_a_list_is_that_list() -> None:
    for rules in (None, [TensorShapeRule()]):
        assert plain(ev("tensor_shape.TensorShape([None, 32])", rules)) == [None, 32]
        assert plain(ev("tensor_shape.as_shape([3, 4])", rules)) == [3, 4]


def test_without_the_rule_a_tensor_shape_is_an_opaque_object() -> None:
    v = ev("tensor_shape.TensorShape([None, 32])", [])
    assert isinstance(v, Instance) and v.cls.name == "TensorShape"


def test_tensor_shape_of_none_has_unknown_rank() -> None:
    v = ev("tensor_shape.TensorShape(None)", [TensorShapeRule()])
    assert isinstance(v, UnknownShape) and v.describe() == "TensorShape(None)"
    assert isinstance(v.cls, ClassV) and v.cls.name == "TensorShape"  # isinstance holds
    for attr in ("ndims", "rank", "dims"):
        got = ev(f"tensor_shape.TensorShape(None).{attr}", [TensorShapeRule()])
        assert isinstance(got, Const) and got.value is None, attr
    assert isinstance(ev("tensor_shape.TensorShape(None).num_elements()",
                         [TensorShapeRule()]), Unknown)


def test_as_list_of_an_unknown_rank_raises_as_tensorflow_does() -> None:
    """``TensorShape(None).as_list()`` raises ValueError: a ``try`` catches it, and an
    uncaught one leaves the calls (TF 1.4 Keras ``LSTM.build`` of a list's first item)."""
    core = CORE + """

    def listed(input_shape):
        try:
            return tensor_shape.TensorShape(input_shape).as_list()
        except ValueError:
            return "unknown rank"


    def first_of_list(input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        dims = tensor_shape.TensorShape(input_shape).as_list()
        return dims


    def outer(input_shape):
        return ["made", first_of_list(input_shape)]
    """
    assert ev("listed(None)", core=core).value == "unknown rank"
    assert plain(ev("listed([None, 3])", core=core)) == [None, 3]
    assert plain(ev("first_of_list((None, 3))", core=core)) == [None, 3]  # a tuple: no list
    with pytest.raises(Raised) as exc:
        ev("outer([None, 3])", core=core)
    assert exc.value.exc == "ValueError" and "unknown TensorShape" in exc.value.message
    assert exc.value.path == "mylib/layers/core.py"
    assert exc.value.line == line_of(tree(core), "mylib/layers/core.py",
                                     "dims = tensor_shape.TensorShape(input_shape).as_list()")


def test_rank_dims_and_rank_checks_of_a_shape() -> None:
    assert ev("INPUT.ndims").value == 2
    assert ev("INPUT.rank").value == 2
    for expr in ("INPUT.dims", "INPUT.as_list()", "INPUT.with_rank(2)",
                 "INPUT.with_rank_at_least(1)", "INPUT.merge_with([None, 32])"):
        assert plain(ev(expr)) == [None, 32], expr


def test_dimension_value_is_the_number() -> None:
    assert ev("INPUT[-1].value").value == 32
    v = ev("INPUT[0].value")
    assert isinstance(v, Const) and v.value is None  # unknown batch size stays None


def test_build_sees_concrete_dims() -> None:
    assert plain(ev("kernel_shape([None, 32], 8)")) == [32, 8]
    assert plain(ev("kernel_shape((None, 5, 7), 8)")) == [7, 8]


def test_the_answer_follows_the_source() -> None:
    assert ev("RANK").value == 2
    changed = CORE.replace("TensorShape([None, 32])", "TensorShape([None, 5, 5, 3])")
    assert ev("RANK", core=changed).value == 4
    assert ev("INPUT[-1].value", core=changed).value == 3


def test_the_class_behind_a_versioned_alias_is_the_tensor_shape() -> None:
    # TF 1.13: ``class TensorShapeV1`` and ``TensorShape = TensorShapeV1`` in tensor_shape.py
    aliased = TENSOR_SHAPE.replace("class TensorShape(object):", "class TensorShapeV1(object):")
    aliased = aliased.replace("isinstance(shape, TensorShape)", "isinstance(shape, TensorShapeV1)")
    aliased += "\n\n    TensorShape = TensorShapeV1\n"
    t = make_tree({"mylib/framework/tensor_shape.py": aliased, "mylib/layers/core.py": CORE})
    it = interp(t)
    assert plain(evaluate(it, "mylib/layers/core.py", "tensor_shape.TensorShape([None, 32])")) \
        == [None, 32]
    assert evaluate(it, "mylib/layers/core.py", "RANK").value == 2
    other = aliased.replace("TensorShape = TensorShapeV1", "TensorShape = Dimension")
    t2 = make_tree({"mylib/framework/tensor_shape.py": other, "mylib/layers/core.py": CORE})
    v = evaluate(interp(t2), "mylib/layers/core.py", "tensor_shape.TensorShape([None, 32])")
    assert isinstance(v, Instance) and v.cls.name == "Dimension"  # not a shape class: Python


def test_tensor_shape_of_one_number_is_a_shape_of_that_dimension() -> None:
    # StackedRNNCells builds the next cell on (batch,) + TensorShape(output_dim).as_list()
    for expr in ("tensor_shape.TensorShape(64)", "tensor_shape.as_shape(64)",
                 "tensor_shape.TensorShape(64).as_list()"):
        v = ev(expr)
        assert isinstance(v, Seq) and [i.value for i in v.items] == [64], expr  # type: ignore


def test_a_dimension_of_a_number_is_that_number() -> None:
    # 2.0-2.5 Keras AUC: TensorShape([tensor_shape.Dimension(self.num_thresholds)])
    assert ev("tensor_shape.Dimension(4)").value == 4
    assert ev("tensor_shape.Dimension(4).value").value == 4
    v = ev("tensor_shape.Dimension(None)")
    assert isinstance(v, Const) and v.value is None
    assert plain(ev("tensor_shape.TensorShape([tensor_shape.Dimension(200), 3])")) == [200, 3]


# ------------------------------------------------------------------ left alone
def test_tensor_shape_of_something_that_is_not_a_list_is_left_to_the_library() -> None:
    for expr in ("tensor_shape.TensorShape('abc')", "tensor_shape.TensorShape(some_tensor)"):
        v = ev(expr)
        assert isinstance(v, Instance) and v.cls.name == "TensorShape", expr


def test_value_and_rank_of_non_shapes_are_not_answered() -> None:
    assert isinstance(ev("'abc'.value"), Unknown)  # a string is not a dimension
    assert isinstance(ev("(1.5).value"), Unknown)  # neither is a float
    assert isinstance(ev("(3).ndims"), Unknown)  # a number has no rank


def test_a_dimension_class_elsewhere_is_a_source_object() -> None:
    # only tensor_shape's Dimension is a number; a class of that name in another module is
    # what its code makes
    t = make_tree({"mylib/framework/units.py": TENSOR_SHAPE,
                   "mylib/layers/core.py": "from mylib.framework import units\n"})
    v = evaluate(interp(t), "mylib/layers/core.py", "units.Dimension(4)")
    assert isinstance(v, Instance) and v.cls.name == "Dimension"
    assert isinstance(evaluate(interp(t), "mylib/layers/core.py", "units.Dimension(4).value"),
                      Unknown)
    # a Dimension of something that is not a number is left to the library
    assert isinstance(ev("tensor_shape.Dimension('abc')"), Instance)
