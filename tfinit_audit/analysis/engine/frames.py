"""Modes, frames and control-flow signals of the one interpreter.

The modes run the same statements and expressions:

- ``IMPORT`` (strict): import-time code -- module namespaces, lazy loaders, package shims. It
  models exceptions (``raise``, a missing attribute or name, a failed import raise ``Raised``;
  ``try``/``except`` catches them) and gives up on what it cannot decide: a branch on an unknown
  value raises ``Undecidable``, which makes the running call's result ``Unknown``.
- ``ABSTRACT``: constructors, ``build`` and the library code they call, on abstract arguments.
  A branch on an unknown value that leaves the function (``return``/``raise``) is a special case
  not taken; other undecidable branches are both run and their locals merged; a ``raise`` is a
  path not taken (its call's value is unknown, with where it raised; an exception a rule
  models -- ``Raised`` -- crosses calls to the nearest ``try`` that handles it); an operator
  Python refuses for its operands (``1 // None``; a rule's ``Refused``: TensorFlow's
  broadcast of two static shapes that do not fit) is a raise: on a decided path it is
  recorded as a ``Refusal`` (the operands kept: where they came from), and on any path it
  ends the running function's path as a ``raise`` statement does (``PathEnds``); a loop over an
  unknown value is not run, and what it would assign or change becomes unknown; instances are
  constructed lazily (first time they are looked at) and calls nest at most ``max_depth`` deep,
  never recursively. Module globals are their import-time values (the import system's, in the
  default environment). Calling a generator function gives a ``GeneratorV``; ``with`` runs it
  as a ``@contextmanager``, its ``yield`` running the block.
- ``EAGER``: abstract, but objects are constructed when Python constructs them (a layer's call
  whose helper objects create variables in their constructors).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tfinit_audit.analysis.engine.values import ClassV, ExceptionV, ModuleV, Unknown, Value

if TYPE_CHECKING:
    from collections.abc import Callable

    from tfinit_audit.analysis.engine.source import SourceModule
    from tfinit_audit.analysis.model import Hop


@dataclass(frozen=True)
class Mode:
    name: str
    strict: bool  # undecidable -> Undecidable (abort the call) instead of merge/Unknown
    lazy_instances: bool  # run __init__ when the object is first looked at
    attribute_hooks: bool  # honour a class's __setattr__ / __getattr__
    bind_strict: bool  # arguments that do not fit the signature make the call Unknown
    max_depth: int | None  # nesting of calls into source functions (None: Python's limit)


IMPORT = Mode("import", strict=True, lazy_instances=False, attribute_hooks=True,
              bind_strict=False, max_depth=None)
ABSTRACT = Mode("abstract", strict=False, lazy_instances=True, attribute_hooks=False,
                bind_strict=True, max_depth=20)
# abstract, constructing objects when Python does: for code whose constructors have effects
# that matter (a layer's call creating variables in a helper object's constructor)
EAGER = Mode("eager", strict=False, lazy_instances=False, attribute_hooks=False,
             bind_strict=True, max_depth=20)


@dataclass
class Frame:
    """One running code block: module-level statement, function body or lambda."""

    mod: ModuleV  # the module whose globals the code sees
    src: SourceModule | None  # its source (None for modules outside the tree)
    locals: dict[str, Value]
    mode: Mode
    owner: ClassV | None = None  # class whose body defines the running function (super())
    self_obj: Value | None = None
    closure: dict[str, Value] | None = None
    func_name: str = ""
    before: int | None = None  # module-level code: bindings from this line on do not exist yet
    module_level: bool = False  # module-level names are the summary's, not frame locals
    quiet: bool = False  # global lookups leave no name-resolution hops (function bodies)
    conds: list[str] = field(default_factory=list)  # conditions assumed on the way here
    # the ``if`` statements whose test was true when run (decided, not assumed) and whose body
    # is running, innermost last
    taken: list[ast.If] = field(default_factory=list)
    watch: Watch | None = None  # a rule following one local variable (see hooks.Watch)
    # a generator run as a context manager: ``yield v`` runs the ``with`` body (v bound by
    # its ``as``) and gives what is sent back
    on_yield: Callable[[Value], Value] | None = None
    speculative: bool = False  # one arm of an undecidable ``if`` (may not happen at all)
    # names a ``global`` statement of the running function made its module's: assigning one
    # sets the module's global (``InterpreterBase.global_writes``), not a local
    declared: frozenset[str] = frozenset()

    @property
    def path(self) -> str | None:
        return self.mod.path if self.src is not None else None

    def hop(self, line: int, note: str) -> Hop:
        assert self.src is not None
        return self.src.hop(line, note)

    def branch(self, cond: str) -> Frame:
        """A copy for one arm of an undecidable ``if`` (own locals, one more condition)."""
        return Frame(**{**self.__dict__, "locals": dict(self.locals),
                        "conds": [*self.conds, cond], "taken": list(self.taken),
                        "speculative": True})


@dataclass
class CallSite:
    """A call expression being evaluated: where, what is called, with which arguments."""

    frame: Frame
    node: ast.Call
    callee: Value
    args: list[Value]
    kwargs: dict[str, Value]


class Watch(Protocol):
    """Follows one local variable of a call (``name``): told about each assignment to it and
    about each call made while it is watched."""

    name: str

    def on_assign(self, it: Any, frame: Frame, name: str, value: Value,
                  stmt: ast.stmt) -> None:
        ...

    def on_call(self, it: Any, site: CallSite) -> Value | None:
        ...


@dataclass
class Return:
    value: Value


@dataclass
class RaiseSignal:
    """Abstract mode: a ``raise`` statement was reached (the path is not taken); where."""

    path: str = ""
    line: int = 0


@dataclass
class LoopSignal:
    """``break`` or ``continue`` (``kind``) was reached; "unknown": undecided branches of a
    loop's body left it in different ways (what the loop does next is not known)."""

    kind: str = "break"


