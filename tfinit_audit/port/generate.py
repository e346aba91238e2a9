"""From a static answer to a port: recognise the layout, ask the target's table, write code."""

from __future__ import annotations

from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.port.emit import Context, render
from tfinit_audit.port.layout import Layout, recognise
from tfinit_audit.port.model import TARGET_TITLES, Port, PortError, target_name
from tfinit_audit.port.plan import Plan, TargetTable, Vocabulary
from tfinit_audit.port.recipe import STEP_KINDS
from tfinit_audit.port.targets import jax, keras, numpy, pytorch

TABLES: dict[str, TargetTable] = {t.name: t for t in (pytorch.TABLE, jax.TABLE, keras.TABLE,
                                                       numpy.TABLE)}


def plan_for(layout: Layout, target: str) -> tuple[Plan, Vocabulary, str]:
    """The target's plan for the layout, the draw vocabulary, and the target whose objects
    build() returns; the NumPy recipe when the target has no equivalent (and no recipe of its
    own)."""
    if target == "numpy":
        return numpy.plan(layout), numpy.VOCABULARY, "numpy"
    table = TABLES[target]
    fn = table.plans.get(layout.kind)
    result = fn(layout) if fn else table.no_equivalent.get(layout.kind) or _unknown(layout)
    if isinstance(result, Plan):
        result.defs = [*table.defs, *result.defs]
        return result, table.vocabulary, target
    if table.recipe is not None and layout.kind in STEP_KINDS:
        plan = table.recipe(layout, result)
        plan.defs = [*table.defs, *plan.defs]
        return plan, table.vocabulary, target
    plan = numpy.plan(layout)
    plan.equivalent = False
    plan.notes.insert(0, f"no {TARGET_TITLES[target]} equivalent: {result}; this is the NumPy "
                         "recipe (TF's names and layout)")
    return plan, numpy.VOCABULARY, "numpy"


def _unknown(layout: Layout) -> str:
    weights = ", ".join(f"{n} {w.shape}" for n, w in layout.weights.items())
    return f"the port does not know what these weights are ({weights})"


def context(symbol: SymbolResult, target: str, dims: Dims, release: str, *,
            convert: bool = False, command: str = "") -> Context:
    target = target_name(target)
    try:
        layout = recognise(symbol, dims)
    except PortError as exc:
        raise PortError(f"TF {release}: {exc}") from None
    plan, vocab, summary = plan_for(layout, target)
    notes = [*plan.notes, *layout.notes]
    return Context(layout, plan, vocab, target, summary, release, command, convert, notes)


def generate(symbol: SymbolResult, target: str, dims: Dims, release: str, *,
             convert: bool = False, command: str = "") -> Port:
    """The port module of ``symbol`` for ``target`` (``PortError`` when there is nothing to
    port: absent, unresolved, no concrete shape)."""
    ctx = context(symbol, target, dims, release, convert=convert, command=command)
    return _port(ctx, render(ctx))


def snippet(symbol: SymbolResult, target: str, dims: Dims, release: str) -> Port:
    """The short form for the report and ``explain`` (``.code``: imports, draws, mapping,
    ``build``; no step or convert)."""
    ctx = context(symbol, target, dims, release)
    return _port(ctx, render(ctx, compact=True))


def _port(ctx: Context, code: str) -> Port:
    return Port(ctx.target, code, ctx.plan.builds, ctx.plan.equivalent, ctx.layout.kind,
                list(dict.fromkeys(ctx.notes)), ctx.layout.symbol)
