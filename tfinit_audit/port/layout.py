"""What a layer *is*, read from the static answer alone: its weights, their shapes, the facts.

The port never asks which TensorFlow release or class it is looking at. It recognises the
structure of the weights the analysis found (names and concrete shapes) and the porting facts it
derived from ``call()`` (gate order, activations, forget bias, ``reset_after``):

=============  ====================================================================================
kind           recognised by
=============  ====================================================================================
lstm_fused     4 gates; one ``kernel`` over the concatenated ``[x, h]`` (TF 1.x LSTM cells);
               optional ``w_*_diag`` peepholes and ``projection/kernel``
lstm           4 gates; ``kernel`` and ``recurrent_kernel`` (Keras)
gru            3 gates; ``kernel`` and ``recurrent_kernel``; ``reset_after`` fact (Keras)
gru_fused      ``gates/kernel`` (2 gates) and ``candidate/kernel`` over ``[x, h]`` (TF 1.x GRUCell)
rnn            ``kernel`` and ``recurrent_kernel``, no gates (Keras SimpleRNN)
rnn_fused      one 2-D ``kernel`` of ``[input + units, units]`` over ``[x, h]`` (TF 1.x RNN cell)
dense          one 2-D ``kernel`` of ``[input, units]`` (+ ``bias``)
conv           a 3-D to 5-D ``kernel`` ``[*window, in, out]`` (+ ``bias``)
embedding      one ``embeddings`` table
batchnorm      ``moving_mean`` / ``moving_variance`` (+ ``gamma`` / ``beta``)
layernorm      ``gamma`` / ``beta`` without moving statistics
variable       anything else: the weights in TF's layout, nothing more
=============  ====================================================================================

Gate *names* come from the facts (the names ``call()`` unpacks a split into); what each name
*does* is the one piece of naming vocabulary kept here (``GATE_ROLES``): TF 1.x cells call the
LSTM candidate ``j``, Keras ``c``, PyTorch ``g``; GRU update gates are ``u`` (TF 1.x) or ``z``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.model import Dims, SymbolResult, Weight
from tfinit_audit.port.draws import expression_refusal
from tfinit_audit.port.model import PortError

# What a gate name unpacked in call() means. Names, not versions: the same letters are used by
# every release that has the cell.
GATE_ROLES: dict[str, str] = {
    "i": "input", "f": "forget", "o": "output",
    "j": "candidate", "c": "candidate", "g": "candidate",
    "z": "update", "u": "update", "r": "reset", "h": "candidate", "n": "candidate",
}
LSTM_ROLES = ("input", "forget", "candidate", "output")
GRU_ROLES = ("update", "reset", "candidate")
_NORM_STATS = ("moving_mean", "moving_variance")


@dataclass(frozen=True)
class Cited:
    """A fact's value and the source line it was read from (``path:line``, or "")."""

    value: Any
    where: str = ""


@dataclass(frozen=True)
class Gate:
    name: str  # as call() names it: "i", "j", "f", "o", "z", ...
    role: str  # input | forget | candidate | output | update | reset
    index: int  # column block in TF's kernel and bias


@dataclass
class Layout:
    """The structure of one symbol's weights, with the facts a port needs."""

    kind: str
    symbol: SymbolResult
    dims: Dims
    weights: dict[str, Weight]
    input_dim: int = 0
    units: int = 0
    hidden: int = 0  # width of the recurrent input h (units, or num_proj with a projection)
    gates: list[Gate] = field(default_factory=list)
    gate_where: str = ""
    sequence: bool = False  # an RNN layer over sequences (the facts name its cell)
    activation: Cited = Cited(None)
    recurrent_activation: Cited | None = None
    forget_bias: Cited | None = None  # value added to the forget gate in call()
    reset_after: bool | None = None
    reset_where: str = ""
    conv_rank: int = 0
    notes: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.weights

    def shape(self, name: str) -> list[int]:
        shape = self.weights[name].shape
        assert shape is not None  # recognise() refuses weights without a concrete shape
        return list(shape)

    def gate(self, role: str) -> Gate:
        return next(g for g in self.gates if g.role == role)

    @property
    def peepholes(self) -> list[str]:
        return [n for n in self.weights if re.fullmatch(r"w_\w+_diag", n)]

    @property
    def projection(self) -> int | None:
        return self.shape("projection/kernel")[-1] if self.has("projection/kernel") else None

    @property
    def recurrent(self) -> bool:
        return self.kind in ("lstm", "lstm_fused", "gru", "gru_fused", "rnn", "rnn_fused")


