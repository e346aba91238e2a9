"""Static answers shaped like the analysis' real ones (1.8 / 1.15 / 2.15 layers, default dims:
units 64, input 32), for the port tests that need no network. Lines are paraphrased."""

from __future__ import annotations

import math
from typing import Any

from tfinit_audit.analysis.model import (
    Hop,
    Initializer,
    Location,
    RuntimeAdjustment,
    SymbolResult,
    Weight,
)

RCI = "tensorflow/python/ops/rnn_cell_impl.py"
LSTM = "keras/src/layers/rnn/lstm.py"
GRU = "keras/src/layers/rnn/gru.py"


def glorot(shape: list[int]) -> Initializer:
    rf = math.prod(shape[:-2]) if len(shape) > 2 else 1
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else (shape[-2] * rf,
                                                                     shape[-1] * rf)
    return Initializer("glorot_uniform",
                       {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"},
                       limit=math.sqrt(6.0 / (fan_in + fan_out)))


def zeros() -> Initializer:
    return Initializer("zeros")


def ones() -> Initializer:
    return Initializer("ones")


def orth() -> Initializer:
    return Initializer("orthogonal", {"gain": 1.0})


def hops(path: str, line: int) -> list[Hop]:
    return [Hop("tensorflow", path, line, "self._kernel = self.add_variable(", "build"),
            Hop("tensorflow", "tensorflow/python/ops/init_ops.py", 405,
                "class VarianceScaling(Initializer):", "the class")]


def w(name: str, shape: list[int] | None, init: Initializer, *, fallback: bool = False,
      forget: float | None = None, path: str = RCI, line: int = 763) -> Weight:
    adj = [RuntimeAdjustment("forget_bias", forget,
                             "gate 'f' (block 2 of 4 in the kernel/bias columns): added to the "
                             "pre-activation in call(), not stored in the variable",
                             RCI, 843, "tensorflow")] if forget is not None else []
    return Weight(name, shape, str(shape), init, fallback, hops(path, line),
                  runtime_adjustments=adj)


def fact(value: Any, path: str = RCI, line: int = 1) -> dict[str, Any]:
    return {"value": value, "package": "tensorflow", "path": path, "line": line, "code": "..."}


def sym(symbol: str, weights: list[Weight], facts: dict[str, Any],
        status: str = "resolved") -> SymbolResult:
    return SymbolResult(symbol, status, None, Location("tensorflow", RCI, 644, "X"), weights,
                        facts)


TF1_LSTM_FACTS = {"gate_order": fact(["i", "j", "f", "o"], RCI, 836),
                  "activation": fact("tanh", RCI, 731),
                  "recurrent_activation": fact("sigmoid", RCI, 851),
                  "forget_bias": {"value": 1.0, "path": RCI, "line": 843}}


def tf1_lstm(peepholes: bool = False, proj: int | None = None) -> SymbolResult:
    h = proj or 64
    weights = [w("kernel", [32 + h, 256], glorot([32 + h, 256]), fallback=True),
               w("bias", [256], zeros(), forget=1.0, line=768)]
    if peepholes:
        weights += [w(f"w_{g}_diag", [64], glorot([64]), fallback=True) for g in "fio"]
    if proj:
        weights.append(w("projection/kernel", [64, proj], glorot([64, proj]), fallback=True))
    args = ",".join(a for a in ("use_peepholes=True" if peepholes else "",
                                f"num_proj={proj}" if proj else "") if a)
    return sym("tf.nn.rnn_cell.LSTMCell" + (f"[{args}]" if args else ""), weights,
               dict(TF1_LSTM_FACTS))


def tf1_gru() -> SymbolResult:
    return sym("tf.nn.rnn_cell.GRUCell", [
        w("gates/kernel", [96, 128], glorot([96, 128]), fallback=True),
        w("gates/bias", [128], Initializer("constant", {"value": 1.0})),
        w("candidate/kernel", [96, 64], glorot([96, 64]), fallback=True),
        w("candidate/bias", [64], zeros())],
        {"gate_order": fact(["r", "u"], RCI, 460), "activation": fact("tanh", RCI, 432)})


def tf1_rnn() -> SymbolResult:
    return sym("tf.nn.rnn_cell.BasicRNNCell", [
        w("kernel", [96, 64], glorot([96, 64]), fallback=True), w("bias", [64], zeros())],
        {"activation": fact("tanh", RCI, 300)})


def unit_forget_bias(u: int = 64) -> Initializer:
    return Initializer("composite", {"parts": [
        {"initializer": zeros(), "start": 0, "stop": u},
        {"initializer": ones(), "start": u, "stop": 2 * u},
        {"initializer": zeros(), "start": 2 * u, "stop": 4 * u}]})


def keras_lstm(cell: bool = False, ract: str = "sigmoid") -> SymbolResult:
    facts = {"gate_order": fact(["i", "f", "c", "o"], LSTM, 280),
             "activation": fact("tanh", LSTM, 150),
             "recurrent_activation": fact(ract, LSTM, 151)}
    if not cell:
        facts = {"cell": "LSTMCell", **facts}
    return sym("tf.keras.layers.LSTM" + ("Cell" if cell else ""), [
        w("kernel", [32, 256], glorot([32, 256]), path=LSTM),
        w("recurrent_kernel", [64, 256], orth(), path=LSTM),
        w("bias", [256], unit_forget_bias(), path=LSTM)], facts)


def keras_gru(reset_after: bool = True, cell: bool = False) -> SymbolResult:
    bias_shape = [2, 192] if reset_after else [192]
    facts = {"gate_order": fact(["z", "r", "h"], GRU, 317),
             "activation": fact("tanh", GRU, 154),
             "recurrent_activation": fact("sigmoid", GRU, 155),
             "reset_after": fact(reset_after, GRU, 179),
             "bias_shape": {"value": bias_shape, "shape_expr": "bias_shape"}}
    if not cell:
        facts = {"cell": "GRUCell", **facts}
    return sym("tf.keras.layers.GRU" + ("Cell" if cell else "")
               + ("" if reset_after else "[reset_after=False]"), [
        w("kernel", [32, 192], glorot([32, 192]), path=GRU),
        w("recurrent_kernel", [64, 192], orth(), path=GRU),
        w("bias", bias_shape, zeros(), path=GRU)], facts)


def keras_simple_rnn() -> SymbolResult:
    return sym("tf.keras.layers.SimpleRNN", [
        w("kernel", [32, 64], glorot([32, 64])), w("recurrent_kernel", [64, 64], orth()),
        w("bias", [64], zeros())], {"cell": "SimpleRNNCell", "activation": fact("tanh")})


def dense(activation: str | None = "linear") -> SymbolResult:
    return sym("tf.keras.layers.Dense", [w("kernel", [32, 64], glorot([32, 64])),
                                         w("bias", [64], zeros())],
               {"activation": fact(activation)})


def conv2d() -> SymbolResult:
    return sym("tf.keras.layers.Conv2D", [w("kernel", [3, 3, 32, 8], glorot([3, 3, 32, 8])),
                                          w("bias", [8], zeros())],
               {"activation": fact("linear")})


def embedding() -> SymbolResult:
    return sym("tf.keras.layers.Embedding", [
        w("embeddings", [100, 16], Initializer("random_uniform",
                                               {"minval": -0.05, "maxval": 0.05}, limit=0.05))],
        {})


def batchnorm() -> SymbolResult:
    return sym("tf.keras.layers.BatchNormalization", [
        w("gamma", [32], ones()), w("beta", [32], zeros()), w("moving_mean", [32], zeros()),
        w("moving_variance", [32], ones())], {})


def layernorm() -> SymbolResult:
    return sym("tf.keras.layers.LayerNormalization", [w("gamma", [32], ones()),
                                                      w("beta", [32], zeros())], {})


def get_variable() -> SymbolResult:
    return sym("tf.get_variable", [w("v", [32, 64], glorot([32, 64]), fallback=True)], {})


ALL = {
    "tf1_lstm": tf1_lstm, "tf1_lstm_peep_proj": lambda: tf1_lstm(True, 16),
    "tf1_lstm_proj": lambda: tf1_lstm(False, 16), "tf1_gru": tf1_gru, "tf1_rnn": tf1_rnn,
    "keras_lstm": keras_lstm, "keras_lstm_cell": lambda: keras_lstm(cell=True),
    "keras_lstm_hard": lambda: keras_lstm(ract="hard_sigmoid"), "keras_gru": keras_gru,
    "keras_gru_before": lambda: keras_gru(False), "keras_gru_cell": lambda: keras_gru(cell=True),
    "simple_rnn": keras_simple_rnn, "dense": dense, "conv2d": conv2d, "embedding": embedding,
    "batchnorm": batchnorm, "layernorm": layernorm, "get_variable": get_variable,
}
