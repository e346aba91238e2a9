"""A tensor op whose two known static shapes cannot broadcast is a refusal (rules/tensors.py
``_broadcast`` raises ``Refused``; TensorFlow's shape inference raises ``ValueError:
Dimensions must be equal`` there); a refusal -- TensorFlow's or Python's own (``1 // None``)
-- ends the function's path as a ``raise`` statement does (engine/expressions.py
``python_raises``: the statement running it is the last of that path, an ``except
ValueError`` forgets it). A layer whose build is refused for the table's input is built on
the width the refusal asks for, else it is ``needs-args`` (analysis/refused_inputs.py).

The fixture mimics TF 1.x ``tf.contrib.rnn.HighwayWrapper``, whose call adds the wrapped
cell's output (``num_units`` wide) to a gate of the input's width. Nothing here is copied from
TensorFlow.
"""

from __future__ import annotations

from typing import Any

from rule_fixtures import interp, line_of, make_tree

from tfinit_audit.analysis.engine.values import ClassV, Const, FunctionV, Seq, Unknown
from tfinit_audit.analysis.layers import analyze_class, analyze_function
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.rules.values import TensorV
from tfinit_audit.sources.base import MemoryTree

P = "mylib/layers.py"
OPS = "tensorflow/python/ops/math_ops.py"
MATH_OPS = '''
    """Named like TensorFlow's own ops module: the tensor rules know its ops by name."""


    def multiply(x, y, name=None):
        return x * y
    '''
LAYERS = '''
    """Functions and layers whose tensors meet in a broadcast."""
    from tensorflow.python.ops import math_ops


    def add(a, b, log):
        c = a + b
        log.append(c)
        return c


    def times(a, b):
        return math_ops.multiply(a, b)


    def caught(a, b, log):
        try:
            c = a * b
            log.append(c)
        except ValueError:
            return None
        log.append(1)
        return 2


    def wrong_handler(a, b, log):
        try:
            c = a * b
        except TypeError:
            return None
        return c


    def divided(n, log):
        width = n // None
        log.append(width)
        return width


    class Layer(object):
        def add_weight(self, name, shape, initializer=None):
            return name

        def __call__(self, inputs):
            return self.call(inputs)


    class Highway(Layer):
        def __init__(self, units):
            self.units = units

        def call(self, inputs):
            carry = self.add_weight("carry", (inputs.shape[-1], self.units))
            bias = self.add_weight("bias", (self.units,))
            out = inputs + bias
            self.after = self.add_weight("after", (self.units,))
            return out


    class Mismatched(Layer):
        def __init__(self, units):
            self.units = units

        def call(self, inputs):
            bias = self.add_weight("bias", (self.units,))
            gate = self.add_weight("gate", (8,))
            return bias * gate


    def highway(inputs, units):
        return Highway(units)(inputs)
    '''


def tree(layers: str = LAYERS) -> MemoryTree:
    return make_tree({P: layers, OPS: MATH_OPS})


def t(*dims: int | None) -> TensorV:
    return TensorV(shape=list(dims))


def call(it: Any, name: str, *args: Any) -> Any:
    f = it.value_at(P, name)
    assert isinstance(f, FunctionV)
    with it.question():
        return it.call(f, list(args), {})


def layer(layers: str, name: str, dims: Dims) -> SymbolResult:
    it = interp(tree(layers))
    cls = it.value_at(P, name)
    assert isinstance(cls, ClassV)
    result = SymbolResult(symbol=name, status="resolved")
    with it.question():
        analyze_class(it, cls, {}, dims, result, "mylib")
    return result


