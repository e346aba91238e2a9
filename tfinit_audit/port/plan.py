"""What a target's vocabulary table produces for one layout, and the TF-side expressions the
tables share (the input and recurrent halves of a kernel, a bias with the forget bias folded in,
gate blocks in another framework's order).

Every mapping is written as NumPy code over ``w``, the dict of TF-named arrays in TF's layout
that ``tf_weights(seed)`` draws and ``convert(arrays)`` reads from a checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tfinit_audit.port.layout import Layout


@dataclass
class Vocabulary:
    """One target's draw vocabulary: which call draws which distribution family.

    ``draws`` maps a family (``port/draws.py``) to an expression template with the fields
    ``shape``, ``rows``, ``cols``, ``low``, ``high``, ``mean``, ``stddev``, ``a``, ``b``
    (truncation bounds), ``gain``, ``value``; ``rng`` sets up the random state (``{n}``: the
    number of random draws); ``as_numpy`` turns a drawn array into a float32 NumPy array;
    ``helpers`` are module-level definitions a family's template needs.
    """

    name: str
    imports: list[str]
    rng: str
    draws: dict[str, str]
    as_numpy: str
    helpers: dict[str, str] = field(default_factory=dict)  # family -> code
    rng_note: str = ""


@dataclass
class Plan:
    """How one layout becomes one target object: the body of ``to_target(w)`` and ``step``."""

    builds: str  # what build() returns, e.g. "torch.nn.LSTMCell"
    to_target: list[str]  # body lines of to_target(w) (4-space indented by the emitter)
    step: list[str]  # the whole ``def step(...)`` (may be empty)
    sources: Mapping[str, tuple[str, ...]]  # target parameter -> TF weights it is made of
    equivalent: bool = True
    imports: list[str] = field(default_factory=list)
    defs: list[str] = field(default_factory=list)  # module-level code (activations, classes)
    notes: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # __main__ lines describing build(0)
    uses_gates: bool = False  # needs the _gates helper


PlanFn = Callable[[Layout], "Plan | str"]  # a Plan, or why the target has no equivalent


@dataclass
class TargetTable:
    """One target's vocabulary table: its draws, and per layout kind the plan (which module
    holds which TF weight) or why it has no equivalent; ``recipe`` builds the TF-layout
    fallback in the target's own arrays (None: the NumPy recipe); ``defs`` are definitions
    every plan of the target uses."""

    name: str
    vocabulary: Vocabulary
    plans: Mapping[str, PlanFn]
    no_equivalent: dict[str, str] = field(default_factory=dict)
    recipe: Callable[[Layout, str], Plan] | None = None
    defs: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ TF-side expressions
def x_kernel(layout: Layout) -> str:
    """The part of the kernel that multiplies the input x."""
    if layout.kind in ("lstm_fused", "rnn_fused"):
        return f'w["kernel"][:{layout.input_dim}]'
    return 'w["kernel"]'


def h_kernel(layout: Layout) -> str:
    """The part that multiplies the recurrent state h."""
    if layout.kind in ("lstm_fused", "rnn_fused"):
        return f'w["kernel"][{layout.input_dim}:]'
    return 'w["recurrent_kernel"]'


def block(expr: str, index: int, size: int) -> str:
    """Gate block ``index`` (``size`` columns) of ``expr`` along its last axis."""
    return f"{expr}[..., {index * size}:{(index + 1) * size}]"


def kernel_comment(layout: Layout) -> list[str]:
    if layout.kind in ("lstm_fused", "rnn_fused"):
        return [f"# TF multiplies one kernel with the concatenation [x, h]: rows "
                f"0:{layout.input_dim} take x, rows {layout.input_dim}:"
                f"{layout.input_dim + layout.hidden} take h"]
    return []


def gate_order_comment(layout: Layout, target: str, names: tuple[str, ...],
                       roles: tuple[str, ...]) -> tuple[list[str], tuple[int, ...]]:
    """``ORDER``: the TF block index of each of the target's gates, and the comment saying so."""
    order = tuple(layout.gate(role).index for role in roles)
    tf_names = ", ".join(g.name for g in layout.gates)
    where = f" ({layout.gate_where})" if layout.gate_where else ""
    pairs = ", ".join(f"{n}<-{layout.gate(r).name}" for n, r in zip(names, roles, strict=True))
    lines = [f"# gate order: TF ({tf_names}){where} -> {target} ({', '.join(names)}): {pairs}"]
    return lines, order


def folded_bias(layout: Layout, target: str, bias: str = 'w["bias"]') -> tuple[list[str], str]:
    """Lines that add TF's runtime forget bias to a copy of the stored bias (the target has no
    such term), and the name of that copy; nothing when there is no forget bias."""
    fb = layout.forget_bias
    if fb is None or not layout.has("bias"):
        return [], bias
    gate = layout.gate("forget")
    u = layout.units
    return [
        f"# runtime adjustment: TF adds forget_bias={fb.value!r} to gate {gate.name!r} "
        f"(block {gate.index}) inside call()",
        f"# ({fb.where}); it is not in the stored bias, and {target} has no such term: "
        "fold it in",
        f"bias = np.array({bias}, dtype=np.float32)",
        f"bias[..., {gate.index * u}:{(gate.index + 1) * u}] += {fb.value!r}",
    ], "bias"


def reset_comment(layout: Layout, target: str) -> list[str]:
    """Where the GRU's reset gate acts, and where the fact was read."""
    where = f" ({layout.reset_where})" if layout.reset_where else ""
    return [f"# reset_after=True{where}: the reset gate scales h @ recurrent_kernel + its bias, "
            f"as {target} does"]


def activation_names(layout: Layout) -> tuple[str, str]:
    """(activation, recurrent_activation) as named by the facts, with the defaults assumed."""
    act = str(layout.activation.value or "linear")
    ract = str(layout.recurrent_activation.value) if layout.recurrent_activation else "sigmoid"
    return act, ract


def activation_comment(layout: Layout) -> list[str]:
    act = layout.activation
    ract = layout.recurrent_activation
    out = []
    if ract is not None and layout.kind in ("lstm", "lstm_fused", "gru", "gru_fused"):
        out.append(f"# gates: {ract.value}" + (f" ({ract.where})" if ract.where else ""))
    label = "candidate and cell output" if layout.kind.startswith("lstm") else (
        "candidate" if layout.kind.startswith("gru") else "output")
    out.append(f"# {label}: {act.value or 'linear'}" + (f" ({act.where})" if act.where else ""))
    return out
