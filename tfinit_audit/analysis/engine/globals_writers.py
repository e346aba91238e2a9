"""Module-level code that sets names of its module through ``globals()``, which the engine does
not run: a name no binding of the module gives may still be there at run time.

Protobuf's generated modules since protobuf 4 make their message classes so
(``_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, '...config_pb2', globals())``: TF
2.15's ``tf.compat.v1.ConfigProto`` is bound by no line of ``config_pb2.py``), and Keras'
``initializers/__init__.py`` runs ``globals().update(LOCAL.ALL_OBJECTS)``.
``writer`` finds such a statement -- a call statement handing ``globals()`` (or a module-level
name bound to it) to the function it calls, ``globals().update(...)``/``.setdefault(...)``, an
item assignment ``globals()[...] = ...`` (in a loop too) -- from the text and the module's
summary, once per file; the namespace then answers such a name "unknown" with that line, not
"absent" (never a guess either way). Handing ``globals()`` to a constructor whose value is
assigned (TF's ``estimator = _LazyLoader("estimator", globals(), ...)``) is not such a
statement: the object keeps the dictionary to set its own name later, which the engine models.
Not seen: a function of the module that writes ``globals()`` when a module-level call with no
such argument runs it.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from tfinit_audit.analysis.engine.parsing import ast_parse
from tfinit_audit.analysis.engine.source import SourceModule
from tfinit_audit.analysis.engine.summaries import Binding
from tfinit_audit.analysis.engine.values import MISSING, ModuleV, Unknown

_WRITE_RE = re.compile(r"\bglobals\(\)\s*(?:\.\s*(?:update|setdefault)\s*\(|\[[^\]\n]*\]\s*=(?!=))")


def writer(src: SourceModule) -> Binding | None:
    """The first module-level statement of ``src`` that sets names through ``globals()``."""
    hit = src.derived.get("globals_writer")
    if hit is not None:
        return hit[0]
    found: Binding | None = None
    if "globals()" in src.text:
        summary = src.full()
        aliases = {b.name for b in summary.bindings
                   if b.kind == "assign" and (b.expr or "").strip() == "globals()"}
        for b in summary.bindings:
            if b.kind == "effect" and not b.handler and b.expr and _writes(b.expr, aliases):
                found = b
                break
    src.derived["globals_writer"] = (found,)
    return found


def _writes(expr: str, aliases: set[str]) -> bool:
    if _WRITE_RE.search(expr):
        return True
    try:
        node = ast_parse(expr.strip(), mode="eval").body
    except SyntaxError:
        return False
    if not isinstance(node, ast.Call):
        return False
    return any(_is_globals(a, aliases)
               for a in [*node.args, *(k.value for k in node.keywords)])


def _is_globals(node: ast.expr, aliases: set[str]) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "globals" and not node.args and not node.keywords:
        return True
    return isinstance(node, ast.Name) and node.id in aliases


def unknown_if_written(ns: Any, mod: ModuleV, attr: str) -> Any:
    """A name no binding of ``mod`` gives: MISSING, or unknown (with the line) when the
    module's code sets names through ``globals()``."""
    src = ns.it.sources.module(mod.path)
    w = writer(src) if src is not None and not attr.startswith("__") else None
    if w is None:
        return MISSING
    ns.hop(mod.path, w.line, f"{attr} may be set through globals() here")
    return Unknown(text=f"{mod.name}.{attr} (the module sets names through globals(), which "
                        "the analysis does not run)", module=mod.name, path=mod.path or "",
                   line=w.line)
