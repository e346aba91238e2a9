"""String identifiers (``'glorot_uniform'``, ``'tanh'``) looked up as the release does."""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.frames import Raised, Undecidable
from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.source import SourceModule
from tfinit_audit.analysis.engine.values import (
    MISSING,
    ClassV,
    Const,
    FunctionV,
    ModuleV,
    Unknown,
    Value,
    with_hops,
)
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules.values import Composite, InitV

_BINDING_KINDS = ("class", "def", "import", "from", "assign")


class InitializerIdentifierRule(Rule):
    """``initializers.get('glorot_uniform')`` / ``deserialize`` (Keras ``initializers``
    modules of every release): the identifier is looked up the way the release's own module
    does -- explicit alias entries (``TABLE["uniform"] = ...``, ``{"uniform": RandomUniform}``),
    a module-level name, then the class whose snake_case name is the identifier
    (``glorot_uniform`` -> ``GlorotUniform``) among the module's own and imported names -- and
    instantiated with that release's defaults."""

    name = "initializer-identifiers"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if isinstance(callee, FunctionV) and callee.name in ("get", "deserialize") \
                and "initializers" in callee.module and args and isinstance(args[0], Const) \
                and isinstance(args[0].value, str):
            return initializer_identifier(it, callee.src, args[0].value, args[0].hops)
        return None


class ActivationIdentifierRule(Rule):
    """``activations.get('tanh')`` (Keras ``activations`` module): the function or class the
    release's table or module-level names give for the identifier."""

    name = "activation-identifiers"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if isinstance(callee, FunctionV) and callee.name in ("get", "deserialize") \
                and callee.module.rsplit(".", 1)[-1] == "activations" and args \
                and isinstance(args[0], Const) and isinstance(args[0].value, str):
            target, _ = identifier_target(it, callee.src, args[0].value, set())
            return target
        return None


def initializer_identifier(it: Any, src: SourceModule, ident: str,
                           arg_hops: tuple[Hop, ...] = ()) -> Value:
    """A string identifier as an initializer value (Unknown when the release has none)."""
    target, hop = identifier_target(it, src, ident, set())
    hops = [src.hop(hop[0], hop[1])] if hop and hop[0] > 0 else []
    if target is None:
        return Unknown(text=f"initializer identifier {ident!r}", path=src.path, line=0,
                       hops=arg_hops)
    if isinstance(target, ClassV):
        val = it.instantiate(target, [], {}, None)
    elif isinstance(target, FunctionV):
        val = it.call(target, [], {}, None)
    else:
        val = target
    if isinstance(val, InitV | Composite):
        # the line that names the identifier may also be the alias line: one hop, not two
        seen = {(h.path, h.line) for h in hops}
        more = [h for h in target.hops if (h.path, h.line) not in seen]
        return with_hops(val, list(arg_hops) + hops + more)
    return Unknown(text=f"initializer identifier {ident!r}", path=src.path,
                   line=hop[0] if hop else 0)


class InitializerModuleRule(Rule):
    """A Keras ``initializers`` package whose namespace is filled at import time from its own
    identifier table (Keras 2.x ``initializers/__init__.py``: ``populate_deserializable_
    objects()`` then ``globals().update(LOCAL.ALL_OBJECTS)``, the table holding, in the default
    TF2 environment, the classes of the ``initializers`` implementation module by their names
    and snake_case aliases). ``from keras.src.initializers import TruncatedNormal`` or
    ``initializers.RandomNormal(stddev=1.0)`` then names the class that table lookup gives:
    the module-level name, else the class of that name among the package's imported modules
    (a ``v1`` module only when no other has it)."""

    name = "initializer-module-namespace"

    def module_attr(self, it: Any, module: ModuleV, attr: str) -> Value | None:
        if module.name.rsplit(".", 1)[-1] != "initializers" or attr.startswith("_") \
                or not (module.path or "").endswith("__init__.py"):
            return None
        src = it.sources.module(module.path)
        if src is None or _binding(src, attr) is not None:
            return None  # bound by the module's own code: Python's lookup decides
        line = _globals_update_line(src)
        if line is None:
            return None
        target, _ = identifier_target(it, src, attr, set(), tables=False)
        if not isinstance(target, ClassV | FunctionV):
            return None
        return with_hops(target, [src.hop(line, f"the namespace is filled from the identifier "
                                                f"table: {attr} is {target.describe()} of "
                                                f"{target.module}")])


def _globals_update_line(src: SourceModule) -> int | None:
    """The line of a module-level ``globals().update(...)``, if the module has one."""
    tree = src.tree()
    if tree is None:
        return None
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute) \
                and node.value.func.attr == "update" \
                and isinstance(node.value.func.value, ast.Call) \
                and isinstance(node.value.func.value.func, ast.Name) \
                and node.value.func.value.func.id == "globals":
            return node.lineno
    return None


