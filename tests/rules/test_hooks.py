"""The engine's hook plumbing (engine/hooks.py, ``Interpreter.hooks``): which rules are asked,
in which order, and for how long.

The fixture is a tiny library: ``ops.answer()`` returns 1 unless a rule answers the call;
``ops.LIMIT`` and ``ops.keep(x)`` are there for the attribute and ``traced`` hooks.
"""

from __future__ import annotations

from typing import Any

import pytest
from rule_fixtures import evaluate, interp, make_tree

from tfinit_audit.analysis.engine.hooks import HOOKS, CallSite, Rule, RuleSet
from tfinit_audit.analysis.engine.values import Const, FunctionV, ModuleV, Value

TREE = make_tree({
    "mylib/ops.py": '''
        """A function whose call a rule may answer instead of its body."""
        LIMIT = 3


        def answer():
            return 1


        def keep(x):
            y = x
            return y
        ''',
    "mylib/user.py": '''
        from mylib import ops
        ''',
})


def answer(it: Any) -> Any:
    v = evaluate(it, "mylib/user.py", "ops.answer()")
    assert isinstance(v, Const)
    return v.value


class Answer(Rule):
    """Answers ``answer()`` with ``value`` (None: asked, no answer); logs that it was asked."""

    name = "answer"

    def __init__(self, value: int | None, log: list[str] | None = None, tag: str = "") -> None:
        self.value, self.log, self.tag = value, log, tag or str(value)

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if not (isinstance(callee, FunctionV) and callee.name == "answer"):
            return None
        if self.log is not None:
            self.log.append(self.tag)
        return None if self.value is None else Const(value=self.value)


class Boom(Exception):
    pass


class Exploding(Rule):
    """Raises from inside the engine's evaluation (as ``Fixed`` does in the None fallback)."""

    name = "exploding"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        raise Boom


def no_block_rules(it: Any) -> bool:
    return it.rules.extra == [] and all(v == [] for v in it.rules.extra_by_hook.values())


# ------------------------------------------------------------------ added for the block only
def test_block_rule_is_asked_inside_the_block_only() -> None:
    it = interp(TREE, [])
    assert answer(it) == 1
    rule = Answer(2)
    with it.hooks(rule):
        assert answer(it) == 2
        assert it.rules.extra == [rule] and it.rules.extra_by_hook["call"] == [rule]
    assert answer(it) == 1
    assert no_block_rules(it)


def test_block_rule_is_removed_when_the_block_raises() -> None:
    it = interp(TREE, [])
    with pytest.raises(Boom), it.hooks(Answer(2)):
        assert answer(it) == 2
        raise Boom
    assert no_block_rules(it)
    assert answer(it) == 1


def test_block_rule_is_removed_when_the_evaluation_inside_raises() -> None:
    # the old bug: an exception escaping the engine (a rule's control flow) left the
    # collector installed for every later question
    it = interp(TREE, [])
    with pytest.raises(Boom), it.hooks(Exploding()):
        answer(it)
    assert no_block_rules(it)
    assert answer(it) == 1


def test_nested_block_rules_are_asked_innermost_first_and_unwound_in_order() -> None:
    it = interp(TREE, [])
    outer, inner = Answer(2), Answer(3)
    with it.hooks(outer):
        with it.hooks(inner):
            assert it.rules.extra == [inner, outer]
            assert answer(it) == 3
        assert it.rules.extra == [outer]
        assert answer(it) == 2
    assert no_block_rules(it)


def test_replace_hides_the_rules_of_enclosing_blocks_but_not_the_registered_ones() -> None:
    log: list[str] = []
    it = interp(TREE, [Answer(None, log, "registered")])
    with it.hooks(Answer(2, log, "outer")):
        with it.hooks(Answer(None, log, "inner"), replace=True):
            log.clear()
            assert answer(it) == 1  # the outer block's 2 is hidden
            assert log == ["inner", "registered"]  # registered rules still asked
        log.clear()
        assert answer(it) == 2  # back once the replacing block ends
        assert log == ["outer"]
    with it.hooks(Answer(2)), it.hooks(replace=True):
        assert answer(it) == 1 and it.rules.extra == []


