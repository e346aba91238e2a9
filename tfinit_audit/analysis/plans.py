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


def needs_args(result: SymbolResult, plan: Plan) -> None:
    result.status = "needs-args"
    result.missing_arguments = list(dict.fromkeys(plan.missing))
    result.message = (f"needs {', '.join(result.missing_arguments)}: not in the argument "
                      "table (give it as SYMBOL[name=value] or --dim name=value)"
                      + (f"; {'; '.join(plan.notes)}" if plan.notes else ""))
