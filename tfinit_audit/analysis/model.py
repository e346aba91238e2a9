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
class SuppliedArgument:
    """A constructor argument a symbol was built with, and where it came from."""

    name: str
    value: Any  # JSON-ready; an inner layer is {"symbol": ..., "arguments": [...]}
    source: str  # "symbol" (SYMBOL[name=value]) | "table" (analysis/arguments.py) | "--dim"
    # | "input" (a function's input tensor: {"tensor": shape})


@dataclass
class SymbolResult:
    """The answer for one public name (possibly with constructor args) in one release."""

    symbol: str  # "tf.nn.rnn_cell.LSTMCell" or "tf.nn.rnn_cell.LSTMCell[use_peepholes=True]"
    status: str  # resolved | partial | needs-args | unavailable | absent
    message: str | None = None
    defined_in: Location | None = None
    weights: list[Weight] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # gate_order, activation, ...
    name_hops: list[Hop] = field(default_factory=list)  # how the public name led to the class
    twin: str | None = None  # row key shared by a TF1 name and its compat.v1 twin
    kind: str | None = None  # "class" | "function" once resolved
    arguments: list[SuppliedArgument] = field(default_factory=list)  # what it was built with
    missing_arguments: list[str] = field(default_factory=list)  # needs-args: not in the table
    input_shape: list[int | None] | None = None  # what build() got (None: batch)
    input_note: str | None = None  # why that rank (the layer's input_spec, or the search)
    input_count: int = 1  # built and called on a list of this many inputs when > 1
    # a cell called on a tuple of inputs (its call unpacks one, rules/tuple_inputs.py): the
    # shape of each part (None: a size no weight depends on)
    input_parts: list[list[int | None]] | None = None
    # what the layer's build was handed, as its __call__ hands it (rules/build_call.py,
    # rules/shapes.py build_input): "TensorShape" or "tuple"; None when no build was run
    build_input: str | None = None


@dataclass
class Member:
    """One public name of a listed namespace and what became of it."""

    symbol: str
    kept: bool
    reason: str
    kind: str  # "class" | "function" | "module" | "other"
    aliases: list[str] = field(default_factory=list)
    where: Hop | None = None  # the line the reason points at


@dataclass
class NamespaceListing:
    """What a pattern (``tf.keras.layers.*``, ``all``) expanded to in one release."""

    pattern: str
    members: list[Member] = field(default_factory=list)
    namespaces: int = 0  # modules and loaders listed
    error: str | None = None  # the namespace itself is missing or cannot be listed

    @property
    def kept(self) -> list[Member]:
        return [m for m in self.members if m.kept]


@dataclass
class Analysis:
    """The answers for one release: one result per symbol (patterns expanded into the names
    they keep) and, per pattern, what it listed and why each member was kept or skipped."""

    symbols: list[SymbolResult] = field(default_factory=list)
    namespaces: list[NamespaceListing] = field(default_factory=list)


@dataclass
class Dims:
    """Concrete sizes and constructor arguments a run builds with: the argument table of
    analysis/arguments.py with ``--units`` (``units``), ``--input-dim`` (the input's feature
    size, the table's ``features``) and every ``--dim NAME=VALUE`` (``given``) applied."""

    units: int = 64
    input_dim: int = 32
    given: dict[str, Any] = field(default_factory=dict)
    # the table as a report.json recorded it (its JSON form), for a report read back: what
    # that run built with, not this tool's table (which may have more entries by now)
    recorded: dict[str, Any] | None = None

    @property
    def arguments(self) -> dict[str, Any]:
        """Every table entry's value for this run (``Inner`` values for wrapper entries); for
        a report read back, the table it recorded."""
        if self.recorded is not None:
            return dict(self.recorded)
        from tfinit_audit.analysis.arguments import effective

        return effective({**self.given, "units": self.units, "features": self.input_dim})
