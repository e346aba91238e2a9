"""``TensorV.same_as`` where the arms of an undecidable ``if`` meet (``engine/joins.merge``): a
tensor is what the analysis knows of it, so two plain tensors of one static shape, dtype and
variable are alike and stay known (Keras 2.15 ``Layer.__call__`` gives its ``call``'s outputs
from either arm of ``if build_graph:``); any difference, or a tensor a rule knows more of (an
expression of initializers), is not."""

from __future__ import annotations

from rule_fixtures import interp, make_tree

from tfinit_audit.analysis.engine.frames import EAGER
from tfinit_audit.analysis.engine.joins import merge
from tfinit_audit.analysis.engine.values import FunctionV, Seq, Unknown
from tfinit_audit.analysis.rules.values import ExprV, TensorV

CALLER = "mylib/layer.py"
LAYER = '''
    def call(build_graph, x, y):
        # the same call either way: outputs alike on both arms
        if build_graph:
            outputs = (x, (x, y))
        else:
            outputs = (y, (y, x))
        return outputs
    '''


def test_alike_tensors_are_one_where_arms_meet() -> None:
    a, b = TensorV(shape=[None, 64]), TensorV(shape=[None, 64])
    assert merge(a, b) is a
    for other in (TensorV(shape=[None, 32]), TensorV(shape=[None, 64], dtype="float16"),
                  TensorV(shape=[None, 64], variable=object())):
        assert isinstance(merge(a, other), Unknown)
    expr = ExprV(shape=[None, 64])
    assert not a.same_as(expr) and not expr.same_as(a)


def test_a_call_whose_arms_give_alike_tensors_is_known_after_the_if() -> None:
    it = interp(make_tree({CALLER: LAYER}))
    f = it.value_at(CALLER, "call")
    assert isinstance(f, FunctionV)
    x, y = TensorV(shape=[None, 64]), TensorV(shape=[None, 64])
    out = it.call(f, [Unknown(text="build_graph"), x, y], {}, mode=EAGER)
    assert isinstance(out, Seq) and out.items[0] is x
    z = TensorV(shape=[None, 32])
    out = it.call(f, [Unknown(text="build_graph"), x, z], {}, mode=EAGER)
    assert isinstance(out, Unknown)  # (x, ...) on one arm, (z, ...) on the other