# ------------------------------------------------------------------ the engine
def test_a_broadcast_of_shapes_that_do_not_fit_is_refused_and_ends_the_path() -> None:
    tr = tree()
    it = interp(tr)
    log = Seq(items=[], kind="list")
    got = call(it, "add", t(None, 32), t(64), log)
    line = line_of(tr, P, "c = a + b")
    assert isinstance(got, Unknown) and (got.path, got.line) == (P, line)  # as a raise
    assert log.items == []  # what follows on that path is not run
    [r] = it.refusals
    assert (r.path, r.line, r.expression) == (P, line, "a + b")
    assert r.what == ("ValueError: Dimensions must be equal, but are 32 and 64 with input "
                      "shapes: [?,32], [64]")
    assert [o.shape for o in r.operands if isinstance(o, TensorV)] == [[None, 32], [64]]


def test_a_tensorflow_op_of_shapes_that_do_not_fit_is_refused() -> None:
    tr = tree()
    it = interp(tr)
    assert isinstance(call(it, "times", t(None, 64), t(None, 32)), Unknown)
    [r] = it.refusals
    assert (r.line, r.expression) == (line_of(tr, P, "return math_ops.multiply(a, b)"),
                                      "math_ops.multiply(a, b)")
    assert r.what.startswith("ValueError: Dimensions must be equal, but are 64 and 32")


def test_shapes_that_broadcast_are_no_refusal() -> None:
    it = interp(tree())
    for a, b, shape in [(t(None, 32), t(32), [None, 32]), (t(None, 32), t(None, 1), [None, 32]),
                        (t(None, None), t(None, 64), [None, 64]), (t(5, 1, 3), t(4, 3), [5, 4, 3])]:
        log = Seq(items=[], kind="list")
        got = call(it, "add", a, b, log)
        assert isinstance(got, TensorV) and got.shape == shape
        assert len(log.items) == 1
        assert call(it, "times", a, b).shape == shape
    assert it.refusals == []


def test_except_value_error_catches_the_refusal_and_the_try_body_stops() -> None:
    it = interp(tree())
    log = Seq(items=[], kind="list")
    call(it, "caught", t(None, 64), t(None, 32), log)
    assert it.refusals == []  # caught as TensorFlow's ValueError would be
    # the try's body stopped at the refusal; what follows the try ran
    assert [x.value if isinstance(x, Const) else x for x in log.items] == [1]


def test_a_handler_of_another_exception_does_not_catch_it() -> None:
    it = interp(tree())
    call(it, "wrong_handler", t(None, 64), t(None, 32), Seq(items=[], kind="list"))
    assert [r.expression for r in it.refusals] == ["a * b"]


def test_an_operator_python_refuses_ends_the_path_too() -> None:
    tr = tree()
    it = interp(tr)
    log = Seq(items=[], kind="list")
    got = call(it, "divided", Const(value=32), log)
    assert isinstance(got, Unknown) and got.line == line_of(tr, P, "width = n // None")
    assert log.items == []
    assert [r.expression for r in it.refusals] == ["n // None"]


# ------------------------------------------------------------------ the layer
def test_the_tables_input_refused_for_its_width_is_replaced_by_the_width_asked() -> None:
    tr = tree()
    r = layer(LAYERS, "Highway", Dims())
    assert r.status == "resolved"
    assert r.input_shape == [None, 64]
    assert [(w.name, w.shape) for w in r.weights] == [("carry", [64, 64]), ("bias", [64]),
                                                      ("after", [64])]
    assert r.input_note is not None and r.input_note.startswith(
        f"input of 64 features, not the table's 32: with 32, `inputs + bias` "
        f"({P}:{line_of(tr, P, 'out = inputs + bias')}) raises ValueError: Dimensions must be "
        "equal, but are 32 and 64")


def test_a_refused_input_the_user_gave_is_needs_args_with_no_weights() -> None:
    tr = tree()
    r = layer(LAYERS, "Highway", Dims(input_dim=16))
    assert (r.status, r.missing_arguments, r.weights) == ("needs-args", ["features"], [])
    assert r.message == (
        f"TensorFlow refuses the input of 16 features: `inputs + bias` "
        f"({P}:{line_of(tr, P, 'out = inputs + bias')}) raises ValueError: Dimensions must be "
        "equal, but are 16 and 64 with input shapes: [?,16], [64]; give an input of 64 "
        "features (--input-dim 64, or --dim features=64); no weight list for a construction "
        "that raises")


