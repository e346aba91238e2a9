"""TF 1.x ``remove_undocumented`` (``tensorflow/python/util/all_util.py``): at the end of its
import, a module such as ``tf.contrib.rnn`` calls ``remove_undocumented(__name__,
allowed_exception_list, doc_string_modules)``, which deletes every public name that is neither
referenced as a line ``@@name`` in the docstring of the module (or of each of
``doc_string_modules``) nor in ``allowed_exception_list``. A star import brings in helper
modules and classes the package does not document; after the call they are gone.

``documented_names`` reads that convention from the module's own source: the call (a
module-level statement of the module, to a function named ``remove_undocumented``, whose first
argument is the module's own ``__name__``: TF 1.15's ``tf.contrib.framework`` also cleans its
``nest`` module, ``remove_undocumented(nest.__name__, ...)``, which is not a call about itself;
what such a call deletes from the other module is not modelled), its arguments evaluated at
that line (a list the module extends before the call included, engine/mutations.py), and the
``@@`` lines of the docstrings. The namespace listing (analysis/listing.py) leaves the deleted
names out, and ``RemoveUndocumentedRule`` makes them absent for the engine (engine hook
``removed``): ``tf.get_local_variable`` in 0.12 is bound by ``tensorflow.python`` but deleted
there, so ``from tensorflow.python import *`` in ``tensorflow/__init__.py`` does not bring it
and ``tf.get_local_variable`` raises AttributeError.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from tfinit_audit.analysis.engine.frames import Raised, Undecidable
from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.parsing import ast_parse
from tfinit_audit.analysis.engine.values import Const, FunctionV, ModuleV, Seq
from tfinit_audit.analysis.model import Hop

FUNCTION = "remove_undocumented"
_REFERENCE = re.compile(r"^@@(\w+)$", re.MULTILINE)


def documented_names(it: Any, mod: ModuleV) -> tuple[set[str], Hop] | None:
    """The public names ``mod`` keeps after its ``remove_undocumented`` call, and the call's
    line; None when the module makes no such call (or it cannot be read)."""
    src = it.sources.module(mod.path)
    if src is None or not src.mentions(FUNCTION):
        return None
    for b in src.full().bindings:
        if b.kind != "effect" or not b.expr or FUNCTION not in b.expr or b.handler:
            continue
        try:
            call = ast_parse(b.expr.strip(), mode="eval").body
        except SyntaxError:
            continue
        if not (isinstance(call, ast.Call) and ast.unparse(call.func).split(".")[-1]
                == FUNCTION):
            continue
        try:
            with it.imports.ns.quiet():
                fn = it.imports.eval_text(ast.unparse(call.func), mod, b.line)
                args = [it.imports.eval_text(ast.unparse(a), mod, b.line) for a in call.args]
                kw = {k.arg: it.imports.eval_text(ast.unparse(k.value), mod, b.line)
                      for k in call.keywords if k.arg}
        except (Raised, Undecidable, SyntaxError, RecursionError):
            return None
        if not (isinstance(fn, FunctionV) and fn.name == FUNCTION):
            continue
        target = args[0] if args else kw.get("module_name")
        if not (isinstance(target, Const) and isinstance(target.value, str)):
            return None  # which module it cleans cannot be read: keep every name
        if target.value != mod.name:
            continue  # another module's (``remove_undocumented(nest.__name__, ...)``)
        allowed = args[1] if len(args) > 1 else kw.get("allowed_exception_list")
        docs = args[2] if len(args) > 2 else kw.get("doc_string_modules")
        listed = _strings(allowed) if allowed is not None else []
        modules = [mod] if docs is None or (isinstance(docs, Const) and docs.value is None) \
            else [m for m in docs.items if isinstance(m, ModuleV)] if isinstance(docs, Seq) \
            and all(isinstance(m, ModuleV) for m in docs.items) else None
        if modules is None or listed is None:
            return None  # arguments the analysis cannot read: keep every name
        names = set(listed)
        for m in modules:
            names |= set(_REFERENCE.findall(_docstring(it, m)))
        hop = src.hop(b.line, f"{FUNCTION} deletes every public name of {mod.name} not "
                              "referenced as @@name in its docstring or allowed")
        return names, hop
    return None


def _strings(v: Any) -> list[str] | None:
    if isinstance(v, Const) and v.value is None:
        return []
    if isinstance(v, Seq):
        out = [i.value for i in v.items if isinstance(i, Const) and isinstance(i.value, str)]
        return out if len(out) == len(v.items) else None
    return None


def _docstring(it: Any, mod: ModuleV) -> str:
    src = it.sources.module(mod.path)
    return (src.docstring() or "") if src is not None else ""


class RemoveUndocumentedRule(Rule):
    """A public name a module deletes with ``remove_undocumented`` at the end of its import
    (TF 0.12-1.x ``tensorflow/python/util/all_util.py``) is absent from that module -- for
    ``getattr`` and for star imports of it -- with the call's line as the reason. Answered only
    when the call and its arguments can be read (else every name is kept)."""

    name = "remove-undocumented"

    def removed(self, it: Any, module: ModuleV, name: str) -> Hop | None:
        kept = kept_names(it, module)
        if kept is None or name in kept[0]:
            return None
        return kept[1]


def kept_names(it: Any, mod: ModuleV) -> tuple[set[str], Hop] | None:
    """``documented_names`` of ``mod``, read once per interpreter (the rule and the namespace
    listing ask the same question); None while its own arguments are being evaluated."""
    if mod.path is None:
        return None
    memo: dict[str, Any] = it.__dict__.setdefault("_undocumented_memo", {})
    if mod.path not in memo:
        memo[mod.path] = _BUSY  # a question asked while the arguments are evaluated
        memo[mod.path] = documented_names(it, mod)
    kept = memo[mod.path]
    return None if kept is _BUSY else kept


_BUSY = object()