def identifier_target(it: Any, src: SourceModule, ident: str, seen: set[str],
                      tables: bool = True) -> tuple[Value | None, tuple[int, str] | None]:
    """The class or function a module's identifier table names, and the deciding line
    (``tables``: explicit alias entries first)."""
    if ident in seen:
        return None, None
    seen.add(ident)
    found = _from_tables(it, src, ident, seen) if tables else None
    if found is not None:
        return found
    mod = ModuleV(name=src.dotted, path=src.path)
    b = _binding(src, ident)
    if b is not None:
        gv = _global(it, mod, ident)
        if isinstance(gv, ClassV | FunctionV):
            return gv, (_line(b), f"identifier {ident!r} is the module-level name {ident}")
    camel = "".join(w[:1].upper() + w[1:] for w in ident.split("_")) if ident.islower() \
        else ident
    b = _binding(src, camel)
    if b is not None:
        cv0 = _global(it, mod, camel)
        if isinstance(cv0, ClassV):
            return cv0, (_line(b), f"identifier {ident!r} names class {camel}")
    cands: list[tuple[int, Value, int]] = []
    for name in _imported_names(src):
        mv = _global(it, mod, name)
        if not isinstance(mv, ModuleV) or mv.path is None:
            continue
        msrc = it.sources.module(mv.path)
        if msrc is None or _binding(msrc, camel) is None:
            continue
        cv = _global(it, mv, camel)
        if isinstance(cv, ClassV):
            penalty = 1 if "v1" in mv.name.rsplit(".", 1)[-1] else 0
            cands.append((penalty, cv, len(cands)))
    if cands:
        cands.sort(key=lambda c: (c[0], c[2]))
        return cands[0][1], (0, "")
    return None, None


def _from_tables(it: Any, src: SourceModule, ident: str,
                 seen: set[str]) -> tuple[Value | None, tuple[int, str] | None] | None:
    """Explicit alias entries: ``TABLE["ident"] = expr`` or ``{"ident": expr}`` -- the last
    one in the source that leads somewhere (a later entry overrides an earlier one)."""
    tree = src.tree()
    if tree is None:
        return None
    frame = it.frame(src)
    entries = _table_entries(tree).get(ident, [])
    for expr in sorted(entries, key=lambda e: (e.lineno, e.col_offset), reverse=True):
        line = expr.lineno
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) \
                and isinstance(expr.slice.value, str):
            tgt, _ = identifier_target(it, src, expr.slice.value, seen)
            if tgt is not None:
                return tgt, (line, f"identifier {ident!r} is an alias of {expr.slice.value!r}")
            continue
        try:
            found = it.eval(expr, frame)
        except Exception:  # noqa: BLE001 - a follow in progress: not a table entry
            continue
        if isinstance(found, ClassV | FunctionV):
            return found, (line, f"identifier {ident!r} -> {it.unparse(expr)}")
    return None


def _table_entries(tree: ast.Module) -> dict[str, list[ast.expr]]:
    """The module's entries ``TABLE["key"] = expr`` and ``{"key": expr}`` by their string key,
    each key's in the order of ``ast.walk`` (one walk per syntax tree, memoized on it)."""
    found: dict[str, list[ast.expr]] | None = tree.__dict__.get("_tfa_table_entries")
    if found is None:
        found = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                t = node.targets[0]
                if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) \
                        and isinstance(t.slice.value, str):
                    found.setdefault(t.slice.value, []).append(node.value)
            elif isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values, strict=True):
                    if isinstance(k, ast.Constant) and isinstance(k.value, str):
                        found.setdefault(k.value, []).append(v)
        tree.__dict__["_tfa_table_entries"] = found
    return found


def _binding(src: SourceModule, name: str) -> Any:
    """The last module-level statement binding ``name`` (class, def, import, assignment)."""
    events = [b for b in src.events(name) if b.name == name and b.kind in _BINDING_KINDS]
    return events[-1] if events else None


def _line(b: Any) -> int:
    return int(b.expr_line or b.line) if b.kind == "assign" else int(b.line)


def _imported_names(src: SourceModule) -> list[str]:
    """Names bound by the module's import statements, in order of first binding."""
    summary = src.full()
    out: dict[str, None] = {}
    for b in summary.bindings:
        if b.kind in ("import", "from"):
            out.setdefault(b.name, None)
    return list(out)


def _global(it: Any, mod: ModuleV, name: str) -> Value | None:
    try:
        with it.imports.ns.quiet():
            v = it.module_global(mod, name)
    except (Raised, Undecidable, RecursionError):
        return None
    return None if v is MISSING else v
