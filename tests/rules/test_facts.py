"""The fact rules (rules/facts.py, ``FACT_RULES``): gate order, activations, GRU
``reset_after`` and the forget bias added in ``call()``, read from the constructed layer."""

from __future__ import annotations

from typing import Any

from rule_fixtures import interp, line_of, make_tree

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules import facts
from tfinit_audit.analysis.rules.weights import to_weights

BASE = '''
    class Layer(object):
        def add_weight(self, name, shape, initializer=None):
            return name

        def add_variable(self, *args, **kwargs):
            return self.add_weight(*args, **kwargs)
    '''

OPS = '''
    def split(value, num_or_size_splits, axis=0):
        return value


    def sigmoid(x):
        return x


    def tanh(x):
        return x
    '''

ACTIVATIONS = '''
    """A Keras-like activations module (``get`` by identifier)."""


    def tanh(x):
        return x


    def hard_sigmoid(x):
        return x


    def get(identifier):
        return identifier
    '''

CELLS = '''
    """Mimics a TF 1.x LSTM cell: one kernel; in ``call`` the gates are split as
    ``i, j, f, o``, ``sigmoid`` is applied to them directly and ``forget_bias`` is added to the
    forget gate's pre-activation."""
    from mylib.layers import base
    from mylib.ops import math_ops
    from mylib.ops import array_ops


    class LSTMCell(base.Layer):
        def __init__(self, num_units, forget_bias=1.0, activation=None):
            self._num_units = num_units
            self._forget_bias = forget_bias
            self._activation = activation or math_ops.tanh

        def build(self, inputs_shape):
            self._kernel = self.add_variable(
                "kernel", shape=[inputs_shape[1] + self._num_units, 4 * self._num_units])
            self._bias = self.add_variable("bias", shape=[4 * self._num_units])

        def call(self, inputs, state):
            i, j, f, o = array_ops.split(value=inputs, num_or_size_splits=4, axis=1)
            c = state * math_ops.sigmoid(f + self._forget_bias) + math_ops.sigmoid(i) * j
            return c
    '''

KERAS = '''
    """Mimics Keras GRU: activations by identifier, the kernel split ``k_z, k_r, k_h`` (an
    input split into four comes later and must not win), ``reset_after`` choosing the bias
    layout, and an RNN layer whose facts are its cell's. ``Dense`` has no gates; ``Peephole``
    keeps a ``forget_bias`` that ``call`` never adds, ``Flagged`` one that is not a number."""
    from mylib.layers import base
    from mylib.ops import array_ops
    from mylib import activations


    class GRUCell(base.Layer):
        def __init__(self, units, activation="tanh", recurrent_activation="hard_sigmoid",
                     reset_after=False):
            self.units = units
            self.activation = activations.get(activation)
            self.recurrent_activation = activations.get(recurrent_activation)
            self.reset_after = reset_after

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=(input_shape[-1], self.units * 3))
            if not self.reset_after:
                bias_shape = (3 * self.units,)
            else:
                bias_shape = (2, 3 * self.units)
            self.bias = self.add_weight("bias", shape=bias_shape)

        def call(self, inputs, states):
            k_z, k_r, k_h = array_ops.split(self.kernel, 3, axis=1)
            x_a, x_b, x_c, x_d = array_ops.split(inputs, 4, axis=1)
            return inputs


    class GRU(base.Layer):
        def __init__(self, units):
            self.cell = GRUCell(units)

        def build(self, input_shape):
            self.cell.build(input_shape)


    class Dense(base.Layer):
        def __init__(self, units, activation=None):
            self.units = units
            self.activation = activation

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=(input_shape[-1], self.units))

        def call(self, inputs):
            return inputs


    class Peephole(base.Layer):
        def __init__(self, units, forget_bias=1.0):
            self.units = units
            self._forget_bias = forget_bias

        def build(self, input_shape):
            self.bias = self.add_weight("bias", shape=(4 * self.units,))

        def call(self, inputs, state):
            i, j, f, o = array_ops.split(inputs, 4, axis=1)
            return f + o


    class Fused(Peephole):
        """Mimics tf.contrib.rnn LSTMBlockCell: the step is one op, given the forget bias."""

        def call(self, inputs, state):
            return array_ops.fused_step(inputs, state, self.bias,
                                        forget_bias=self._forget_bias)


    class CallsInput(base.Layer):
        """TF 1.4's layer base: a generic ``call`` that gives back its input."""

        def call(self, inputs, **kwargs):
            return inputs


    class OldFused(CallsInput):
        """Mimics TF 1.4 LSTMBlockCell: its own ``__call__`` is the step, over the base's
        ``call``."""

        def __init__(self, units, forget_bias=1.0):
            self.units = units
            self._forget_bias = forget_bias

        def build(self, input_shape):
            self.bias = self.add_weight("bias", shape=(4 * self.units,))

        def __call__(self, x, states_prev, scope=None):
            return array_ops.fused_step(x, states_prev, self.bias,
                                        forget_bias=self._forget_bias)  # the 1.4 step


    class FusedSequence(Peephole):
        """Mimics tf.contrib.rnn LSTMBlockFusedCell: ``call`` (its wrapper's) runs the whole
        sequence in a helper method, which hands the op the forget bias."""

        def call(self, inputs, initial_state=None):
            return self._call_cell(inputs, initial_state)

        def _call_cell(self, inputs, initial_state):
            return array_ops.block_step(inputs, initial_state, self.bias,
                                        forget_bias=self._forget_bias, cell_clip=-1)

        def _unused(self, inputs):
            return array_ops.block_step(inputs, forget_bias=self._forget_bias)


    class Flagged(Peephole):
        def __init__(self, units, forget_bias=True):
            self.units = units
            self._forget_bias = forget_bias

        def call(self, inputs, state):
            i, j, f, o = array_ops.split(inputs, 4, axis=1)
            return f + self._forget_bias
    '''

