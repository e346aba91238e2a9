"""What a cell is called on (rules/call_time.py ``call_arguments``): the RNNCell contract is
``cell(inputs, state)``, positionally, so a cell's second parameter gets its zero state
whatever it is named (TF 1.x ``GRUBlockCell.__call__(self, x, h_prev)``); a layer that is not
a cell gets the input tensor again for a second required parameter."""

from __future__ import annotations

from typing import Any

from rule_fixtures import interp
from test_call_time import tree

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import to_weights

BLOCK = '''
    """A cell that names its state ``h_prev`` and checks its width (as GRUBlockCell does), and
    a layer of two tensors that is not a cell."""
    from tensorflow.python.ops import variable_scope as vs


    class BlockCell(object):
        def __init__(self, num_units):
            self._cell_size = num_units

        @property
        def state_size(self):
            return STATE_SIZE

        def __call__(self, x, h_prev, scope=None):
            input_size = x.get_shape().with_rank(2)[1]
            cell_size = h_prev.get_shape().with_rank(2)[1]
            if cell_size != self._cell_size:
                raise ValueError("Shape of h_prev[1] incorrect")
            return vs.get_variable("w", [input_size + cell_size, self._cell_size])


    class Pair(object):
        def __init__(self, num_units):
            self._units = num_units

        def __call__(self, x, h_prev, scope=None):
            width = h_prev.get_shape().with_rank(2)[1]
            return vs.get_variable("w", [width, self._units])
    '''


def weights(cls: str, state_size: str = "self._cell_size") -> list[Weight]:
    t = tree({"mylib/block.py": BLOCK.replace("STATE_SIZE", state_size)})
    it = interp(t)
    c = it.value_at("mylib/block.py", cls)
    assert isinstance(c, ClassV)
    _, captured, _ = build_layer(it, c, {"num_units": 4}, Dims(units=4), [None, 3])
    return to_weights(it, captured)


def shapes(ws: list[Any]) -> dict[str, list[int | None]]:
    return {w.name: w.shape for w in ws}


def test_a_cell_s_second_parameter_is_its_state_whatever_its_name() -> None:
    assert shapes(weights("BlockCell")) == {"w": [3 + 4, 4]}


def test_the_state_is_what_state_size_says() -> None:
    # a state of another width: the cell's own check refuses it, nothing is made
    assert weights("BlockCell", state_size="self._cell_size + 1") == []


def test_a_layer_that_is_not_a_cell_gets_the_input_again() -> None:
    assert shapes(weights("Pair")) == {"w": [3, 4]}
