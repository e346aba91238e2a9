"""layers.build_layer: a layer whose own checks reject the documented input before it creates
a weight (``if len(input_shape) != 3: raise ValueError``, Keras ``Conv1DTranspose``) is built
again on an input of unknown rank; its weights are found, each with the line that rejected the
documented input. The engine keeps where an abstract ``raise`` ended a call."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, evaluate, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV, Unknown
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import to_weights

INIT_OPS = '''
    class Initializer(object):
        pass


    class Zeros(Initializer):
        pass


    class Ones(Initializer):
        pass
    '''

LAYERS = '''
    """Mimics Keras transposed convolutions: the rank is checked before any weight is made;
    ``Flat`` accepts the documented rank; ``Picky`` raises for any input."""
    from mylib.ops import init_ops


    class Layer(object):
        def add_weight(self, name, shape, initializer=None):
            return name


    class Deconv(Layer):
        def __init__(self, filters):
            self.filters = filters

        def build(self, input_shape):
            if len(input_shape) != 3:
                raise ValueError("Inputs should have rank 3")
            kernel_shape = (3, self.filters, input_shape[-1])
            self.kernel = self.add_weight("kernel", shape=kernel_shape,
                                          initializer=init_ops.Ones())
            self.bias = self.add_weight("bias", shape=(self.filters,),
                                        initializer=init_ops.Zeros())


    class Flat(Deconv):
        def build(self, input_shape):
            if len(input_shape) != 2:
                raise ValueError("Inputs should have rank 2")
            self.kernel = self.add_weight("kernel", shape=(input_shape[-1], self.filters),
                                          initializer=init_ops.Ones())


    class Picky(Layer):
        def build(self, input_shape):
            raise ValueError("never")


    def checked(n):
        if n > 2:
            raise ValueError("too big")
        return n
    '''

P = "mylib/layers/conv.py"


def tree(layers: str = LAYERS) -> Any:
    return make_tree({"mylib/ops/init_ops.py": INIT_OPS, P: layers})


def weights(t: Any, cls_name: str) -> dict[str, Weight]:
    it = interp(t)
    cls = it.value_at(P, cls_name)
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, {"filters": 8}, Dims(units=4), [None, 32])
    return {w.name: w for w in to_weights(it, captured)}


# ------------------------------------------------------------------ decided
def test_a_rejected_input_is_replaced_by_one_of_unknown_rank() -> None:
    t = tree()
    ws = weights(t, "Deconv")
    assert sorted(ws) == ["bias", "kernel"]
    k, b = ws["kernel"], ws["bias"]
    assert (k.initializer.kind, k.shape) == ("ones", None)  # the kernel depends on the input
    assert (b.initializer.kind, b.shape) == ("zeros", [8])  # the bias does not
    assert where(k.provenance)[:2] == [
        at(t, P, 'self.kernel = self.add_weight("kernel", shape=kernel_shape,'),
        at(t, P, 'raise ValueError("Inputs should have rank 3")'),
    ]
    assert k.provenance[1].note == ("the layer rejects the input shape (None, 32) here; "
                                    "weights as created for an input of unknown rank")
    assert_real_lines(t, k.provenance)


def test_the_raise_ends_the_call_with_its_place() -> None:
    t = tree()
    v = evaluate(interp(t), P, "checked(5)")
    assert isinstance(v, Unknown) and (v.path, v.line) == (P, at(t, P, 'raise ValueError("too '
                                                                       'big")')[1])


def test_the_answer_follows_the_source() -> None:
    ws = weights(tree(LAYERS.replace("if len(input_shape) != 3:", "if len(input_shape) != 2:")),
                 "Deconv")
    k = ws["kernel"]
    assert k.shape == [3, 8, 32]  # the documented input is accepted: concrete, nothing rejected
    assert not any("rejects" in h.note for h in k.provenance)


# ------------------------------------------------------------------ left alone
def test_an_accepted_input_is_used_as_given() -> None:
    k = weights(tree(), "Flat")["kernel"]
    assert k.shape == [32, 8] and not any("rejects" in h.note for h in k.provenance)


def test_a_layer_that_rejects_every_input_has_no_weights() -> None:
    assert weights(tree(), "Picky") == {}
