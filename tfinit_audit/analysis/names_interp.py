"""A small, lazy interpreter for import-time Python: what a module namespace holds.

Used by analysis/names.py. Module namespaces come from summaries (binding events in source
order); function bodies (lazy-loader classes, shim helpers) are interpreted with ``ast`` from the
exact source text kept in the summary. Anything it cannot know becomes ``Opaque`` -- never a
guess. Built-in knowledge is limited to generic Python semantics (``sys.modules``, ``importlib``,
package ``__path__`` lists, ``os.path`` over tree paths, ``types.ModuleType``, ``super`` and C3
method resolution, str methods) and a default environment: no environment variables
set, ``typing.TYPE_CHECKING`` false, ``try`` bodies succeed unless they raise here.
"""

from __future__ import annotations

import ast
import contextlib
import posixpath
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.summaries import (
    Binding,
    ClassInfo,
    FunctionInfo,
    ModuleSummary,
    ParseCache,
    summarize,
)
from tfinit_audit.sources.base import SourceTree


class _MissingType:
    _inst: _MissingType | None = None

    def __new__(cls) -> _MissingType:
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "<missing>"


Missing = _MissingType
MISSING = _MissingType()
DELETED = object()  # a module-level ``del name`` was the last event
DELETED_ATTR = object()


@dataclass(frozen=True)
class ModVal:
    """A module object. ``path`` is its file (or ``dir/`` for a namespace package, None when
    the module is not in the tree, e.g. ``sys``)."""

    name: str
    path: str | None

    @property
    def dir(self) -> str | None:
        if self.path is None:
            return None
        if self.path.endswith("/"):
            return self.path.rstrip("/")
        if self.path.endswith("/__init__.py"):
            return self.path[: -len("/__init__.py")]
        return None


@dataclass(eq=False)
class ClassVal:
    module: str
    path: str
    info: ClassInfo


@dataclass(eq=False)
class FuncVal:
    module: str
    path: str | None
    info: FunctionInfo
    cls: ClassVal | None = None  # defining class, for zero-argument super()


@dataclass(eq=False)
class BoundMethod:
    obj: Any
    func: FuncVal


@dataclass(eq=False)
class Inst:
    cls: ClassVal
    attrs: dict[str, Any] = field(default_factory=dict)
    created_at: tuple[str, int] | None = None


@dataclass(eq=False)
class Opaque:
    """A value the interpreter cannot know; keeps the expression and where it was."""

    expr: str
    module: str | None = None
    path: str | None = None
    line: int = 0


@dataclass(eq=False)
class Builtin:
    name: str
    fn: Callable[[list[Any], dict[str, Any]], Any]


@dataclass(eq=False)
class BuiltinClass:
    name: str  # "ModuleType", "object", "ImportError", ...


@dataclass(eq=False)
class SuperProxy:
    obj: Any
    after: ClassVal | BuiltinClass


@dataclass(eq=False)
class GlobalsVal:
    mod: ModVal


class SysModulesVal:
    pass


Value = Any


class RaiseSignal(Exception):  # noqa: N818 - it is a signal, not an error of ours
    """An exception raised by the interpreted code (e.g. a lazy loader refusing a name)."""

    def __init__(self, exc: str, message: str, path: str | None, line: int) -> None:
        super().__init__(f"{exc}: {message}")
        self.exc = exc
        self.message = message
        self.path = path
        self.line = line

    def message_line(self) -> str:
        return f"{self.exc}: {self.message}" if self.message else self.exc


class _Unknown(Exception):  # noqa: N818
    """Control flow depends on something opaque: the current call's result is opaque."""


class _Return(Exception):  # noqa: N818
    def __init__(self, value: Any) -> None:
        self.value = value


EXC_NAMES = {
    "Exception", "BaseException", "ImportError", "ModuleNotFoundError", "AttributeError",
    "NameError", "KeyError", "ValueError", "TypeError", "RuntimeError", "LookupError",
}
EXC_PARENTS = {
    "ModuleNotFoundError": "ImportError",
    "KeyError": "LookupError",
}
EXTERNAL_OK = {
    "sys", "os", "os.path", "importlib", "types", "typing", "logging", "inspect", "site",
}
STEP_BUDGET = 2_000_000


@dataclass
class _Frame:
    mod: ModVal
    path: str | None
    locals: dict[str, Any]
    cls: ClassVal | None = None
    line_offset: int = 0
    fn: bool = False  # a function body: global name lookups leave no hops


