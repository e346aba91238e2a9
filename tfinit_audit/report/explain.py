"""``tfinit-audit explain``: one symbol in one release, each weight with its chain."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from tfinit_audit.analysis.model import Dims, Initializer, SymbolResult
from tfinit_audit.analysis.plans import needs_text
from tfinit_audit.port.generate import snippet
from tfinit_audit.port.model import TARGET_TITLES, PortError
from tfinit_audit.report.fmt import arguments_text, input_text
from tfinit_audit.report.model import VersionReport


def describe_initializer(init: Initializer) -> str:
    """``glorot_uniform (limit 0.1306)``, ``constant value=1.0``, ``composite zeros[0:64] ...``."""
    if init.kind == "composite":
        parts = init.params.get("parts") or []
        inner = " + ".join(
            f"{describe_initializer(_as_init(p['initializer']))}[{p['start']}:{p['stop']}]"
            for p in parts
        )
        return f"composite {inner}"
    if init.kind == "unresolved":
        where = f" at {init.params.get('path')}:{init.params.get('line')}" if init.params.get(
            "path") else ""
        return f"unresolved `{init.params.get('expression', '?')}`{where}"
    params = ", ".join(f"{k}={v}" for k, v in init.params.items() if k != "parts")
    text = init.kind + (f" ({params})" if params else "")
    if init.limit is not None:
        text += f" limit {init.limit:.6g}"
    if init.stddev is not None:
        text += f" stddev {init.stddev:.6g}"
    return text


def _as_init(obj: object) -> Initializer:
    if isinstance(obj, Initializer):
        return obj
    if isinstance(obj, dict):
        return Initializer(kind=str(obj.get("kind", "unresolved")),
                           params=dict(obj.get("params") or {}),
                           limit=obj.get("limit"), stddev=obj.get("stddev"))
    return Initializer(kind="unresolved", params={"expression": repr(obj)})


def render_explain(version: VersionReport, console: Console, *, dims: Dims | None = None,
                   ports: tuple[str, ...] = ()) -> None:
    """Each symbol of the release: weights, chains, facts, then the port snippet of each target
    in ``ports`` (plain text, unindented, so it can be copied as it is)."""
    for sym in version.symbols:
        _render_symbol(version, sym, console)
        if ports and sym.status not in ("absent", "unavailable"):
            _render_ports(version, sym, console, dims or Dims(), ports)


def _render_ports(version: VersionReport, sym: SymbolResult, console: Console, dims: Dims,
                  ports: tuple[str, ...]) -> None:
    console.print(Text("  port snippets (tfinit-audit port ... --to TARGET writes the whole "
                       "module; --port none hides these):", style="bold"))
    for target in ports:
        console.print()
        try:
            code = snippet(sym, target, dims, version.label).code
        except PortError as exc:
            console.print(Text(f"# {TARGET_TITLES[target]}: no port: {exc}", style="yellow"))
            continue
        console.print(Text(code.rstrip("\n")), highlight=False)
    console.print()


def _render_symbol(version: VersionReport, sym: SymbolResult, console: Console) -> None:
    head = Text(f"{sym.symbol}", style="bold")
    head.append(f"  TensorFlow {version.tensorflow} ({version.source})  ", style="dim")
    head.append(sym.status, style="green" if sym.status == "resolved" else "bold yellow")
    console.print(head)
    if sym.message:
        console.print(Text(f"  {sym.message}", style="yellow"))
    if sym.defined_in:
        d = sym.defined_in
        console.print(Text(f"  defined in {d.package}: {d.path}:{d.line}  {d.qualname}"))
    for hop in sym.name_hops:
        console.print(Text(f"    {hop.path}:{hop.line}  {hop.code}  — {hop.note}", style="dim"))
    built = arguments_text(sym)
    if built:
        console.print(Text(f"  built with: {built}"))
    if sym.missing_arguments:
        console.print(Text(f"  needs {needs_text(sym.missing_arguments, sym.arguments)} (give "
                           "SYMBOL[name=value] or --dim name=value)", style="yellow"))
    shape = input_text(sym)
    if shape:
        console.print(Text(f"  input: {shape}"))
    for w in sym.weights:
        console.print()
        line = Text(f"  {w.name}", style="bold cyan")
        line.append(f"  shape {w.shape if w.shape is not None else '?'}")
        line.append(f"  ({w.shape_expr})", style="dim")
        console.print(line)
        console.print(Text(f"    initializer: {describe_initializer(w.initializer)}"
                           + ("   [None-fallback]" if w.fallback else "")))
        if w.condition:
            console.print(Text(f"    only when: {w.condition}", style="dim"))
        for adj in w.runtime_adjustments:
            console.print(Text(f"    runtime: {adj.kind} = {adj.value} applied to "
                               f"{adj.applies_to} ({adj.path}:{adj.line})", style="magenta"))
        for i, hop in enumerate(w.provenance, 1):
            console.print(Text(f"    {i:>2}. {hop.path}:{hop.line}  ", style="dim")
                          + Text(hop.code) + Text(f"  — {hop.note}", style="italic"))
    if sym.facts:
        console.print()
        console.print(Text("  porting facts:", style="bold"))
        for key, value in sym.facts.items():
            console.print(Text(f"    {key}: {_fact(value)}"))
    console.print()


def _fact(value: object) -> str:
    if isinstance(value, dict) and "value" in value:
        where = f" ({value.get('path')}:{value.get('line')})" if value.get("path") else ""
        return f"{value['value']}{where}"
    return str(value)