OLD_CELLS = '''
    """Mimics a TF 0.x LSTM cell: no ``call``; its own ``__call__`` is the step. It creates
    ``W_0``, the bias ``B`` (as wide as the kernel's columns) and a peephole ``W_F_diag``,
    splits the gates ``i, j, f, o``, applies ``sigmoid`` and adds ``forget_bias``."""
    from mylib.layers import base
    from mylib.ops import math_ops
    from mylib.ops import array_ops


    class RNNCell(object):
        def __call__(self, inputs, state, scope=None):
            raise NotImplementedError("Abstract method")


    class OldLSTMCell(RNNCell, base.Layer):
        def __init__(self, num_units, forget_bias=1.0):
            self._num_units = num_units
            self._forget_bias = forget_bias

        @property
        def state_size(self):
            return self._num_units

        def __call__(self, inputs, state, scope=None):
            w = self.add_weight("W_0", shape=[3 + self._num_units, 4 * self._num_units])
            b = self.add_weight("B", shape=[4 * self._num_units])
            diag = self.add_weight("W_F_diag", shape=[self._num_units])
            i, j, f, o = array_ops.split(1, 4, inputs)
            c = state * math_ops.sigmoid(f + self._forget_bias) + math_ops.sigmoid(i) * j
            return c
    '''

C = "mylib/layers/cells.py"
K = "mylib/layers/keras.py"
OLD = "mylib/layers/old_cells.py"


def tree(cells: str = CELLS) -> Any:
    return make_tree({"mylib/layers/base.py": BASE, "mylib/ops/array_ops.py": OPS,
                      "mylib/ops/math_ops.py": OPS, "mylib/activations.py": ACTIVATIONS,
                      C: cells, K: KERAS, OLD: OLD_CELLS})


def run(path: str, cls: str, t: Any = None, **kwargs: Any) -> tuple[dict[str, Any],
                                                                      dict[str, Weight]]:
    it = interp(t or tree())
    c = it.value_at(path, cls)
    assert isinstance(c, ClassV)
    obj, captured, bound = build_layer(it, c, kwargs, Dims(units=4), [None, 3])
    weights = to_weights(it, captured)
    return facts.collect(it, c, obj, bound, weights), {w.name: w for w in weights}


def loc(t: Any, path: str, code: str) -> dict[str, Any]:
    return {"package": "mylib", "path": path, "line": line_of(t, path, code), "code": code}