class Interpreter:
    def __init__(
        self, tree: SourceTree, cache_dir: Path | None = None, asts: ParseCache | None = None
    ) -> None:
        self.tree = tree
        self.cache_dir = cache_dir
        self.asts = asts
        self.sys_modules: dict[str, Any] = {}
        self._summaries: dict[str, ModuleSummary | None] = {}
        self._lines: dict[str, list[str]] = {}
        self._patches: dict[str, list[tuple[str, Binding, ModVal]]] = {}
        self._attr_memo: dict[tuple[str, str], tuple[Any, list[Hop]]] = {}
        self._in_progress: set[tuple[str, str, int]] = set()
        self._could_memo: dict[tuple[str, str], bool] = {}
        self._getattr_active: set[tuple[int, str]] = set()
        self._ns_memo: dict[tuple[str, str, int | None], tuple[Any, list[Hop]]] = {}
        self._guard_memo: dict[tuple[str, int, str], bool] = {}
        self._ast_memo: dict[str, ast.expr] = {}
        self._fn_ast: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self._path_memo: dict[str, list[Any]] = {}
        self._mro_memo: dict[tuple[Any, ...], list[Any] | None] = {}
        self._mro_active: set[tuple[Any, ...]] = set()
        self._path_state: dict[str, list[Any]] = {}
        self._trace: list[Hop] | None = None
        self._quiet = 0
        self._effects_of: str | None = None  # running import-system effects of this module
        self.steps = 0
        self.summarized: list[str] = []  # paths parsed or loaded, in order (for benchmarks)

    # ------------------------------------------------------------ infrastructure
    def summary(self, path: str | None) -> ModuleSummary | None:
        if path is None or path.endswith("/"):
            return None
        if path not in self._summaries:
            self._summaries[path] = summarize(self.tree, path, self.cache_dir, self.asts)
            self.summarized.append(path)
        return self._summaries[path]

    def line_text(self, path: str, line: int) -> str:
        if path not in self._lines:
            self._lines[path] = (self.tree.read_text(path) or "").splitlines()
        lines = self._lines[path]
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""

    def begin_trace(self, hops: list[Hop]) -> None:
        self._trace = hops
        self.steps = 0

    def end_trace(self) -> None:
        self._trace = None

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def hop(self, path: str | None, line: int, note: str) -> None:
        if self._trace is None or self._quiet or path is None or line <= 0:
            return
        pkg = self.tree.package_of(path) or ""
        h = Hop(pkg, path, line, self.line_text(path, line), note)
        if not self._trace or (self._trace[-1].path, self._trace[-1].line) != (path, line):
            self._trace.append(h)

    def _forget(self) -> None:
        """sys.modules changed: what names lead to may change."""
        self._attr_memo.clear()
        self._ns_memo.clear()
        self._could_memo.clear()
        self._mro_memo.clear()

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > STEP_BUDGET:
            raise _Unknown("step budget exhausted")

    # ------------------------------------------------------------ imports
    def _find_file(self, base_dirs: list[str], last: str) -> str | None:
        """PathFinder over ``base_dirs`` in order: a regular package or module in any entry
        wins over a namespace portion (PEP 420)."""
        prefixes = [f"{d}/{last}" if d else last for d in base_dirs]
        for prefix in prefixes:
            for cand in (f"{prefix}/__init__.py", f"{prefix}.py"):
                if self.tree.read_text(cand) is not None:
                    return cand
        for prefix in prefixes:
            if self.tree.exists(prefix) and self.tree.list(prefix):
                return prefix + "/"  # namespace package
        return None

    def module_dirs(self, mod: Any) -> list[str] | None:
        """Directories searched for submodules of ``mod``: its ``__path__`` (None: not a
        package). Entries outside the tree (opaque) hold nothing we can read and are skipped."""
        p: Any = None
        if isinstance(mod, ModVal):
            p = self.package_path(mod)
        elif isinstance(mod, Inst):
            try:
                p = self.getattr(mod, "__path__")
            except (RaiseSignal, _Unknown):
                return None
        if not isinstance(p, list | tuple):
            return None
        return [d for d in p if isinstance(d, str)]

    def module_dir(self, mod: Any) -> str | None:
        """First directory of ``mod``'s ``__path__`` (kept for callers of the old API)."""
        dirs = self.module_dirs(mod)
        return dirs[0] if dirs else None

    def package_path(self, mod: ModVal) -> list[Any] | None:
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
        state: list[Any] = [mod.dir]
        text = self.tree.read_text(mod.path) if mod.path.endswith(".py") else None
        s = self.summary(mod.path) if text is not None and "__path__" in text else None
        if s is None:
            self._path_memo[mod.name] = state
            return state
        self._path_state[mod.name] = state
        try:
            for b in s.bindings:
                if b.handler or not _touches_path(b):
                    continue
                try:
                    with self.quiet():
                        if self._guard_ok(mod, b):
                            self._path_event(mod, b, state)
                except (RaiseSignal, _Unknown, RecursionError, SyntaxError):
                    continue
        finally:
            del self._path_state[mod.name]
        self._path_memo[mod.name] = state
        return state

    def _path_event(self, mod: ModVal, b: Binding, state: list[Any]) -> None:
        if b.kind == "effect":
            self.exec_module_stmt(b.expr or "", mod, b.line)
            return
        if b.kind in ("attr", "setattr"):
            target = self.eval_text(b.target or "", mod, b.line)
            if not (isinstance(target, ModVal) and target.name == mod.name):
                return
        value = self.eval_text(b.expr or "", mod, b.line)
        if not isinstance(value, list | tuple):
            return
        if b.kind == "augassign":
            state.extend(value)
        elif value is not state:
            state[:] = list(value)

    def import_module(self, name: str, quiet: bool = False) -> Any:
        """What ``importlib.import_module(name)`` returns, or MISSING if it would fail."""
        if name in self.sys_modules:
            return self.sys_modules[name]
        parent, _, last = name.rpartition(".")
        if parent:
            pmod = self.import_module(parent, quiet)
            if pmod is MISSING:
                return MISSING
            if name in self.sys_modules:  # the parent's code may have registered it
                return self.sys_modules[name]
            if isinstance(pmod, ModVal) and pmod.path is None:  # outside the tree
                if name in EXTERNAL_OK:
                    mod = ModVal(name, None)
                    self.sys_modules[name] = mod
                    return mod
                return MISSING
            bases = self.module_dirs(pmod)
            if bases is None:
                return MISSING
        else:
            bases = [""]
        path = self._find_file(bases, last)
        if path is None:
            if not parent and name in EXTERNAL_OK:
                mod = ModVal(name, None)
                self.sys_modules[name] = mod
                return mod
            return MISSING
        mod = ModVal(name, path)
        self.sys_modules[name] = mod
        self._run_import_effects(mod)
        return self.sys_modules.get(name, mod)

    def _run_import_effects(self, mod: ModVal) -> None:
        """Register attribute patches and run statements that touch the import system."""
        text = self.tree.read_text(mod.path) if mod.path and mod.path.endswith(".py") else None
        if text is None or not touches_other_modules(text):
            return  # nothing in the source can patch modules: no parse needed
        s = self.summary(mod.path)
        if s is None:
            return
        local_defs = set(s.functions) | set(s.classes)
        with self.quiet():
            for b in s.bindings:
                if b.handler:
                    continue
                if b.kind in ("attr", "setattr") and b.target:
                    try:
                        if not self._guard_ok(mod, b):
                            continue
                        target = self.eval_text(b.target, mod, b.line)
                    except (RaiseSignal, _Unknown, RecursionError):
                        continue
                    if isinstance(target, ModVal):
                        self._patches.setdefault(target.name, []).append((b.name, b, mod))
                elif b.kind == "effect" and b.expr:
                    text = b.expr
                    # only statements that write sys.modules (directly or through a helper
                    # defined in this module whose code writes it) change what imports find
                    writers = {
                        n for n in local_defs
                        if _SYS_WRITE_RE.search(
                            s.functions[n].source if n in s.functions
                            else "".join(m.source for m in s.classes[n].methods.values())
                        )
                    }
                    if not _SYS_WRITE_RE.search(text) and not _calls_local(text, writers):
                        continue
                    saved = self._effects_of
                    self._effects_of = mod.name
                    try:
                        if not self._guard_ok(mod, b):
                            continue
                        self.exec_module_stmt(text, mod, b.line)
                    except (RaiseSignal, _Unknown, RecursionError, SyntaxError):
                        continue
                    finally:
                        self._effects_of = saved

    # ------------------------------------------------------------ module namespaces
    def _guard_ok(self, mod: ModVal, b: Binding) -> bool:
        if not b.guard:
            return True
        gk = (mod.name, b.line, b.guard)
        if gk in self._guard_memo:
            return self._guard_memo[gk]
        self._guard_memo[gk] = ok = self._guard_eval(mod, b)
        return ok

    def _guard_eval(self, mod: ModVal, b: Binding) -> bool:
        assert b.guard is not None
        try:
            with self.quiet():
                v = self.eval_text(b.guard, mod, b.line)
        except (RaiseSignal, _Unknown, SyntaxError):
            return True
        if isinstance(v, Opaque | Inst | ModVal | ClassVal | FuncVal):
            return True
        return bool(v)

    def getattr_module(self, mod: ModVal, attr: str) -> Any:
        key = (mod.name, attr)
        if key in self._attr_memo:
            val, hops = self._attr_memo[key]
            if self._trace is not None and not self._quiet:
                for h in hops:
                    self.hop(h.path, h.line, h.note)
            return val
        if mod.path is None:
            return self._external_attr(mod, attr)
        if attr == "__dict__":
            return Opaque(f"{mod.name}.__dict__", mod.name, mod.path)
        if attr == "__path__":
            p = self.package_path(mod)
            return MISSING if p is None else p
        if attr == "__file__":
            return mod.path if mod.path.endswith(".py") else None
        sub: list[Hop] = []
        saved = self._trace
        self._trace = sub if not self._quiet else saved
        try:
            val = self._module_attr(mod, attr, None)
            if val is DELETED:
                val = DELETED_ATTR  # `del name` at module level: no submodule fallback
            if val is MISSING and attr == "__name__":
                val = mod.name
            if val is MISSING:
                with self.quiet():
                    sm = self.import_module(f"{mod.name}.{attr}")
                if sm is not MISSING:
                    val = sm
                    if isinstance(sm, ModVal) and sm.path:
                        self.hop(sm.path, 1, f"submodule {mod.name}.{attr}")
        finally:
            self._trace = saved
        if val is DELETED_ATTR:
            val = MISSING
        if saved is not None and not self._quiet:
            for h in sub:
                self.hop(h.path, h.line, h.note)
        self._attr_memo[key] = (val, sub)
        return val

    def _candidates(
        self, mod: ModVal, s: ModuleSummary, name: str
    ) -> list[tuple[int, int, Binding, ModVal]]:
        """(order, line, binding, defining module) events that may bind ``name`` in ``mod``."""
        out: list[tuple[int, int, Binding, ModVal]] = []
        for b in s.bindings:
            if b.handler:
                continue
            if b.kind == "star" or (b.name == name and b.kind not in ("attr", "setattr", "effect")):
                out.append((0, b.line, b, mod))
        for pname, b, src in self._patches.get(mod.name, []):
            if pname == name:
                out.append((0 if src.name == mod.name else 1, b.line, b, src))
        out.sort(key=lambda t: (t[0], t[1]))
        return out

    def _module_attr(self, mod: ModVal, name: str, before: int | None) -> Any:
        """Memoized: the value ``name`` has in ``mod`` (bindings before line ``before``)."""
        key = (mod.name, name, before)
        hit = self._ns_memo.get(key)
        if hit is not None:
            val, hops = hit
            for h in hops:
                self.hop(h.path, h.line, h.note)
            return val
        saved = self._trace
        sub: list[Hop] = []
        self._trace = sub if saved is not None and not self._quiet else saved
        try:
            val = self._module_attr_uncached(mod, name, before)
        finally:
            self._trace = saved
        if saved is not None and not self._quiet:
            for h in sub:
                self.hop(h.path, h.line, h.note)
        self._ns_memo[key] = (val, sub)
        return val

    def _module_attr_uncached(self, mod: ModVal, name: str, before: int | None) -> Any:
        s = self.summary(mod.path)
        if s is None:
            return MISSING
        cands = self._candidates(mod, s, name)
        for order, line, b, src in reversed(cands):
            if before is not None and (order > 0 or line >= before):
                continue
            guard_key = (src.name, b.name or "*", b.line)
            if b.kind == "star":
                if guard_key in self._in_progress:
                    continue
                with self.quiet():
                    smod = self.import_module(b.module or "")
                if not isinstance(smod, ModVal) or not self._could_provide(smod, name, 0):
                    continue
                if not self._guard_ok(src, b):
                    continue
                self._in_progress.add(guard_key)
                saved = self._trace
                sub: list[Hop] = []
                self._trace = sub if saved is not None else None
                try:
                    val = self._star_provides(b, name)
                finally:
                    self._in_progress.discard(guard_key)
                    self._trace = saved
                if val is not MISSING:
                    self.hop(src.path, b.line, f"{name} comes from star import of {b.module}")
                    if saved is not None and not self._quiet:
                        for h in sub:
                            self.hop(h.path, h.line, h.note)
                    return val
                continue
            if not self._guard_ok(src, b):
                continue
            key = (src.name, name, b.line)
            if key in self._in_progress:
                continue
            self._in_progress.add(key)
            try:
                val = self._binding_value(src, b, name)
            finally:
                self._in_progress.discard(key)
            if val is MISSING and b.kind == "del":
                return DELETED
            if val is not MISSING:
                return val
        return MISSING

    def _star_provides(self, b: Binding, name: str) -> Any:
        with self.quiet():
            smod = self.import_module(b.module or "")
        if not isinstance(smod, ModVal):
            return MISSING
        if not self._could_provide(smod, name, 0):
            return MISSING
        ss = self.summary(smod.path)
        if ss is not None and ss.all_names is not None:
            if name not in ss.all_names:
                return MISSING
            return self.getattr_module(smod, name)
        if name.startswith("_"):
            return MISSING
        if ss is None:
            return MISSING
        val = self._module_attr_traced(smod, name)
        return val

    def _could_provide(self, mod: ModVal, name: str, depth: int) -> bool:
        """Text-only check (no parse): can ``mod`` or its star imports bind ``name``?"""
        key = (mod.name, name)
        if key in self._could_memo:
            return self._could_memo[key]
        self._could_memo[key] = True  # cycles: assume yes
        text = self.tree.read_text(mod.path) if mod.path and mod.path.endswith(".py") else None
        if text is None or depth > 20:
            return True
        result = may_bind(text, name)
        if not result and "import *" in text:
            for m in _STAR_RE.finditer(text):
                dots, modname = m.group(1), m.group(2) or ""
                if dots:
                    pkg = mod.name if mod.path and mod.path.endswith("__init__.py") else (
                        mod.name.rpartition(".")[0])
                    base = pkg.split(".")
                    if len(dots) > 1:
                        base = base[: len(base) - (len(dots) - 1)]
                    modname = ".".join([*base, *([modname] if modname else [])])
                with self.quiet():
                    sub = self.import_module(modname)
                if not isinstance(sub, ModVal) or self._could_provide(sub, name, depth + 1):
                    result = True
                    break
        self._could_memo[key] = result
        return result

    def _module_attr_traced(self, mod: ModVal, name: str) -> Any:
        key = (mod.name, name)
        if key in self._attr_memo:
            val, hops = self._attr_memo[key]
            if isinstance(val, ModVal) and hops and hops[-1].note.startswith("submodule"):
                return MISSING  # star import without __all__ copies bound names only
            return self.getattr_module(mod, name)
        saved = self._trace
        sub: list[Hop] = []
        self._trace = sub if not self._quiet else saved
        try:
            val = self._module_attr(mod, name, None)
        finally:
            self._trace = saved
        if val is DELETED:
            val = MISSING
        if val is not MISSING and saved is not None and not self._quiet:
            for h in sub:
                self.hop(h.path, h.line, h.note)
        return val

    def _binding_value(self, mod: ModVal, b: Binding, name: str) -> Any:
        if b.kind == "del":
            return MISSING
        if b.kind == "class":
            s = self.summary(mod.path)
            assert s is not None and mod.path is not None
            return ClassVal(mod.name, mod.path, s.classes[name])
        if b.kind == "def":
            s = self.summary(mod.path)
            assert s is not None
            return FuncVal(mod.name, mod.path, s.functions[name])
        if b.kind == "import":
            target = b.module or ""
            m = self.import_module(target if b.alias else target.split(".")[0])
            if b.alias and m is not MISSING:
                # ``import a.b as x`` binds the attribute chain a.b
                m = self.import_module(target)
            if not b.alias:
                self.import_module(target)
            self.hop(mod.path, b.line, f"{name} = module {target if b.alias else name}")
            return m if m is not MISSING else Opaque(b.expr or target, mod.name, mod.path, b.line)
        if b.kind == "from":
            src = self.import_module(b.module or "")
            self.hop(mod.path, b.line, f"{name} is imported from {b.module}")
            if src is MISSING:
                return Opaque(b.expr or "", mod.name, mod.path, b.line)
            val = self.getattr(src, b.attr or name)
            if val is MISSING:
                return Opaque(b.expr or "", mod.name, mod.path, b.line)
            return val
        if b.kind in ("assign", "setattr", "attr"):
            self.hop(mod.path, b.line, f"{name} is assigned")
            try:
                return self.eval_text(b.expr or "", mod, b.line)
            except _Unknown:
                return Opaque(b.expr or "", mod.name, mod.path, b.line)
        return Opaque(b.expr or b.kind, mod.name, mod.path, b.line)

    def lookup_global(self, mod: ModVal, name: str, before: int | None = None) -> Any:
        if name == "__name__":
            return mod.name
        if name == "__file__":
            return mod.path
        if name == "__path__" and mod.path is not None:
            p = self.package_path(mod)
            if p is not None:
                return p
        if mod.path is not None:
            val = self._module_attr(mod, name, before)
            if val is DELETED:
                return MISSING
            if val is not MISSING:
                return val
        b = self._builtin(name)
        if b is not MISSING:
            return b
        return MISSING

    def _external_attr(self, mod: ModVal, attr: str) -> Any:
        n = f"{mod.name}.{attr}"
        table: dict[str, Any] = {
            "sys.modules": SysModulesVal(),
            "os.environ": {},
            "os.getenv": Builtin(
                "os.getenv", lambda a, k: a[1] if len(a) > 1 else k.get("default")
            ),
            "importlib.import_module": Builtin("importlib.import_module", self._bi_import_module),
            "types.ModuleType": BuiltinClass("ModuleType"),
            "os.path": self.import_module("os.path"),
            **{f"os.path.{f}": Builtin(f"os.path.{f}", self._os_path(f))
               for f in ("dirname", "basename", "join", "abspath", "normpath", "realpath",
                         "exists", "isdir", "isfile")},
            "typing.TYPE_CHECKING": False,
        }
        if n in table:
            return table[n]
        return Opaque(n, mod.name)

    # ------------------------------------------------------------ attributes of values
    def getattr(self, obj: Any, attr: str) -> Any:
        self._tick()
        if isinstance(obj, ModVal):
            return self.getattr_module(obj, attr)
        if isinstance(obj, Inst):
            return self._inst_attr(obj, attr)
        if isinstance(obj, ClassVal):
            found = self._class_attr(obj, attr)
            return MISSING if found is None else found[0]
        if isinstance(obj, SuperProxy):
            mro = self.mro(obj.obj.cls) if isinstance(obj.obj, Inst) else []
            after = False
            for c in mro:
                if after:
                    if isinstance(c, BuiltinClass):
                        if c.name == "ModuleType" and attr == "__init__":
                            return Builtin("ModuleType.__init__", self._module_type_init(obj.obj))
                        continue
                    own = self._own_class_attr(c, attr)
                    if own is not None:
                        return BoundMethod(obj.obj, own) if isinstance(own, FuncVal) else own
                if (isinstance(c, ClassVal) and isinstance(obj.after, ClassVal)
                        and c.info is obj.after.info) or c is obj.after or (
                        isinstance(c, BuiltinClass) and isinstance(obj.after, BuiltinClass)
                        and c.name == obj.after.name):
                    after = True
            return self._object_method(obj.obj, attr)
        if isinstance(obj, Opaque):
            return Opaque(f"{obj.expr}.{attr}", obj.module, obj.path, obj.line)
        if isinstance(obj, SysModulesVal):
            return Builtin(f"sys.modules.{attr}", self._sysmod_method(attr))
        if isinstance(obj, GlobalsVal):
            return Opaque(f"globals().{attr}")
        if isinstance(obj, str | int | float | list | tuple | dict | bool) or obj is None:
            try:
                v = getattr(obj, attr)
            except AttributeError:
                return MISSING
            if callable(v):
                return Builtin(f"{type(obj).__name__}.{attr}", _py_method(v))
            return v
        return Opaque(f"{obj!r}.{attr}")

    def _object_method(self, obj: Any, attr: str) -> Any:
        """Methods of ``object`` reached through super(): plain attribute storage."""
        if not isinstance(obj, Inst):
            return Opaque(f"object.{attr}")

        def setattr_(a: list[Any], k: dict[str, Any]) -> None:
            if isinstance(a[0], str):
                obj.attrs[a[0]] = a[1]

        def getattribute(a: list[Any], k: dict[str, Any]) -> Any:
            if isinstance(a[0], str) and a[0] in obj.attrs:
                return obj.attrs[a[0]]
            raise RaiseSignal("AttributeError", f"no attribute {a[0]!r}", None, 0)

        def delattr_(a: list[Any], k: dict[str, Any]) -> None:
            if isinstance(a[0], str):
                obj.attrs.pop(a[0], None)

        table: dict[str, Callable[[list[Any], dict[str, Any]], Any]] = {
            "__init__": lambda a, k: None,
            "__setattr__": setattr_,
            "__getattribute__": getattribute,
            "__delattr__": delattr_,
        }
        if attr in table:
            return Builtin(f"object.{attr}", table[attr])
        return MISSING

    def _own_class_attr(self, c: ClassVal, attr: str) -> Any:
        info = c.info
        if attr in info.methods:
            return FuncVal(c.module, c.path, info.methods[attr], c)
        if attr in info.attrs:
            expr, line = info.attrs[attr]
            mod = ModVal(c.module, c.path)
            try:
                return self.eval_text(expr, mod, line)
            except _Unknown:
                return Opaque(expr, c.module, c.path, line)
        return None

    def _class_attr(self, cls: ClassVal, attr: str) -> tuple[Any, ClassVal] | None:
        for c in self.mro(cls):
            if isinstance(c, ClassVal):
                own = self._own_class_attr(c, attr)
                if own is not None:
                    return own, c
        return None

    def class_bases(self, c: ClassVal) -> list[Any]:
        """The bases of ``c`` as values, each evaluated in the defining module at the ``class``
        line; a base that cannot be followed is an ``Opaque`` carrying the text as written.
        No bases means ``object`` (Python 3 semantics, also what TF's ``(object)`` spells)."""
        mod = ModVal(c.module, c.path)
        out: list[Any] = []
        for btxt in c.info.bases:
            try:
                with self.quiet():
                    bv = self.eval_text(btxt, mod, c.info.line)
            except (_Unknown, RaiseSignal, SyntaxError, RecursionError):
                bv = None
            if not isinstance(bv, ClassVal | BuiltinClass):
                bv = Opaque(btxt, c.module, c.path, c.info.line)
            out.append(bv)
        return out or [BuiltinClass("object")]

    def c3_mro(self, cls: ClassVal | BuiltinClass | Opaque) -> list[Any] | None:
        """Python's C3 linearization of ``cls`` (``cls.__mro__``), bases resolved across
        modules. Opaque bases stay in the list as opaque entries with unknown ancestry.
        None when no consistent order exists (Python raises TypeError creating the class)."""
        key = _class_key(cls)
        if key in self._mro_memo:
            return self._mro_memo[key]
        if isinstance(cls, Opaque):
            return [cls]
        if isinstance(cls, BuiltinClass):
            return [cls] if cls.name == "object" else [cls, BuiltinClass("object")]
        if key in self._mro_active:  # a cycle Python could never build: no order
            return None
        self._mro_active.add(key)
        try:
            bases = self.class_bases(cls)
            seqs: list[list[Any]] = []
            for b in bases:
                sub = self.c3_mro(b)
                if sub is None:
                    self._mro_memo[key] = None
                    return None
                seqs.append(list(sub))
            seqs.append(list(bases))
            result = _c3_merge([cls], seqs)
        finally:
            self._mro_active.discard(key)
        self._mro_memo[key] = result
        return result

    def mro(self, cls: ClassVal) -> list[Any]:
        """``cls.__mro__`` for attribute lookup: C3 (see ``c3_mro``); when Python would refuse
        the class, the bases in depth-first order so lookups still see something."""
        order = self.c3_mro(cls)
        if order is not None:
            return order
        out: list[Any] = []
        seen: set[tuple[Any, ...]] = set()

        def visit(c: Any, depth: int) -> None:
            k = _class_key(c)
            if k in seen or depth > 30:
                return
            seen.add(k)
            out.append(c)
            if isinstance(c, ClassVal):
                for b in self.class_bases(c):
                    visit(b, depth + 1)

        visit(cls, 0)
        return out

    def _inst_attr(self, obj: Inst, attr: str) -> Any:
        if attr in obj.attrs:
            return obj.attrs[attr]
        if attr == "__dict__":
            return Opaque(f"{obj.cls.info.name}().__dict__")
        found = self._class_attr(obj.cls, attr)
        if found is not None:
            val, _ = found
            return BoundMethod(obj, val) if isinstance(val, FuncVal) else val
        ga = self._class_attr(obj.cls, "__getattr__")
        if ga is not None and isinstance(ga[0], FuncVal):
            key = (id(obj), attr)
            if key in self._getattr_active:
                raise _Unknown(f"recursive __getattr__({attr!r})")
            self._getattr_active.add(key)
            try:
                return self.call(BoundMethod(obj, ga[0]), [attr], {})
            finally:
                self._getattr_active.discard(key)
        return MISSING

    def _module_type_init(self, obj: Any) -> Callable[[list[Any], dict[str, Any]], Any]:
        def init(a: list[Any], k: dict[str, Any]) -> None:
            if isinstance(obj, Inst) and a:
                obj.attrs["__name__"] = a[0]

        return init

    def _sysmod_method(self, attr: str) -> Callable[[list[Any], dict[str, Any]], Any]:
        def setdefault(a: list[Any], k: dict[str, Any]) -> Any:
            key, val = a[0], a[1] if len(a) > 1 else None
            if not isinstance(key, str):
                raise _Unknown("sys.modules key")
            if key not in self.sys_modules:
                self.sys_modules[key] = val
                self._forget()
            return self.sys_modules[key]

        def get(a: list[Any], k: dict[str, Any]) -> Any:
            if isinstance(a[0], str):
                return self.sys_modules.get(a[0], a[1] if len(a) > 1 else None)
            raise _Unknown("sys.modules.get")

        table = {"setdefault": setdefault, "get": get}
        if attr in table:
            return table[attr]

        def unknown(a: list[Any], k: dict[str, Any]) -> Any:
            raise _Unknown(f"sys.modules.{attr}")

        return unknown

    def _os_path(self, fn: str) -> Callable[[list[Any], dict[str, Any]], Any]:
        """``os.path`` over tree paths: the tree root stands for the install directory, so
        ``abspath`` is ``normpath`` inside it; a path that is not a known string is opaque."""

        def call(a: list[Any], k: dict[str, Any]) -> Any:
            if not a or not all(isinstance(x, str) for x in a) or k:
                return Opaque(f"os.path.{fn}(...)")
            if fn == "join":
                return posixpath.join(*a)
            p = a[0]
            if fn in ("abspath", "normpath", "realpath"):
                n = posixpath.normpath(p)
                return "" if n == "." else n
            if fn == "dirname":
                return posixpath.dirname(p)
            if fn == "basename":
                return posixpath.basename(p)
            n = posixpath.normpath(p)
            if fn == "isdir":
                return bool(self.tree.list(n))
            if fn == "isfile":
                return self.tree.read_text(n) is not None
            return self.tree.exists(n)

        return call

    def _bi_import_module(self, a: list[Any], k: dict[str, Any]) -> Any:
        name = a[0] if a else k.get("name")
        if not isinstance(name, str):
            raise _Unknown("import_module of an unknown name")
        if name.startswith("."):
            raise _Unknown("relative import_module")
        m = self.import_module(name)
        if m is MISSING:
            # the module may come from a distribution outside the tree: "cannot follow",
            # not "unavailable"
            raise _Unknown(f"importlib.import_module({name!r}) not found in the tree")
        return m

    # ------------------------------------------------------------ builtins
    def _builtin(self, name: str) -> Any:
        if name in EXC_NAMES:
            return BuiltinClass(name)
        if name == "object":
            return BuiltinClass("object")
        fns: dict[str, Callable[[list[Any], dict[str, Any]], Any]] = {
            "setattr": self._bi_setattr,
            "getattr": self._bi_getattr,
            "hasattr": self._bi_hasattr,
            "isinstance": self._bi_isinstance,
            "len": lambda a, k: _known(len, a),
            "str": lambda a, k: _known(str, a) if a else "",
            "list": lambda a, k: _known(list, a) if a else [],
            "tuple": lambda a, k: _known(tuple, a) if a else (),
            "dict": lambda a, k: dict(*a, **k) if all(_is_plain(x) for x in a) else _unk(),
            "bool": lambda a, k: _known(bool, a),
            "any": lambda a, k: _known(any, a),
            "all": lambda a, k: _known(all, a),
            "sorted": lambda a, k: _known(sorted, a),
            "print": lambda a, k: None,
        }
        if name in fns:
            return Builtin(name, fns[name])
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        return MISSING

    def _bi_setattr(self, a: list[Any], k: dict[str, Any]) -> None:
        obj, name, val = a
        if isinstance(obj, Inst) and isinstance(name, str):
            obj.attrs[name] = val
        # setattr on a module at import time is recorded as a binding by the summary

    def _bi_getattr(self, a: list[Any], k: dict[str, Any]) -> Any:
        if not isinstance(a[1], str):
            raise _Unknown("getattr with unknown name")
        v = self.getattr(a[0], a[1])
        if v is MISSING:
            if len(a) > 2:
                return a[2]
            raise RaiseSignal("AttributeError", f"no attribute {a[1]!r}", None, 0)
        return v

    def _bi_hasattr(self, a: list[Any], k: dict[str, Any]) -> Any:
        if not isinstance(a[1], str):
            raise _Unknown("hasattr")
        try:
            return self.getattr(a[0], a[1]) is not MISSING
        except RaiseSignal:
            return False

    def _bi_isinstance(self, a: list[Any], k: dict[str, Any]) -> Any:
        obj, typ = a
        if isinstance(obj, Inst) and isinstance(typ, ClassVal):
            return any(c is typ or (isinstance(c, ClassVal) and c.info is typ.info)
                       for c in self.mro(obj.cls))
        if isinstance(typ, BuiltinClass) and typ.name in ("str", "int"):
            return isinstance(obj, str if typ.name == "str" else int)
        return Opaque("isinstance(...)")

    # ------------------------------------------------------------ evaluation
    def eval_text(self, text: str, mod: ModVal, line: int) -> Any:
        node = self._ast_memo.get(text)
        if node is None:
            node = self._ast_memo[text] = ast.parse(text.strip(), mode="eval").body
        frame = _Frame(mod, mod.path, {}, None, line - 1)
        return self.eval(node, frame, before=line)

    def exec_module_stmt(self, text: str, mod: ModVal, line: int) -> None:
        tree = ast.parse(text)
        frame = _Frame(mod, mod.path, {}, None, line - 1)
        with contextlib.suppress(_Return):
            self._exec_block(tree.body, frame, module_level=True, before=line)

    def _lookup(self, name: str, frame: _Frame, before: int | None) -> Any:
        if name in frame.locals:
            return frame.locals[name]
        if frame.fn:
            with self.quiet():
                val = self.lookup_global(frame.mod, name, before)
        else:
            val = self.lookup_global(frame.mod, name, before)
        if val is MISSING:
            raise RaiseSignal("NameError", f"name '{name}' is not defined", frame.path, 0)
        return val

    def eval(self, node: ast.expr, frame: _Frame, before: int | None = None) -> Any:
        self._tick()
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._lookup(node.id, frame, before)
        if isinstance(node, ast.Attribute):
            base = self.eval(node.value, frame, before)
            v = self.getattr(base, node.attr)
            if v is MISSING:
                raise RaiseSignal(
                    "AttributeError", f"no attribute {node.attr!r}", frame.path,
                    node.lineno + frame.line_offset,
                )
            return v
        if isinstance(node, ast.Call):
            return self._eval_call(node, frame, before)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue):
                    x = self.eval(v.value, frame, before)
                    if not _is_plain(x):
                        raise _Unknown("f-string of an opaque value")
                    if v.conversion == ord("r"):
                        x = repr(x)
                    spec = ""
                    if v.format_spec is not None:
                        spec = self.eval(v.format_spec, frame, before)
                    parts.append(format(x, spec))
            return "".join(parts)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.eval(e, frame, before) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Dict):
            out = {}
            for kn, vn in zip(node.keys, node.values, strict=True):
                if kn is None:
                    raise _Unknown("dict unpacking")
                key = self.eval(kn, frame, before)
                if not _hashable(key):
                    raise _Unknown("dict key")
                out[key] = self.eval(vn, frame, before)
            return out
        if isinstance(node, ast.BoolOp):
            val: Any = None
            for i, e in enumerate(node.values):
                val = self.eval(e, frame, before)
                if _opaque(val):
                    raise _Unknown("boolean of an opaque value")
                truth = bool(val)
                if isinstance(node.op, ast.And) and not truth:
                    return val
                if isinstance(node.op, ast.Or) and truth:
                    return val
                _ = i
            return val
        if isinstance(node, ast.UnaryOp):
            v = self.eval(node.operand, frame, before)
            if isinstance(node.op, ast.Not):
                if _opaque(v):
                    return Opaque("not ...")
                return not v
            if _is_plain(v):
                return {ast.USub: lambda x: -x, ast.UAdd: lambda x: +x}.get(
                    type(node.op), lambda x: _unk()
                )(v)
            raise _Unknown("unary op")
        if isinstance(node, ast.BinOp):
            lft = self.eval(node.left, frame, before)
            rgt = self.eval(node.right, frame, before)
            if not (_is_plain(lft) and _is_plain(rgt)):
                raise _Unknown("binary op on opaque values")
            ops: dict[type, Callable[[Any, Any], Any]] = {
                ast.Add: lambda x, y: x + y, ast.Sub: lambda x, y: x - y,
                ast.Mult: lambda x, y: x * y, ast.Mod: lambda x, y: x % y,
                ast.Div: lambda x, y: x / y, ast.FloorDiv: lambda x, y: x // y,
            }
            fn = ops.get(type(node.op))
            if fn is None:
                raise _Unknown("binary op")
            try:
                return fn(lft, rgt)
            except Exception as exc:  # noqa: BLE001
                raise _Unknown(str(exc)) from None
        if isinstance(node, ast.Compare):
            left = self.eval(node.left, frame, before)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = self.eval(comp, frame, before)
                r = self._compare(op, left, right)
                if isinstance(r, Opaque):
                    return r
                if not r:
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            t = self.eval(node.test, frame, before)
            if _opaque(t):
                raise _Unknown("conditional on opaque value")
            return self.eval(node.body if t else node.orelse, frame, before)
        if isinstance(node, ast.Subscript):
            base = self.eval(node.value, frame, before)
            idx = self.eval(node.slice, frame, before)
            if isinstance(base, SysModulesVal):
                if isinstance(idx, str) and idx in self.sys_modules:
                    return self.sys_modules[idx]
                if isinstance(idx, str):
                    raise RaiseSignal("KeyError", repr(idx), frame.path, 0)
            if isinstance(base, list | tuple | dict | str) and _hashable(idx):
                try:
                    return base[idx]
                except (KeyError, IndexError, TypeError):
                    raise RaiseSignal("KeyError", repr(idx), frame.path, 0) from None
            if isinstance(base, GlobalsVal) and isinstance(idx, str):
                return self._lookup(idx, _Frame(base.mod, base.mod.path, {}), None)
            raise _Unknown("subscript")
        raise _Unknown(type(node).__name__)

    def _compare(self, op: ast.cmpop, left: Any, right: Any) -> Any:
        if isinstance(op, ast.In | ast.NotIn):
            if isinstance(right, SysModulesVal):
                if not isinstance(left, str):
                    return Opaque("in sys.modules")
                r = left in self.sys_modules
            elif isinstance(right, list | tuple | dict | str | set) and _hashable(left):
                if _opaque(left):
                    return Opaque("in")
                r = left in right
            else:
                return Opaque("in")
            return r if isinstance(op, ast.In) else not r
        if isinstance(op, ast.Is | ast.IsNot):
            if _is_plain(left) and _is_plain(right):
                r = left is right
            elif left is right:
                r = True
            else:
                return Opaque("is")
            return r if isinstance(op, ast.Is) else not r
        if not (_is_plain(left) and _is_plain(right)):
            return Opaque("compare")
        table: dict[type, Callable[[Any, Any], bool]] = {
            ast.Eq: lambda x, y: x == y, ast.NotEq: lambda x, y: x != y,
            ast.Lt: lambda x, y: x < y, ast.LtE: lambda x, y: x <= y,
            ast.Gt: lambda x, y: x > y, ast.GtE: lambda x, y: x >= y,
        }
        fn = table.get(type(op))
        if fn is None:
            return Opaque("compare")
        try:
            return fn(left, right)
        except TypeError:
            return Opaque("compare")

    def _eval_call(self, node: ast.Call, frame: _Frame, before: int | None) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id == "globals" and not node.args:
            return GlobalsVal(frame.mod)
        if isinstance(node.func, ast.Name) and node.func.id == "super":
            if node.args:
                cls = self.eval(node.args[0], frame, before)
                obj = self.eval(node.args[1], frame, before)
            else:
                cls, obj = frame.cls, frame.locals.get("self")
            if not isinstance(cls, ClassVal | BuiltinClass):
                raise _Unknown("super() outside a known class")
            return SuperProxy(obj, cls)
        fn = self.eval(node.func, frame, before)
        args: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                v = self.eval(a.value, frame, before)
                if not isinstance(v, list | tuple):
                    raise _Unknown("*args")
                args.extend(v)
            else:
                args.append(self.eval(a, frame, before))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                v = self.eval(kw.value, frame, before)
                if not isinstance(v, dict):
                    raise _Unknown("**kwargs")
                kwargs.update(v)
            else:
                kwargs[kw.arg] = self.eval(kw.value, frame, before)
        site = (frame.path or "", node.lineno + frame.line_offset)
        if isinstance(fn, Builtin) and fn.name == "importlib.import_module":
            name = args[0] if args else kwargs.get("name")
            self.hop(frame.path, site[1], f"imports module {name}")
        return self.call(fn, args, kwargs, site)

    def call(self, fn: Any, args: list[Any], kwargs: dict[str, Any],
             site: tuple[str, int] | None = None) -> Any:
        self._tick()
        if isinstance(fn, Builtin):
            try:
                return fn.fn(args, kwargs)
            except (RaiseSignal, _Unknown, _Return):
                raise
            except Exception as exc:  # noqa: BLE001 - a builtin misused by our model
                raise _Unknown(f"{fn.name}: {exc}") from None
        if (
            self._effects_of is not None
            and isinstance(fn, FuncVal | ClassVal | BoundMethod)
            and (fn.func.module if isinstance(fn, BoundMethod) else fn.module) != self._effects_of
        ):
            # import-system effects only run code of the module being imported
            return Opaque("call during import effects")
        if isinstance(fn, BoundMethod):
            f = fn.func
            return self._call_function(f, [fn.obj, *args], kwargs)
        if isinstance(fn, FuncVal):
            return self._call_function(fn, args, kwargs)
        if isinstance(fn, ClassVal):
            inst = Inst(fn, {}, site)
            init = self._class_attr(fn, "__init__")
            if init is not None and isinstance(init[0], FuncVal):
                self._call_function(init[0], [inst, *args], kwargs)
            elif any(isinstance(c, BuiltinClass) and c.name == "ModuleType"
                     for c in self.mro(fn)) and args:
                inst.attrs["__name__"] = args[0]
            return inst
        if isinstance(fn, BuiltinClass):
            if fn.name in EXC_NAMES:
                msg = args[0] if args and isinstance(args[0], str) else ""
                return ("__exc__", fn.name, msg)
            return Opaque(f"{fn.name}(...)")
        if isinstance(fn, Opaque):
            return Opaque(f"{fn.expr}(...)", fn.module, fn.path, fn.line)
        raise _Unknown(f"call of {fn!r}")

    def _fn_node(self, info: FunctionInfo) -> ast.FunctionDef | ast.AsyncFunctionDef:
        key = id(info)
        if key not in self._fn_ast:
            src = textwrap.dedent(info.source)
            mod = ast.parse(src)
            node = next(
                n for n in mod.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            )
            self._fn_ast[key] = node
        return self._fn_ast[key]

    def _call_function(self, f: FuncVal, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if f.path is None:
            return Opaque(f.info.qualname + "(...)")
        node = self._fn_node(f.info)
        mod = ModVal(f.module, f.path)
        frame = _Frame(mod, f.path, {}, f.cls, f.info.line - 1, fn=True)
        a = node.args
        positional = [*a.posonlyargs, *a.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
        defaults += list(a.defaults)
        for i, p in enumerate(positional):
            if i < len(args):
                frame.locals[p.arg] = args[i]
            elif p.arg in kwargs:
                frame.locals[p.arg] = kwargs.pop(p.arg)
            elif (dflt := defaults[i]) is not None:
                frame.locals[p.arg] = self.eval(dflt, _Frame(mod, f.path, {}))
            else:
                frame.locals[p.arg] = Opaque(p.arg)
        if a.vararg is not None:
            frame.locals[a.vararg.arg] = tuple(args[len(positional):])
        for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
            if p.arg in kwargs:
                frame.locals[p.arg] = kwargs.pop(p.arg)
            elif d is not None:
                frame.locals[p.arg] = self.eval(d, _Frame(mod, f.path, {}))
            else:
                frame.locals[p.arg] = Opaque(p.arg)
        if a.kwarg is not None:
            frame.locals[a.kwarg.arg] = dict(kwargs)
        try:
            self._exec_block(node.body, frame)
        except _Return as r:
            return r.value
        except _Unknown:
            return Opaque(f"{f.info.qualname}(...)", f.module, f.path, f.info.def_line)
        return None

    # ------------------------------------------------------------ statements
    def _exec_block(self, body: list[ast.stmt], frame: _Frame, module_level: bool = False,
                    before: int | None = None) -> None:
        for st in body:
            self._exec(st, frame, module_level, before)

    def _assign(self, target: ast.expr, value: Any, frame: _Frame, module_level: bool,
                before: int | None) -> None:
        if isinstance(target, ast.Name):
            if module_level:
                return  # module-level names are read from the summary's bindings
            frame.locals[target.id] = value
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, frame, before)
            if isinstance(obj, Inst):
                hook = self._class_attr(obj.cls, "__setattr__")
                if hook is not None and isinstance(hook[0], FuncVal):
                    self.call(BoundMethod(obj, hook[0]), [target.attr, value], {})
                else:
                    obj.attrs[target.attr] = value
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, frame, before)
            key = self.eval(target.slice, frame, before)
            if isinstance(obj, SysModulesVal) and isinstance(key, str):
                if not _opaque(value) and not isinstance(value, Opaque):
                    self.sys_modules[key] = value
                    self._forget()
            elif (isinstance(obj, dict) and _hashable(key)) or (
                isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj)
            ):
                obj[key] = value
            # globals()[x] = ... and others: no effect on what the summaries say
        elif isinstance(target, ast.Tuple | ast.List):
            if isinstance(value, list | tuple) and len(value) == len(target.elts):
                for t, v in zip(target.elts, value, strict=True):
                    self._assign(t, v, frame, module_level, before)
            else:
                for t in target.elts:
                    self._assign(t, Opaque("unpack"), frame, module_level, before)

    def _exec(self, st: ast.stmt, frame: _Frame, module_level: bool, before: int | None) -> None:
        self._tick()
        line = st.lineno + frame.line_offset
        if isinstance(st, ast.Expr):
            self.eval(st.value, frame, before)
        elif isinstance(st, ast.Assign):
            v = self.eval(st.value, frame, before)
            for t in st.targets:
                self._assign(t, v, frame, module_level, before)
        elif isinstance(st, ast.AnnAssign) and st.value is not None:
            self._assign(st.target, self.eval(st.value, frame, before), frame, module_level,
                         before)
        elif isinstance(st, ast.AugAssign):
            cur = self.eval(st.target, frame, before) if not isinstance(st.target, ast.Name) \
                else frame.locals.get(st.target.id, MISSING)
            if cur is MISSING and isinstance(st.target, ast.Name):
                cur = self._lookup(st.target.id, frame, before)
            inc = self.eval(st.value, frame, before)
            if not (_is_plain(cur) and _is_plain(inc)) or not isinstance(st.op, ast.Add):
                raise _Unknown("augmented assignment")
            self._assign(st.target, cur + inc, frame, module_level, before)
        elif isinstance(st, ast.Return):
            raise _Return(self.eval(st.value, frame, before) if st.value else None)
        elif isinstance(st, ast.If):
            t = self.eval(st.test, frame, before)
            if _opaque(t):
                raise _Unknown("branch on opaque value")
            self._exec_block(st.body if t else st.orelse, frame, module_level, before)
        elif isinstance(st, ast.For):
            it = self.eval(st.iter, frame, before)
            if not isinstance(it, list | tuple | str | dict):
                raise _Unknown("loop over opaque value")
            for x in list(it):
                self._assign(st.target, x, frame, False, before)
                self._exec_block(st.body, frame, module_level, before)
        elif isinstance(st, ast.Raise):
            exc = self.eval(st.exc, frame, before) if st.exc is not None else None
            if isinstance(exc, tuple) and len(exc) == 3 and exc[0] == "__exc__":
                self.hop(frame.path, line, f"raises {exc[1]}")
                raise RaiseSignal(exc[1], exc[2], frame.path, line)
            if isinstance(exc, BuiltinClass):
                self.hop(frame.path, line, f"raises {exc.name}")
                raise RaiseSignal(exc.name, "", frame.path, line)
            raise _Unknown("raise of an unknown exception")
        elif isinstance(st, ast.Try):
            try:
                self._exec_block(st.body, frame, module_level, before)
            except RaiseSignal as sig:
                for h in st.handlers:
                    if self._handles(h, sig, frame, before):
                        if h.name:
                            frame.locals[h.name] = Opaque(sig.message_line())
                        self._exec_block(h.body, frame, module_level, before)
                        break
                else:
                    raise
            else:
                self._exec_block(st.orelse, frame, module_level, before)
            finally:
                self._exec_block(st.finalbody, frame, module_level, before)
        elif isinstance(st, ast.Import):
            for alias in st.names:
                m = self.import_module(alias.name)
                if m is MISSING:
                    self.hop(frame.path, line, f"import of {alias.name} fails here")
                    raise RaiseSignal("ModuleNotFoundError", f"No module named '{alias.name}'",
                                      frame.path, line)
                if alias.asname:
                    self._assign(ast.Name(alias.asname), m, frame, module_level, before)
                else:
                    top = self.import_module(alias.name.split(".")[0])
                    self._assign(ast.Name(alias.name.split(".")[0]), top, frame, module_level,
                                 before)
        elif isinstance(st, ast.ImportFrom):
            if st.level:
                raise _Unknown("relative import inside a function")
            m = self.import_module(st.module or "")
            if m is MISSING:
                raise RaiseSignal("ModuleNotFoundError", f"No module named '{st.module}'",
                                  frame.path, line)
            for alias in st.names:
                v = self.getattr(m, alias.name)
                if v is MISSING:
                    raise RaiseSignal("ImportError", f"cannot import name '{alias.name}'",
                                      frame.path, line)
                self._assign(ast.Name(alias.asname or alias.name), v, frame, module_level,
                             before)
        elif isinstance(st, ast.With):
            self._exec_block(st.body, frame, module_level, before)
        elif isinstance(st, ast.Pass | ast.Global | ast.Nonlocal | ast.Assert | ast.Delete
                        | ast.Break | ast.Continue):
            pass
        elif isinstance(st, ast.FunctionDef | ast.ClassDef):
            if not module_level:
                frame.locals[st.name] = Opaque(st.name)
        else:
            raise _Unknown(type(st).__name__)

    def _handles(self, h: ast.ExceptHandler, sig: RaiseSignal, frame: _Frame,
                 before: int | None) -> bool:
        if h.type is None:
            return True
        names: list[str] = []
        types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        for t in types:
            if isinstance(t, ast.Name):
                names.append(t.id)
            elif isinstance(t, ast.Attribute):
                names.append(t.attr)
        exc: str | None = sig.exc
        chain = []
        while exc:
            chain.append(exc)
            exc = EXC_PARENTS.get(exc)
        return any(n in ("Exception", "BaseException") or n in chain for n in names)


