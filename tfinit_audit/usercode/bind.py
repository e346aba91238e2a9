"""A call's arguments bound to one release's signature, and the symbol spec the analysis runs.

Positional arguments take the names of that release's parameters (so a reordered signature is
followed); literal arguments are passed on to the analysis, everything else counts as "set by
the user" with an unknown value. A layer function's arguments are renamed to the parameters of
the class it builds (``tf.layers.dense(x, 64)`` -> ``Dense[units=64]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.usercode.catalog import Entry, Signature
from tfinit_audit.usercode.model import Arg

# Arguments that name a layer rather than configure it; leaving them out keeps one analysis per
# configuration instead of one per layer name.
NOT_PASSED = ("name",)


@dataclass
class Binding:
    """Parameters (of the called signature) the call sets; ``star``/``starstar`` when it unpacks
    ``*args``/``**kwargs`` (then it may set more than is visible)."""

    bound: dict[str, Arg] = field(default_factory=dict)
    star: bool = False
    starstar: bool = False
    problem: str | None = None


def bind(args: list[Arg], sig: Signature) -> Binding:
    out = Binding()
    positional = [p.name for p in sig.params if p.kind == "pos"]
    i = 0
    for a in args:
        if a.star == "*":
            out.star = True
        elif a.star == "**":
            out.starstar = True
        elif a.keyword is not None:
            out.bound[a.keyword] = a
        elif out.star:
            continue  # after *args the position of a plain argument is unknown
        elif i < len(positional):
            out.bound[positional[i]] = a
            i += 1
        else:
            out.problem = f"more positional arguments than the signature's {len(positional)}"
    return out


def constructor_params(b: Binding, entry: Entry) -> dict[str, Arg]:
    """The bound arguments named as the analysed constructor's parameters (a layer function's
    arguments renamed through its map; ones it does not pass on are dropped)."""
    if entry.kind != "layer_function":
        return dict(b.bound)
    return {entry.arg_map[k]: v for k, v in b.bound.items() if k in entry.arg_map}


def call_param(entry: Entry, param: str) -> str | None:
    """The call's parameter that sets constructor parameter ``param`` (None: none does)."""
    if entry.kind != "layer_function":
        return param
    return next((k for k, v in entry.arg_map.items() if v == param), None)


def literal_args(params: dict[str, Arg], sig: Signature) -> tuple[tuple[str, Any], ...]:
    """The literal arguments the analysis is given, sorted, as hashable values."""
    out = []
    for k, a in params.items():
        if not a.literal or k in NOT_PASSED or (k not in sig.accepts and not sig.varkw):
            continue
        out.append((k, _frozen(a.value)))
    return tuple(sorted(out, key=lambda kv: kv[0]))


def spec_for(entry: Entry, args: tuple[tuple[str, Any], ...],
             extra: tuple[tuple[str, Any], ...] = ()) -> SymbolSpec | None:
    """The spec analysed for a call in one release, with ``extra`` arguments (pins) added."""
    if entry.analyse_as is None:
        return None
    merged = dict(args)
    merged.update(extra)
    kind_hint = "function" if entry.kind == "variable" else ""
    return SymbolSpec(entry.analyse_as, tuple(sorted(merged.items(), key=lambda kv: kv[0])),
                      kind_hint=kind_hint)


def spec_key(spec: SymbolSpec) -> str:
    return f"{spec.kind_hint}|{spec.display()}"


def _frozen(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return tuple(_frozen(x) for x in v)
    if isinstance(v, dict):
        return v  # dicts are passed as they are (the spec is never hashed)
    return v
