"""Text forms of model values shared by every renderer (HTML, Markdown, terminal, diff)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from tfinit_audit.analysis.model import Initializer, RuntimeAdjustment, SymbolResult, Weight

SHORT_KIND = {
    "glorot_uniform": "glorot_u",
    "glorot_normal": "glorot_n",
    "he_uniform": "he_u",
    "he_normal": "he_n",
    "lecun_uniform": "lecun_u",
    "lecun_normal": "lecun_n",
    "variance_scaling": "var_scaling",
    "orthogonal": "orth",
    "random_uniform": "U",
    "random_normal": "N",
    "truncated_normal": "TN",
    "constant": "const",
}

# Keys of ``params`` that locate rather than define an initializer.
_LOCATION_KEYS = {"path", "line", "package"}


def num(x: Any) -> str:
    """Compact number: 4 significant digits, ints as ints."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return str(x)
        if x == int(x) and abs(x) < 1e6:
            return f"{x:.1f}"
        return f"{x:.4g}"
    return str(x)


def value(x: Any) -> str:
    """Display a parameter value (numbers compact, strings quoted, containers as JSON)."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return num(x)
    if isinstance(x, str):
        return repr(x)
    if isinstance(x, Initializer):
        return init_short(x)
    if x is None or isinstance(x, bool):
        return str(x)
    try:
        return json.dumps(x, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(x)


def _parts(init: Initializer) -> list[dict[str, Any]]:
    parts = init.params.get("parts") or []
    return [p for p in parts if isinstance(p, dict)]


def part_init(part: dict[str, Any]) -> Initializer:
    """The initializer of one part of a composite."""
    return _part_init(part)


def _part_init(part: dict[str, Any]) -> Initializer:
    i = part.get("initializer")
    if isinstance(i, Initializer):
        return i
    if isinstance(i, dict):
        return Initializer(
            kind=str(i.get("kind", "unresolved")), params=dict(i.get("params") or {})
        )
    return Initializer(kind="unresolved", params={"expression": str(i)})


def init_short(init: Initializer, long: bool = False) -> str:
    """Short form for matrix cells: ``glorot_u``, ``U(-0.05,0.05)``, ``zeros|ones|zeros``;
    ``long`` keeps the kinds' own names (``glorot_uniform``, ``random_uniform(-0.05,0.05)``)."""
    k, p = init.kind, init.params

    def name(kind: str) -> str:
        return kind if long else SHORT_KIND.get(kind, kind)

    if k == "composite":
        return "|".join(init_short(_part_init(part), long) for part in _parts(init)) or "composite"
    if k == "unresolved":
        return "unresolved"
    if k == "expression":  # the tree is in init_params; the cell names the kind
        return "expression" if long else "expr"
    if k == "random_uniform" and "minval" in p and "maxval" in p:
        return f"{name(k)}({num(p['minval'])},{num(p['maxval'])})"
    if k in ("random_normal", "truncated_normal") and "stddev" in p:
        return f"{name(k)}({num(p.get('mean', 0.0))},{num(p['stddev'])})"
    if k == "constant":
        return f"{name(k)}({value(p.get('value'))})"
    if k == "variance_scaling":
        bits = [
            num(p[x]) if x == "scale" else str(p[x])
            for x in ("scale", "mode", "distribution")
            if x in p
        ]
        return f"{name(k)}({','.join(bits)})"
    if k in ("orthogonal", "identity") and p.get("gain") not in (None, 1, 1.0):
        return f"{name(k)}(gain={num(p['gain'])})"
    return name(k)


def init_params(init: Initializer) -> str:
    """``kind(k=v, ...)`` with every defining parameter (composites spelled out by slice)."""
    if init.kind == "composite":
        bits = []
        for part in _parts(init):
            bits.append(f"[{part.get('start')}:{part.get('stop')}] {init_params(_part_init(part))}")
        return "composite: " + " + ".join(bits)
    if init.kind == "unresolved":
        return f"unresolved: {init.params.get('expression', '?')}"
    if init.kind == "expression":
        return f"expression: {init.params.get('expression', '?')}"
    items = [(k, v) for k, v in init.params.items() if k not in _LOCATION_KEYS]
    if not items:
        return init.kind
    return f"{init.kind}(" + ", ".join(f"{k}={value(v)}" for k, v in items) + ")"


