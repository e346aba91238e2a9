"""The import system as Python runs it: finding modules, ``sys.modules``, package ``__path__``,
module-level effects on other modules, and what a module namespace holds.

A module's namespace is read from its binding events in source order (engine/summaries.py):
a name is the last binding whose guard holds and that is not in an ``except`` block (a star
import provides the names its module exports, respecting ``__all__``; attribute patches made by
other modules at import time count too), else a submodule. Values are computed on demand and
memoized, so resolving ``tf.nn.rnn_cell.LSTMCell`` touches only the modules on that path.

Import-time code that is not a plain binding -- ``setattr(_current_module, ...)``,
``_current_module.nn.rnn_cell = Loader(...)``, ``sys.modules`` aliasing in a package shim, a
package extending its own ``__path__`` -- is run by the interpreter in import mode. The
default environment: no environment variables set, ``typing.TYPE_CHECKING`` false.

Name resolution can be traced: inside ``with imports.trace(hops):`` every line that decided
where a name leads is appended to ``hops``.
"""

from __future__ import annotations

import ast
import contextlib
import re
import textwrap
from collections.abc import Iterator
from typing import Any, Protocol

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
    Instance,
    ModuleV,
    Seq,
    Unknown,
    Value,
    with_hops,
)
from tfinit_audit.analysis.model import Hop


class Interp(Protocol):
    """What the import system needs of the interpreter that runs import-time code."""

    sources: Sources
    rules: RuleSet

    def eval(self, node: ast.expr, frame: Frame) -> Value: ...

    def exec_block(self, body: list[ast.stmt], frame: Frame) -> Signal: ...

    def getattr(self, obj: Value, attr: str, mode: Mode = ...) -> Any: ...

    def builtin(self, name: str) -> Any: ...

    def external_attr(self, mod: ModuleV, attr: str) -> Value: ...

# modules outside the tree that import-time code may import: modelled by engine/builtins.py
# and engine/stdlib.py
EXTERNAL_OK = {
    "sys", "os", "os.path", "importlib", "types", "typing", "logging", "inspect", "site", "math",
    "re",
}
_DELETED_ATTR = object()


