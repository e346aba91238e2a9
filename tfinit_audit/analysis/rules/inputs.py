"""What a layer is built with: required constructor arguments and the input shape."""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.model import Dims

RNN_BASES = ("RNN", "Bidirectional", "Wrapper")


def required_args(dims: Dims) -> dict[str, Any]:
    """Constructor parameters without a default, filled from the run's dims by their names
    in TF/Keras signatures (``num_units`` of the TF 1.x cells, Keras ``units``, ``filters``
    and ``kernel_size`` of convolutions, ``input_dim``/``output_dim`` of ``Embedding``)."""
    return {
        "num_units": dims.units,
        "units": dims.units,
        "filters": dims.conv_filters,
        "kernel_size": tuple(dims.conv_kernel),
        "input_dim": dims.embedding_input_dim,
        "output_dim": dims.embedding_output_dim,
    }


def input_shape_for(it: Any, cls: ClassV, dims: Dims) -> list[int | None]:
    """Input shape handed to ``build()`` (DESIGN.md section 5): 2-D convolutions get
    ``[batch, 5, 5, channels]``, ``Embedding`` ``[batch, 10]`` token ids,
    ``BatchNormalization`` ``[batch, features]``, recurrent layers (an ``RNN``, ``Wrapper`` or
    ``*RNN`` base) ``[batch, time, input_dim]``, anything else ``[batch, input_dim]``."""
    name = cls.name
    if "Conv2D" in name or name.startswith("Conv") and "2D" in name:
        return [None, 5, 5, dims.conv_channels]
    if "Embedding" in name:
        return [None, 10]
    if "BatchNorm" in name:
        return [None, dims.batchnorm_features]
    for c in it.source_mro(cls):
        if c.name in RNN_BASES or (c.name.endswith("RNN") and c.key != cls.key):
            return [None, 10, dims.input_dim]
    return [None, dims.input_dim]
