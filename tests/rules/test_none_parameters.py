"""rules/none_parameters.py: an initializer parameter the constructor leaves ``None`` means
what the function ``__call__`` hands it to decides."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, evaluate, interp, make_tree, where

from tfinit_audit.analysis.rules.initializer_classes import InitializerClassRule
from tfinit_audit.analysis.rules.values import InitV
from tfinit_audit.analysis.rules.weights import WeightCollector

INIT_OPS = '''
    """Mimics TF 1.x init_ops: ``RandomUniform(minval=0, maxval=None)`` whose ``__call__``
    passes ``self.maxval`` to ``random_ops.random_uniform``; ``TruncatedNormal(stddev=None)``
    whose ``__call__`` hands the None to no function."""
    from mylib.ops import random_ops


    class Initializer(object):
        pass


    class RandomUniform(Initializer):
        def __init__(self, minval=0, maxval=None, seed=None):
            self.minval = minval
            self.maxval = maxval
            self.seed = seed

        def __call__(self, shape, dtype=None):
            return random_ops.random_uniform(shape, self.minval, self.maxval, dtype,
                                             seed=self.seed)


    class TruncatedNormal(Initializer):
        def __init__(self, mean=0.0, stddev=None):
            self.mean = mean
            self.stddev = stddev

        def __call__(self, shape, dtype=None):
            return self.stddev
    '''

RANDOM_OPS = '''
    """Mimics ``random_ops.random_uniform``: ``if maxval is None: maxval = 1``."""


    def random_uniform(shape, minval=0, maxval=None, dtype=None, seed=None):
        if maxval is None:
            maxval = 1
        return shape
    '''

STATE_OPS = '''
    def get_variable(name, shape=None, initializer=None):
        return name
    '''

OPS = "mylib/ops/init_ops.py"
RND = "mylib/ops/random_ops.py"


def tree(random_ops: str = RANDOM_OPS) -> Any:
    return make_tree({OPS: INIT_OPS, RND: random_ops,
                      "mylib/user.py": "from mylib.ops import init_ops\n"})


def init(expr: str, t: Any = None, rules: Any = None) -> InitV:
    t = t or tree()
    v = evaluate(interp(t, rules), "mylib/user.py", expr)
    assert isinstance(v, InitV), (expr, v)
    assert_real_lines(t, v.hops)
    return v


# ------------------------------------------------------------------ decided
def test_none_parameter_is_decided_in_the_callee() -> None:
    t = tree()
    for rules in (None, [InitializerClassRule()]):
        v = init("init_ops.RandomUniform()", t, rules)
        assert (v.kind, v.params) == ("random_uniform", {"minval": 0, "maxval": 1})
    assert where(v.hops) == [
        at(t, OPS, "class RandomUniform(Initializer):"),
        at(t, OPS, "def __init__(self, minval=0, maxval=None, seed=None):"),
        at(t, OPS, "return random_ops.random_uniform(shape, self.minval, self.maxval, dtype,"),
        at(t, RND, "maxval = 1"),
    ]
    assert v.hops[2].note == "__call__ passes self.maxval = None as random_uniform(maxval=...)"
    assert v.hops[3].note == "random_uniform: maxval = 1 when maxval is None"


def test_the_answer_follows_the_source() -> None:
    v = init("init_ops.RandomUniform()", tree(RANDOM_OPS.replace("maxval = 1", "maxval = 7")))
    assert v.params == {"minval": 0, "maxval": 7}


def test_the_follower_does_not_stay_installed_nor_see_the_callers_hooks() -> None:
    # ``__call__`` is run to follow the None; a variable it creates on the way (a seed
    # counter) is not a weight of the layer whose collector is active around it
    with_state = INIT_OPS.replace(
        "def __call__(self, shape, dtype=None):\n            return random_ops",
        "def __call__(self, shape, dtype=None):\n"
        "            counter = state_ops.get_variable(\"counter\", shape=[])\n"
        "            return random_ops").replace(
        "from mylib.ops import random_ops", "from mylib.ops import random_ops, state_ops")
    assert "counter" in with_state
    t = make_tree({OPS: with_state, RND: RANDOM_OPS,
                   "mylib/ops/state_ops.py": STATE_OPS,
                   "mylib/user.py": "from mylib.ops import init_ops\n"})
    it = interp(t)
    collector = WeightCollector()
    with it.hooks(collector):
        v = evaluate(it, "mylib/user.py", "init_ops.RandomUniform()")
        assert it.rules.extra == [collector]
    assert isinstance(v, InitV) and v.params["maxval"] == 1
    assert it.rules.extra == [] and collector.captured == []


# ------------------------------------------------------------------ left alone
def test_a_given_parameter_is_not_followed() -> None:
    v = init("init_ops.RandomUniform(maxval=3)")
    assert v.params == {"minval": 0, "maxval": 3}
    assert [h.code for h in v.hops] == [
        "class RandomUniform(Initializer):",
        "def __init__(self, minval=0, maxval=None, seed=None):"]


def test_no_rule_in_the_callee_leaves_it_none() -> None:
    v = init("init_ops.RandomUniform()", tree(RANDOM_OPS.replace("maxval = 1", "pass")))
    assert v.params == {"minval": 0, "maxval": None}
    assert len(v.hops) == 2  # class and defaults: no line decided anything


def test_a_value_that_is_not_a_constant_is_not_taken() -> None:
    computed = RANDOM_OPS.replace("maxval = 1", "maxval = compute_default(shape)")
    assert init("init_ops.RandomUniform()", tree(computed)).params["maxval"] is None


def test_a_none_that_call_hands_to_no_function_stays_none() -> None:
    v = init("init_ops.TruncatedNormal()")
    assert (v.kind, v.params) == ("truncated_normal", {"mean": 0.0, "stddev": None})
    assert len(v.hops) == 2
