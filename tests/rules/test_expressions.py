"""ExpressionRule (rules/expressions.py) and the tuple-input rule (rules/tuple_inputs.py):
initial values computed by elementwise TensorFlow ops of initializers (TF 1.x ``tf.contrib``
``GDN``'s ``sqrt(ones + pedestal)`` and ``sqrt(gamma_init * eye + pedestal)``, ``PhasedLSTMCell``'s
``exp(random_uniform(log(min), log(max)))`` and ``random_uniform(0., period.initial_value)``),
folded to a vocabulary initializer where they are constant, else an ``expression`` tree; a cell
whose call unpacks ``(time, x) = inputs`` is called on such a tuple."""

from __future__ import annotations

import math
from typing import Any

from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import analyze_class, build_layer
from tfinit_audit.analysis.model import Dims, SymbolResult, Weight
from tfinit_audit.analysis.rules.weights import to_weights

INIT_OPS = '''
    class Initializer(object):
        pass


    class Zeros(Initializer):
        pass


    class Constant(Initializer):
        def __init__(self, value=0.0):
            self.value = value


    class RandomUniform(Initializer):
        def __init__(self, minval=0.0, maxval=None, seed=None):
            self.minval = minval
            self.maxval = maxval


    class GlorotUniform(Initializer):
        pass
    '''

OPS = '''
    """Ops whose kernels are outside the Python source (``_execute`` is not defined here)."""


    def sqrt(x, name=None):
        return _execute("Sqrt", x)


    def exp(x, name=None):
        return _execute("Exp", x)


    def log(x, name=None):
        return _execute("Log", x)


    def sigmoid(x, name=None):
        return _execute("Sigmoid", x)


    def add(x, y, name=None):
        return _execute("Add", x, y)
    '''

ARRAY_OPS = '''
    def ones(shape, dtype=None, name=None):
        return _execute("Ones", shape)


    def constant(value, dtype=None, shape=None, name="Const"):
        return _execute("Const", value)
    '''

LINALG_OPS = '''
    def eye(num_rows, num_columns=None, batch_shape=None, dtype=None, name=None):
        return _execute("Eye", num_rows)
    '''

RANDOM_OPS = '''
    def random_uniform(shape, minval=0, maxval=None, dtype=None, seed=None, name=None):
        return _execute("RandomUniform", shape, minval, maxval)
    '''

VARIABLE_SCOPE = '''
    from tensorflow.python.ops import init_ops


    def get_variable(name, shape=None, dtype=None, initializer=None):
        if initializer is None:
            initializer = init_ops.GlorotUniform()
        return name
    '''

LAYERS = '''
    """Mimics tf.contrib GDN and PhasedLSTMCell (contrib/layers layers.py, contrib/rnn
    rnn_cell.py)."""
    import numpy

    from tensorflow.python.ops import array_ops
    from tensorflow.python.ops import init_ops
    from tensorflow.python.ops import linalg_ops
    from tensorflow.python.ops import math_ops
    from tensorflow.python.ops import random_ops
    from tensorflow.python.ops import variable_scope as vs


    class Layer(object):
        def add_variable(self, name, shape, initializer=None, dtype=None):
            return name


    class GDN(Layer):
        def __init__(self, gamma_init=.1, reparam_offset=2**-18):
            self._gamma_init = gamma_init
            self._reparam_offset = reparam_offset

        def build(self, input_shape):
            n = input_shape[-1]

            def beta_initializer(shape, dtype=None, partition_info=None):
                pedestal = array_ops.constant(self._reparam_offset**2, dtype=dtype)
                return math_ops.sqrt(array_ops.ones(shape, dtype=dtype) + pedestal)

            def gamma_initializer(shape, dtype=None, partition_info=None):
                eye = linalg_ops.eye(shape[0], dtype=dtype)
                pedestal = array_ops.constant(self._reparam_offset**2, dtype=dtype)
                return math_ops.sqrt(self._gamma_init * eye + pedestal)

            def squashed_initializer(shape, dtype=None, partition_info=None):
                return math_ops.sigmoid(array_ops.ones(shape, dtype=dtype))

            self.beta = self.add_variable("beta", shape=[n], initializer=beta_initializer)
            self.gamma = self.add_variable("gamma", shape=[n, n], initializer=gamma_initializer)
            self.squashed = self.add_variable("squashed", shape=[n],
                                              initializer=squashed_initializer)
            mask = numpy.zeros([n, 2])
            mask[1:, :] = 1
            glorot = init_ops.GlorotUniform()

            def masked_initializer(shape, dtype=None, partition_info=None):
                return mask.T * glorot(shape, dtype, partition_info)

            self.masked = self.add_variable("masked", shape=[2, n],
                                            initializer=masked_initializer)


    def _random_exp_initializer(minval, maxval, seed=None):
        def _initializer(shape, dtype=None, partition_info=None):
            return math_ops.exp(random_ops.random_uniform(
                shape, math_ops.log(minval), math_ops.log(maxval), dtype, seed=seed))
        return _initializer


    class RNNCell(Layer):
        def build(self, inputs_shape):
            pass


    class PhasedCell(RNNCell):
        def __init__(self, num_units, period_init_min=1.0, period_init_max=1000.0):
            self._num_units = num_units
            self._period_init_min = period_init_min
            self._period_init_max = period_init_max

        @property
        def state_size(self):
            return self._num_units

        def call(self, inputs, state):
            (time, x) = inputs
            kernel = vs.get_variable(
                "kernel", [x.get_shape()[1].value + self._num_units, self._num_units])
            period = vs.get_variable(
                "period", [self._num_units],
                initializer=_random_exp_initializer(self._period_init_min,
                                                    self._period_init_max))
            phase = vs.get_variable(
                "phase", [self._num_units],
                initializer=init_ops.RandomUniform(0., period.initial_value))
            return kernel
    '''

