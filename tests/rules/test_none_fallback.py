"""rules/none_fallback.py: a ``None`` initializer is followed into the library until a line of
the library decides what it means."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, interp, line_of, make_tree, where

from tfinit_audit.analysis.engine.values import Const, FunctionV, Seq, Unknown
from tfinit_audit.analysis.rules.none_fallback import (
    follow_none_initializer,
    initializer_arg,
    is_initializer,
)
from tfinit_audit.analysis.rules.values import Composite, DType, InitV

INIT_OPS = '''
    """A minimal init_ops: classes and a factory function returning a preset."""


    class Initializer(object):
        pass


    class Zeros(Initializer):
        pass


    class Orthogonal(Initializer):
        def __init__(self, gain=1.0):
            self.gain = gain


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
            self.scale = scale


    def glorot_uniform_initializer():
        return VarianceScaling(scale=1.0, mode="fan_avg", distribution="uniform")
    '''

DTYPES = '''
    class DType(object):
        pass


    float32 = DType()
    int32 = DType()
    '''

SCOPE = '''
    """Mimics TF 1.x variable_scope.py: ``get_variable`` passes the None on to a store, whose
    ``_default_initializer`` picks glorot_uniform for floating dtypes, zeros for integers and
    bools, and raises otherwise."""
    from mylib.framework import dtypes
    from mylib.ops import init_ops


    class _Store(object):
        def get_variable(self, name, shape=None, dtype=dtypes.float32, initializer=None):
            if initializer is None:
                initializer = self._default_initializer(name, dtype)
            return self._make(name, shape, initializer)

        def _default_initializer(self, name, dtype):
            if dtype.is_floating:
                init = init_ops.glorot_uniform_initializer()
            elif dtype.is_integer or dtype.is_bool:
                init = init_ops.Zeros()
            else:
                raise ValueError("An initializer for variable %s is required" % name)
            return init

        def _make(self, name, shape, initializer):
            return name


    def get_variable(name, shape=None, dtype=dtypes.float32, initializer=None):
        return _Store().get_variable(
            name, shape=shape, dtype=dtype,
            initializer=initializer)
    '''

BASE_LAYER = '''
    """Mimics the Keras / tf.layers ``Layer``: ``add_variable`` forwards ``*args, **kwargs`` to
    ``add_weight``, whose own ``if initializer is None:`` branch decides; ``add_slot`` replaces
    the None while passing it on (``initializer or ...``); ``add_unset`` never decides."""
    from mylib.ops import init_ops


    class Layer(object):
        def add_weight(self, name, shape, initializer=None):
            if initializer is None:
                initializer = init_ops.Orthogonal(gain=0.5)
            return name

        def add_variable(self, *args, **kwargs):
            return self.add_weight(*args, **kwargs)

        def add_slot(self, name, shape, initializer=None):
            return self.add_weight(name, shape, initializer=initializer or init_ops.Zeros())

        def add_unset(self, name, shape, initializer=None):
            return self._keep(name, initializer)

        def _keep(self, name, initializer):
            return name
    '''

S = "mylib/ops/variable_scope.py"
L = "mylib/layers/base.py"


def tree(scope: str = SCOPE) -> Any:
    return make_tree({"mylib/ops/init_ops.py": INIT_OPS, "mylib/framework/dtypes.py": DTYPES,
                      S: scope, L: BASE_LAYER})


def follow(t: Any, path: str, qualname: str, **kwargs: Any) -> tuple[Any, Any]:
    it = interp(t)
    f = it.value_at(path, qualname)
    assert isinstance(f, FunctionV)
    if f.owner is not None:  # a method: called on an instance of its class
        f = f.with_receiver(it.instantiate(f.owner, [], {}))
    return follow_none_initializer(it, f, [Const(value="v"), Seq(items=[Const(value=3)])],
                                   kwargs, None)


# ------------------------------------------------------------------ decided
def test_none_falls_through_to_the_scope_default() -> None:
    t = tree()
    value, hops = follow(t, S, "get_variable")
    assert isinstance(value, InitV)
    assert (value.kind, value.params) == (
        "glorot_uniform", {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"})
    assert where(hops) == [
        at(t, S, "initializer=initializer)"),
        at(t, S, "initializer = self._default_initializer(name, dtype)"),
    ]
    assert hops[0].note == "get_variable: passes initializer = None on to get_variable"
    # the value carries the lines that made it, down to the factory function
    assert where(value.hops)[:3] == [
        at(t, S, "return init"),
        at(t, S, "init = init_ops.glorot_uniform_initializer()"),
        at(t, "mylib/ops/init_ops.py",
           'return VarianceScaling(scale=1.0, mode="fan_avg", distribution="uniform")'),
    ]
    assert_real_lines(t, [*hops, *value.hops])


def test_the_dtype_picks_the_default() -> None:
    value, _ = follow(tree(), S, "get_variable", dtype=DType(name="int32"))
    assert isinstance(value, InitV) and value.kind == "zeros"


def test_forwarded_args_and_the_layers_own_default() -> None:
    t = tree()
    value, hops = follow(t, L, "Layer.add_variable")
    assert isinstance(value, InitV) and (value.kind, value.params) == ("orthogonal", {"gain": 0.5})
    assert where(hops) == [at(t, L, "return self.add_weight(*args, **kwargs)"),
                           at(t, L, "initializer = init_ops.Orthogonal(gain=0.5)")]
    assert hops[0].note == "add_variable: passes initializer = None on to add_weight"


def test_a_none_replaced_while_passed_on_is_decided_at_that_line() -> None:
    t = tree()
    value, hops = follow(t, L, "Layer.add_slot")
    assert isinstance(value, InitV) and value.kind == "zeros"
    code = "return self.add_weight(name, shape, initializer=initializer or init_ops.Zeros())"
    assert where(hops) == [at(t, L, code)]
    assert hops[0].note == "add_slot: passes initializer=zeros()"


def test_the_answer_follows_the_source() -> None:
    changed = SCOPE.replace("init = init_ops.glorot_uniform_initializer()",
                            "init = init_ops.Orthogonal(gain=2.0)")
    t = tree(changed)
    value, hops = follow(t, S, "get_variable")
    assert isinstance(value, InitV) and (value.kind, value.params) == ("orthogonal", {"gain": 2.0})
    assert_real_lines(t, [*hops, *value.hops])
    assert "init = init_ops.Orthogonal(gain=2.0)" in [h.code for h in value.hops]


# ------------------------------------------------------------------ left alone
def test_a_none_no_library_line_decides_stays_unresolved() -> None:
    t = tree()
    value, hops = follow(t, L, "Layer.add_unset")
    # followed as far as it is passed on, then left unresolved: nothing is guessed
    assert isinstance(value, Unknown) and value.text == "initializer stays None in _keep"
    assert (value.path, value.line) == (L, line_of(t, L, "def _keep(self, name, initializer):"))
    assert where(hops) == [at(t, L, "return self._keep(name, initializer)")]
    it = interp(t)
    keep = it.value_at(L, "Layer._keep")
    assert isinstance(keep, FunctionV)
    args = [Unknown(text="self"), Const(value="v"), Const(value=None)]
    value, hops = follow_none_initializer(it, keep, args, {}, None)
    assert isinstance(value, Unknown) and hops is None


def test_a_dtype_without_a_default_is_not_given_one() -> None:
    # the store raises for strings: that path is not taken, nothing decides
    value, _ = follow(tree(), S, "get_variable", dtype=DType(name="string"))
    assert isinstance(value, Unknown)


def test_an_unknown_dtype_is_not_guessed() -> None:
    value, _ = follow(tree(), S, "get_variable", dtype=Unknown(text="dtype"))
    assert isinstance(value, Unknown)


def test_what_counts_as_an_initializer_and_as_the_initializer_argument() -> None:
    it = interp(tree())
    assert is_initializer(InitV(kind="zeros")) and is_initializer(Composite())
    assert not is_initializer(Const(value=None)) and not is_initializer(Unknown())
    add_slot = it.value_at(L, "Layer.add_slot")
    assert isinstance(add_slot, FunctionV)
    z, me = InitV(kind="zeros"), Unknown(text="self")
    assert initializer_arg(add_slot, [me, Const(value="b"), Const(value=3), z], {}) is z
    assert initializer_arg(add_slot, [me, Const(value="b")], {"initializer": z}) is z
    assert initializer_arg(add_slot, [me, Const(value="b"), Const(value=3)], {}) is None
    bound = add_slot.with_receiver(me)  # a bound method: self is not among the arguments
    assert initializer_arg(bound, [Const(value="b"), Const(value=3), z], {}) is z