class ImportSystem:
    """``sys.modules`` and ``importlib`` of one release tree."""

    def __init__(self, it: Interp) -> None:
        self.it = it
        self.tree = it.sources.tree
        self.sys_modules: dict[str, Value] = {}
        self.missing: set[str] = set()  # top-level imports that failed (until sys.modules
        # changes; a submodule's may succeed later, when its package's __path__ has grown)
        self.patches: dict[str, list[tuple[str, Binding, ModuleV]]] = {}
        self.effects_of: str | None = None  # running import-system effects of this module
        self._path_memo: dict[str, Seq] = {}
        self._path_state: dict[str, Seq] = {}
        self._import_hops: dict[str, list[Hop]] = {}
        self.ns = Namespaces(self)

    # ------------------------------------------------------------ finding modules
    def _find_file(self, base_dirs: list[str], last: str) -> str | None:
        """PathFinder over ``base_dirs`` in order: a regular package or module in any entry
        wins over a namespace portion (PEP 420)."""
        key = (tuple(base_dirs), last)
        files = self.it.sources.files
        if key not in files:
            files[key] = self._find_file_uncached(base_dirs, last)
        return files[key]

    def _find_file_uncached(self, base_dirs: list[str], last: str) -> str | None:
        prefixes = [f"{d}/{last}" if d else last for d in base_dirs]
        for prefix in prefixes:
            for cand in (f"{prefix}/__init__.py", f"{prefix}.py"):
                if self.tree.read_text(cand) is not None:
                    return cand
        for prefix in prefixes:
            if self.tree.exists(prefix) and self.tree.list(prefix):
                return prefix + "/"  # namespace package
        return None

    def module_dirs(self, mod: Value) -> list[str] | None:
        """Directories searched for submodules of ``mod``: its ``__path__`` (None: not a
        package). Entries outside the tree hold nothing we can read and are skipped."""
        p: Any = None
        if isinstance(mod, ModuleV):
            p = self.package_path(mod)
        elif isinstance(mod, Instance):
            try:
                p = self.it.getattr(mod, "__path__", IMPORT)
            except (Raised, Undecidable):
                return None
        if not isinstance(p, Seq):
            return None
        return [d.value for d in p.items if isinstance(d, Const) and isinstance(d.value, str)]

    def package_path(self, mod: ModuleV) -> Seq | None:
        """``mod.__path__`` as Python leaves it after the package's ``__init__`` ran.

        Starts as ``[package dir]``; module-level statements of the package that rebind or
        mutate ``__path__`` (``__path__ = ...``, ``__path__.append(...)``,
        ``sys.modules[__name__].__path__ = [...] + ...``) are run in source order, so an
        import made while the package is still executing sees the value so far, as in Python.
        """
        if mod.dir is None or mod.path is None:
            return None
        if mod.name in self._path_state:
            return self._path_state[mod.name]
        if mod.name in self._path_memo:
            return self._path_memo[mod.name]
        state = Seq(items=[Const(value=mod.dir)])
        text = self.tree.read_text(mod.path) if mod.path.endswith(".py") else None
        src = self.it.sources.module(mod.path) if text is not None and "__path__" in text \
            else None
        if src is None:
            self._path_memo[mod.name] = state
            return state
        self._path_state[mod.name] = state
        try:
            for b in src.full().bindings:
                if b.handler or not _touches_path(b):
                    continue
                try:
                    with self.ns.quiet():
                        if self.ns.guard_ok(mod, b):
                            self._path_event(mod, b, state)
                except (Raised, Undecidable, RecursionError, SyntaxError):
                    continue
        finally:
            del self._path_state[mod.name]
        self._path_memo[mod.name] = state
        return state

    def _path_event(self, mod: ModuleV, b: Binding, state: Seq) -> None:
        if b.kind == "effect":
            self.exec_text(b.expr or "", mod, b.line)
            return
        if b.kind in ("attr", "setattr"):
            target = self.eval_text(b.target or "", mod, b.line)
            if not (isinstance(target, ModuleV) and target.name == mod.name):
                return
        value = self.eval_text(b.expr or "", mod, b.expr_line or b.line)
        if not isinstance(value, Seq):
            return
        if b.kind == "augassign":
            state.items.extend(value.items)
        elif value is not state:
            state.items[:] = list(value.items)

    def import_module(self, name: str) -> Any:
        """What ``importlib.import_module(name)`` returns, or MISSING if it would fail."""
        if name in self.sys_modules:
            hops = self._import_hops.get(name)
            if hops:
                self.ns._replay(hops)
            return self.sys_modules[name]
        if name in self.missing:
            return MISSING
        sub: list[Hop] = []
        saved = self.ns._collecting(sub)
        try:
            mod = self._import(name)
        finally:
            self.ns._restore(saved)
        if sub:
            # the lines that decided where the name leads (a lazy loader forwarding a
            # parent package...): replayed on every later import of the name, which Python
            # answers from sys.modules, so that each question's trace has them
            self._import_hops[name] = sub
            self.ns._replay(sub)
        if mod is MISSING and "." not in name:
            self.missing.add(name)  # a top-level package the tree does not have
        return mod

    def _import(self, name: str) -> Any:
        parent, _, last = name.rpartition(".")
        if parent:
            pmod = self.import_module(parent)
            if pmod is MISSING:
                return MISSING
            if name in self.sys_modules:  # the parent's code may have registered it
                return self.sys_modules[name]
            if isinstance(pmod, ModuleV) and pmod.path is None:  # outside the tree
                return self._external(name) if name in EXTERNAL_OK else MISSING
            bases = self.module_dirs(pmod)
            if bases is None:
                return MISSING
        else:
            bases = [""]
        path = self._find_file(bases, last)
        if path is None:
            return self._external(name) if not parent and name in EXTERNAL_OK else MISSING
        mod = ModuleV(name=name, path=path)
        self.sys_modules[name] = mod
        self._run_import_effects(mod)
        return self.sys_modules.get(name, mod)

    def find(self, name: str) -> Any:
        """The module ``import_module(name)`` would give, found without running its
        import-time effects (for text-only questions); MISSING if it would fail. A module whose
        source writes ``sys.modules`` is imported for real (it may alias itself)."""
        if name in self.sys_modules:
            return self.sys_modules[name]
        parent, _, last = name.rpartition(".")
        bases = [""]
        if parent:
            pmod = self.find(parent)
            if pmod is MISSING:
                return MISSING
            if isinstance(pmod, ModuleV) and pmod.path is None:
                return self.import_module(name)
            found = self.module_dirs(pmod)
            if found is None:
                return MISSING
            bases = found
        path = self._find_file(bases, last)
        if path is None:
            return self.import_module(name) if not parent and name in EXTERNAL_OK else MISSING
        if self._writes_sys_modules(path):
            return self.import_module(name)
        return ModuleV(name=name, path=path)

    def _writes_sys_modules(self, path: str) -> bool:
        memo = self.it.sources.writes_sys_modules
        hit = memo.get(path)
        if hit is None:
            text = self.tree.read_text(path) if path.endswith(".py") else None
            hit = memo[path] = text is not None and (
                "modules[" in text or "modules." in text) and bool(_SYS_WRITE_RE.search(text))
        return hit

    def _external(self, name: str) -> ModuleV:
        mod = ModuleV(name=name, path=None)
        self.sys_modules[name] = mod
        return mod

    def set_module(self, name: str, value: Value) -> None:
        """``sys.modules[name] = value``: what names lead to may change."""
        self.sys_modules[name] = value
        self._import_hops.pop(name, None)
        self.missing.clear()
        self.ns.forget()

    # ------------------------------------------------------------ import-time effects
    def _run_import_effects(self, mod: ModuleV) -> None:
        """Register attribute patches and run statements that touch the import system."""
        if not (mod.path and mod.path.endswith(".py")):
            return
        touches = self.it.sources.touches_others.get(mod.path)
        if touches is None:
            text = self.tree.read_text(mod.path)
            touches = self.it.sources.touches_others[mod.path] = (
                text is not None and touches_other_modules(text))
        if not touches:
            return  # nothing in the source can patch modules: no parse needed
        src = self.it.sources.module(mod.path)
        if src is None:
            return
        s = src.full()
        local_defs = set(s.functions) | set(s.classes)
        writers: set[str] | None = None
        with self.ns.quiet():
            for b in s.bindings:
                if b.handler:
                    continue
                if b.kind in ("attr", "setattr") and b.target:
                    if b.target.split(".")[0] in local_defs:
                        continue  # an attribute of this module's own function or class
                    try:
                        if not self.ns.guard_ok(mod, b):
                            continue
                        target = self.eval_text(b.target, mod, b.line)
                    except (Raised, Undecidable, RecursionError):
                        continue
                    if isinstance(target, ModuleV):
                        self.patches.setdefault(target.name, []).append((b.name, b, mod))
                elif b.kind == "effect" and b.expr:
                    # only statements that write sys.modules (directly or through a helper
                    # defined in this module whose code writes it) change what imports find
                    if writers is None:
                        writers = {
                            n for n in local_defs
                            if _SYS_WRITE_RE.search(
                                s.functions[n].source if n in s.functions
                                else "".join(m.source for m in s.classes[n].methods.values()))
                        }
                    if not _SYS_WRITE_RE.search(b.expr) and not _calls_local(b.expr, writers):
                        continue
                    saved = self.effects_of
                    self.effects_of = mod.name
                    try:
                        if not self.ns.guard_ok(mod, b):
                            continue
                        self.exec_text(b.expr, mod, b.line)
                    except (Raised, Undecidable, RecursionError, SyntaxError):
                        continue
                    finally:
                        self.effects_of = saved

    # ------------------------------------------------------------ module-level code
    def module_frame(self, mod: ModuleV, line: int, module_level: bool = False) -> Frame:
        return Frame(mod=mod, src=self.it.sources.module(mod.path), locals={}, mode=IMPORT,
                     before=line, module_level=module_level)

    def parsed(self, text: str, line: int, kind: str) -> Any:
        """Module-level source text starting on ``line``, parsed with the file's line
        numbers ("eval": an expression, else statements); one parse per tree."""
        return self.it.sources.snippet(text, line, kind)

    def eval_text(self, text: str, mod: ModuleV, line: int) -> Value:
        """A module-level expression of ``mod`` (source text starting on ``line``), evaluated
        at import time with the bindings made before that line."""
        return self.it.eval(self.parsed(text, line, "eval"), self.module_frame(mod, line))

    def exec_text(self, text: str, mod: ModuleV, line: int) -> None:
        """A module-level statement of ``mod`` run at import time."""
        body = self.parsed(text, line, "exec")
        self.it.exec_block(body, self.module_frame(mod, line, module_level=True))


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

    def __init__(self, imports: ImportSystem) -> None:
        self.imports = imports
        self.it = imports.it
        self.tree = imports.tree
        self._attr_memo: dict[tuple[str, str], tuple[Any, list[Hop]]] = {}
        self._ns_memo: dict[tuple[str, str, int | None], tuple[Any, list[Hop]]] = {}
        self._could_memo: dict[tuple[str, str], bool] = {}
        self._guard_memo: dict[tuple[str, int, str], bool] = {}
        self._in_progress: set[tuple[str, str, int]] = set()
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
        if not b.guard:
            return True
        gk = (mod.name, b.line, b.guard)
        if gk not in self._guard_memo:
            self._guard_memo[gk] = self._guard_eval(mod, b)
        return self._guard_memo[gk]

    def _guard_eval(self, mod: ModuleV, b: Binding) -> bool:
        assert b.guard is not None
        try:
            with self.quiet():
                v = self.imports.eval_text(b.guard, mod, b.line)
        except (Raised, Undecidable, SyntaxError):
            return True
        if isinstance(v, DictV):
            return bool(v.items)
        t = v.truth() if isinstance(v, Const | Seq) else None
        return True if t is None else t

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
        finally:
            self._restore(saved)
        if val is _DELETED_ATTR:
            val = MISSING
        self._replay(sub)
        self._attr_memo[key] = (val, sub)
        return val

    def module_attr(self, mod: ModuleV, name: str, before: int | None) -> Any:
        """Memoized: the value ``name`` has in ``mod`` (bindings before line ``before``)."""
        key = (mod.name, name, before)
        hit = self._ns_memo.get(key)
        if hit is not None:
            self._replay(hit[1])
            return hit[0]
        sub: list[Hop] = []
        saved = self._collecting(sub)
        try:
            val = self._module_attr(mod, name, before)
        finally:
            self._restore(saved)
        self._replay(sub)
        self._ns_memo[key] = (val, sub)
        return val

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

    def bound_names(self, mod: ModuleV) -> list[str]:
        """Names ``mod``'s namespace may hold once imported, in source order: its binding
        events (a star import contributes its module's ``__all__``, else that module's public
        names) and the attribute patches other modules made. Each still has to be looked up
        (a guard, a ``del`` or a failed import may leave it unbound)."""
        self.imports.import_module(mod.name)  # its import-time effects (patches) ran
        return self._bound_names(mod, set())

    def _bound_names(self, mod: ModuleV, seen: set[str]) -> list[str]:
        if mod.name in seen:
            return []
        seen.add(mod.name)
        src = self.it.sources.module(mod.path)
        out: list[str] = []
        for b in src.full().bindings if src is not None else []:
            if b.handler or b.kind in ("attr", "setattr", "effect", "del"):
                continue
            if b.kind != "star":
                out.append(b.name)
                continue
            with self.quiet():
                smod = self.imports.import_module(b.module or "")
            if not isinstance(smod, ModuleV):
                continue
            ssrc = self.it.sources.module(smod.path)
            names = ssrc.all_names if ssrc is not None else None
            out.extend(names if names is not None else [
                n for n in self._bound_names(smod, seen) if not n.startswith("_")])
        out.extend(pname for pname, _, _ in self.imports.patches.get(mod.name, []))
        return list(dict.fromkeys(out))

    def dir_module(self, mod: ModuleV) -> list[str]:
        """``dir(module)``: the sorted names bound after import (submodules not imported by
        the package's own code are not attributes yet, as in Python)."""
        names = []
        for n in self.bound_names(mod):
            try:
                if self.getattr_module(mod, n) is not MISSING:
                    names.append(n)
            except (Raised, Undecidable, RecursionError):
                names.append(n)  # bound, by code the engine cannot run: Python lists it
        return sorted(set(names))

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
                continue
            self._in_progress.add(key)
            try:
                val = self._binding_value(origin, b, name)
            finally:
                self._in_progress.discard(key)
            if val is MISSING and b.kind == "del":
                return DELETED
            if val is not MISSING:
                if before is None:
                    self.binding_of[(mod.name, name)] = b
                return val
        return MISSING

    def _from_star(self, origin: ModuleV, b: Binding, name: str) -> Any:
        guard_key = (origin.name, "*", b.line)
        if guard_key in self._in_progress:
            return MISSING
        with self.quiet():
            found = self.imports.find(b.module or "")
        if not isinstance(found, ModuleV) or not self.could_provide(found, name, 0):
            return MISSING  # the text says it cannot: not imported for this question
        if not self.guard_ok(origin, b):
            return MISSING
        with self.quiet():
            smod = self.imports.import_module(b.module or "")
        if not isinstance(smod, ModuleV):
            return MISSING
        self._in_progress.add(guard_key)
        sub: list[Hop] = []
        saved = self._trace
        self._trace = sub if saved is not None else None
        try:
            val = self._star_provides(smod, name)
        finally:
            self._in_progress.discard(guard_key)
            self._trace = saved
        if val is not MISSING:
            self.hop(origin.path, b.line, f"{name} comes from star import of {b.module}")
            self._replay(sub)
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
        return self._module_attr_traced(smod, name)

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
        if val is not MISSING:
            self._replay(sub)
        return val

    def _binding_value(self, mod: ModuleV, b: Binding, name: str) -> Any:
        src = self.it.sources.module(mod.path)
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
            m = self.imports.import_module(target if b.alias else target.split(".")[0])
            if b.alias and m is not MISSING:
                m = self.imports.import_module(target)  # ``import a.b as x`` binds a.b
            if not b.alias:
                self.imports.import_module(target)
            self.hop(mod.path, b.line, f"{name} = module {target if b.alias else name}")
            return m if m is not MISSING else self._opaque(b, mod, b.expr or target)
        if b.kind == "from":
            origin = self.imports.import_module(b.module or "")
            self.hop(mod.path, b.line, f"{name} is imported from {b.module}")
            if origin is MISSING:
                return self._opaque(b, mod, b.expr or "")
            attr = b.attr or name
            if isinstance(origin, ModuleV):
                val = self.it.getattr(origin, attr, IMPORT)  # submodules included
            else:
                val = self._from_object(origin, attr)
            return self._opaque(b, mod, b.expr or "") if val is MISSING else val
        if b.kind in ("assign", "setattr", "attr"):
            self.hop(mod.path, b.line, f"{name} is assigned")
            try:
                val = self.imports.eval_text(b.expr or "", mod, b.expr_line or b.line)
            except Undecidable:
                return self._opaque(b, mod, b.expr or "")
            if b.kind == "assign" and (isinstance(val, ClassV | FunctionV)
                                       or self.it.rules.traced(self.it, val, "alias")):
                # a name bound by assignment to a class, function or traced value: the line
                # is part of the value's provenance
                val = with_hops(val, [src.hop(b.expr_line or b.line,
                                              f"module-level alias {name}")])
            return val
        return self._opaque(b, mod, b.expr or b.kind)

    def _from_object(self, origin: Value, attr: str) -> Any:
        """``from X import attr`` where ``sys.modules['X']`` is not a module (a lazy loader):
        the attribute, else (Python's ``_handle_fromlist``) the submodule named after the
        object's ``__name__``."""
        try:
            val = self.it.getattr(origin, attr, IMPORT)
        except Raised as exc:
            if exc.exc != "AttributeError":
                raise
            val = MISSING
        if val is not MISSING:
            return val
        try:
            base = self.it.getattr(origin, "__name__", IMPORT)
        except Raised:
            return MISSING
        if not (isinstance(base, Const) and isinstance(base.value, str)):
            return MISSING
        return self.imports.import_module(f"{base.value}.{attr}")

    @staticmethod
    def _opaque(b: Binding, mod: ModuleV, text: str) -> Unknown:
        return Unknown(text=text, module=mod.name, path=mod.path or "", line=b.line)

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


