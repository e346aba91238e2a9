"""InitializerClassRule (rules/initializer_classes.py): a class of the vocabulary, instantiated,
is an initializer value whose parameters are the release's constructor's."""

from __future__ import annotations

from typing import Any

import pytest
from rule_fixtures import assert_real_lines, at, evaluate, interp, line_of, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV, Const, Instance, Unknown
from tfinit_audit.analysis.rules.initializer_classes import InitializerClassRule
from tfinit_audit.analysis.rules.values import InitV

INIT_OPS = '''
    """Mimics tensorflow/python/ops/init_ops.py: an ``Initializer`` base, classes whose
    ``__init__`` defaults carry the parameters, ``VarianceScaling`` with the truncated-normal
    correction constant in ``__call__``, a preset subclass that only calls its base with fixed
    arguments, an initializer class outside the vocabulary, and a class that is no initializer."""
    import math


    class Initializer(object):
        def __call__(self, shape, dtype=None):
            raise NotImplementedError


    class RandomUniform(Initializer):
        def __init__(self, minval=-0.05, maxval=0.05, seed=None):
            self.minval = minval
            self.maxval = maxval


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
            self.scale = scale

        def __call__(self, shape, dtype=None):
            stddev = math.sqrt(self.scale) / .87962566103423978
            return stddev


    class GlorotNormal(VarianceScaling):
        def __init__(self, seed=None):
            super(GlorotNormal, self).__init__(
                scale=1.0, mode="fan_avg", distribution="truncated_normal", seed=seed)


    class Scaled(Initializer):
        def __init__(self, factor=2.0):
            self.factor = factor


    class Dense(object):
        def __init__(self, units=3):
            self.units = units


    def make():
        init = RandomUniform(maxval=1.0)
        return init


    def pick():
        cls = GlorotNormal
        return cls
    '''

P = "mylib/ops/init_ops.py"


def tree(init_ops: str = INIT_OPS) -> Any:
    return make_tree({P: init_ops, "mylib/user.py": "from mylib.ops import init_ops\n"})


def ev(expr: str, t: Any = None, rules: Any = None) -> Any:
    return evaluate(interp(t or tree(), rules), "mylib/user.py", expr)


def init(expr: str, t: Any = None, rules: Any = None) -> InitV:
    v = ev(expr, t, rules)
    assert isinstance(v, InitV), (expr, v)
    assert_real_lines(t or tree(), v.hops)
    return v


# ------------------------------------------------------------------ decided
@pytest.mark.parametrize("rules", [None, [InitializerClassRule()]], ids=["engine", "alone"])
def test_constructor_defaults_are_the_parameters(rules: Any) -> None:
    t = tree()
    v = init("init_ops.RandomUniform()", t, rules)
    assert (v.kind, v.params) == ("random_uniform", {"minval": -0.05, "maxval": 0.05})
    assert where(v.hops) == [
        at(t, P, "class RandomUniform(Initializer):"),
        at(t, P, "def __init__(self, minval=-0.05, maxval=0.05, seed=None):"),
    ]
    assert v.hops[1].note == "RandomUniform.__init__ defaults: minval=-0.05, maxval=0.05"


def test_the_default_line_is_a_hop_only_for_the_parameters_left_to_it() -> None:
    v = init("init_ops.RandomUniform(maxval=1.0)")
    assert v.params == {"minval": -0.05, "maxval": 1.0}
    assert v.hops[1].note == "RandomUniform.__init__ defaults: minval=-0.05"
    v = init("init_ops.RandomUniform(-1.0, 1.0)")
    assert v.params == {"minval": -1.0, "maxval": 1.0}
    assert [h.note for h in v.hops] == ["class RandomUniform; the call gives every parameter"]


