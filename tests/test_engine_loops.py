"""``while`` loops in abstract mode (engine/loops.py): a loop whose exits are undecided stops at
a fixpoint instead of running ``MAX_ABSTRACT_LOOP`` times, with the same answer and the same
step count as the full run; loops whose state changes every iteration still run (bounded) and
agree with CPython running the same module wherever the engine decides."""

from __future__ import annotations

import ast
import textwrap
from typing import Any

import pytest

from tfinit_audit.analysis.engine import loops
from tfinit_audit.analysis.engine.frames import ABSTRACT, IMPORT
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, FunctionV, Seq, Unknown, Value
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree

SOURCE = '''
class Wrapping(object):
    def __init__(self, target):
        self.target = target


def unwrap(fn):
    # tf_decorator.unwrap: its exits branch on the (unknown) object
    found = []
    cur = fn
    while True:
        if isinstance(cur, Wrapping):
            found.append(cur)
        elif hasattr(cur, "_wrapping"):
            found.append(getattr(cur, "_wrapping"))
        else:
            break
        if not hasattr(found[-1], "target"):
            break
        cur = found[-1].target
    return found, cur


def count_to(n):
    i = 0
    while True:
        if i >= n:
            break
        i += 1
    return i


def fill(item):
    # the list's length decides the exit: not an accumulator
    xs = []
    while True:
        if len(xs) > 10:
            break
        xs.append(item)
    return len(xs), xs[-1]


def halve(n):
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def grow(flag):
    # the state changes every iteration and the exit is undecided: bounded, then forgotten
    n = 0
    while True:
        if flag:
            break
        n += 1
    return n


def aliased(item):
    # the list the loop appends to is also read whole under another name: its length counts
    xs = []
    ys = xs
    while True:
        if len(ys) > 10:
            break
        xs.append(item)
    return len(xs)


class Counter(object):
    def __init__(self):
        self.n = 0

    def bump(self):
        self.n += 1


def bumped(flag):
    # the state that changes is an instance's attribute, changed by a call
    c = Counter()
    while True:
        if flag:
            break
        c.bump()
        if c.n > 5:
            break
    return c.n


SEEN = []


def record():
    SEEN.append(1)


def calling(flag):
    # each iteration calls a source function that may change what the loop's state does not
    # show (a module's list; a rule may record each call): no repeat
    while True:
        if flag:
            break
        record()
    return 1


def _has_wrapping(obj):
    # TF 2.x tf_decorator._has_tf_decorator_attr: it reads and changes nothing
    return (hasattr(obj, "_wrapping") and
            isinstance(getattr(obj, "_wrapping"), Wrapping))


def unwrap_helper(fn):
    # TF 2.x tf_decorator.unwrap: the test of its loop is a call of that helper
    found = []
    cur = fn
    while True:
        if isinstance(cur, Wrapping):
            found.append(cur)
        elif _has_wrapping(cur):
            found.append(getattr(cur, "_wrapping"))
        else:
            break
        if not hasattr(found[-1], "target"):
            break
        cur = found[-1].target
    return found, cur


def reads_global():
    return len(SEEN) > 0


def writes_global():
    global SEEN
    SEEN = []


def stores_attribute(obj):
    obj.seen = True


def calls_another(obj):
    return record()


def loops_inside(obj):
    n = 0
    while n < 3:
        n += 1
    return n


class Holder(object):
    def check(self):
        return hasattr(self, "x")


def keep(fn):
    return fn


@keep
def decorated(obj):
    return hasattr(obj, "x")


def chain(flag, x):
    xs = [x]
    while True:
        if flag:
            break
        xs.append(xs[-1])
    return xs
'''


def interp() -> Interpreter:
    return Interpreter(MemoryTree({"pkg/__init__.py": "", "pkg/m.py": textwrap.dedent(SOURCE)}),
                       ENGINE_RULES)


def python() -> dict[str, Any]:
    ns: dict[str, Any] = {}
    exec(compile(textwrap.dedent(SOURCE), "m.py", "exec"), ns)  # noqa: S102 - the fixture
    return ns


def py(v: Value) -> Any:
    return v.to_python()


def run(name: str, args: list[Value], fixpoint: bool, monkeypatch: pytest.MonkeyPatch,
        mode: Any = ABSTRACT) -> tuple[Value, int]:
    monkeypatch.setattr(loops, "FIXPOINT", fixpoint)
    it = interp()
    got = it.call(it.resolve(f"pkg.m.{name}"), args, {}, mode=mode)
    return got, it.abstract_steps


def test_a_loop_with_undecided_exits_stops_at_its_fixpoint(
        monkeypatch: pytest.MonkeyPatch) -> None:
    iterations = 0
    real_state = loops._state

    def counted(*a: Any) -> Any:
        nonlocal iterations
        iterations += 1
        return real_state(*a)

    monkeypatch.setattr(loops, "_state", counted)
    fast, fast_steps = run("unwrap", [Unknown(text="fn")], True, monkeypatch)
    assert iterations < 10  # two states compared per iteration; not 64 iterations
    slow, slow_steps = run("unwrap", [Unknown(text="fn")], False, monkeypatch)
    assert fast_steps == slow_steps  # the skipped iterations count against the budget
    assert isinstance(fast, Seq) and isinstance(slow, Seq)
    # what the loop assigned is forgotten either way, with the same text
    assert [v.describe() for v in fast.items] == [v.describe() for v in slow.items] == [
        "<unknown found after a loop while True>", "<unknown cur after a loop while True>"]