# ------------------------------------------------------------------ order of the rules
def test_rules_are_asked_in_registration_order_and_the_first_answer_wins() -> None:
    log: list[str] = []
    assert answer(interp(TREE, [Answer(5, log), Answer(6, log)])) == 5
    assert log == ["5"]  # the second rule is not even asked
    log.clear()
    assert answer(interp(TREE, [Answer(6, log), Answer(5, log)])) == 6
    log.clear()
    assert answer(interp(TREE, [Answer(None, log, "silent"), Answer(6, log)])) == 6
    assert log == ["silent", "6"]  # None is no answer: the next rule is asked


class SiteAnswer(Rule):
    """Answers the call expression ``answer()`` before it is called (the call_site hook)."""

    name = "site-answer"

    def __init__(self, value: int | None, log: list[str], tag: str) -> None:
        self.value, self.log, self.tag = value, log, tag

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        if not (isinstance(site.callee, FunctionV) and site.callee.name == "answer"):
            return None
        self.log.append(self.tag)
        return None if self.value is None else Const(value=self.value)


def test_call_site_rules_are_asked_in_order_and_before_the_call_hook() -> None:
    log: list[str] = []
    it = interp(TREE, [Answer(5, log, "call"), SiteAnswer(None, log, "site-a"),
                       SiteAnswer(8, log, "site-b"), SiteAnswer(9, log, "site-c")])
    assert answer(it) == 8
    assert log == ["site-a", "site-b"]  # the call hook is not reached


def test_block_rules_are_asked_before_the_registered_ones() -> None:
    log: list[str] = []
    it = interp(TREE, [Answer(5, log, "registered")])
    with it.hooks(Answer(7, log, "block")):
        assert answer(it) == 7
    assert log == ["block"]
    assert answer(it) == 5


# ------------------------------------------------------------------ the index by hook
class Nothing(Rule):
    """Overrides no hook at all."""

    name = "nothing"


class OnlyCall(Rule):
    name = "only-call"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        return None


def test_a_rule_that_overrides_nothing_costs_nothing() -> None:
    rules = RuleSet([Nothing(), Rule()])
    assert rules.by_hook == {h: [] for h in HOOKS}
    with rules.added([Nothing()]):
        assert rules.extra_by_hook == {h: [] for h in HOOKS}


def test_a_rule_is_indexed_under_the_hooks_it_overrides_only() -> None:
    only = OnlyCall()
    rules = RuleSet([Nothing(), only])
    assert rules.by_hook["call"] == [only]
    assert all(rules.by_hook[h] == [] for h in HOOKS if h != "call")


def test_every_hook_method_of_rule_is_indexed() -> None:
    # a hook added to Rule but not to HOOKS would never be asked
    methods = {n for n, v in vars(Rule).items() if callable(v) and not n.startswith("_")}
    assert methods == set(HOOKS)


# ------------------------------------------------------------------ every hook, per block
class AttrAnswer(Rule):
    """Answers ``ops.LIMIT`` (module_attr) and ``(3).real`` (attr), and asks for the lines of
    the string ``'traced'`` to be recorded (traced)."""

    name = "attr-answer"

    def module_attr(self, it: Any, module: ModuleV, attr: str) -> Value | None:
        return Const(value=42) if attr == "LIMIT" else None

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        return Const(value="from rule") if attr == "real" else None

    def traced(self, it: Any, value: Value, event: str) -> bool:
        return isinstance(value, Const) and value.value == "traced"


def test_registered_rules_answer_attribute_hooks() -> None:
    rule = AttrAnswer()
    it = interp(TREE, [rule])
    for expr, expected in (("ops.LIMIT", 42), ("(3).real", "from rule")):
        v = evaluate(it, "mylib/user.py", expr)
        assert isinstance(v, Const) and v.value == expected, expr
    kept = evaluate(it, "mylib/user.py", "ops.keep('traced')")
    assert [h.code for h in kept.hops] == ["return y", "y = x"]


@pytest.mark.parametrize("expr, expected", [("ops.LIMIT", 42), ("(3).real", "from rule")])
def test_block_rules_answer_attribute_hooks(expr: str, expected: object) -> None:
    it = interp(TREE, [])
    with it.hooks(AttrAnswer()):
        v = evaluate(it, "mylib/user.py", expr)
    assert isinstance(v, Const) and v.value == expected


def test_block_rules_answer_the_traced_hook() -> None:
    it = interp(TREE, [])
    with it.hooks(AttrAnswer()):
        kept = evaluate(it, "mylib/user.py", "ops.keep('traced')")
    assert [h.code for h in kept.hops] == ["return y", "y = x"]