def init_numbers(init: Initializer) -> str:
    """The concrete numbers for the run's shape: ``±0.1531`` / ``σ=0.05``."""
    bits = []
    if init.limit is not None:
        bits.append(f"±{num(init.limit)}")
    if init.stddev is not None:
        bits.append(f"σ={num(init.stddev)}")
    if init.kind == "composite":
        for part in _parts(init):
            sub = init_numbers(_part_init(part))
            if sub:
                bits.append(f"[{part.get('start')}:{part.get('stop')}] {sub}")
    return " ".join(bits)


def init_signature(init: Initializer) -> str:
    """Canonical identity of an initializer for change detection (kind + defining params)."""

    def norm(i: Initializer) -> Any:
        params: dict[str, Any] = {}
        for k, v in sorted(i.params.items()):
            if k in _LOCATION_KEYS:
                continue
            if k == "parts":
                params[k] = [
                    [p.get("start"), p.get("stop"), norm(_part_init(p))] for p in _parts(i)
                ]
            else:
                params[k] = v if isinstance(v, (int, float, str, bool, type(None))) else str(v)
        return [i.kind, params]

    return json.dumps(norm(init), sort_keys=True, default=str)


def adjustment_short(a: RuntimeAdjustment) -> str:
    return f"+{a.kind}={value(a.value)}"


def adjustment_long(a: RuntimeAdjustment) -> str:
    return f"{a.kind}={value(a.value)} added to {a.applies_to}"


def shape_text(shape: list[int] | None) -> str:
    return "?" if shape is None else "[" + ", ".join(str(d) for d in shape) + "]"


def weight_short(w: Weight) -> str:
    """``kernel glorot_u`` (+ runtime adjustments, ``if <condition>``)."""
    out = f"{w.name} {init_short(w.initializer)}"
    for a in w.runtime_adjustments:
        out += " " + adjustment_short(a)
    if w.condition:
        out += f" (if {w.condition})"
    return out


def cell_text(s: SymbolResult) -> str:
    """One-line summary of a symbol in one release."""
    if s.status in ("absent", "unavailable"):
        return s.status
    if s.status == "needs-args":
        return "needs " + ", ".join(s.missing_arguments)
    text = " · ".join(weight_short(w) for w in s.weights) or "no weights"
    if s.status == "partial":
        text = "partial: " + text
    return text


def norm_path(path: str) -> str:
    """Path without the 1.15/2.0 ``tensorflow_core`` detour, for comparisons across releases."""
    return re.sub(r"^tensorflow_core/", "tensorflow/", path)


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


# in the terminal and on stderr, a spec that took more releases than this is shown as their
# count, first and last (the HTML report and report.json list every one)
RELEASES_LISTED = 12


def releases_line(versions: Sequence[Any], limit: int | None = None) -> str:
    """What each requested spec resolved to, in the order asked: ``1.8 → 1.8.0 · >=1.8,<1.11 →
    1.8.0, 1.9.0, 1.10.1``; an exact spec is shown once (``1.8.0``). A spec that took more
    than ``limit`` releases is shown as their count, first and last: ``all → 102 releases,
    0.12.0 … 2.21.0``; more than ``limit`` specs as ``30 specs → 30 releases, 2.0.0 …
    2.29.0``."""
    groups: dict[str, list[str]] = {}
    for v in versions:
        label = v.tensorflow or "?"
        if v.status == "error" and not v.tensorflow:
            label = "error"
        groups.setdefault(v.requested, []).append(label)
    parts = []
    for requested, labels in groups.items():
        if limit is not None and len(labels) > limit:
            parts.append(f"{requested} → {len(labels)} releases, {labels[0]} … {labels[-1]}")
        else:
            parts.append(requested if labels == [requested]
                         else f"{requested} → {', '.join(labels)}")
    if limit is not None and len(parts) > limit:
        every = [label for labels in groups.values() for label in labels]
        return f"{len(groups)} specs → {len(every)} releases, {every[0]} … {every[-1]}"
    return " · ".join(parts)


