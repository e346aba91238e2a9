"""The import system as Python runs it: finding modules, ``sys.modules``, package ``__path__``,
module-level effects on other modules (what a module namespace holds: engine/namespaces.py).

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
import re
import textwrap
from typing import Any

from tfinit_audit.analysis.engine.frames import IMPORT, Frame, Raised, Undecidable
from tfinit_audit.analysis.engine.namespaces import Interp, Namespaces
from tfinit_audit.analysis.engine.source import SourceModule
from tfinit_audit.analysis.engine.summaries import Binding, ast_parse
from tfinit_audit.analysis.engine.values import (
    MISSING,
    Const,
    Instance,
    ModuleV,
    Seq,
    Value,
)
from tfinit_audit.analysis.model import Hop

# modules outside the tree that import-time code may import: modelled by engine/builtins.py
# and engine/stdlib.py
EXTERNAL_OK = {
    "sys", "os", "os.path", "importlib", "types", "typing", "logging", "inspect", "site",
    "math", "re", "numpy", "six", "string", "functools",
    "collections", "copy",
}


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

    def outside_tree(self, module: str) -> bool:
        """``module``'s top-level package is neither in the release's files nor one the engine
        models (EXTERNAL_OK): a dependency the release does not ship (``absl``)."""
        top = module.split(".", 1)[0]
        return bool(top) and top not in EXTERNAL_OK and self._find_file([""], top) is None

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
        with self.ns.quiet():
            for b in effect_bindings(src):
                if b.kind in ("attr", "setattr"):
                    try:
                        if not self.ns.guard_ok(mod, b):
                            continue
                        target = self.eval_text(b.target or "", mod, b.line)
                    except (Raised, Undecidable, RecursionError):
                        continue
                    if isinstance(target, ModuleV):
                        self.patches.setdefault(target.name, []).append((b.name, b, mod))
                else:
                    saved = self.effects_of
                    self.effects_of = mod.name
                    try:
                        if not self.ns.guard_ok(mod, b):
                            continue
                        self.exec_text(b.expr or "", mod, b.line)
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


def effect_bindings(src: SourceModule) -> list[Binding]:
    """The module-level events of ``src`` that may patch another module or change what
    imports find, in source order (text only, read once per file of the tree): an attribute
    set on something not defined in the module itself, and a statement that writes
    ``sys.modules`` -- directly or through a helper defined in the module whose code writes
    it. What each does is up to the importing interpreter (``_run_import_effects``)."""
    hit = src.derived.get("effect_bindings")
    if hit is not None:
        return hit
    s = src.full()
    local_defs = set(s.functions) | set(s.classes)
    writers: set[str] | None = None
    out: list[Binding] = []
    for b in s.bindings:
        if b.handler:
            continue
        if b.kind in ("attr", "setattr") and b.target:
            if b.target.split(".")[0] not in local_defs:  # not its own function or class
                out.append(b)
        elif b.kind == "effect" and b.expr:
            if writers is None:
                writers = {
                    n for n in local_defs
                    if _SYS_WRITE_RE.search(
                        s.functions[n].source if n in s.functions
                        else "".join(m.source for m in s.classes[n].methods.values()))
                }
            if _SYS_WRITE_RE.search(b.expr) or _calls_local(b.expr, writers):
                out.append(b)
    src.derived["effect_bindings"] = out
    return out


_PATH_MUTATION_RE = re.compile(r"__path__\s*(?:\.\s*(?:append|insert|extend)\s*\(|\+=|=(?!=))")


def _touches_path(b: Binding) -> bool:
    """Does this module-level event rebind or mutate the module's ``__path__``?"""
    if b.name == "__path__" and b.kind in ("assign", "attr", "setattr", "augassign"):
        return True
    return b.kind == "effect" and _PATH_MUTATION_RE.search(b.expr or "") is not None


def _calls_local(text: str, local_defs: set[str]) -> bool:
    """Does the statement call a function or class defined in its own module?"""
    try:
        tree = ast_parse(textwrap.dedent(text))
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
