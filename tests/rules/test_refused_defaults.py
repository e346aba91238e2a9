"""An operator Python refuses for its operands is a raise (engine/expressions.py
``python_raises``); a parameter left at its default ``None`` that reaches one while the symbol
is built with the table's arguments is what the symbol needs (analysis/refused_defaults.py);
a function that makes its layer is called on the rank the layer declared when it was built
(rules/inputs.py ``BuildRanks``).

The fixture mimics TF 1.x ``masked_dense(inputs, units, num_blocks=None)``, whose helper
computes ``n_in // num_blocks`` (TypeError with the default), and ``gdn(inputs)``, whose layer
declares ``InputSpec(min_ndim=3)`` in ``__init__`` and ``InputSpec(ndim=<the rank it got>)``
in ``build``. Nothing here is copied from TensorFlow.
"""

from __future__ import annotations

from typing import Any

import pytest
from rule_fixtures import evaluate, interp, line_of, make_tree

from tfinit_audit.analysis.engine.frames import IMPORT
from tfinit_audit.analysis.engine.values import ClassV, Const, FunctionV, Unknown
from tfinit_audit.analysis.layers import analyze_class, analyze_function
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.sources.base import MemoryTree

P = "mylib/layers.py"
LAYERS = '''
    """Layers and layer-making functions whose defaults meet Python's operators."""


    class InputSpec(object):
        def __init__(self, ndim=None, min_ndim=None, max_ndim=None):
            self.ndim = ndim
            self.min_ndim = min_ndim
            self.max_ndim = max_ndim


    class Layer(object):
        def __init__(self, **kwargs):
            self.built = False

        def add_weight(self, name, shape, initializer=None):
            return name

        def __call__(self, inputs):
            if not self.built:
                self.build(inputs.shape)
                self.built = True
            return inputs


    def _slices(num_blocks, n_in):
        d_in = n_in // num_blocks
        return [d_in] * num_blocks


    def _checked_slices(num_blocks, n_in):
        try:
            return _slices(num_blocks, n_in)
        except TypeError:
            return [n_in]


    class Dense(Layer):
        def __init__(self, units, mask=None):
            super().__init__()
            self.units = units
            self.mask = mask

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))


    def masked(inputs, units, num_blocks=None):
        slices = _slices(num_blocks, inputs.shape[-1])
        return Dense(units, mask=slices)(inputs)


    def masked_checked(inputs, units, num_blocks=None):
        slices = _checked_slices(num_blocks, inputs.shape[-1])
        return Dense(units, mask=slices)(inputs)


    def masked_defaulted(inputs, units, num_blocks=None):
        if num_blocks is None:
            num_blocks = 1
        return Dense(units, mask=_slices(num_blocks, inputs.shape[-1]))(inputs)


    def _helper(n_in, groups=None):
        return n_in // groups


    def masked_by_helper(inputs, units):
        return Dense(units, mask=_helper(inputs.shape[-1]))(inputs)


    class BlockDense(Layer):
        def __init__(self, units, num_blocks=None):
            super().__init__()
            self.units = units
            self.num_blocks = num_blocks

        def build(self, input_shape):
            width = input_shape[-1] // self.num_blocks
            self.kernel = self.add_weight("kernel", (width, self.units))


    class Norm(Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = InputSpec(min_ndim=3, max_ndim=5)

        def build(self, input_shape):
            self.input_spec = InputSpec(ndim=len(input_shape))
            self.gamma = self.add_weight("gamma", (input_shape[-1],))


    def norm(inputs):
        return Norm()(inputs)


    def negated(flag=None):
        return -flag


    def formatted(value=None):
        return "%s" % value


    def speculative(inputs, num_blocks=None):
        if inputs:
            return 32 // num_blocks
        return 0

    '''


def tree() -> MemoryTree:
    return make_tree({P: LAYERS})


def function(name: str, kwargs: dict[str, Any] | None = None) -> SymbolResult:
    it = interp(tree())
    f = it.value_at(P, name)
    assert isinstance(f, FunctionV)
    result = SymbolResult(symbol=name, status="resolved")
    with it.question():
        analyze_function(it, f, kwargs or {}, Dims(), result)
    return result


def layer(name: str, kwargs: dict[str, Any] | None = None) -> SymbolResult:
    it = interp(tree())
    cls = it.value_at(P, name)
    assert isinstance(cls, ClassV)
    result = SymbolResult(symbol=name, status="resolved")
    with it.question():
        analyze_class(it, cls, kwargs or {}, Dims(), result, "mylib")
    return result