def _class_key(c: Any) -> tuple[Any, ...]:
    """Identity of a class across ClassVal copies: defining file and qualname."""
    if isinstance(c, ClassVal):
        return ("class", c.path, c.info.qualname)
    if isinstance(c, BuiltinClass):
        return ("builtin", c.name)
    if isinstance(c, Opaque):
        return ("opaque", c.expr, c.path, c.line)
    return ("other", id(c))


def _c3_merge(head: list[Any], seqs: list[list[Any]]) -> list[Any] | None:
    """C3 merge: repeatedly take the first head that is in no other list's tail."""
    result = list(head)
    seqs = [list(q) for q in seqs if q]
    while seqs:
        tails = {_class_key(x) for q in seqs for x in q[1:]}
        for q in seqs:
            cand = q[0]
            if _class_key(cand) not in tails:
                break
        else:
            return None
        ck = _class_key(cand)
        result.append(cand)
        seqs = [q[1:] if _class_key(q[0]) == ck else q for q in seqs]
        seqs = [q for q in seqs if q]
    return result


_PATH_MUTATION_RE = re.compile(r"__path__\s*(?:\.\s*(?:append|insert|extend)\s*\(|\+=|=(?!=))")


def _touches_path(b: Binding) -> bool:
    """Does this module-level event rebind or mutate the module's ``__path__``?"""
    if b.name == "__path__" and b.kind in ("assign", "attr", "setattr", "augassign"):
        return True
    return b.kind == "effect" and _PATH_MUTATION_RE.search(b.expr or "") is not None


