"""State and interface shared by the parts of the interpreter (see engine/interp.py).

The interpreter is one class assembled from parts by concern -- expressions, statements,
calls, attributes and classes -- each in its own module; this base declares what the parts
share, so that each part can be read (and type-checked) alone.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any, NoReturn

from tfinit_audit.analysis.engine.frames import (
    ABSTRACT,
    BudgetExceeded,
    Frame,
    Mode,
    Refusal,
    Signal,
    Site,
    Undecidable,
)
from tfinit_audit.analysis.engine.hooks import RuleSet, Watch
from tfinit_audit.analysis.engine.imports import ImportSystem
from tfinit_audit.analysis.engine.source import Sources
from tfinit_audit.analysis.engine.values import (
    BuiltinClassV,
    ClassV,
    FunctionV,
    GeneratorV,
    Instance,
    ModuleV,
    Unknown,
    Value,
)

STEP_BUDGET = 2_000_000  # import-mode steps per question (a lazy loader gone round in circles)
ABSTRACT_BUDGET = 3_000_000  # abstract-mode steps per question (~a minute; a symbol of the
# default set takes under 100,000)


class InterpreterBase:
    sources: Sources
    rules: RuleSet
    imports: ImportSystem
    depth: int  # abstract-mode calls currently running
    stack: list[Any]  # the abstract-mode functions running (no recursion): calls.py _running
    steps: int  # import-mode steps since the budget was last reset
    abstract_steps: int  # abstract-mode steps since then
    abstract_budget: int  # abstract-mode steps one question may take
    raised: list[tuple[str, int, str]]  # abstract mode: raises on decided paths (path, line, what)
    refusals: list[Refusal]  # abstract mode: operators Python refuses, on decided paths
    speculating: int  # arms of undecidable ``if`` statements running (calls in them included)
    # module globals that functions set through ``global`` in this question ((module, name) ->
    # value, MISSING after ``del``): function code reads them (the module's source binding is
    # what import made); ``globals_before``: for each undecidable ``if`` running, the values
    # the globals its arms set had when it began
    global_writes: dict[tuple[str, str], Any]
    globals_before: list[dict[tuple[str, str], Any]]
    # abstract mode: what each ``if`` (path, line) decided in this question; None when it was
    # undecided or went both ways
    decided: dict[tuple[str, int], bool | None]
    # per function definition (path, qualname, line): the attributes code set on an object of
    # it (None: a name not known) -- ``hasattr`` of a function (engine/introspection.py)
    function_attrs: dict[tuple[str, str, int], set[str | None]]
    # calls of source functions and classes, and calls a rule answered at their call site
    # (rules may record what they see there): a loop iteration with one is no repeat
    # (engine/loops.py)
    calls_seen: int

    # ------------------------------------------------------------ shared helpers
    def tick(self, frame: Frame) -> None:
        """One step of ``frame``'s mode; over its budget, the question stops. (Inlined in
        ``Expressions.eval`` and ``Statements.exec_block``, which run it per node.)"""
        if frame.mode.strict:
            self.steps += 1
            if self.steps > STEP_BUDGET:
                self.over_budget(frame)
        else:
            self.abstract_steps += 1
            if self.abstract_steps > self.abstract_budget:
                self.over_budget(frame)

    def over_budget(self, frame: Frame) -> NoReturn:
        """The step budget of ``frame``'s mode is spent."""
        if frame.mode.strict:
            raise Undecidable("step budget exhausted")
        where = f"{frame.func_name or 'module level'} in {frame.path or '?'}"
        raise BudgetExceeded(f"analysis stopped after {self.abstract_budget:,} steps "
                             f"(the budget of one question), in {where}")

    def undecidable(self, frame: Frame, text: str, node: ast.AST | None = None) -> Value:
        """Something the engine cannot decide: import mode gives up on the running call,
        abstract mode goes on with an Unknown."""
        if frame.mode.strict:
            raise Undecidable(text)
        return Unknown(text=text, path=frame.path or "", line=getattr(node, "lineno", 0))

    @staticmethod
    def unparse(node: ast.AST) -> str:
        """``ast.unparse`` memoized on the node itself (lives as long as the syntax tree)."""
        text = node.__dict__.get("_tfa_text")
        if text is None:
            text = node.__dict__["_tfa_text"] = ast.unparse(node)
        return text

    # ------------------------------------------------------------ implemented by the parts
    def eval(self, node: ast.expr, frame: Frame) -> Value:
        raise NotImplementedError

    def exec_block(self, body: list[ast.stmt], frame: Frame) -> Signal:
        raise NotImplementedError

    def global_name(self, frame: Frame, name: str) -> Any:
        raise NotImplementedError

    def assign(self, target: ast.expr, value: Value, frame: Frame, st: ast.stmt,
               local: bool = False) -> None:
        raise NotImplementedError

    def call(self, fn: Value, args: list[Value], kwargs: dict[str, Value], site: Site = None,
             *, mode: Mode = ABSTRACT, watch: Watch | None = None) -> Value:
        raise NotImplementedError

    def instantiate(self, cls: ClassV, args: list[Value], kwargs: dict[str, Value],
                    site: Site = None, mode: Mode = ABSTRACT) -> Value:
        raise NotImplementedError

    def force(self, obj: Instance) -> Instance:
        raise NotImplementedError

    def parameter_default(self, f: FunctionV, name: str) -> tuple[Value, ast.expr] | None:
        raise NotImplementedError

    def bind(self, f: FunctionV, args: list[Value], kwargs: dict[str, Value],
             mode: Mode = ABSTRACT) -> dict[str, Value] | None:
        raise NotImplementedError

    def getattr(self, obj: Value, attr: str, mode: Mode = ABSTRACT) -> Any:
        raise NotImplementedError

    def mro(self, cls: ClassV | BuiltinClassV | Unknown) -> list[Any]:
        raise NotImplementedError

    def member(self, cls: ClassV, name: str, after: Value | None = None,
               start: ClassV | None = None) -> tuple[ClassV, Any] | None:
        raise NotImplementedError

    def builtin(self, name: str) -> Any:
        raise NotImplementedError

    def external_attr(self, mod: ModuleV, attr: str) -> Value:
        raise NotImplementedError

    def binop(self, op: ast.operator, a: Value, b: Value, frame: Frame,
              node: ast.AST | None = None) -> Value:
        raise NotImplementedError

    def python_raises(self, frame: Frame, node: ast.AST | None, exc: str, message: str,
                      operands: tuple[Value, ...]) -> Value:
        raise NotImplementedError

    def run_generator(self, gen: GeneratorV, on_yield: Callable[[Value], Value],
                      mode: Mode = ABSTRACT) -> None:
        raise NotImplementedError

    def compare(self, op: ast.cmpop, a: Value, b: Value) -> bool | None:
        raise NotImplementedError

    def truth(self, v: Value, frame: Frame) -> bool | None:
        raise NotImplementedError
