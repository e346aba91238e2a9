"""rules/inputs.py: what a layer is built with -- required constructor arguments filled from
the run's dims by their TF/Keras names, and the input shape handed to ``build()``."""

from __future__ import annotations

import pytest
from rule_fixtures import interp, make_tree

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.rules.inputs import input_shape_for, required_args
from tfinit_audit.analysis.rules.weights import to_weights

LAYERS = '''
    """Mimics a layers package: a base ``Layer``, Keras' ``RNN`` and ``Wrapper`` bases, a
    TF-style ``BaseRNN`` base, convolution / embedding / normalization layers named as in
    Keras, and a class whose own name ends in RNN but has no recurrent base."""


    class Layer(object):
        def add_weight(self, name, shape, initializer=None):
            return name


    class RNN(Layer):
        pass


    class Wrapper(Layer):
        pass


    class LSTM(RNN):
        pass


    class Bidirectional(Wrapper):
        pass


    class BaseRNN(Layer):
        pass


    class GRU(BaseRNN):
        pass


    class StackedRNN(Layer):
        pass


    class Conv2D(Layer):
        pass


    class Conv2DTranspose(Layer):
        pass


    class Embedding(Layer):
        pass


    class BatchNormalization(Layer):
        pass


    class Dense(Layer):
        def __init__(self, units, input_dim=3, activation=None):
            self.units = units
            self.input_dim = input_dim

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=(input_shape[-1], self.units))
            self.extra = self.add_weight("extra", shape=(self.input_dim,))
    '''

P = "mylib/layers.py"


def shape(name: str, dims: Dims | None = None, layers: str = LAYERS) -> list[int | None]:
    it = interp(make_tree({P: layers}))
    cls = it.value_at(P, name)
    assert isinstance(cls, ClassV)
    return input_shape_for(it, cls, dims or Dims())


# ------------------------------------------------------------------ decided
@pytest.mark.parametrize("name", ["RNN", "Wrapper", "LSTM", "Bidirectional", "GRU"])
def test_recurrent_layers_get_a_time_axis(name: str) -> None:
    assert shape(name) == [None, 10, 32]


@pytest.mark.parametrize("name, expected", [
    ("Conv2D", [None, 5, 5, 3]), ("Conv2DTranspose", [None, 5, 5, 3]),
    ("Embedding", [None, 10]), ("BatchNormalization", [None, 32]),
])
def test_layers_named_as_in_keras(name: str, expected: list[int | None]) -> None:
    assert shape(name) == expected


def test_the_shape_follows_the_dims() -> None:
    dims = Dims(input_dim=7, conv_channels=1, batchnorm_features=9)
    assert shape("LSTM", dims) == [None, 10, 7]
    assert shape("Conv2D", dims) == [None, 5, 5, 1]
    assert shape("BatchNormalization", dims) == [None, 9]
    assert shape("Dense", dims) == [None, 7]


def test_the_answer_follows_the_source() -> None:
    assert shape("Dense") == [None, 32]
    assert shape("Dense", layers=LAYERS.replace("class Dense(Layer):", "class Dense(RNN):")) \
        == [None, 10, 32]


def test_required_arguments_come_from_the_dims() -> None:
    dims = Dims(units=5, conv_filters=2, conv_kernel=(1, 1), embedding_input_dim=50,
                embedding_output_dim=6)
    assert required_args(dims) == {"num_units": 5, "units": 5, "filters": 2,
                                   "kernel_size": (1, 1), "input_dim": 50, "output_dim": 6}


def test_a_required_constructor_parameter_is_filled_from_the_dims() -> None:
    t = make_tree({P: LAYERS})
    it = interp(t)
    cls = it.value_at(P, "Dense")
    assert isinstance(cls, ClassV)
    dims = Dims(units=5, input_dim=8, embedding_input_dim=50)
    _, captured, _ = build_layer(it, cls, {}, dims, input_shape_for(it, cls, dims))
    shapes = {w.name: w.shape for w in to_weights(it, captured)}
    assert shapes["kernel"] == [8, 5]  # units=5 filled in (no default)
    # ``input_dim`` has a default: the release's default, not the run's embedding dim
    assert shapes["extra"] == [3]


# ------------------------------------------------------------------ left alone
@pytest.mark.parametrize("name", ["Layer", "Dense", "BaseRNN", "StackedRNN"])
def test_other_layers_get_batch_and_features(name: str) -> None:
    # BaseRNN/StackedRNN: the class's own name is not a recurrent base
    assert shape(name) == [None, 32]