_PATH_MUTATION_RE = re.compile(r"__path__\s*(?:\.\s*(?:append|insert|extend)\s*\(|\+=|=(?!=))")


def _touches_path(b: Binding) -> bool:
    """Does this module-level event rebind or mutate the module's ``__path__``?"""
    if b.name == "__path__" and b.kind in ("assign", "attr", "setattr", "augassign"):
        return True
    return b.kind == "effect" and _PATH_MUTATION_RE.search(b.expr or "") is not None


def _calls_local(text: str, local_defs: set[str]) -> bool:
    """Does the statement call a function or class defined in its own module?"""
    try:
        tree = ast.parse(textwrap.dedent(text))
    except SyntaxError:
        return False
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in local_defs
        for n in ast.walk(tree)
    )


_SYS_WRITE_RE = re.compile(r"modules\[[^\]\n]*\]\s*=(?!=)|modules\.(?:setdefault|update)\(")
_ATTR_ASSIGN_RE = re.compile(r"\n([A-Za-z_]\w*)(?:\.[A-Za-z_]\w*)+[ \t]*=(?!=)")


_TOP_DEF_RE = re.compile(r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)", re.M)


def touches_other_modules(text: str) -> bool:
    """Module-level code that can patch a module or sys.modules: ``setattr(`` or
    ``a.b = ...`` at column 0 (``a`` not a function or class of this module: generated op
    modules set ``Abs.__doc__ = ...`` on their own functions), or any write into
    ``sys.modules`` (text pre-filter)."""
    if "\nsetattr(" in text or text.startswith("setattr("):
        return True
    if ("modules[" in text or "modules." in text) and _SYS_WRITE_RE.search(text):
        return True
    own: set[str] | None = None
    for m in _ATTR_ASSIGN_RE.finditer(text):
        if own is None:
            own = set(_TOP_DEF_RE.findall(text))
        if m.group(1) not in own:
            return True
    return False