def test_a_refusal_not_about_the_input_makes_the_symbol_unavailable() -> None:
    r = layer(LAYERS, "Mismatched", Dims())
    assert (r.status, r.weights, r.missing_arguments) == ("unavailable", [], [])
    assert r.message is not None and "`bias * gate`" in r.message \
        and "but are 64 and 8" in r.message and "give an input" not in r.message


def test_the_answer_follows_the_source() -> None:
    # the bias of the input's width: nothing is refused, the table's input stands
    r = layer(LAYERS.replace('bias = self.add_weight("bias", (self.units,))',
                             'bias = self.add_weight("bias", (inputs.shape[-1],))'),
              "Highway", Dims())
    assert r.status == "resolved" and r.input_shape == [None, 32]
    assert [(w.name, w.shape) for w in r.weights] == [("carry", [32, 64]), ("bias", [32]),
                                                      ("after", [64])]
    assert r.input_note is not None and "not the table's" not in r.input_note


def function(name: str, dims: Dims) -> SymbolResult:
    it = interp(tree())
    f = it.value_at(P, name)
    assert isinstance(f, FunctionV)
    result = SymbolResult(symbol=name, status="resolved")
    with it.question():
        analyze_function(it, f, {}, dims, result)
    return result


def test_a_function_applied_to_a_refused_input_is_applied_to_the_width_asked() -> None:
    r = function("highway", Dims())
    assert r.status == "resolved" and r.input_shape == [None, 64]
    assert [(w.name, w.shape) for w in r.weights] == [("carry", [64, 64]), ("bias", [64]),
                                                      ("after", [64])]
    assert [a.value for a in r.arguments if a.name == "inputs"] == [{"tensor": [None, 64]}]
    assert r.input_note is not None and r.input_note.startswith(
        "input of 64 features, not the table's 32: with 32, `inputs + bias`")
    given = function("highway", Dims(input_dim=16))
    assert (given.status, given.missing_arguments, given.weights) == (
        "needs-args", ["features"], [])


# ------------------------------------------------------------------ a slice past the width
ARRAY_OPS = "tensorflow/python/ops/array_ops.py"
GROUPED = LAYERS.replace(
    "from tensorflow.python.ops import math_ops",
    "from tensorflow.python.ops import array_ops, math_ops") + '''

    class Grouped(Layer):
        """Mimics TF 1.2-1.4 GLSTMCell: each group slices ``units // groups`` input columns."""

        def __init__(self, units, groups=1):
            self.units = units
            self.groups = groups

        def call(self, inputs):
            size = self.units // self.groups
            for g in range(self.groups):
                part = array_ops.slice(inputs, [0, g * size], [1, size])  # group
                self.add_weight("kernel%d" % g, (part.shape[-1], self.units))
            return inputs


    class Halves(Grouped):
        def __init__(self, units):
            super().__init__(units // 2, groups=2)  # 2 groups of 16 of the 32 columns
    '''


def grouped(name: str) -> tuple[MemoryTree, SymbolResult]:
    tr = make_tree({P: GROUPED, OPS: MATH_OPS, ARRAY_OPS: '''
        """Named like TensorFlow's own ops module: the tensor rules know ``slice``."""


        def slice(input_, begin, size, name=None):
            return input_
        '''})
    it = interp(tr)
    cls = it.value_at(P, name)
    assert isinstance(cls, ClassV)
    r = SymbolResult(symbol=name, status="resolved")
    with it.question():
        analyze_class(it, cls, {}, Dims(), r, "mylib")
    return tr, r


def test_a_slice_past_the_inputs_width_is_refused_and_rebuilt_on_the_width_it_needs() -> None:
    tr, r = grouped("Grouped")
    assert r.status == "resolved", r.message
    assert r.input_shape == [None, 64]
    assert [(w.name, w.shape) for w in r.weights] == [("kernel0", [64, 64])]
    line = line_of(tr, P, "part = array_ops.slice(inputs, [0, g * size], [1, size])  # group")
    assert r.input_note is not None and r.input_note.startswith(
        "input of 64 features, not the table's 32: with 32, `array_ops.slice(inputs, "
        f"[0, g * size], [1, size])` ({P}:{line}) raises InvalidArgumentError: Expected "
        "size[1] in [0, 32], but got 64")