def completions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The iterations each fixpoint of the runs that follow skipped (``loops._complete``)."""
    completed: list[int] = []
    real_complete = loops._complete

    def spy(*a: Any) -> None:
        completed.append(a[-1])
        real_complete(*a)

    monkeypatch.setattr(loops, "_complete", spy)
    return completed


def test_an_iteration_that_calls_a_source_function_is_no_repeat(
        monkeypatch: pytest.MonkeyPatch) -> None:
    completed = completions(monkeypatch)
    run("calling", [Unknown(text="flag")], True, monkeypatch)
    assert completed == []
    run("unwrap", [Unknown(text="fn")], True, monkeypatch)
    assert completed and completed[0] > 50  # most of the 64 iterations were skipped


def test_a_loop_calling_a_function_that_changes_nothing_stops_at_its_fixpoint(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """TF 2.x ``unwrap`` asks ``_has_tf_decorator_attr(cur)`` each time round: a call that
    can change nothing is no event, so the loop stops as the inline form does, with the same
    answer and the same step count as the full run."""
    completed = completions(monkeypatch)
    fast, fast_steps = run("unwrap_helper", [Unknown(text="fn")], True, monkeypatch)
    assert completed and completed[0] > 50  # most of the 64 iterations were skipped
    slow, slow_steps = run("unwrap_helper", [Unknown(text="fn")], False, monkeypatch)
    assert fast_steps == slow_steps
    assert isinstance(fast, Seq) and isinstance(slow, Seq)
    assert [v.describe() for v in fast.items] == [v.describe() for v in slow.items]
    got, _ = run("unwrap_helper", [Const(value=5)], True, monkeypatch)
    assert isinstance(got, Seq)
    assert (list(py(got.items[0])), py(got.items[1])) == python()["unwrap_helper"](5)


@pytest.mark.parametrize("name, free", [
    ("_has_wrapping", True), ("reads_global", True), ("record", False),
    ("writes_global", False), ("stores_attribute", False), ("calls_another", False),
    ("loops_inside", False), ("Holder.check", False), ("decorated", False)])
def test_which_functions_can_change_nothing(name: str, free: bool) -> None:
    it = interp()
    f = it.resolve(f"pkg.m.{name}")
    assert isinstance(f, FunctionV)
    assert loops.effect_free(f) is free


def test_a_decided_unwrap_is_what_python_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    got, _ = run("unwrap", [Const(value=5)], True, monkeypatch)
    assert isinstance(got, Seq)
    assert (list(py(got.items[0])), py(got.items[1])) == python()["unwrap"](5) == ([], 5)


@pytest.mark.parametrize("mode", [ABSTRACT, IMPORT])
def test_loops_whose_state_changes_every_iteration(mode: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = python()
    for n in (0, 5, 40):
        got, _ = run("count_to", [Const(value=n)], True, monkeypatch, mode)
        assert py(got) == real["count_to"](n)
    for n in (6, 27):  # 27 takes 111 steps: over the abstract bound, within import mode's
        got, _ = run("halve", [Const(value=n)], True, monkeypatch, mode)
        if mode is ABSTRACT and n == 27:
            assert isinstance(got, Unknown)  # not a wrong count
        else:
            assert py(got) == real["halve"](n)
    got, _ = run("fill", [Const(value="x")], True, monkeypatch, mode)
    assert py(got) == real["fill"]("x") == (11, "x")


def test_a_length_the_loop_reads_is_followed_with_an_unknown_item(
        monkeypatch: pytest.MonkeyPatch) -> None:
    got, _ = run("fill", [Unknown(text="item")], True, monkeypatch)
    assert isinstance(got, Seq) and py(got.items[0]) == 11 == python()["fill"](object())[0]


def test_state_changed_through_an_alias_or_a_call_is_followed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = python()
    got, _ = run("aliased", [Unknown(text="item")], True, monkeypatch)
    assert py(got) == real["aliased"](object()) == 11
    got, _ = run("bumped", [Unknown(text="flag")], True, monkeypatch)
    assert py(got) == real["bumped"](False) == 6


def test_state_changing_loops_with_undecided_exits_are_bounded_and_forgotten(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, args in (("grow", [Unknown(text="flag")]),
                       ("chain", [Unknown(text="flag"), Const(value=1)])):
        fast, fast_steps = run(name, args, True, monkeypatch)
        slow, slow_steps = run(name, args, False, monkeypatch)
        assert fast_steps == slow_steps
        assert isinstance(fast, Unknown) and isinstance(slow, Unknown)
        assert fast.text == slow.text
    # decided, they are what Python gives
    real = python()
    got, _ = run("grow", [Const(value=True)], True, monkeypatch)
    assert py(got) == real["grow"](True) == 0
    got, _ = run("chain", [Const(value=True), Const(value=1)], True, monkeypatch)
    assert list(py(got)) == real["chain"](True, 1) == [1]


def test_an_accumulator_is_a_list_only_appended_to_and_read_at_its_end() -> None:
    it = interp()
    fn = it.resolve("pkg.m.unwrap")
    assert loops.accumulators(fn.node.body[2]) == {"found"}
    fill = it.resolve("pkg.m.fill")
    assert loops.accumulators(fill.node.body[1]) == frozenset()  # len(xs) reads its length


def test_a_loop_not_run_forgets_every_container_it_changes_in_place() -> None:
    """``forget_loop_effects``: the names a loop assigns and every container it changes with an
    in-place method (mutations.MUTATORS: ``s.discard``, ``d.popitem`` too) or an item store."""
    loop = ast.parse(textwrap.dedent("""
        for x in xs:
            s.discard(x)
            d.popitem()
            shape.append(x)
            m[x] = 1
            t = s.union(x)
        """)).body[0]
    assert isinstance(loop, ast.For)
    assert loops._changed_in(loop) == ("x", "s", "d", "shape", "m", "t")
