"""What names a module binds: the module namespaces of the import system (engine/imports.py).

A module's namespace is read from its binding events in source order (engine/summaries.py):
a name is the last binding whose guard holds and that is not in an ``except`` block (a star
import provides the names its module exports, respecting ``__all__``; attribute patches made by
other modules at import time count too), else a submodule. Values are computed on demand and
memoized with the lines (hops) that decided them, whoever asked first.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterator
from typing import Any, Protocol

from tfinit_audit.analysis.engine import globals_writers, mutations
from tfinit_audit.analysis.engine.frames import IMPORT, Frame, Mode, Raised, Signal, Undecidable
from tfinit_audit.analysis.engine.hooks import RuleSet
from tfinit_audit.analysis.engine.source import Sources
from tfinit_audit.analysis.engine.summaries import Binding
from tfinit_audit.analysis.engine.values import (
    DELETED,
    MISSING,
    ClassV,
    Const,
    DictV,
    FunctionV,
    ModuleV,
    Seq,
    Unknown,
    Value,
    with_hops,
)
from tfinit_audit.analysis.model import Hop
from tfinit_audit.sources.base import SourceTree

_DELETED_ATTR = object()
REMOVED_NOTE = "deleted at import: "  # the hop of a name a rule says is deleted


class Interp(Protocol):
    """What the import system needs of the interpreter that runs import-time code."""

    sources: Sources
    rules: RuleSet

    def eval(self, node: ast.expr, frame: Frame) -> Value: ...

    def exec_block(self, body: list[ast.stmt], frame: Frame) -> Signal: ...

    def getattr(self, obj: Value, attr: str, mode: Mode = ...) -> Any: ...

    def builtin(self, name: str) -> Any: ...

    def external_attr(self, mod: ModuleV, attr: str) -> Value: ...


class Importer(Protocol):
    """What the namespaces need of the import system (engine/imports.py)."""

    it: Interp
    tree: SourceTree
    patches: dict[str, list[tuple[str, Binding, ModuleV]]]

    def find(self, name: str) -> Any: ...

    def outside_tree(self, module: str) -> bool: ...

    def import_module(self, name: str) -> Any: ...

    def package_path(self, mod: ModuleV) -> Seq | None: ...

    def eval_text(self, text: str, mod: ModuleV, line: int) -> Value: ...


class _Quiet:
    """``with namespaces.quiet():`` (a plain class: entered on every global lookup)."""

    __slots__ = ("ns",)

    def __init__(self, ns: Namespaces) -> None:
        self.ns = ns

    def __enter__(self) -> None:
        self.ns._quiet += 1

    def __exit__(self, *exc: object) -> None:
        self.ns._quiet -= 1


class Namespaces:
    """What names a module binds, computed lazily from its binding events (memoized, with the
    hops that decided each name)."""

    def __init__(self, imports: Importer) -> None:
        self.imports = imports
        self.it = imports.it
        self.tree = imports.tree
        self._attr_memo: dict[tuple[str, str], tuple[Any, list[Hop]]] = {}
        self._ns_memo: dict[tuple[str, str, int | None], tuple[Any, list[Hop]]] = {}
        self._could_memo: dict[tuple[str, str], bool] = {}
        self._guard_memo: dict[tuple[str, int, str], bool | None] = {}
        # (module, name or "*", line) of the bindings and star imports being evaluated -> the
        # depth of the memoized lookup (module_attr, getattr_module) they were entered in; a
        # lookup that met one entered further out is not memoized (``_enter``/``_leave``)
        self._in_progress: dict[tuple[str, str, int], int] = {}
        self._depth = 0
        self._low = _NO_CYCLE
        self.binding_of: dict[tuple[str, str], Binding] = {}  # (module, name) -> last binding
        self._trace: list[Hop] | None = None
        self._quiet = 0
        self._quiet_cm = _Quiet(self)
        self.on_forget: list[Any] = []  # callbacks: caches of others built on these answers

    # ------------------------------------------------------------ tracing
    @contextlib.contextmanager
    def trace(self, hops: list[Hop]) -> Iterator[None]:
        """Record in ``hops`` every line that decides where the names looked up lead."""
        saved = self._trace
        self._trace = hops
        try:
            yield
        finally:
            self._trace = saved

    def quiet(self) -> _Quiet:
        """Lookups in the block leave no hops (and what they memoize carries none)."""
        return self._quiet_cm

    @property
    def tracing(self) -> bool:
        return self._trace is not None and not self._quiet

    def hop(self, path: str | None, line: int, note: str) -> None:
        if not self.tracing or path is None or line <= 0:
            return
        trace = self._trace
        assert trace is not None
        if trace and (trace[-1].path, trace[-1].line) == (path, line):
            return
        for h in trace:  # each decision once (a lazy loader forwards every submodule import)
            if h.line == line and h.path == path and h.note == note:
                return
        pkg = self.tree.package_of(path) or ""
        trace.append(Hop(pkg, path, line, self.it.sources.line_text(path, line), note))

    def _replay(self, hops: list[Hop]) -> None:
        if self.tracing:
            for h in hops:
                self.hop(h.path, h.line, h.note)

    def _collecting(self, sub: list[Hop]) -> tuple[list[Hop] | None, int]:
        """Send hops to ``sub`` (to be memoized and replayed), whatever the caller's trace or
        quiet state, so that a memo entry is the same whoever asked first. Returns the state
        for ``_restore`` (a plain save/restore: exceptions cross these blocks often, and
        cheaply)."""
        saved = (self._trace, self._quiet)
        self._trace = sub
        self._quiet = 0
        return saved

    def _restore(self, saved: tuple[list[Hop] | None, int]) -> None:
        self._trace, self._quiet = saved

    def forget(self) -> None:
        """sys.modules changed: what names lead to may change."""
        self._attr_memo.clear()
        self._ns_memo.clear()
        self._could_memo.clear()
        for cb in self.on_forget:
            cb()

    # ------------------------------------------------------------ guards
    def guard_ok(self, mod: ModuleV, b: Binding) -> bool:
        """May ``b`` run? (False only when its ``if`` guard is decided false.)"""
        return self.guard_state(mod, b) is not False

    def guard_state(self, mod: ModuleV, b: Binding) -> bool | None:
        """Does ``b`` run: its ``if`` guard's truth, None when it cannot be decided."""
        if not b.guard:
            return True
        gk = (mod.name, b.line, b.guard)
        if gk in self._guard_memo:
            return self._guard_memo[gk]
        entered = self._enter()
        try:
            state = self._guard_eval(mod, b)
        finally:
            settled = self._leave(entered)
        if settled:
            self._guard_memo[gk] = state
        return state

    def _guard_eval(self, mod: ModuleV, b: Binding) -> bool | None:
        assert b.guard is not None
        try:
            with self.quiet():
                v = self.imports.eval_text(b.guard, mod, b.line)
        except (Raised, Undecidable, SyntaxError):
            return None
        if isinstance(v, DictV):
            return bool(v.items)
        return v.truth() if isinstance(v, Const | Seq) else None

    # ------------------------------------------------------------ module attributes
    def getattr_module(self, mod: ModuleV, attr: str) -> Any:
        """``getattr(module, attr)`` -- MISSING when Python would raise AttributeError."""
        key = (mod.name, attr)
        if key in self._attr_memo:
            val, hops = self._attr_memo[key]
            self._replay(hops)
            return val
        if mod.path is None:
            return self.it.external_attr(mod, attr)
        if attr == "__dict__":
            return Unknown(text=f"{mod.name}.__dict__", module=mod.name, path=mod.path)
        if attr == "__path__":
            p = self.imports.package_path(mod)
            return MISSING if p is None else p
        if attr == "__file__":
            return Const(value=mod.path if mod.path.endswith(".py") else None)
        sub: list[Hop] = []
        saved = self._collecting(sub)
        entered = self._enter()
        try:
            val = self.module_attr(mod, attr, None)
            if val is DELETED:
                val = _DELETED_ATTR  # `del name` at module level: no submodule fallback
            if val is MISSING and attr == "__name__":
                val = Const(value=mod.name)
            if val is MISSING:
                with self.quiet():
                    sm = self.imports.import_module(f"{mod.name}.{attr}")
                if sm is not MISSING:
                    val = sm
                    if isinstance(sm, ModuleV) and sm.path:
                        self.hop(sm.path, 1, f"submodule {mod.name}.{attr}")
                else:
                    val = globals_writers.unknown_if_written(self, mod, attr)
            elif val is not _DELETED_ATTR and self._removed(mod, attr, val):
                val = MISSING
        finally:
            self._restore(saved)
            settled = self._leave(entered)
        if val is _DELETED_ATTR:
            val = MISSING
        self._replay(sub)
        if settled:
            self._attr_memo[key] = (val, sub)
        return val

    def _removed(self, mod: ModuleV, name: str, val: Any) -> bool:
        """Does a rule know that ``mod`` deletes public ``name`` at the end of its import?
        Its own submodules (``mod.name`` + ``.`` + ``name``) are left alone: ``from mod import
        name`` still finds one in ``sys.modules``. A module bound under another name (``vs``
        for ``variable_scope``: an alias a star import brought) is deleted like any name."""
        if name.startswith("_") or (isinstance(val, ModuleV)
                                    and val.name == f"{mod.name}.{name}"):
            return False
        for rule in self.it.rules.asked("removed"):
            hop = rule.removed(self.it, mod, name)
            if hop is not None:
                self.hop(hop.path, hop.line, f"{name} {REMOVED_NOTE}{hop.note}")
                return True
        return False

    def module_attr(self, mod: ModuleV, name: str, before: int | None) -> Any:
        """Memoized: the value ``name`` has in ``mod`` (bindings before line ``before``)."""
        key = (mod.name, name, before)
        hit = self._ns_memo.get(key)
        if hit is not None:
            self._replay(hit[1])
            return hit[0]
        sub: list[Hop] = []
        saved = self._collecting(sub)
        entered = self._enter()
        try:
            val = self._module_attr(mod, name, before)
        finally:
            self._restore(saved)
            settled = self._leave(entered)
        self._replay(sub)
        if settled:
            self._ns_memo[key] = (val, sub)
        return val

    def _enter(self) -> tuple[int, int]:
        """A memoized lookup starts: its depth, and the cycle mark of the one around it."""
        self._depth += 1
        outer, self._low = self._low, _NO_CYCLE
        return self._depth, outer

    def _leave(self, entered: tuple[int, int]) -> bool:
        """The lookup ``_enter`` started ends: may its value be memoized? Not when it met a
        binding or star import still being evaluated by a lookup around it (a cycle: the
        value it got there -- usually "not bound yet" -- holds only inside that cycle; TF
        1.4's ``dir(tf)`` asked first left ``tf.keras`` MISSING for the rest of the question)."""
        depth, outer = entered
        self._depth -= 1
        low = self._low
        self._low = min(outer, low)
        return low >= depth

    def _met(self, key: tuple[str, str, int]) -> None:
        """A binding or star import being evaluated was met again (a cycle)."""
        self._low = min(self._low, self._in_progress[key])

    def _candidates(self, mod: ModuleV, name: str) -> list[tuple[int, int, Binding, ModuleV]]:
        """(order, line, binding, defining module) events that may bind ``name`` in ``mod``."""
        src = self.it.sources.module(mod.path)
        out: list[tuple[int, int, Binding, ModuleV]] = []
        for b in src.events(name) if src is not None else []:
            if b.handler:
                continue
            if b.kind == "star" or (b.name == name and b.kind not in ("attr", "setattr", "effect")):
                out.append((0, b.line, b, mod))
        for pname, b, origin in self.imports.patches.get(mod.name, []):
            if pname == name:
                out.append((0 if origin.name == mod.name else 1, b.line, b, origin))
        out.sort(key=lambda t: (t[0], t[1]))
        return out

    def _module_attr(self, mod: ModuleV, name: str, before: int | None) -> Any:
        if self.it.sources.module(mod.path) is None:
            return MISSING
        for order, line, b, origin in reversed(self._candidates(mod, name)):
            if before is not None and (order > 0 or line >= before):
                continue
            if b.kind == "star":
                val = self._from_star(origin, b, name)
                if val is not MISSING:
                    return val
                continue
            if not self.guard_ok(origin, b):
                continue
            key = (origin.name, name, b.line)
            if key in self._in_progress:
                self._met(key)
                continue
            self._in_progress[key] = self._depth
            try:
                val = binding_value(self, origin, b, name)
            finally:
                del self._in_progress[key]
            if val is MISSING and b.kind == "del":
                return DELETED
            if val is not MISSING and origin.name == mod.name:
                val = mutations.apply(self, mod, b, name, val, before)
            if val is not MISSING:
                if before is None:
                    self.binding_of[(mod.name, name)] = b
                return val
        return MISSING

    def _from_star(self, origin: ModuleV, b: Binding, name: str) -> Any:
        guard_key = (origin.name, "*", b.line)
        if guard_key in self._in_progress:
            self._met(guard_key)
            return MISSING
        with self.quiet():
            found = self.imports.find(b.module or "")
        if found is MISSING and not name.startswith("_") \
                and self.imports.outside_tree(b.module or "") and self.guard_ok(origin, b):
            # a package the release depends on but does not ship (``from absl.flags import *``
            # in TF's flags.py): it may well bind the name -- unknown, not absent
            self.hop(origin.path, b.line,
                     f"{name} may come from star import of {b.module}, not in the release's files")
            return Unknown(text=f"from {b.module} import * (not in the release's files)",
                           module=origin.name, path=origin.path or "", line=b.line)
        if not isinstance(found, ModuleV) or not self.could_provide(found, name, 0):
            return MISSING  # the text says it cannot: not imported for this question
        if not self.guard_ok(origin, b):
            return MISSING
        with self.quiet():
            smod = self.imports.import_module(b.module or "")
        if not isinstance(smod, ModuleV):
            return MISSING
        self._in_progress[guard_key] = self._depth
        sub: list[Hop] = []
        saved = self._trace
        self._trace = sub if saved is not None else None
        try:
            val = self._star_provides(smod, name)
        finally:
            del self._in_progress[guard_key]
            self._trace = saved
        if val is not MISSING:
            self.hop(origin.path, b.line, f"{name} comes from star import of {b.module}")
            self._replay(sub)
        else:  # why the star import does not bring it, when a rule says it was deleted
            for h in sub:
                if REMOVED_NOTE in h.note:
                    self.hop(h.path, h.line, h.note)
        return val

    def _star_provides(self, smod: ModuleV, name: str) -> Any:
        src = self.it.sources.module(smod.path)
        if src is None:
            return MISSING
        all_names = src.all_names
        if all_names is not None:
            if name not in all_names:
                return MISSING
            return self.getattr_module(smod, name)
        if name.startswith("_"):
            return MISSING
        val = self._module_attr_traced(smod, name)
        return MISSING if val is not MISSING and self._removed(smod, name, val) else val

    def could_provide(self, mod: ModuleV, name: str, depth: int) -> bool:
        """Text-only check (no parse): can ``mod`` or its star imports bind ``name``? (False
        only when no line of theirs has it in a binding position.)"""
        key = (mod.name, name)
        if key in self._could_memo:
            return self._could_memo[key]
        self._could_memo[key] = True  # cycles: assume yes
        src = self.it.sources.module(mod.path)
        if src is None or depth > 20:
            return True
        result = src.may_bind(name)
        if not result:
            for dots, modname in src.star_targets:
                if dots:
                    pkg = mod.name if mod.path and mod.path.endswith("__init__.py") else (
                        mod.name.rpartition(".")[0])
                    base = pkg.split(".")
                    if dots > 1:
                        base = base[: len(base) - (dots - 1)]
                    modname = ".".join([*base, *([modname] if modname else [])])
                with self.quiet():
                    sub = self.imports.find(modname)
                if not isinstance(sub, ModuleV) or self.could_provide(sub, name, depth + 1):
                    result = True
                    break
        self._could_memo[key] = result
        return result

    def _module_attr_traced(self, mod: ModuleV, name: str) -> Any:
        key = (mod.name, name)
        if key in self._attr_memo:
            val, hops = self._attr_memo[key]
            if isinstance(val, ModuleV) and hops and hops[-1].note.startswith("submodule"):
                return MISSING  # star import without __all__ copies bound names only
            return self.getattr_module(mod, name)
        sub: list[Hop] = []
        saved = self._collecting(sub)
        try:
            val = self.module_attr(mod, name, None)
        finally:
            self._restore(saved)
        if val is DELETED:
            val = MISSING
        # found: how; not found: only why a rule says a module on the way deleted it
        self._replay(sub if val is not MISSING else [h for h in sub if REMOVED_NOTE in h.note])
        return val

    def lookup_global(self, mod: ModuleV, name: str, before: int | None = None,
                      builtins: bool = True) -> Any:
        """A global name of ``mod``'s code (module namespace, then builtins), or MISSING."""
        if name == "__name__":
            return Const(value=mod.name)
        if name == "__file__":
            return Const(value=mod.path)
        if name == "__path__" and mod.path is not None:
            p = self.imports.package_path(mod)
            if p is not None:
                return p
        if mod.path is not None:
            val = self.module_attr(mod, name, before)
            if val is DELETED:
                return MISSING
            if val is not MISSING:
                return val
        return self.it.builtin(name) if builtins else MISSING