def _calls_local(text: str, local_defs: set[str]) -> bool:
    """Does the statement call a function or class defined in its own module?"""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in local_defs
        for n in ast.walk(tree)
    )


_SYS_WRITE_RE = re.compile(r"modules\[[^\]\n]*\]\s*=(?!=)|modules\.(?:setdefault|update)\(")
_STAR_RE = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\*", re.M)
_LINE_BIND_CACHE: dict[str, re.Pattern[str]] = {}


def may_bind(text: str, name: str) -> bool:
    """Cheap text pre-filter: could this module's source bind ``name`` at all?

    False only when no line that mentions ``name`` has it in a binding position (def/class,
    assignment target, import or ``as`` clause, import-list entry, a string for setattr).
    False positives only cost a parse; the patterns are deliberately loose.
    """
    if name not in text:
        return False
    pat = _LINE_BIND_CACHE.get(name)
    if pat is None:
        n = re.escape(name)
        pat = re.compile(
            rf"^\s*(?:async\s+)?(?:def|class)\s+{n}\b"
            rf"|^\s*{n}\s*(?::[^=]*)?=(?!=)"
            rf"|,\s*{n}\s*=(?!=)"
            rf"|\bimport\b.*\b{n}\b"
            rf"|\bas\s+{n}\b"
            rf"|^\s*{n}\s*(?:,|\)|$)"
            rf"|[,(]\s*{n}\s*(?:,|\)|$)"
            rf"|['\"]{n}['\"]"
        )
        _LINE_BIND_CACHE[name] = pat
    pos = 0
    while True:
        i = text.find(name, pos)
        if i < 0:
            return False
        ls = text.rfind("\n", 0, i) + 1
        le = text.find("\n", i)
        le = len(text) if le < 0 else le
        if pat.search(text[ls:le]):
            return True
        pos = le