def recognise(symbol: SymbolResult, dims: Dims) -> Layout:
    """The layout of ``symbol``'s weights, or ``PortError`` saying why there is nothing to port."""
    _check_portable(symbol)
    weights = {w.name: w for w in symbol.weights}
    layout = Layout("variable", symbol, dims, weights, input_dim=dims.input_dim)
    _read_facts(layout)
    layout.kind = _kind(layout)
    if layout.recurrent:
        _recurrent_sizes(layout)
    elif layout.kind in ("dense", "conv"):
        shape = layout.shape("kernel")
        layout.input_dim, layout.units = shape[-2], shape[-1]
        layout.conv_rank = len(shape) - 2
    return layout


def _check_portable(symbol: SymbolResult) -> None:
    if symbol.status in ("absent", "unavailable"):
        raise PortError(f"{symbol.symbol} is {symbol.status}"
                        + (f": {symbol.message}" if symbol.message else "") + "; nothing to port")
    if symbol.status == "needs-args":
        raise PortError(f"{symbol.symbol} was not built: it needs "
                        f"{', '.join(symbol.missing_arguments) or 'arguments'} (give "
                        "SYMBOL[name=value] or --dim name=value); nothing to port yet")
    if not symbol.weights:
        raise PortError(f"{symbol.symbol} creates no weights; nothing to port")
    for w in symbol.weights:
        if w.initializer.kind == "expression":
            raise PortError(f"{symbol.symbol}: {w.name}: {expression_refusal(w.initializer)}")
        if w.initializer.kind == "unresolved":
            p = w.initializer.params
            raise PortError(
                f"{symbol.symbol}: the initializer of {w.name!r} is unresolved "
                f"(`{p.get('expression', '?')}` at {p.get('path', '?')}:{p.get('line', '?')}); "
                "a port would have to guess its values")
        if w.shape is None:
            raise PortError(
                f"{symbol.symbol}: weight {w.name!r} has no concrete shape for these dims "
                f"({w.shape_expr}); give the constructor arguments that decide it, e.g. "
                f"'{symbol.symbol.split('[')[0]}[kernel_size=3]'")


def _where(raw: Any) -> str:
    if isinstance(raw, dict) and raw.get("path"):
        return f"{raw['path']}:{raw.get('line', '?')}"
    return ""


def _fact(symbol: SymbolResult, key: str) -> Cited | None:
    raw = symbol.facts.get(key)
    if raw is None:
        return None
    value = raw.get("value") if isinstance(raw, dict) else raw
    return Cited(value, _where(raw))


def _read_facts(layout: Layout) -> None:
    s = layout.symbol
    order = _fact(s, "gate_order")
    if order is not None and isinstance(order.value, list):
        layout.gates = [Gate(str(n), GATE_ROLES.get(str(n), "?"), i)
                        for i, n in enumerate(order.value)]
        layout.gate_where = order.where
    layout.activation = _fact(s, "activation") or Cited(None)
    layout.recurrent_activation = _fact(s, "recurrent_activation")
    layout.sequence = "cell" in s.facts
    ra = _fact(s, "reset_after")
    if ra is not None:
        layout.reset_after, layout.reset_where = bool(ra.value), ra.where
    for w in s.weights:
        for adj in w.runtime_adjustments:
            if adj.kind == "forget_bias" and isinstance(adj.value, int | float):
                layout.forget_bias = Cited(float(adj.value), f"{adj.path}:{adj.line}")
                named = re.search(r"gate '(\w+)'", adj.applies_to)
                if named and layout.gates and named.group(1) not in [g.name for g in
                                                                      layout.gates]:
                    raise PortError(f"{s.symbol}: forget_bias is added to gate "
                                    f"{named.group(1)!r}, which the gate order does not name")


