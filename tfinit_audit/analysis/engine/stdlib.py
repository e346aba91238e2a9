"""Pure standard-library modules library code computes with: ``math`` and ``re``.

Their functions are applied to known values (strings, numbers, lists of them) with Python's own
implementation; anything else is unknown. ``re.compile`` gives a pattern value whose methods
work the same way, and a match is a value with ``group``/``groups``/``start``/``end``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine.frames import Mode
from tfinit_audit.analysis.engine.values import (
    BuiltinV,
    Const,
    Unknown,
    Value,
    from_value,
    is_plain,
    to_value,
)

_MATH_CONSTANTS = ("pi", "e", "tau", "inf", "nan")
_MATH_FUNCTIONS = ("floor", "ceil", "trunc", "sqrt", "exp", "log", "log2", "log10", "pow",
                   "fabs", "isnan", "isinf", "isfinite", "prod", "gcd", "sin", "cos", "tan",
                   "atan", "erf", "erfc", "fsum")
_RE_FUNCTIONS = ("sub", "subn", "split", "escape", "findall", "match", "search", "fullmatch",
                 "compile")
_RE_FLAGS = ("I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "X", "VERBOSE", "A", "ASCII",
             "U", "UNICODE")
_PATTERN_METHODS = ("sub", "subn", "split", "findall", "match", "search", "fullmatch")


@dataclass(eq=False)
class PatternV(Value):
    """A compiled regular expression."""

    pattern: re.Pattern[str] | None = None

    def describe(self) -> str:
        return "re.Pattern"


@dataclass(eq=False)
class MatchV(Value):
    """A successful match (true); ``group``/``groups``/``start``/``end``/``span``."""

    match: re.Match[str] | None = None

    def describe(self) -> str:
        return "re.Match"


def stdlib_attr(module: str, attr: str) -> Value | None:
    """``math.<attr>`` / ``re.<attr>`` (None: not modelled here)."""
    if module == "math":
        if attr in _MATH_CONSTANTS:
            return Const(value=getattr(math, attr))
        if attr in _MATH_FUNCTIONS:
            return BuiltinV(name=f"math.{attr}", fn=_apply(getattr(math, attr), f"math.{attr}"))
    if module == "re":
        if attr in _RE_FLAGS:
            return Const(value=int(getattr(re, attr)))
        if attr in _RE_FUNCTIONS:
            return BuiltinV(name=f"re.{attr}", fn=_apply(getattr(re, attr), f"re.{attr}"))
    return None


def stdlib_value_attr(obj: Value, attr: str) -> Value | None:
    """Methods of patterns and matches (None: not one of them)."""
    if isinstance(obj, PatternV) and obj.pattern is not None:
        if attr in _PATTERN_METHODS:
            return BuiltinV(name=f"Pattern.{attr}",
                            fn=_apply(getattr(obj.pattern, attr), f"Pattern.{attr}"), bound=obj)
        if attr == "pattern":
            return Const(value=obj.pattern.pattern)
        return Unknown(text=f"Pattern.{attr}")
    if isinstance(obj, MatchV) and obj.match is not None:
        if attr in ("group", "groups", "start", "end", "span", "groupdict"):
            return BuiltinV(name=f"Match.{attr}",
                            fn=_apply(getattr(obj.match, attr), f"Match.{attr}"), bound=obj)
        return Unknown(text=f"Match.{attr}")
    return None


def _apply(fn: Any, name: str) -> Any:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if not all(is_plain(a) for a in [*args, *kwargs.values()]):
            return Unknown(text=f"{name}(...)")
        try:
            out = fn(*(from_value(a) for a in args),
                     **{k: from_value(v) for k, v in kwargs.items()})
        except Exception:  # noqa: BLE001 - Python would raise: the value is not known
            return Unknown(text=f"{name}(...)")
        return _wrap(out, name)

    return call


def _wrap(out: Any, name: str) -> Value:
    if isinstance(out, re.Pattern):
        return PatternV(pattern=out)
    if isinstance(out, re.Match):
        return MatchV(match=out)
    try:
        return to_value(out)
    except Exception:  # noqa: BLE001 - not a plain value
        return Unknown(text=f"{name}(...)")