L = "tensorflow/contrib/layers.py"


def tree(layers: str = LAYERS) -> Any:
    ops = "tensorflow/python/ops/"
    return make_tree({ops + "init_ops.py": INIT_OPS, ops + "math_ops.py": OPS,
                      ops + "array_ops.py": ARRAY_OPS, ops + "linalg_ops.py": LINALG_OPS,
                      ops + "random_ops.py": RANDOM_OPS, ops + "variable_scope.py": VARIABLE_SCOPE,
                      L: layers})


def gdn(layers: str = LAYERS) -> tuple[Any, dict[str, Weight]]:
    t = tree(layers)
    it = interp(t)
    cls = it.value_at(L, "GDN")
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, {}, Dims(units=4), [None, 3])
    return t, {w.name: w for w in to_weights(it, captured)}


def phased(layers: str = LAYERS) -> tuple[Any, SymbolResult]:
    t = tree(layers)
    it = interp(t)
    cls = it.value_at(L, "PhasedCell")
    assert isinstance(cls, ClassV)
    result = SymbolResult(symbol="PhasedCell", status="resolved")
    analyze_class(it, cls, {}, Dims(units=4, input_dim=3), result)
    return t, result


# ------------------------------------------------------------------ folded
def test_sqrt_of_ones_plus_a_constant_is_that_constant() -> None:
    t, ws = gdn()
    b = ws["beta"]
    assert (b.initializer.kind, b.shape) == ("constant", [3])
    assert b.initializer.params == {"value": math.sqrt(1.0 + 2.0**-36)}
    assert at(t, L, "return math_ops.sqrt(array_ops.ones(shape, dtype=dtype) + pedestal)") \
        in where(b.provenance)
    assert_real_lines(t, b.provenance)


def test_an_identity_times_a_number_plus_a_constant_is_an_expression() -> None:
    t, ws = gdn()
    g = ws["gamma"].initializer
    assert g.kind == "expression"
    assert g.params["expression"] == "math_ops.sqrt(self._gamma_init * eye + pedestal)"
    assert g.params["tree"] == {"op": "sqrt", "args": [{"op": "add", "args": [
        {"initializer": {"kind": "identity", "params": {"gain": 0.1}, "limit": None,
                         "stddev": None}, "shape": [3, 3]},
        2.0**-36]}]}
    assert at(t, L, "eye = linalg_ops.eye(shape[0], dtype=dtype)") in where(
        ws["gamma"].provenance)


