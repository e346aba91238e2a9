"""InitializerFactoryRule (rules/initializer_classes.py): a 0.x-style factory function of the
vocabulary that returns its nested ``_initializer`` is that initializer, with the call's
arguments and the factory's defaults; uniform_unit_scaling gets its limit for a shape."""

from __future__ import annotations

import math
from typing import Any

from rule_fixtures import assert_real_lines, at, evaluate, interp, make_tree, where

from tfinit_audit.analysis.engine.values import FunctionV
from tfinit_audit.analysis.model import Initializer
from tfinit_audit.analysis.rules import vocabulary as vocab
from tfinit_audit.analysis.rules.initializer_classes import initializer_function
from tfinit_audit.analysis.rules.values import InitV
from tfinit_audit.analysis.rules.weights import to_initializer

INIT_OPS = '''
    """Mimics TF 0.12 init_ops.py: initializers are closures returned by factory functions."""
    import math


    def uniform_unit_scaling_initializer(factor=1.0, seed=None, dtype=None):
        def _initializer(shape, dtype=dtype, partition_info=None):
            input_size = 1.0
            for dim in shape[:-1]:
                input_size *= float(dim)
            max_val = math.sqrt(3 / input_size) * factor
            return random_uniform(shape, -max_val, max_val)
        return _initializer


    def random_uniform_initializer(minval=0, maxval=None, seed=None):
        def _initializer(shape, dtype=None, partition_info=None):
            return random_uniform(shape, minval, maxval)
        return _initializer


    def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False):
        def _initializer(shape, dtype=None, partition_info=None):
            return shape
        return _initializer


    def truncated_normal_initializer(mean=0.0, stddev=1.0):
        return make_it(mean, stddev)


    def zeros_initializer(shape, dtype=None, partition_info=None):
        return zeros(shape, dtype)


    def _my_initializer(shape, dtype=None, partition_info=None):
        return zeros(shape, dtype)


    def random_uniform(shape, minval, maxval):
        return shape
    '''

P = "tf/ops/init_ops.py"


def tree(src: str = INIT_OPS) -> Any:
    return make_tree({P: src})


# ------------------------------------------------------------------ decided
def test_a_factory_call_is_its_initializer_with_the_release_defaults() -> None:
    t = tree()
    v = evaluate(interp(t), P, "uniform_unit_scaling_initializer()")
    assert isinstance(v, InitV) and (v.kind, v.params) == ("uniform_unit_scaling",
                                                           {"factor": 1.0})
    assert where(v.hops) == [at(t, P, "def uniform_unit_scaling_initializer(factor=1.0, "
                                      "seed=None, dtype=None):")]
    assert v.hops[0].note == ("factory uniform_unit_scaling_initializer returns its nested "
                              "initializer; defaults: factor=1.0")
    assert_real_lines(t, v.hops)
    given = evaluate(interp(t), P, "uniform_unit_scaling_initializer(1.43)")
    assert isinstance(given, InitV) and given.params == {"factor": 1.43}


def test_uniform_unit_scaling_limit_for_a_shape() -> None:
    ini = to_initializer(interp(tree()), InitV(kind="uniform_unit_scaling",
                                               params={"factor": 1.0}), [32, 64], ("", 0))
    assert ini.limit == math.sqrt(3 / 32)
    conv = vocab.with_numbers(Initializer("uniform_unit_scaling", {"factor": 2.0}),
                              [3, 3, 4, 8])
    assert conv.limit == 2.0 * math.sqrt(3 / 36)


def test_the_answer_follows_the_source() -> None:
    t = tree(INIT_OPS.replace("def uniform_unit_scaling_initializer(factor=1.0,",
                              "def uniform_unit_scaling_initializer(factor=1.15,"))
    v = evaluate(interp(t), P, "uniform_unit_scaling_initializer()")
    assert isinstance(v, InitV) and v.params == {"factor": 1.15}


def test_a_vocabulary_function_passed_uncalled_is_the_initializer() -> None:
    # TF 0.12: get_variable(..., initializer=init_ops.zeros_initializer)
    t = tree()
    it = interp(t)
    f = evaluate(it, P, "zeros_initializer")
    v = initializer_function(it, f)
    assert isinstance(v, InitV) and v.kind == "zeros"
    assert where(v.hops) == [at(t, P, "def zeros_initializer(shape, dtype=None, "
                                      "partition_info=None):")]
    assert to_initializer(it, f, [4], ("", 0)).kind == "zeros"


# ------------------------------------------------------------------ left alone
def test_a_function_outside_the_vocabulary_is_not_an_initializer_by_name() -> None:
    it = interp(tree())
    f = evaluate(it, P, "_my_initializer")
    assert initializer_function(it, f) is None
    assert to_initializer(it, f, [4], ("", 0)).kind == "unresolved"
    # a factory (returns its nested function) is not itself an initializer
    assert initializer_function(it, evaluate(it, P, "uniform_unit_scaling_initializer")) is None

def test_a_none_parameter_is_left_to_the_source() -> None:
    # maxval=None means what random_uniform decides: not this rule's answer
    v = evaluate(interp(tree()), P, "random_uniform_initializer()")
    assert isinstance(v, FunctionV) and v.closure is not None


def test_another_familys_spelling_is_left_to_the_source() -> None:
    # factor/mode/uniform are not variance_scaling's scale/mode/distribution
    v = evaluate(interp(tree()), P, "variance_scaling_initializer()")
    assert isinstance(v, FunctionV) and v.closure is not None


def test_a_factory_that_does_not_return_its_nested_function_is_left_alone() -> None:
    v = evaluate(interp(tree()), P, "truncated_normal_initializer()")
    assert not isinstance(v, InitV)
