"""Python's C3 linearization (``cls.__mro__``) over engine class values."""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.values import BuiltinClassV, ClassV, Unknown


def class_key(c: Any) -> tuple[Any, ...]:
    """Identity of a class across copies of its value: defining file and qualname."""
    if isinstance(c, ClassV):
        return ("class", c.src.path, c.info.qualname)
    if isinstance(c, BuiltinClassV):
        return ("builtin", c.name)
    if isinstance(c, Unknown):
        return ("unknown", c.text, c.path, c.line)
    return ("other", id(c))


def c3_merge(head: list[Any], seqs: list[list[Any]]) -> list[Any] | None:
    """C3 merge: repeatedly take the first head that is in no other list's tail; None when no
    consistent order exists (Python raises TypeError creating such a class)."""
    result = list(head)
    seqs = [list(q) for q in seqs if q]
    while seqs:
        tails = {class_key(x) for q in seqs for x in q[1:]}
        for q in seqs:
            cand = q[0]
            if class_key(cand) not in tails:
                break
        else:
            return None
        ck = class_key(cand)
        result.append(cand)
        seqs = [q[1:] if class_key(q[0]) == ck else q for q in seqs]
        seqs = [q for q in seqs if q]
    return result


def same_class(a: Any, b: Any) -> bool:
    return class_key(a) == class_key(b)
