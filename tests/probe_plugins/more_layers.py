"""Probe plugin for tests/test_live_rules.py: builds layers the probe's default builder does not
know how to make -- required arguments other than ``units`` (given as the symbol's arguments),
several inputs (attention layers, built by calling them: Keras 2.x MultiHeadAttention makes its
weights in the first call), transposed and depthwise convolutions. Runs inside the probe
process after TensorFlow is imported (Python 3.7 too)."""
import __main__ as probe

_default_ctor = probe.layer_ctor
_default_build = probe.keras_build
_ATTENTION = ("MultiHeadAttention", "Attention", "AdditiveAttention")
_NO_POSITIONAL = ("RandomFourierFeatures", "Normalization", "EinsumDense")


def layer_ctor(last, dims, args, spec=None):
    input_dim = dims.get("input_dim", 32)
    if last in _ATTENTION:
        return [], dict(args), (1, 2, input_dim), "float32"
    if last in _NO_POSITIONAL:
        return [], dict(args), (1, input_dim), "float32"
    if last in ("Conv1DTranspose", "Conv3DTranspose", "DepthwiseConv1D"):
        nd = 1 if "1D" in last else 3
        shape = (1,) + (5,) * nd + (dims.get("conv_channels", 3),)
        if last.startswith("Depthwise"):
            return [(3,) * nd], dict(args), shape, "float32"
        return [dims.get("conv_filters", 8), (3,) * nd], dict(args), shape, "float32"
    return _default_ctor(last, dims, args, spec)


def keras_build(tf, fam, instance, shape, input_dim, spec=None):
    name = type(instance).__name__
    if name in _ATTENTION:
        x = tf.zeros(shape)
        if name == "MultiHeadAttention":
            instance(x, x)
        else:
            instance([x, x])
        return None
    return _default_build(tf, fam, instance, shape, input_dim, spec)


probe.layer_ctor = layer_ctor
probe.keras_build = keras_build