# ----------------------------------------------------------------------------- dir()
def binding_value(ns: Namespaces, mod: ModuleV, b: Binding, name: str) -> Any:
    """The value binding ``b`` of ``mod`` gives ``name`` (import-time evaluation)."""
    src = ns.it.sources.module(mod.path)
    if b.kind == "del" or src is None:
        return MISSING
    if b.kind == "class":
        cinfo = src.class_info(name)
        return ClassV(src=src, info=cinfo, modname=mod.name) if cinfo is not None else MISSING
    if b.kind == "def":
        finfo = src.function_info(name)
        return FunctionV(src=src, info=finfo, modname=mod.name) if finfo is not None \
            else MISSING
    if b.kind == "import":
        target = b.module or ""
        m = ns.imports.import_module(target if b.alias else target.split(".")[0])
        if b.alias and m is not MISSING:
            m = ns.imports.import_module(target)  # ``import a.b as x`` binds a.b
        if not b.alias:
            ns.imports.import_module(target)
        ns.hop(mod.path, b.line, f"{name} = module {target if b.alias else name}")
        return m if m is not MISSING else _opaque(b, mod, b.expr or target)
    if b.kind == "from":
        origin = ns.imports.import_module(b.module or "")
        ns.hop(mod.path, b.line, f"{name} is imported from {b.module}")
        if origin is MISSING:
            return _opaque(b, mod, b.expr or "")
        attr = b.attr or name
        if isinstance(origin, ModuleV):
            val = ns.it.getattr(origin, attr, IMPORT)  # submodules included
        else:
            val = _from_object(ns, origin, attr)
        return _opaque(b, mod, b.expr or "") if val is MISSING else val
    if b.kind in ("assign", "setattr", "attr"):
        ns.hop(mod.path, b.line, f"{name} is assigned")
        try:
            val = ns.imports.eval_text(b.expr or "", mod, b.expr_line or b.line)
        except Undecidable:
            return _opaque(b, mod, b.expr or "")
        if b.kind == "assign" and (isinstance(val, ClassV | FunctionV)
                                   or ns.it.rules.traced(ns.it, val, "alias")):
            # a name bound by assignment to a class, function or traced value: the line
            # is part of the value's provenance
            val = with_hops(val, [src.hop(b.expr_line or b.line,
                                          f"module-level alias {name}")])
        return val
    if b.kind == "augassign":
        ns.hop(mod.path, b.line, f"{name} {b.attr} ...")
        return mutations.augmented(ns, mod, b, name)
    return _opaque(b, mod, b.expr or b.kind)

