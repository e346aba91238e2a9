"""What a symbol is called with (``Plan``: engine values, where each argument came from, the
required parameters nobody supplies) and the status ``needs-args`` for what it lacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tfinit_audit.analysis.model import SuppliedArgument, SymbolResult

if TYPE_CHECKING:
    from tfinit_audit.analysis.engine.values import Value


@dataclass
class Plan:
    """What a class or function is called with: engine values, the record of what was
    supplied (and from where), and the required parameters nobody supplies."""

    kwargs: dict[str, Value] = field(default_factory=dict)
    supplied: list[SuppliedArgument] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # the construction raises on a decided path for what is supplied, under no test of a
    # parameter to give (then the symbol is ``unavailable``, this the why)
    refused: str | None = None


def needs_args(result: SymbolResult, plan: Plan) -> None:
    result.status = "needs-args"
    result.missing_arguments = list(dict.fromkeys(plan.missing))
    result.message = (f"needs {needs_text(result.missing_arguments, plan.supplied)} (give it "
                      "as SYMBOL[name=value] or --dim name=value)"
                      + (f"; {'; '.join(plan.notes)}" if plan.notes else ""))


def ends(result: SymbolResult, plan: Plan) -> bool:
    """Records the plan's arguments on ``result``; when the plan cannot be built (a parameter
    missing, a constructor raising for what is given) says so on ``result``: True then."""
    result.arguments = plan.supplied
    if plan.missing:
        needs_args(result, plan)
    elif plan.refused is not None:
        unavailable(result, plan.refused)
    return bool(plan.missing) or plan.refused is not None


def needs_text(missing: list[str], supplied: list[SuppliedArgument]) -> str:
    """What a needs-args symbol lacks: the parameters the argument table has no value for,
    and those whose value it was given (from the table, a --dim, the symbol) its code
    refuses (TF 2.4 ``tf.nn.RNNCellDropoutWrapper`` raises for the table's Keras
    ``LSTMCell``)."""
    given = {a.name: a.source for a in supplied}
    absent = [m for m in missing if m not in given]
    refused = [m for m in missing if m in given]
    parts = [f"{', '.join(absent)}: not in the argument table"] if absent else []
    parts += [f"{m}: another than the one given ({given[m]}), which its code refuses"
              for m in refused]
    return "; ".join(parts)


def unavailable(result: SymbolResult, why: str) -> None:
    """The symbol cannot be built with what it was given, and no argument could change that:
    TensorFlow raises (``why``: what and where); no weight list."""
    result.status = "unavailable"
    result.message = why
    result.weights = []
