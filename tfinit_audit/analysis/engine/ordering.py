"""``sorted``, ``min`` and ``max`` with a ``key`` function: the key is called on each item
(a source function or lambda: ``sorted(self.axis, key=lambda a: a if a >= 0 else ndim + a)``,
Keras ``Normalization.build``); decided when every key is a plain value, the items returned
as they are (``sorted``'s ``reverse``, ``min``/``max``'s ``default``). Without ``key``, the
plain builtin."""

from __future__ import annotations

import builtins as _py
from collections.abc import Callable
from typing import Any

from tfinit_audit.analysis.engine.frames import Mode, undecided
from tfinit_audit.analysis.engine.values import Const, Seq, Value, from_value, is_plain

Fn = Callable[[Any, list[Value], dict[str, Value], Mode], Value]


def keyed(name: str, plain: Fn, iterated: Callable[[Value], list[Value] | None]) -> Fn:
    """The builtin ``name`` (sorted, min, max): ``plain`` without a key; ``iterated`` gives
    what iterating a value goes over."""
    fn = getattr(_py, name)

    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        key = kwargs.get("key")
        if isinstance(key, Const) and key.value is None:
            key = None
        rest = {k: v for k, v in kwargs.items() if k != "key"}
        if key is None and not rest:
            return plain(it, args, {}, mode)
        items = iterated(args[0]) if len(args) == 1 else None
        options = {k: from_value(v) for k, v in rest.items() if is_plain(v)}
        allowed = {"reverse"} if name == "sorted" else {"default"}
        if items is None or len(options) != len(rest) or set(options) - allowed:
            return undecided(mode, name)
        keys = [it.call(key, [v], {}, mode=mode) if key is not None else v for v in items]
        if not all(is_plain(k) for k in keys):
            return undecided(mode, name)
        order = list(range(len(items)))
        try:
            if name == "sorted":
                order = sorted(order, key=lambda i: from_value(keys[i]),
                               reverse=bool(options.get("reverse", False)))
                return Seq(items=[items[i] for i in order])
            if not items and "default" in rest:
                return rest["default"]
            return items[fn(order, key=lambda i: from_value(keys[i]))]
        except (TypeError, ValueError):  # Python would raise: not known
            return undecided(mode, name)

    return call
