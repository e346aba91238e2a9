"""Probe plugin for tests/test_live_rules.py: builds layers the probe's default builder does not
know how to make -- several inputs (attention layers, built by calling them: Keras 2.x
MultiHeadAttention makes its weights in the first call; Attention/AdditiveAttention take a list
of inputs). Everything else is built as the static analysis says (its arguments and input
shape). Runs inside the probe process after TensorFlow is imported (Python 3.7 too)."""
import __main__ as probe

_default_ctor = probe.layer_ctor
_default_build = probe.keras_build
_ATTENTION = ("MultiHeadAttention", "Attention", "AdditiveAttention")
_NO_POSITIONAL = ("RandomFourierFeatures", "Normalization", "EinsumDense")


def layer_ctor(last, dims, args, spec=None):
    input_dim = dims.get("input_dim", 32)
    if last in _ATTENTION:
        return [], dict(args), (1, 2, input_dim), "float32"
    if last in _NO_POSITIONAL and (spec or {}).get("input_shape") is None:
        return [], dict(args), (1, input_dim), "float32"
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