# ------------------------------------------------------------------ decided
def test_tf1_cell_facts_and_forget_bias() -> None:
    t = tree()
    fs, ws = run(C, "LSTMCell", t)
    split = "i, j, f, o = array_ops.split(value=inputs, num_or_size_splits=4, axis=1)"
    added = "c = state * math_ops.sigmoid(f + self._forget_bias) + math_ops.sigmoid(i) * j"
    assert fs["gate_order"] == {"value": ["i", "j", "f", "o"], **loc(t, C, split)}
    assert fs["activation"] == {
        "value": "tanh", **loc(t, C, "self._activation = activation or math_ops.tanh")}
    assert fs["recurrent_activation"] == {"value": "sigmoid", **loc(t, C, added)}
    assert fs["forget_bias"] == {"value": 1.0, "path": C, "line": line_of(t, C, added),
                                 "package": "mylib"}
    (adj,) = ws["bias"].runtime_adjustments
    assert (adj.kind, adj.value, adj.path, adj.line) == ("forget_bias", 1.0, C,
                                                        line_of(t, C, added))
    assert adj.applies_to.startswith("gate 'f' (block 2 of 4 in the kernel/bias columns)")
    assert ws["kernel"].runtime_adjustments == []


def test_a_0x_cell_s_facts_come_from_its_own_call_method() -> None:
    # no ``call``: the class's ``__call__`` runs the step (the base's abstract one is not it);
    # the forget bias goes to ``B``, the 1-D weight as wide as the kernel's columns
    t = tree()
    fs, ws = run(OLD, "OldLSTMCell", t)
    added = "c = state * math_ops.sigmoid(f + self._forget_bias) + math_ops.sigmoid(i) * j"
    assert fs["gate_order"] == {"value": ["i", "j", "f", "o"],
                                **loc(t, OLD, "i, j, f, o = array_ops.split(1, 4, inputs)")}
    assert fs["recurrent_activation"] == {"value": "sigmoid", **loc(t, OLD, added)}
    assert fs["forget_bias"]["value"] == 1.0
    assert list(ws) == ["W_0", "B", "W_F_diag"]
    (adj,) = ws["B"].runtime_adjustments
    assert (adj.value, adj.line) == (1.0, line_of(t, OLD, added))
    assert ws["W_0"].runtime_adjustments == ws["W_F_diag"].runtime_adjustments == []


def test_a_0x_cell_s_facts_follow_its_source() -> None:
    t = tree()
    t.files[OLD] = t.files[OLD].replace("i, j, f, o = array_ops", "i, f, j, o = array_ops")
    fs, ws = run(OLD, "OldLSTMCell", t, forget_bias=0.5)
    assert fs["gate_order"]["value"] == ["i", "f", "j", "o"]
    (adj,) = ws["B"].runtime_adjustments
    assert adj.value == 0.5 and adj.applies_to.startswith("gate 'f' (block 1 of 4")


def test_keras_cell_facts() -> None:
    t = tree()
    fs, _ = run(K, "GRUCell", t)
    split = "k_z, k_r, k_h = array_ops.split(self.kernel, 3, axis=1)"
    assert fs["gate_order"] == {"value": ["z", "r", "h"], **loc(t, K, split)}
    assert fs["activation"] == {
        "value": "tanh", **loc(t, K, "self.activation = activations.get(activation)")}
    assert fs["recurrent_activation"] == {"value": "hard_sigmoid", **loc(
        t, K, "self.recurrent_activation = activations.get(recurrent_activation)")}
    assert fs["reset_after"] == {"value": False,
                                 **loc(t, K, "self.reset_after = reset_after")}
    assert fs["bias_shape"] == {"value": [12], "shape_expr": "bias_shape"}


def test_reset_after_changes_the_bias_layout() -> None:
    fs, _ = run(K, "GRUCell", reset_after=True)
    assert fs["reset_after"]["value"] is True
    assert fs["bias_shape"] == {"value": [2, 12], "shape_expr": "bias_shape"}


def test_an_rnn_layer_reports_its_cells_facts() -> None:
    fs, ws = run(K, "GRU")
    assert fs["cell"] == "GRUCell"
    assert fs["gate_order"]["value"] == ["z", "r", "h"]
    assert list(ws) == ["kernel", "bias"]


