"""What the live probe builds a layer on (tfinit_audit/live/probe.py, imported here without
TensorFlow): the input shape the static analysis reports, handed to ``build`` as the layer's
own ``__call__`` would hand it -- a TensorShape when a module of the class's bases sees a
``tf_utils`` defining ``shape_type_conversion`` (Keras 2, ``tf.layers``), the tuple otherwise
(Keras 3) -- as rules/shapes.py ``build_input`` has the static side build it."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from tfinit_audit.live import probe


class FakeShape:
    """Stands in for tf.TensorShape: keeps the dims, has ``.dims`` as a fused cell reads."""

    def __init__(self, dims: list[int | None]) -> None:
        self.dims = list(dims)


@pytest.fixture()
def modules() -> Iterator[dict[str, types.ModuleType]]:
    """A Keras-2-like module (sees tf_utils.shape_type_conversion and tensor_shape) and a
    Keras-3-like one (no such tf_utils), registered in sys.modules for the test."""
    tf_utils = types.ModuleType("fake_tf_utils")
    tf_utils.shape_type_conversion = lambda fn: fn  # type: ignore[attr-defined]
    tensor_shape = types.ModuleType("fake_tensor_shape")
    tensor_shape.TensorShape = FakeShape  # type: ignore[attr-defined]
    k2 = types.ModuleType("fake_keras2_base")
    k2.tf_utils = tf_utils  # type: ignore[attr-defined]
    k2.tensor_shape = tensor_shape  # type: ignore[attr-defined]
    k3 = types.ModuleType("fake_keras3_base")
    made = {"fake_keras2_base": k2, "fake_keras3_base": k3}
    sys.modules.update(made)
    try:
        yield made
    finally:
        for name in made:
            sys.modules.pop(name, None)


def _layer_class(module: str) -> type:
    """A layer whose base lives in ``module`` and whose build records what it got (reading
    ``input_shape.dims[2]`` as LSTMBlockFusedCell.build does when it is a TensorShape)."""

    class Base:
        pass

    Base.__module__ = module

    class Fused(Base):
        def __init__(self) -> None:
            self.got: list[Any] = []
            self.weights: list[Any] = []

        def build(self, input_shape: Any) -> None:
            self.got.append(input_shape)
            depth = input_shape.dims[2] if hasattr(input_shape, "dims") else input_shape[2]
            self.weights.append(("kernel", depth))

    Fused.__module__ = "fake_user_module"
    return Fused


def test_keras2_layer_builds_on_a_tensorshape_of_the_reported_input(
        modules: dict[str, types.ModuleType]) -> None:
    layer = _layer_class("fake_keras2_base")()
    # the analysis called it on a time-major [None, 5, 32] (input_spec ndim=3): the probe
    # builds on the same rank and depth, as a TensorShape
    spec = {"name": "tf.contrib.rnn.LSTMBlockFusedCell", "input_shape": [None, 5, 32]}
    pos, kwargs, shape, dtype = probe.layer_ctor("LSTMBlockFusedCell", {}, {"num_units": 64},
                                                 spec)
    assert (pos, kwargs, shape, dtype) == ([], {"num_units": 64}, (1, 5, 32), "float32")
    tf = types.SimpleNamespace(TensorShape=FakeShape)
    probe.keras_build(tf, "keras", layer, shape, 32, spec)
    assert len(layer.got) == 1 and isinstance(layer.got[0], FakeShape)
    assert layer.got[0].dims == [None, 5, 32]
    assert layer.weights == [("kernel", 32)]


def test_keras3_layer_builds_on_the_tuple(modules: dict[str, types.ModuleType]) -> None:
    layer = _layer_class("fake_keras3_base")()
    tf = types.SimpleNamespace(TensorShape=FakeShape)
    spec = {"name": "keras.layers.X", "input_shape": [None, 5, 32]}
    probe.keras_build(tf, "keras", layer, (1, 5, 32), 32, spec)
    assert layer.got == [(None, 5, 32)]


def test_tf_utils_without_a_tensorshape_falls_back_on_tf(
        modules: dict[str, types.ModuleType]) -> None:
    del modules["fake_keras2_base"].tensor_shape  # type: ignore[attr-defined]
    layer = _layer_class("fake_keras2_base")()
    tf = types.SimpleNamespace(TensorShape=FakeShape)
    assert probe.shape_class(tf, layer) is FakeShape
    probe.keras_build(tf, "keras", layer, (1, 5, 32), 32, {"input_shape": [None, 5, 32]})
    assert isinstance(layer.got[0], FakeShape) and layer.got[0].dims == [None, 5, 32]


def test_an_object_without_build_is_called_on_the_reported_input() -> None:
    """A TF 1.x ``FusedRNNCell`` (``FusedRNNCellAdaptor``) is no layer: no ``build``; its
    ``__call__`` makes the variables. It is called once on zeros of the reported shape, and
    what TensorFlow says when that fails is the reason kept."""
    calls: list[Any] = []

    class Adaptor:
        def __call__(self, inputs: Any, initial_state: Any = None, dtype: Any = None) -> None:
            calls.append(inputs)
            raise ValueError("If no initial_state is provided, dtype must be specified")

    tf = types.SimpleNamespace(TensorShape=FakeShape, float32="float32",
                               zeros=lambda shape, dtype: ("zeros", tuple(shape), dtype),
                               executing_eagerly=lambda: False)
    inst = Adaptor()
    probe.keras_build(tf, "keras", inst, (1, 32), 32, {"input_shape": [None, 32]})
    assert calls == [("zeros", (1, 32), "float32")]
    assert probe.BUILD_ERRORS.pop(id(inst)) == \
        "ValueError: If no initial_state is provided, dtype must be specified"