def _from_object(ns: Namespaces, origin: Value, attr: str) -> Any:
    """``from X import attr`` where ``sys.modules['X']`` is not a module (a lazy loader):
    the attribute, else (Python's ``_handle_fromlist``) the submodule named after the
    object's ``__name__``."""
    try:
        val = ns.it.getattr(origin, attr, IMPORT)
    except Raised as exc:
        if exc.exc != "AttributeError":
            raise
        val = MISSING
    if val is not MISSING:
        return val
    try:
        base = ns.it.getattr(origin, "__name__", IMPORT)
    except Raised:
        return MISSING
    if not (isinstance(base, Const) and isinstance(base.value, str)):
        return MISSING
    return ns.imports.import_module(f"{base.value}.{attr}")


_NO_CYCLE = 1 << 30  # the cycle mark of a lookup that met no binding evaluated around it


def _opaque(b: Binding, mod: ModuleV, text: str) -> Unknown:
    """A binding whose value the import-time run cannot give: unknown, with where."""
    return Unknown(text=text, module=mod.name, path=mod.path or "", line=b.line)


def bound_names(ns: Namespaces, mod: ModuleV) -> list[str]:
    """Names ``mod``'s namespace may hold once imported, in source order: its binding
    events (a star import contributes its module's ``__all__``, else that module's public
    names) and the attribute patches other modules made. Each still has to be looked up
    (a guard, a ``del`` or a failed import may leave it unbound)."""
    ns.imports.import_module(mod.name)  # its import-time effects (patches) ran
    return _bound_names(ns, mod, set())