def test_the_answer_follows_the_source() -> None:
    t = tree(CELLS.replace("i, j, f, o = array_ops", "i, f, j, o = array_ops")
             .replace("forget_bias=1.0", "forget_bias=0.5"))
    fs, ws = run(C, "LSTMCell", t)
    assert fs["gate_order"]["value"] == ["i", "f", "j", "o"]
    (adj,) = ws["bias"].runtime_adjustments
    assert adj.value == 0.5
    assert adj.applies_to.startswith("gate 'f' (block 1 of 4 in the kernel/bias columns)")


# ------------------------------------------------------------------ left alone
def test_a_layer_without_gates_has_no_gate_facts() -> None:
    fs, ws = run(K, "Dense")
    assert "gate_order" not in fs and "recurrent_activation" not in fs
    assert "forget_bias" not in fs and "reset_after" not in fs
    assert fs["activation"]["value"] is None  # the constructor's None, not a guess
    assert ws["kernel"].runtime_adjustments == []


def test_a_forget_bias_that_call_never_adds_is_no_adjustment() -> None:
    fs, ws = run(K, "Peephole")
    assert fs["gate_order"]["value"] == ["i", "j", "f", "o"]
    assert "forget_bias" not in fs and ws["bias"].runtime_adjustments == []


def test_a_forget_bias_handed_to_the_step_op_is_an_adjustment() -> None:
    t = tree()
    fs, ws = run(K, "Fused", t, forget_bias=0.75)
    line = line_of(t, K, "forget_bias=self._forget_bias)")
    assert fs["forget_bias"] == {"value": 0.75, "path": K, "line": line, "package": "mylib"}
    (adj,) = ws["bias"].runtime_adjustments
    assert adj.applies_to.startswith("the forget gate: passed to array_ops.fused_step() as "
                                     "forget_bias")
    # handed on under another name, it is the op's business, not a forget bias
    t.files[K] = t.files[K].replace("forget_bias=self._forget_bias)", "scale=self._forget_bias)")
    fs, ws = run(K, "Fused", t)
    assert "forget_bias" not in fs and ws["bias"].runtime_adjustments == []


def test_a_forget_bias_handed_to_the_op_by_a_method_call_runs_is_an_adjustment() -> None:
    t = tree()
    fs, ws = run(K, "FusedSequence", t)
    line = line_of(t, K, "forget_bias=self._forget_bias, cell_clip=-1)")
    assert fs["forget_bias"]["value"] == 1.0 and fs["forget_bias"]["line"] == line
    (adj,) = ws["bias"].runtime_adjustments
    assert adj.applies_to.startswith("the forget gate: passed to array_ops.block_step() as ")
    # a method call never runs is not followed
    t.files[K] = t.files[K].replace("return self._call_cell(inputs, initial_state)",
                                    "return inputs")
    fs, ws = run(K, "FusedSequence", t)
    assert "forget_bias" not in fs and ws["bias"].runtime_adjustments == []


def test_a_forget_bias_handed_to_the_op_by_an_own___call___over_a_base_call() -> None:
    t = tree()
    fs, ws = run(K, "OldFused", t)
    line = line_of(t, K, "forget_bias=self._forget_bias)  # the 1.4 step")
    assert fs["forget_bias"]["value"] == 1.0 and fs["forget_bias"]["line"] == line
    (adj,) = ws["bias"].runtime_adjustments
    assert adj.applies_to.startswith("the forget gate: passed to array_ops.fused_step() as ")
    # the step in a method no call runs: the base's call is what runs, no adjustment
    t.files[K] = t.files[K].replace("def __call__(self, x, states_prev, scope=None)",
                                    "def step_of(self, x, states_prev, scope=None)")
    fs, ws = run(K, "OldFused", t)
    assert "forget_bias" not in fs and ws["bias"].runtime_adjustments == []


def test_a_forget_bias_that_is_not_a_number_is_no_adjustment() -> None:
    fs, ws = run(K, "Flagged")
    assert "forget_bias" not in fs and ws["bias"].runtime_adjustments == []