def _rank(layout: Layout, name: str) -> int:
    return len(layout.weights[name].shape or []) if name in layout.weights else 0


def _kind(layout: Layout) -> str:
    names = set(layout.weights)
    roles = sorted(g.role for g in layout.gates)
    matrices = all(_rank(layout, n) == 2 for n in names if n.endswith("kernel"))
    if not matrices and layout.gates:
        return "variable"  # e.g. a convolutional LSTM: its kernels are not matrices
    if "recurrent_kernel" in names and "kernel" in names:
        if roles == sorted(LSTM_ROLES):
            return "lstm"
        if roles == sorted(GRU_ROLES):
            return "gru"
        if not layout.gates:
            return "rnn"
    if {"gates/kernel", "candidate/kernel"} <= names and roles == ["reset", "update"]:
        return "gru_fused"
    if "kernel" in names and roles == sorted(LSTM_ROLES) and "recurrent_kernel" not in names:
        return "lstm_fused"
    if set(_NORM_STATS) <= names and names <= {"gamma", "beta", *_NORM_STATS}:
        return "batchnorm"
    if names and names <= {"gamma", "beta"}:
        return "layernorm"
    if names == {"embeddings"} and len(layout.weights["embeddings"].shape or []) == 2:
        return "embedding"
    if "kernel" in names and names <= {"kernel", "bias"}:
        rank = len(layout.weights["kernel"].shape or [])
        if 3 <= rank <= 5 and _plain_convolution(layout):
            return "conv"
        if rank == 2:
            rows, cols = layout.weights["kernel"].shape or [0, 0]
            if rows == layout.dims.input_dim:
                return "dense"
            if rows == layout.dims.input_dim + cols and not layout.gates:
                return "rnn_fused"
    return "variable"


def _plain_convolution(layout: Layout) -> bool:
    """A ``[*window, in, out]`` kernel whose ``in`` is the input's channels (a transposed
    convolution keeps ``[*window, out, in]``, whose layout the shapes alone cannot tell apart
    when ``in == out``: the defining class's name decides then)."""
    shape = layout.weights["kernel"].shape or []
    given = layout.symbol.input_shape
    channels = (given[-1],) if given and given[-1] is not None else (layout.dims.input_dim,)
    where = layout.symbol.defined_in
    qualname = where.qualname if where else layout.symbol.symbol
    return shape[-2] in channels and "Transpose" not in qualname


def _recurrent_sizes(layout: Layout) -> None:
    """input_dim / units / hidden from the concrete shapes (the kernel's rows say how wide x
    and h are: the fused kernels multiply the concatenation [x, h])."""
    n_gates = {"lstm": 4, "lstm_fused": 4, "gru": 3}.get(layout.kind, 1)
    if layout.kind == "gru_fused":
        layout.units = layout.shape("candidate/kernel")[-1]
        rows = layout.shape("gates/kernel")[0]
    else:
        layout.units = layout.shape("kernel")[-1] // n_gates
        rows = layout.shape("kernel")[0]
    if layout.kind in ("lstm", "gru", "rnn"):
        layout.input_dim = rows
        layout.hidden = layout.shape("recurrent_kernel")[0]
    else:
        layout.hidden = layout.projection or layout.units
        layout.input_dim = rows - layout.hidden
        if layout.input_dim <= 0:
            raise PortError(f"{layout.symbol.symbol}: kernel rows {rows} leave no room for the "
                            f"input next to the state ({layout.hidden})")
    if layout.kind in ("lstm", "lstm_fused", "gru", "gru_fused") and (
            layout.recurrent_activation is None):
        layout.recurrent_activation = Cited("sigmoid")
        layout.notes.append(
            "the analysis reports no gate activation (recurrent_activation) for this cell; "
            "sigmoid is assumed -- check the cell's call()")
    if layout.activation.value is None and layout.kind != "dense":
        layout.activation = Cited("tanh")
        layout.notes.append("the analysis reports no activation for this cell; tanh is assumed")
