"""Typed results of the static analysis (one per symbol and release). JSON shape: DESIGN.md §4."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Location:
    """Where a name leads: distribution, import path inside it, 1-based line, qualified name."""

    package: str
    path: str
    line: int
    qualname: str


@dataclass
class Hop:
    """One step of a provenance chain: a real source line and what it decided."""

    package: str
    path: str
    line: int
    code: str  # the source line's text, stripped
    note: str


@dataclass
class Initializer:
    """Canonical initializer (vocabulary of DESIGN.md §3) plus numbers for a concrete shape."""

    kind: str  # glorot_uniform | ... | composite | unresolved
    params: dict[str, Any] = field(default_factory=dict)
    limit: float | None = None  # uniform distributions: values lie in [-limit, limit]
    stddev: float | None = None  # normal / truncated-normal distributions for the shape
    # composite: params["parts"] = [{"initializer": Initializer, "start": int, "stop": int}]
    # unresolved: params["expression"], params["path"], params["line"]


@dataclass
class RuntimeAdjustment:
    """Something that changes starting values outside the initializer (forget_bias in call())."""

    kind: str  # e.g. "forget_bias"
    value: Any
    applies_to: str  # e.g. "bias[forget gate]" / "forget gate pre-activation"
    path: str
    line: int
    package: str = ""


@dataclass
class Weight:
    name: str  # e.g. "kernel", "gates/bias", "recurrent_kernel"
    shape: list[int] | None  # concrete for the run's dims; None if not computable
    shape_expr: str  # symbolic, e.g. "[input_depth + h_depth, 4 * num_units]"
    initializer: Initializer
    fallback: bool  # came from a None-means-default rule
    provenance: list[Hop] = field(default_factory=list)
    condition: str | None = None  # e.g. "use_peepholes" when the weight exists only then
    runtime_adjustments: list[RuntimeAdjustment] = field(default_factory=list)
    dtype: str | None = None


@dataclass
class SymbolResult:
    """The answer for one public name (possibly with constructor args) in one release."""

    symbol: str  # "tf.nn.rnn_cell.LSTMCell" or "tf.nn.rnn_cell.LSTMCell[use_peepholes=True]"
    status: str  # resolved | partial | unavailable | absent
    message: str | None = None
    defined_in: Location | None = None
    weights: list[Weight] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # gate_order, activation, ...
    name_hops: list[Hop] = field(default_factory=list)  # how the public name led to the class
    twin: str | None = None  # row key shared by a TF1 name and its compat.v1 twin


@dataclass
class Dims:
    """Concrete sizes the shapes are computed for (DESIGN.md §5 defaults)."""

    units: int = 64
    input_dim: int = 32
    num_proj: int | None = None  # only when a symbol spec asks for it
    embedding_input_dim: int = 100
    embedding_output_dim: int = 16
    conv_filters: int = 8
    conv_kernel: tuple[int, int] = (3, 3)
    conv_channels: int = 3
    batchnorm_features: int = 32