def live_compared(run: Any, versions: Sequence[Any]) -> str:
    """What a live check compared, in one sentence: the installed release, the static answer
    used (audited from the installed files) and whether that release is one of the report's."""
    rel = run.static_release or run.tensorflow or "?"
    head = (f"TF {rel} installed for {run.python}, checked against the static answer from "
            f"its installed files (source {run.static_source})")
    if not run.static_release:
        return f"TF {run.tensorflow or '?'} installed for {run.python}: no static answer"
    if run.version_index is None:
        others = ", ".join(dict.fromkeys(v.label for v in versions if v.status == "ok"))
        return head + (f"; {rel} is not one of the releases audited above ({others})"
                       if others else "")
    v = versions[run.version_index]
    if v.source == run.static_source:
        return head + f"; that audit is the {rel} column above"
    return head + f"; {rel} is also audited above, from {v.source} (column TF {v.label})"


def row_key(s: SymbolResult) -> str:
    """The matrix row: a TF 1.x name and its compat.v1 twin share one (``SymbolResult.twin``)."""
    return s.twin or s.symbol


def fact_value(val: Any) -> Any:
    """A porting fact's value: the analysis gives ``{value, path, line, code}``, or a plain one."""
    if isinstance(val, dict) and "value" in val:
        return val["value"]
    return val


# Spellings of one activation function: Keras' ``activations.get(None)`` is ``linear``, the
# identity, and tf.layers applies no activation when it is None.
_SAME_ACTIVATION = {None: "linear", "linear": "linear", "identity": "linear"}


def fact_meaning(key: str, val: Any) -> Any:
    """What a porting fact's value means, for comparisons: spellings of one function compare
    equal (an ``activation`` of None is the identity, ``linear``)."""
    if key.endswith("activation") and (val is None or isinstance(val, str)):
        return _SAME_ACTIVATION.get(val, val)
    return val


def fact_where(val: Any) -> str:
    """``path:line`` of a porting fact, '' when the fact carries no location."""
    if isinstance(val, dict) and val.get("path"):
        return f"{val['path']}:{val.get('line', '?')}"
    return ""


def argument_value(v: Any) -> str:
    """An argument's value: an inner layer as ``tf.keras.layers.LSTM(units=64)``, a function's
    input as ``tensor[None, 32]``."""
    if isinstance(v, dict) and "symbol" in v:
        args = ", ".join(f"{a['name']}={argument_value(a['value'])}"
                         for a in v.get("arguments") or [])
        return f"{str(v['symbol']).split('[', 1)[0]}({args})"
    if isinstance(v, dict) and "tensor" in v:
        return f"tensor{shape_text(v['tensor']).replace('None', '?')}"
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        return "[" + ", ".join(argument_value(x) for x in v) + "]"
    return repr(v) if isinstance(v, str) else value(v)


def arguments_text(s: SymbolResult) -> str:
    """``units=64, filters=8 [table]; use_peepholes=True [symbol]``: what the symbol was built
    with, grouped by where each argument came from (empty: nothing was supplied)."""
    groups: dict[str, list[str]] = {}
    for a in s.arguments:
        groups.setdefault(a.source, []).append(f"{a.name}={argument_value(a.value)}")
    return "; ".join(f"{', '.join(items)} [{src}]" for src, items in groups.items())


def input_text(s: SymbolResult) -> str:
    """``[?, 5, 5, 32] (input_spec min_ndim=4 (path:line))`` or ''."""
    if s.input_shape is None:
        return ""
    shape = _dims_text(s.input_shape)
    if s.input_count > 1:
        shape = f"a list of {s.input_count} x {shape}"
    if s.input_parts:
        shape += " as a tuple (" + ", ".join(_dims_text(p) for p in s.input_parts) + ")"
    return f"{shape} ({s.input_note})" if s.input_note else shape


def _dims_text(dims: list[int | None]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"