def _bound_names(ns: Namespaces, mod: ModuleV, seen: set[str]) -> list[str]:
    if mod.name in seen:
        return []
    seen.add(mod.name)
    src = ns.it.sources.module(mod.path)
    out: list[str] = []
    for b in src.full().bindings if src is not None else []:
        if b.handler or b.kind in ("attr", "setattr", "effect", "del"):
            continue
        if b.kind != "star":
            out.append(b.name)
            continue
        with ns.quiet():
            smod = ns.imports.import_module(b.module or "")
        if not isinstance(smod, ModuleV):
            continue
        ssrc = ns.it.sources.module(smod.path)
        names = ssrc.all_names if ssrc is not None else None
        out.extend(names if names is not None else [
            n for n in _bound_names(ns, smod, seen) if not n.startswith("_")])
    out.extend(pname for pname, _, _ in ns.imports.patches.get(mod.name, []))
    return list(dict.fromkeys(out))


def dir_module(ns: Namespaces, mod: ModuleV) -> list[str]:
    """``dir(module)``: the sorted names its bindings give after import (a submodule is
    listed when a binding names it; one imported only as ``import pkg.sub`` is not)."""
    names = []
    for n in bound_names(ns, mod):
        try:
            if ns.getattr_module(mod, n) is not MISSING:
                names.append(n)
        except (Raised, Undecidable, RecursionError):
            names.append(n)  # bound, by code the engine cannot run: Python lists it
    return sorted(set(names))