def test_a_numpy_mask_times_an_initializer_is_an_expression_with_the_array() -> None:
    """TF 1.x ``masked_dense``: ``mask * kernel_initializer(shape, ...)``, the mask a numpy
    array built by slice assignment (engine/arrays.py)."""
    t, ws = gdn()
    m = ws["masked"]
    assert (m.shape, m.initializer.kind) == ([2, 3], "expression")
    mask, drawn = m.initializer.params["tree"]["args"]
    assert m.initializer.params["tree"]["op"] == "multiply"
    assert mask == {"array": [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]}
    assert (drawn["initializer"]["kind"], drawn["shape"]) == ("glorot_uniform", [2, 3])
    assert math.isclose(drawn["initializer"]["limit"], math.sqrt(6 / 5))
    assert at(t, L, "mask = numpy.zeros([n, 2])") in where(m.provenance)
    assert_real_lines(t, m.provenance)
    _, ws = gdn(LAYERS.replace("mask[1:, :] = 1", "mask[:, 1:] = 1"))
    assert ws["masked"].initializer.params["tree"]["args"][0] == {
        "array": [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]}
    _, ws = gdn(LAYERS.replace("mask[1:, :] = 1", "mask[1:, :] = self._gamma_init"))
    assert ws["masked"].initializer.kind == "expression"  # a known float is written
    _, ws = gdn(LAYERS.replace("mask[1:, :] = 1", "mask[1:, :] = input_shape[0]"))
    assert ws["masked"].initializer.kind == "unresolved"  # the batch size is not known


def test_the_folding_follows_the_source() -> None:
    _, ws = gdn(LAYERS.replace("gamma_init=.1", "gamma_init=4.0").replace(
        "self._gamma_init * eye + pedestal", "self._gamma_init * eye"))
    g = ws["gamma"].initializer
    assert (g.kind, g.params) == ("expression", {
        "expression": "math_ops.sqrt(self._gamma_init * eye)",
        "tree": {"op": "sqrt", "args": [{"initializer": {
            "kind": "identity", "params": {"gain": 4.0}, "limit": None, "stddev": None},
            "shape": [3, 3]}]}})


def test_a_random_draw_of_logs_is_an_expression_with_the_numbers() -> None:
    t, r = phased()
    ws = {w.name: w for w in r.weights}
    p = ws["period"].initializer
    assert p.kind == "expression"
    leaf = p.params["tree"]["args"][0]
    assert p.params["tree"]["op"] == "exp"
    assert leaf["initializer"]["kind"] == "random_uniform"
    assert leaf["initializer"]["params"] == {"minval": 0.0, "maxval": math.log(1000.0)}
    assert leaf["shape"] == [4]


def test_an_initial_value_is_a_reference_to_that_weight() -> None:
    _, r = phased()
    ws = {w.name: w for w in r.weights}
    ph = ws["phase"].initializer
    assert (ph.kind, ph.params["tree"]) == ("expression", {
        "op": "random_uniform", "args": [0.0, {"weight": "period"}], "shape": [4]})
    assert "<" not in repr(ph.params)  # never a placeholder string


# ------------------------------------------------------------------ tuple input
def test_a_cell_that_unpacks_its_input_is_called_on_a_tuple() -> None:
    t, r = phased()
    ws = {w.name: w for w in r.weights}
    assert ws["kernel"].shape == [3 + 4, 4]
    assert r.input_parts == [[None, None], [None, 3]]
    assert r.input_note is not None and "(time, x)" in r.input_note
    line = at(t, L, "(time, x) = inputs")
    assert f"{line[0]}:{line[1]}" in r.input_note


def test_a_cell_taking_one_tensor_is_not_called_on_a_tuple() -> None:
    _, r = phased(LAYERS.replace("(time, x) = inputs", "x = inputs"))
    assert r.input_parts is None
    assert {w.name: w.shape for w in r.weights}["kernel"] == [3 + 4, 4]


# ------------------------------------------------------------------ left alone
def test_an_op_outside_the_list_stays_unresolved() -> None:
    _, ws = gdn()
    s = ws["squashed"].initializer
    assert s.kind == "unresolved"


def test_an_unknown_argument_is_unresolved_not_a_placeholder() -> None:
    _, r = phased(LAYERS.replace("period.initial_value", "period.read_value()"))
    ph = {w.name: w for w in r.weights}["phase"].initializer
    assert ph.kind == "unresolved"
    assert "RandomUniform with maxval=" in ph.params["expression"]
