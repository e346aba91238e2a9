"""CompositeRule (rules/composite.py): initializers applied to parts of a shape, then
concatenated, are one composite initializer."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, evaluate, interp, line_of, make_tree, where

from tfinit_audit.analysis.engine.values import Seq, Unknown
from tfinit_audit.analysis.rules.composite import CompositeRule
from tfinit_audit.analysis.rules.initializer_classes import InitializerClassRule
from tfinit_audit.analysis.rules.values import Applied, Composite, InitV

INITIALIZERS = '''
    """A minimal Keras-like initializers module."""


    class Initializer(object):
        def __call__(self, shape, dtype=None):
            raise NotImplementedError


    class Zeros(Initializer):
        pass


    class Ones(Initializer):
        pass


    class Constant(Initializer):
        def __init__(self, value=0):
            self.value = value
    '''

BACKEND = '''
    def concatenate(tensors, axis=-1):
        return tensors
    '''

RECURRENT = '''
    """Mimics Keras ``LSTM(unit_forget_bias=True)``: a nested bias initializer that
    concatenates the bias initializer on ``units``, ones on ``units`` and the bias initializer
    on ``2 * units`` (here at module level, with ``UNITS`` for ``self.units``)."""
    from kl import backend
    from kl import initializers

    UNITS = 4
    zeros = initializers.Zeros()


    def bias_initializer(_, *args, **kwargs):
        return backend.concatenate([
            zeros((UNITS,), *args, **kwargs),
            initializers.Ones()((UNITS,), *args, **kwargs),
            zeros((UNITS * 2,), *args, **kwargs),
        ])


    def not_initializers(_):
        return backend.concatenate([[1.0] * UNITS, [0.0] * UNITS])


    def unknown_width(n):
        return backend.concatenate([zeros((n,)), initializers.Ones()((UNITS,))])
    '''

R = "kl/layers/recurrent.py"
BOTH = [InitializerClassRule(), CompositeRule()]


def tree(recurrent: str = RECURRENT) -> Any:
    return make_tree({"kl/initializers.py": INITIALIZERS, "kl/backend.py": BACKEND,
                      R: recurrent})


def ev(expr: str, t: Any = None, rules: Any = BOTH) -> Any:
    return evaluate(interp(t or tree(), rules), R, expr)


def parts(v: Any) -> list[tuple[str, dict[str, Any], int, int]]:
    assert isinstance(v, Composite), v
    out = []
    for init, start, stop in v.parts:
        assert isinstance(init, InitV), init
        out.append((init.kind, init.params, start, stop))
    return out


# ------------------------------------------------------------------ decided
def test_concatenated_parts_cover_consecutive_columns() -> None:
    t = tree()
    for rules in (BOTH, None):
        v = ev("bias_initializer((16,))", t, rules)
        assert parts(v) == [("zeros", {}, 0, 4), ("ones", {}, 4, 8), ("zeros", {}, 8, 16)]
    code = "return backend.concatenate(["
    assert where(v.hops) == [(R, line_of(t, R, code), code)]
    assert_real_lines(t, v.hops)
    zeros_part = v.parts[0][0]
    assert [h.code for h in zeros_part.hops] == ["zeros = initializers.Zeros()",
                                                 "class Zeros(Initializer):"]
    assert_real_lines(t, zeros_part.hops)


def test_an_initializer_called_on_a_shape_is_an_applied_part() -> None:
    for expr, shape in (("zeros((3, 4))", [3, 4]), ("zeros(5)", [5]),
                        ("zeros(UNITS * 3)", [12]), ("zeros(n)", None)):
        v = ev(expr)
        assert isinstance(v, Applied) and v.shape == shape, expr
        assert isinstance(v.init, InitV) and v.init.kind == "zeros"


def test_the_answer_follows_the_source() -> None:
    wider = RECURRENT.replace("(UNITS * 2,)", "(UNITS * 3,)")
    assert parts(ev("bias_initializer(None)", tree(wider)))[-1] == ("zeros", {}, 8, 20)
    constant = RECURRENT.replace("initializers.Ones()", "initializers.Constant(2.0)")
    assert parts(ev("bias_initializer(None)", tree(constant)))[1] == (
        "constant", {"value": 2.0}, 4, 8)


# ------------------------------------------------------------------ left alone
def test_concatenate_of_parts_that_are_not_initializers() -> None:
    v = ev("not_initializers(None)")
    assert isinstance(v, Seq) and len(v.items) == 2  # what the library's function returns


def test_concatenate_with_a_part_of_unknown_width() -> None:
    v = ev("unknown_width(n)")
    assert isinstance(v, Seq) and not isinstance(v, Composite)
    assert [type(i) for i in v.items] == [Applied, Applied]


def test_concatenate_of_nothing() -> None:
    v = ev("backend.concatenate([])")
    assert isinstance(v, Seq) and v.items == []


def test_without_the_rule_initializer_calls_are_not_parts() -> None:
    v = ev("bias_initializer(None)", rules=[InitializerClassRule()])
    assert isinstance(v, Seq)
    assert all(isinstance(i, Unknown) for i in v.items)
