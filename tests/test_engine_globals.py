"""``global`` statements (engine/statements.py ``_s_global``, ``set_global``): a function's
assignment to a name it declared global sets the module's global for the rest of the question
-- other functions, a second call and ``module.name`` see it, as in Python -- while the code of
the module itself (run at import) still sees its own binding. A singleton made on first use is
made once; an assignment in an arm of an undecided ``if`` leaves the global unknown unless
both ways agree. Each case is checked against CPython running the same module."""

from __future__ import annotations

from typing import Any

from engine_modules import cpython_of, plain
from engine_modules import interp as engine_interp

from tfinit_audit.analysis.engine.frames import IMPORT
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, Instance, Unknown

FILES = {
    "g/__init__.py": "",
    "g/state.py": """
        _context = None
        _count = 0
        SEEN = _context  # module-level code: import-time value


        class Context(object):
            def __init__(self):
                global _count
                _count += 1
                self.serial = _count


        def context():
            if _context is None:
                _create()
            return _context


        def _create():
            global _context
            _context = Context()


        def count():
            return _count


        def reset():
            global _context, _count
            del _context
            _count = 0


        def maybe(flag):
            global _count
            if flag:
                _count = 99
            return _count


        def same_either_way(flag):
            global _count
            if flag:
                _count = 5
            else:
                _count = 5
            return _count


        def shadow():
            # no ``global``: a local of the same name, the module's is untouched
            _count = 1000
            return _count
        """,
    "g/user.py": """
        from g import state


        def twice():
            a = state.context()
            b = state.context()
            return a is b, a.serial, b.serial, state._count, state.count()


        def shadowed():
            return state.shadow(), state.count()
        """,
}


def interp() -> Interpreter:
    return engine_interp(FILES)


cpython = cpython_of(FILES)


def test_a_singleton_made_on_first_use_is_made_once(cpython: Any) -> None:
    expected = cpython("g.user").twice()
    assert expected == (True, 1, 1, 1, 1)
    it = interp()
    assert plain(it.call(it.resolve("g.user.twice"), [], {})) == expected
    # the object is the one ``module._context`` holds for later code of the question
    ctx = it.call(it.resolve("g.state.context"), [], {})
    assert isinstance(ctx, Instance) and plain(ctx.attrs["serial"]) == 1


def test_module_level_code_sees_the_binding_import_made(cpython: Any) -> None:
    state = cpython("g.state")
    state.context()
    assert state.SEEN is None
    it = interp()
    it.call(it.resolve("g.state.context"), [], {})
    assert plain(it.resolve("g.state.SEEN")) is None


def test_without_global_an_assignment_is_a_local(cpython: Any) -> None:
    expected = cpython("g.user").shadowed()
    assert expected == (1000, 0)
    it = interp()
    assert plain(it.call(it.resolve("g.user.shadowed"), [], {})) == expected


def test_an_assignment_that_may_not_happen_leaves_the_global_unknown() -> None:
    it = interp()
    flag = Unknown(text="flag")
    assert isinstance(it.call(it.resolve("g.state.maybe"), [flag], {}), Unknown)
    assert isinstance(it.call(it.resolve("g.state.count"), [], {}), Unknown)
    it = interp()  # both ways agree: known
    assert plain(it.call(it.resolve("g.state.same_either_way"), [flag], {})) == 5
    assert plain(it.call(it.resolve("g.state.count"), [], {})) == 5


def test_decided_assignments_and_del(cpython: Any) -> None:
    state = cpython("g.state")
    assert state.maybe(True) == 99 and state.count() == 99
    it = interp()
    assert plain(it.call(it.resolve("g.state.maybe"), [Const(value=True)], {})) == 99
    assert plain(it.call(it.resolve("g.state.count"), [], {})) == 99
    it.call(it.resolve("g.state.reset"), [], {})
    assert plain(it.call(it.resolve("g.state.count"), [], {})) == 0
    # after ``del _context`` Python raises NameError on a read: the engine does not guess
    assert isinstance(it.call(it.resolve("g.state.context"), [], {}), Unknown)


def test_each_question_starts_from_the_modules_as_imported() -> None:
    first = interp()
    first.call(first.resolve("g.state.maybe"), [Const(value=True)], {})
    second = interp()
    assert plain(second.call(second.resolve("g.state.count"), [], {})) == 0


def test_import_mode_functions_read_their_own_global_writes(cpython: Any) -> None:
    state = cpython("g.state")
    assert state.maybe(True) == 99
    it = interp()
    assert plain(it.call(it.resolve("g.state.maybe"), [Const(value=True)], {},
                         mode=IMPORT)) == 99