Signal = Return | RaiseSignal | LoopSignal | None


@dataclass
class Refusal:
    """Abstract mode: Python itself raises at ``path:line`` on a decided path -- an operator
    on operands it refuses (``n_in // num_blocks`` with ``num_blocks`` None: TypeError).
    ``operands`` are the values it refused, with their hops (where each came from)."""

    path: str
    line: int
    expression: str
    what: str  # "TypeError: unsupported operand type(s) for //: 'int' and 'NoneType'"
    operands: tuple[Value, ...]


class Refused(Exception):  # noqa: N818 - interpreted code raises; not an error of ours
    """Raised by a rule's ``binop`` or ``call_site`` hook: the operation raises ``exc``
    (``"ValueError"``) with ``message`` for ``operands`` in the real program (TensorFlow's
    shape inference refusing a broadcast). The engine makes it a refusal of the expression
    being evaluated (``python_raises``), as for an operator Python refuses."""

    def __init__(self, exc: str, message: str, operands: tuple[Value, ...]) -> None:
        super().__init__(f"{exc}: {message}")
        self.exc = exc
        self.message = message
        self.operands = operands


class PathEnds(BaseException):  # noqa: N818 - control flow
    """Abstract mode: Python raised while an expression was evaluated (a refusal): the
    statement running it ends the function's path, as a ``raise`` statement does
    (``exec_block`` returns ``signal``). A BaseException: no ``except Exception`` on the way
    takes it for a failure of a builtin."""

    def __init__(self, signal: RaiseSignal) -> None:
        super().__init__(f"{signal.path}:{signal.line}")
        self.signal = signal


class Raised(Exception):  # noqa: N818 - interpreted code raised; not an error of ours
    """Import mode: the interpreted code raised ``exc`` at ``path:line``."""

    def __init__(self, exc: str, message: str = "", path: str | None = None,
                 line: int = 0, implicit: bool = False) -> None:
        super().__init__(f"{exc}: {message}" if message else exc)
        self.exc = exc
        self.message = message
        self.path = path
        self.line = line
        self.implicit = implicit  # raised by Python itself (a missing attribute), not a raise
        # the innermost source function (a FunctionV) the exception left, as a traceback's
        # last entry names it (engine/calls.py sets it)
        self.left: Any = None

    @property
    def missing_attribute(self) -> bool:
        """Python's own AttributeError for an attribute that is not there."""
        return self.exc == "AttributeError" and self.implicit

    @classmethod
    def of(cls, value: ExceptionV, path: str | None, line: int) -> Raised:
        return cls(value.name, value.message, path, line)

    def message_line(self) -> str:
        return f"{self.exc}: {self.message}" if self.message else self.exc


class BudgetExceeded(BaseException):  # noqa: N818 - control flow
    """One question used up its step budget: the analysis stops there, with where it was.
    (A BaseException: no ``except Exception`` on the way may take it for an ordinary failure.)"""


class Undecidable(Exception):  # noqa: N818 - control flow
    """Import mode: the running call depends on something unknown; its result is Unknown."""


def undecided(mode: Mode, text: str) -> Value:
    """What a builtin the engine models gives when it cannot decide: in a strict mode it
    aborts the running call (``Undecidable``), else an ``Unknown`` of ``text``."""
    if mode.strict:
        raise Undecidable(text)
    return Unknown(text=text)


ARGS = tuple[list[Value], dict[str, Value]]
Site = tuple[Frame, Any] | None  # (calling frame, ast.Call) or None for calls made by rules