_ATTR_ASSIGN_RE = re.compile(r"\n[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+[ \t]*=(?!=)")


def touches_other_modules(text: str) -> bool:
    """Module-level code that can patch a module or sys.modules: ``setattr(`` or
    ``a.b = ...`` at column 0, or any write into ``sys.modules`` (text pre-filter)."""
    if "\nsetattr(" in text or text.startswith("setattr("):
        return True
    if ("modules[" in text or "modules." in text) and _SYS_WRITE_RE.search(text):
        return True
    return _ATTR_ASSIGN_RE.search(text) is not None


def _py_method(v: Callable[..., Any]) -> Callable[[list[Any], dict[str, Any]], Any]:
    def call(a: list[Any], k: dict[str, Any]) -> Any:
        return v(*a, **k)

    return call


def _is_plain(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool | list | tuple | dict)


def _opaque(v: Any) -> bool:
    return not _is_plain(v) and not isinstance(
        v, ModVal | ClassVal | FuncVal | Inst | BoundMethod | Builtin | BuiltinClass
    )


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _known(fn: Callable[..., Any], a: list[Any]) -> Any:
    if all(_is_plain(x) for x in a):
        return fn(*a)
    raise _Unknown(getattr(fn, "__name__", "builtin"))


def _unk() -> Any:
    raise _Unknown("unsupported")
