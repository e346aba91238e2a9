"""analysis/layers.py ``_guarded_arguments`` with analysis/guards.py: a constructor that raises
for the arguments given, under a test of what a base class stored (TF 2.4
``rnn_cell_wrapper_v2.DropoutWrapper.__init__(self, *args, **kwargs)`` passes everything to
its bases, one of which sets ``self.cell``, then raises ``ValueError: keras LSTM cell does not
work with DropoutWrapper`` for the table's Keras ``LSTMCell``): the symbol needs another
``cell`` -- never the weights of a construction TensorFlow refuses. A raise under no test of
a parameter (an abstract base whose constructor calls a method that raises
``NotImplementedError``) makes the symbol ``unavailable``: nothing to give would stop it. A
fixture here, the real 2.4.4 wheel in tests/test_refused_inputs_real.py.

Under a test of optional parameters the table has, each is tried in turn; under one it lacks,
the symbol needs it. A constructor that raises nothing runs once: the object its raises were
read from is the one its first build takes (it was constructed twice, ~10-20 % of an
analysis); so does the one that stopped the raise."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from keras_fixture import M, answer, tree

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.model import Dims

LAYERS = '''
    """Cells and a wrapper whose constructor refuses one of them."""
    from kl import base


    class LSTMCell(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units * 4),
                                          initializer="glorot_uniform")


    class GRUCell(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units * 3),
                                          initializer="glorot_uniform")


    class WrapperBase(base.Layer):
        def __init__(self, cell, keep_prob=1.0):
            super().__init__()
            self.cell = cell
            self.keep_prob = keep_prob

        def build(self, input_shape):
            self.cell.build(input_shape)


    class Abstract(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units
            self.reset_state()

        def reset_state(self):
            raise NotImplementedError("Subclasses should implement `reset_state`")

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")


    class DropoutWrapper(WrapperBase):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if isinstance(self.cell, LSTMCell):
                raise ValueError("LSTM cells do not work with DropoutWrapper")


    class Either(base.Layer):
        def __init__(self, units=None, num_units=None):
            super().__init__()
            if (units is None) == (num_units is None):
                raise ValueError("give one of units and num_units")
            self.n = units or num_units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.n),
                                          initializer="glorot_uniform")


    class Needs(base.Layer):
        def __init__(self, units, depth=None):
            super().__init__()
            if depth is None:
                raise ValueError("depth is required")
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="zeros")
    '''


def _tree():  # type: ignore[no-untyped-def]
    return tree(LAYERS, "DropoutWrapper, LSTMCell, GRUCell, Abstract, Either, Needs")


def test_a_constructor_refusing_the_tables_cell_needs_another() -> None:
    r = answer(_tree(), "tf.DropoutWrapper")
    assert r.status == "needs-args" and r.missing_arguments == ["cell"], r.message
    assert not r.weights
    message = r.message or ""
    assert "cell: another than the one given (table), which its code refuses" in message
    assert "ValueError: LSTM cells do not work with DropoutWrapper" in message


def test_a_cell_the_constructor_accepts_is_built() -> None:
    r = answer(_tree(), "tf.DropoutWrapper",
               Dims(units=4, input_dim=3, given={"cell": "GRUCell"}))
    assert r.status == "resolved", r.message
    assert [(w.name, w.shape) for w in r.weights] == [("kernel", [3, 12])]


def test_a_constructor_raising_under_no_test_of_a_parameter_is_unavailable() -> None:
    # nothing to give would stop it: TensorFlow refuses the construction, no weight list
    r = answer(_tree(), "tf.Abstract")
    assert (r.status, r.weights) == ("unavailable", []), r.message
    assert r.message == ("its constructor raises NotImplementedError: Subclasses should "
                         "implement `reset_state` (kl/layers.py:43) for the arguments given")


def test_a_guard_the_table_can_answer_is_answered() -> None:
    # units and num_units both unset: the first of them the table has (units) stops the raise
    r = answer(_tree(), "tf.Either", Dims(units=4, input_dim=3))
    assert r.status == "resolved", r.message
    assert [(a.name, a.value) for a in r.arguments] == [("units", 4)]
    assert [(w.name, w.shape, w.initializer.kind) for w in r.weights] == [
        ("kernel", [3, 4], "glorot_uniform")]


def test_a_guard_the_table_cannot_answer_is_what_the_symbol_needs() -> None:
    r = answer(_tree(), "tf.Needs")
    assert (r.status, r.missing_arguments, r.weights) == ("needs-args", ["depth"], [])
    lines = textwrap.dedent(LAYERS).splitlines()
    line = lines.index('            raise ValueError("depth is required")') + 1
    assert f"its constructor raises ValueError: depth is required ({M}:{line})" \
        in (r.message or "")


@pytest.mark.parametrize(("name", "constructions"), [("LSTMCell", 1), ("Either", 2)])
def test_a_constructor_runs_once_unless_it_raised(monkeypatch: pytest.MonkeyPatch, name: str,
                                                  constructions: int) -> None:
    # Either: raises (1), then tried with the table's units (2): that object is built
    seen: list[str] = []
    instantiate = Interpreter.instantiate

    def spy(self: Interpreter, cls: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(cls.name)
        return instantiate(self, cls, *args, **kwargs)

    monkeypatch.setattr(Interpreter, "instantiate", spy)
    r = answer(_tree(), f"tf.{name}")
    assert r.status == "resolved", r.message
    assert seen.count(name) == constructions