# ------------------------------------------------------------------ the engine
def test_an_operator_python_refuses_is_recorded_with_its_operands() -> None:
    t = tree()
    it = interp(t)
    with it.question():
        got = evaluate(it, P, "_slices(None, 32)")
    assert isinstance(got, Unknown)
    [r] = it.refusals
    assert (r.path, r.line, r.expression) == (P, line_of(t, P, "d_in = n_in // num_blocks"),
                                               "n_in // num_blocks")
    assert r.what == "TypeError: unsupported operand type(s) for //: 'int' and 'NoneType'"
    assert [o.value for o in r.operands if isinstance(o, Const)] == [32, None]


def test_operators_python_accepts_are_no_refusal() -> None:
    it = interp(tree())
    with it.question():
        assert isinstance(evaluate(it, P, "_slices(2, 32)"), type(evaluate(it, P, "[1]")))
        assert evaluate(it, P, "formatted()").value == "None"  # str % None formats
        assert evaluate(it, P, "~5").value == -6
    assert it.refusals == []


def test_a_unary_operator_on_none_is_refused() -> None:
    it = interp(tree())
    with it.question():
        evaluate(it, P, "negated()")
    [r] = it.refusals
    assert (r.expression, r.what) == ("-flag",
                                      "TypeError: bad operand type for unary -: 'NoneType'")


def test_a_refusal_a_caller_catches_does_not_leave_it() -> None:
    it = interp(tree())
    with it.question():
        evaluate(it, P, "_checked_slices(None, 32)")
    assert it.refusals == []


def test_a_refusal_on_an_arm_of_an_undecidable_if_is_not_on_a_decided_path() -> None:
    it = interp(tree())
    with it.question():
        it.call(it.value_at(P, "speculative"), [Unknown(text="inputs")], {})
    assert it.refusals == []


def test_import_mode_gives_up_on_the_call_as_before() -> None:
    it = interp(tree())
    f = it.value_at(P, "negated")
    assert isinstance(it.call(f, [], {}, mode=IMPORT), Unknown)
    assert it.refusals == []


# ------------------------------------------------------------------ needs-args
def test_a_default_none_python_refuses_is_needs_args_with_the_expression() -> None:
    r = function("masked")
    assert (r.status, r.missing_arguments) == ("needs-args", ["num_blocks"])
    where = line_of(tree(), P, "d_in = n_in // num_blocks")
    default = line_of(tree(), P, "def masked(inputs, units, num_blocks=None):")
    assert r.message is not None and (
        "its code raises TypeError: unsupported operand type(s) for //: 'int' and 'NoneType' "
        f"at `n_in // num_blocks` ({P}:{where}) with num_blocks left at its default None "
        f"({P}:{default})") in r.message
    given = function("masked", {"num_blocks": 2})
    assert given.status == "resolved"
    assert [(w.name, w.shape) for w in given.weights] == [("kernel", [32, 64])]


@pytest.mark.parametrize("name", ["masked_checked", "masked_defaulted", "masked_by_helper"])
def test_a_none_that_is_caught_replaced_or_not_a_parameter_is_not_needed(name: str) -> None:
    r = function(name)
    assert r.status != "needs-args", r.message
    assert [(w.name, w.shape) for w in r.weights] == [("kernel", [32, 64])]


def test_a_constructor_default_none_a_build_refuses_is_needs_args() -> None:
    r = layer("BlockDense")
    assert (r.status, r.missing_arguments) == ("needs-args", ["num_blocks"])
    assert r.message is not None and "at `input_shape[-1] // self.num_blocks`" in r.message
    given = layer("BlockDense", {"num_blocks": 4})
    assert [(w.name, w.shape) for w in given.weights] == [("kernel", [8, 64])]


# ------------------------------------------------------------------ the rank of a function
def test_a_function_is_called_on_the_rank_its_layer_declared_before_its_build() -> None:
    r = function("norm")
    assert r.input_shape == [None, 5, 32]  # not rank 2, which the build re-declares
    assert r.input_note is not None and "input_spec min_ndim=3, max_ndim=5" in r.input_note
    assert [(w.name, w.shape) for w in r.weights] == [("gamma", [32])]
    assert layer("Norm").input_shape == [None, 5, 32]  # the class: the same rank
