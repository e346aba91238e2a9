"""``nest.flatten`` bound to a C helper (rules/tensors.py ``NestRule``): TF 1.12's
``nest.flatten = _pywrap_tensorflow.Flatten``, which Keras ``Layer.__call__`` applies to its
inputs before it takes the layer's dtype from the first one -- the dtype a cell's ``build``
then chooses its bias initializer on (1.12 ``LSTMCell.build``: ``if self.dtype is None``)."""

from __future__ import annotations

from typing import Any

from rule_fixtures import interp
from test_call_time import built, tree

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import to_weights

DTYPED = '''
    """A cell that takes its dtype from its first input, flattened (as Keras
    Layer.__call__ does), and whose bias initializer depends on that dtype."""
    from tensorflow.python.ops import init_ops
    from tensorflow.python.ops import variable_scope as vs
    from tensorflow.python.util import nest
    from mylib.cells import RNNCell


    class DtypedCell(RNNCell):
        def __init__(self, num_units):
            self._num_units = num_units
            self._dtype = None

        @property
        def state_size(self):
            return self._num_units

        def __call__(self, inputs, state, scope=None):
            input_list = nest.flatten(inputs)
            if input_list and self._dtype is None:
                self._dtype = input_list[0].dtype.name
            with vs.variable_scope(scope or "dtyped"):
                if self._dtype is None:
                    init = init_ops.Zeros()
                else:
                    init = init_ops.Ones()
                return vs.get_variable("bias", [self._num_units], initializer=init)
    '''

PYWRAP = '''
    def IsSequence(o):
        return _native.IsSequence(o)


    def Flatten(nested):
        return _native.Flatten(nested)


    def FlattenDicts(nested):
        return _native.FlattenDicts(nested)
    '''


def nest(helper: str) -> str:
    return ('from tensorflow.python import pywrap_helpers\n'
            'is_sequence = pywrap_helpers.IsSequence\n'
            f'flatten = pywrap_helpers.{helper}\n')


def bias(helper: str) -> Weight:
    t = tree({"mylib/dtyped.py": DTYPED, "tensorflow/python/pywrap_helpers.py": PYWRAP,
              "tensorflow/python/util/nest.py": nest(helper)})
    return built_in(t)


def built_in(t: Any) -> Weight:
    it = interp(t)
    c = it.value_at("mylib/dtyped.py", "DtypedCell")
    assert isinstance(c, ClassV)
    _, captured, _ = build_layer(it, c, {"num_units": 4}, Dims(units=4), [None, 3])
    [w] = to_weights(it, captured)
    return w


def test_flatten_bound_to_the_c_helper_gives_the_list_of_the_tensor() -> None:
    # the input's dtype reaches the layer: its bias is the known-dtype arm's
    w = bias("Flatten")
    assert (w.name, w.shape, w.initializer.kind) == ("dtyped/bias", [4], "ones")


def test_another_helper_is_left_alone() -> None:
    # a helper of another name is not nest.flatten: the dtype stays unknown, both arms differ
    w = bias("FlattenDicts")
    assert w.initializer.kind == "unresolved"


def test_the_cells_fixture_still_builds() -> None:
    assert "kernel" in built("LSTMCell", num_units=4, num_proj=2)