def test_a_preset_that_calls_its_base_is_followed_into_it() -> None:
    t = tree()
    v = init("init_ops.GlorotNormal()", t)
    assert (v.kind, v.params) == (
        "glorot_normal", {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"})
    assert where(v.hops) == [at(t, P, "class GlorotNormal(VarianceScaling):"),
                             at(t, P, "super(GlorotNormal, self).__init__(")]
    assert v.truncation == pytest.approx(0.87962566103423978)


def test_variance_scaling_arguments_are_named_after_their_preset() -> None:
    v = init("init_ops.VarianceScaling(2.0, 'fan_in', 'uniform')")
    assert (v.kind, v.params) == ("he_uniform",
                                  {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"})
    assert init("init_ops.VarianceScaling(scale=3.0)").kind == "variance_scaling"


def test_initializer_values_record_assign_and_return_lines() -> None:
    t = tree()
    v = init("init_ops.make()", t)
    assert where(v.hops)[:2] == [at(t, P, "return init"),
                                 at(t, P, "init = RandomUniform(maxval=1.0)")]
    # a class passed uninstantiated is recorded where it is assigned
    c = ev("init_ops.pick()", t)
    assert isinstance(c, ClassV) and where(c.hops) == [at(t, P, "cls = GlorotNormal")]


def test_parameters_read_as_attributes() -> None:
    v = ev("init_ops.RandomUniform(maxval=2.0).maxval")
    assert isinstance(v, Const) and v.value == 2.0


def test_the_answer_follows_the_constructor_defaults() -> None:
    changed = tree(INIT_OPS.replace("minval=-0.05, maxval=0.05", "minval=-0.5, maxval=0.5"))
    assert init("init_ops.RandomUniform()", changed).params == {"minval": -0.5, "maxval": 0.5}
    changed = tree(INIT_OPS.replace('scale=1.0, mode="fan_avg"', 'scale=2.0, mode="fan_in"'))
    assert init("init_ops.GlorotNormal()", changed).kind == "he_normal"


def test_the_truncation_constant_is_read_from_the_release() -> None:
    changed = tree(INIT_OPS.replace(".87962566103423978", ".8796256"))
    assert init("init_ops.GlorotNormal()", changed).truncation == pytest.approx(0.8796256)
    assert init("init_ops.GlorotNormal()", changed).truncation != 0.87962566103423978


# ------------------------------------------------------------------ left alone
def test_a_class_that_is_not_an_initializer_class_is_an_ordinary_object() -> None:
    v = ev("init_ops.Dense()")
    assert isinstance(v, Instance) and v.cls.name == "Dense"


def test_an_initializer_class_outside_the_vocabulary_is_unresolved() -> None:
    t = tree()
    v = ev("init_ops.Scaled()", t)
    assert isinstance(v, Unknown) and v.text == "initializer class Scaled"
    assert (v.path, v.line) == (P, line_of(t, P, "class Scaled(Initializer):"))


def test_without_the_rule_an_initializer_is_an_ordinary_object() -> None:
    v = ev("init_ops.RandomUniform()", rules=[])
    assert isinstance(v, Instance) and v.cls.name == "RandomUniform"


def test_attributes_the_object_does_not_have_are_not_answered() -> None:
    # this RandomUniform's constructor keeps no seed
    assert isinstance(ev("init_ops.RandomUniform().seed"), Unknown)


def test_an_initializer_value_is_also_an_object_of_its_class() -> None:
    t = tree(INIT_OPS.replace("""            self.scale = scale
""", """            self.scale = scale
            self.mode = mode

        def get_config(self):
            return {"scale": self.scale, "mode": self.mode}
"""))
    cls = ev("init_ops.GlorotNormal().__class__", t)
    assert isinstance(cls, ClassV) and cls.name == "GlorotNormal"
    assert ev("isinstance(init_ops.GlorotNormal(), init_ops.VarianceScaling)", t).value is True
    assert ev("isinstance(init_ops.RandomUniform(), init_ops.VarianceScaling)", t).value is False
    assert ev("init_ops.GlorotNormal().mode", t).value == "fan_avg"  # set by the base's init
    cfg = ev("init_ops.GlorotNormal().get_config()", t)
    assert {k: v.value for k, v in cfg.items.items()} == {"scale": 1.0, "mode": "fan_avg"}