def test_slices_inside_the_width_are_no_refusal() -> None:
    _, r = grouped("Halves")
    assert r.status == "resolved", r.message
    assert r.input_shape == [None, 32]
    assert "refuses" not in (r.input_note or "") and "InvalidArgumentError" not in (
        r.input_note or "")
    assert [(w.name, w.shape) for w in r.weights] == [("kernel0", [16, 32]),
                                                      ("kernel1", [16, 32])]


# ------------------------------------------------------------------ an op's own check
NN_IMPL = "tensorflow/python/ops/nn_impl.py"
CHECKED = LAYERS.replace(
    "from tensorflow.python.ops import math_ops",
    "from tensorflow.python.ops import math_ops, nn_impl") + '''

    class Separable(Layer):
        def __init__(self, filters):
            self.filters = filters

        def call(self, inputs):
            self.depthwise = self.add_weight("depthwise", (3, inputs.shape[-1], 1))
            self.pointwise = self.add_weight("pointwise", (inputs.shape[-1], self.filters))
            outputs = nn_impl.separable(inputs, self.filters)
            return outputs


    def separable(inputs, filters):
        return Separable(filters)(inputs)


    class Plain(Separable):
        def call(self, inputs):
            self.depthwise = self.add_weight("depthwise", (3, inputs.shape[-1], 1))
            self.pointwise = self.add_weight("pointwise", (inputs.shape[-1], self.filters))
            return inputs


    def checked_here(inputs, filters):
        Plain(filters)(inputs)
        if inputs.shape[-1] > filters:
            raise ValueError("not in an op's module")
        return inputs
    '''
NN = '''
    """Mimics TF 1.2 nn_impl.separable_conv2d's own check of its arguments' static shapes."""


    def separable(inputs, out_channels):
        in_channels = inputs.shape[-1]
        if in_channels > out_channels:
            raise ValueError("Refusing to perform an overparameterized separable convolution")
        return inputs
    '''


def checked(name: str, dims: Dims) -> tuple[MemoryTree, SymbolResult]:
    tr = make_tree({P: CHECKED, OPS: MATH_OPS, NN_IMPL: NN})
    it = interp(tr)
    f = it.value_at(P, name)
    assert isinstance(f, FunctionV)
    result = SymbolResult(symbol=name, status="resolved")
    with it.question():
        analyze_function(it, f, {"filters": 8}, dims, result)
    return tr, result


def test_a_value_error_of_an_ops_own_check_makes_the_function_unavailable() -> None:
    tr, r = checked("separable", Dims())
    assert (r.status, r.weights, r.input_shape) == ("unavailable", [], None)
    line = line_of(tr, NN_IMPL, 'raise ValueError("Refusing to perform an overparameterized '
                                'separable convolution")')
    assert r.message == (
        "TensorFlow refuses the input of 32 features: `raise ValueError(\"Refusing to "
        f"perform an overparameterized separable convolution\")` ({NN_IMPL}:{line}) raises "
        "ValueError: Refusing to perform an overparameterized separable convolution; no "
        "weight list for a construction that raises")


def test_an_input_the_op_accepts_is_no_refusal() -> None:
    _, r = checked("separable", Dims(input_dim=8))
    assert r.status == "resolved", r.message
    assert [(w.name, w.shape) for w in r.weights] == [("depthwise", [3, 8, 1]),
                                                      ("pointwise", [8, 8])]


def test_a_raise_outside_the_ops_modules_is_not_taken_for_tensorflows_check() -> None:
    _, r = checked("checked_here", Dims())
    assert r.status == "resolved", r.message
    assert [w.name for w in r.weights] == ["depthwise", "pointwise"]
