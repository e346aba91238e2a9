"""Which of the argument table's choices of inner layer a wrapper is built with
(analysis/arguments.py: ``layer`` is LSTM, else Dense)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfinit_audit.analysis import arguments as table
from tfinit_audit.analysis.engine.values import ClassV, Instance, Value
from tfinit_audit.analysis.rules import wrapped

# an inner layer built (the instance, what the report says it was built with), or why not
Built1 = tuple[Value, dict[str, Any]] | str


def accepted(it: Any, owner: ClassV, name: str, inner: table.Inner, built: list[Built1],
             refused: str | None, build: Callable[[str], Built1]) -> list[Built1]:
    """The table's first choice of inner layer, or the next one (``inner.instead``) when the
    wrapper's own checks require an attribute the first one's code never sets
    (rules/wrapped.py), or when ``refused`` says why the first one cannot be built inside
    the wrapper (rules/inner_raises.py); ``build`` builds another choice. The choice is
    noted in what the symbol was built with."""
    need = wrapped.requirement(it, owner, name)
    first = built[0]
    if refused is None:
        if need is None or isinstance(first, str) or not isinstance(first[0], Instance) \
                or not isinstance(first[0].cls, ClassV) \
                or wrapped.provides(it, first[0].cls, need.names) is not None:
            return built
        wanted = " or ".join(repr(n) for n in need.names)
        refused = (f"{inner.names[0]}: the code of {first[0].cls.info.name} sets no {wanted}, "
                   f"which {owner.info.name} requires of its {name} ({need.path}:{need.line}: "
                   f"{need.code})")
    for ref in inner.instead:
        other = build(ref)
        if isinstance(other, str) or not isinstance(other[0], Instance) \
                or not isinstance(other[0].cls, ClassV) or (
                    need is not None and wrapped.provides(it, other[0].cls, need.names) is None):
            continue
        return [(other[0], {**other[1], "note": f"{refused}; {ref} instead"})]
    return built
