"""A tiny synthetic TensorFlow (written for the tests, nothing copied): ``tf.Dense``, a layer
whose kernel defaults to a Glorot-style ``VarianceScaling`` and whose bias is zeros, plus a
module nothing on the resolution path imports."""

from __future__ import annotations

LAYERS = """
class Layer(object):
    def add_weight(self, name, shape, initializer=None):
        return initializer


class VarianceScaling(object):
    def __init__(self, scale=1.0, mode="fan_avg", distribution="uniform"):
        self.scale = scale
        self.mode = mode
        self.distribution = distribution


class Zeros(object):
    pass


class Dense(Layer):
    def __init__(self, units, kernel_initializer=None):
        self.units = units
        self.kernel_initializer = kernel_initializer or VarianceScaling(scale=1.0)

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", [input_shape[-1], self.units],
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight("bias", [self.units], initializer=Zeros())
"""

FILES = {
    "tensorflow/__init__.py": "from tensorflow.layers import Dense\n",
    "tensorflow/layers.py": LAYERS,
    "tensorflow/unused.py": "X = 1\n",  # nothing on the resolution path imports it
}
