"""The engine: one abstract interpreter of Python over the source of one release tree.

It knows Python -- modules and the import system, classes and their MRO, functions, frames,
control flow, builtins -- and nothing of TensorFlow: what a library's conventions mean is
taught by rules (engine/hooks.py, analysis/rules) given to the constructor or added for a block
with ``hooks``. Two modes (engine/frames.py) run the same code: ``IMPORT`` for import-time
namespaces and ``ABSTRACT`` for constructors and ``build`` on abstract arguments.

Everything it caches lives on the instance: one ``Interpreter`` per tree and question set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tfinit_audit.analysis.engine.attributes import Attributes
from tfinit_audit.analysis.engine.base import ABSTRACT_BUDGET
from tfinit_audit.analysis.engine.builtins import Builtins
from tfinit_audit.analysis.engine.calls import Calls
from tfinit_audit.analysis.engine.expressions import Expressions
from tfinit_audit.analysis.engine.frames import ABSTRACT, IMPORT, Frame, Raised, Undecidable
from tfinit_audit.analysis.engine.hooks import Rule, RuleSet
from tfinit_audit.analysis.engine.imports import ImportSystem
from tfinit_audit.analysis.engine.source import SourceModule, Sources
from tfinit_audit.analysis.engine.statements import Statements
from tfinit_audit.analysis.engine.summaries import ParseCache
from tfinit_audit.analysis.engine.values import (
    DELETED,
    MISSING,
    ModuleV,
    Unknown,
    Value,
)
from tfinit_audit.analysis.model import Hop
from tfinit_audit.sources.base import SourceTree


class Interpreter(Builtins, Expressions, Statements, Calls, Attributes):
    def __init__(self, tree: SourceTree, rules: Sequence[Rule] = (),
                 cache_dir: Path | None = None, asts: ParseCache | None = None,
                 sources: Sources | None = None, abstract_budget: int = ABSTRACT_BUDGET) -> None:
        """``sources`` may be shared by several interpreters of the same tree (each has its
        own import state: ``sys.modules``, namespaces, class MROs)."""
        self.sources = sources or Sources(tree, cache_dir, asts)
        self.rules = RuleSet(rules)
        self.imports = ImportSystem(self)
        self.depth = 0
        self.stack = []
        self.steps = 0
        self.abstract_steps = 0
        self.abstract_budget = abstract_budget
        self.raised = []
        self.refusals = []
        self.speculating = 0
        self.global_writes = {}
        self.globals_before = []
        self.decided = {}
        self._mro_memo = {}
        self._mro_active = set()
        self._getattr_active = set()
        self.decorated_members = {}
        self.function_attrs = {}
        self.calls_seen = 0
        self._globals = {}
        self.imports.ns.on_forget.extend([self._mro_memo.clear, self._globals.clear,
                                          self.decorated_members.clear])

    @property
    def tree(self) -> SourceTree:
        return self.sources.tree

    # ------------------------------------------------------------ hooks and budgets
    @contextlib.contextmanager
    def hooks(self, *rules: Rule, replace: bool = False) -> Iterator[None]:
        """Rules for the block only (asked first); removed when the block ends, however."""
        with self.rules.added(rules, replace=replace):
            yield

    @contextlib.contextmanager
    def question(self, hops: list[Hop] | None = None) -> Iterator[None]:
        """One question to the engine: fresh step budgets (``BudgetExceeded`` when the
        abstract one runs out); with ``hops``, every line that decides where a name leads is
        recorded there."""
        self.steps = 0
        self.abstract_steps = 0
        self.raised = []
        self.refusals = []
        self.decided = {}
        if hops is None:
            yield
            return
        with self.imports.ns.trace(hops):
            yield

    # ------------------------------------------------------------ entry points
    def import_module(self, name: str) -> Any:
        """``importlib.import_module(name)``: a module value, or MISSING."""
        return self.imports.import_module(name)

    def module_global(self, mod: ModuleV, name: str) -> Any:
        """A module-level name as code running in ``mod`` sees it (MISSING if unbound)."""
        v = self.imports.ns.lookup_global(mod, name)
        return MISSING if v is DELETED else v

    def resolve(self, dotted: str) -> Any:
        """``a.b.C`` as import-time code sees it: import ``a``, then attributes; MISSING if
        Python would fail, Unknown if it cannot be followed."""
        parts = dotted.split(".")
        val: Any = self.import_module(parts[0])
        for p in parts[1:]:
            if val is MISSING:
                break
            val = self.getattr(val, p, IMPORT)
        return val

    def value_at(self, path: str, qualname: str, modname: str = "") -> Value:
        """The class or function ``qualname`` defined in the module file ``path`` (imported
        as ``modname``), as the abstract evaluation sees it."""
        src = self.sources.module(path)
        if src is None or not qualname:
            return Unknown(text=qualname, path=path)
        mod = ModuleV(name=modname or src.dotted, path=path)
        parts = qualname.split(".")
        try:
            val: Any = self.module_global(mod, parts[0])
            for p in parts[1:]:
                if val is MISSING:
                    break
                val = self.getattr(val, p, ABSTRACT)
        except (Raised, Undecidable, RecursionError):
            val = MISSING
        return Unknown(text=qualname, path=path) if val is MISSING else val

    def module_source(self, path: str) -> SourceModule | None:
        return self.sources.module(path)

    def frame(self, src: SourceModule, func_name: str = "") -> Frame:
        """An abstract-mode frame at module level of ``src`` (for code a rule evaluates)."""
        return Frame(mod=ModuleV(name=src.dotted, path=src.path), src=src, locals={},
                     mode=ABSTRACT, func_name=func_name, quiet=True)


__all__ = ["ABSTRACT", "IMPORT", "Interpreter", "MISSING"]
