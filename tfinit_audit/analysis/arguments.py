"""The one documented table of what layers are built with.

A layer, cell or variable-creating function is built with the arguments the user gave
(``tf.keras.layers.Conv2D[strides=2]``) and, for every *required* parameter (no default in that
release's signature) the user did not give, the entry of this table with the parameter's name.
A required parameter that is not in the table is never guessed: the symbol gets status
``needs-args`` naming it. Every entry can be changed for one run with ``--dim NAME=VALUE``
(``--units N`` and ``--input-dim N`` are the aliases of ``--dim units=N`` / ``--dim
features=N``), and ``--dim`` may add an entry for a parameter the table does not have.

Three kinds of entry:

- ``parameter``: a constructor (or function) argument, passed as ``NAME=value``;
- ``inner``: the layer or cell a wrapper wraps (``Bidirectional(layer)``, ``RNN(cell)``,
  ``MultiRNNCell(cells)``): the class of that name **in the wrapper's own public namespace of
  the same release** (``tf.keras.layers.Bidirectional`` gets ``tf.keras.layers.LSTM``,
  ``tf.nn.rnn_cell.DropoutWrapper`` gets ``tf.nn.rnn_cell.LSTMCell``), itself built from this
  table; a full public name (``tf.keras.layers.GRU``) or arguments (``GRU[units=8]``) may be
  given instead;
- ``tensor``: the input a variable-creating function is applied to (``inputs`` of
  ``tf.layers.dense``), a tensor of the shape below;
- ``input``: a size of the input the layer is built on, never passed to a constructor. Every
  layer family gets the same ``features`` (the input's last axis: features, or channels of an
  image); the *rank* of the input is read from the layer's source (analysis/rules/inputs.py).

This module is data plus parsing; it imports nothing of the analysis.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Inner:
    """An inner layer or cell: public name(s), relative to the wrapper's namespace unless they
    are full names (``tf.``/``keras.``/``tf_keras.``), optionally with ``[arg=value,...]``."""

    names: tuple[str, ...]
    # the table's next choices, in order, for a wrapper whose own checks refuse ``names``
    # (rules/wrapped.py: SpectralNormalization needs an inner layer with a ``kernel``)
    instead: tuple[str, ...] = ()
    # namespaces a relative name is looked up in, in order, when the wrapper's own namespace
    # has no such name (TF 2.x ``tf.nn.RNNCellDropoutWrapper`` wraps a Keras cell: ``tf.nn``
    # has no ``LSTMCell``, ``tf.keras.layers`` has)
    elsewhere: tuple[str, ...] = ()

    @property
    def many(self) -> bool:
        return len(self.names) != 1

    def plain(self) -> Any:
        return list(self.names) if self.many else self.names[0]


@dataclass(frozen=True)
class Same:
    """An entry whose default is another entry's value (``num_units`` follows ``units``)."""

    name: str


@dataclass(frozen=True)
class Argument:
    name: str
    default: Any  # a Python literal, Same(...) or Inner(...)
    kind: str  # "parameter" | "inner" | "tensor" | "input"
    doc: str


TABLE: tuple[Argument, ...] = (
    Argument("units", 64, "parameter",
             "output size: Keras Dense, recurrent layers and cells, tf.layers.Dense"),
    Argument("num_units", Same("units"), "parameter",
             "output size of the TF 1.x RNN cells (tf.nn.rnn_cell.*, tf.contrib.rnn.*)"),
    Argument("num_outputs", Same("units"), "parameter",
             "output size of tf.contrib.layers functions"),
    Argument("output_size", Same("units"), "parameter",
             "output size of a projection (TF 1.x OutputProjectionWrapper)"),
    Argument("num_proj", 16, "parameter",
             "size of a TF 1.x cell's input or output projection (InputProjectionWrapper)"),
    Argument("filters", 8, "parameter", "output channels of a convolution"),
    Argument("kernel_size", 3, "parameter",
             "convolution window, the same on every spatial axis (an int fits every rank)"),
    Argument("pool_size", 2, "parameter", "pooling window, every spatial axis"),
    Argument("strides", 1, "parameter", "step of a window (required by tf.layers pooling)"),
    Argument("input_dim", 100, "parameter",
             "Embedding: vocabulary size (not the input feature size: that is `features`)"),
    Argument("output_dim", 16, "parameter", "Embedding: size of each vector"),
    Argument("num_heads", 2, "parameter", "attention heads (MultiHeadAttention)"),
    Argument("key_dim", 16, "parameter", "size of each attention head for query and key"),
    Argument("rate", 0.5, "parameter", "dropout / noise rate (Dropout, GaussianDropout, ...)"),
    Argument("equation", "ab,bc->ac", "parameter",
             "EinsumDense: a dense layer's einsum (input features -> output_shape)"),
    Argument("output_shape", Same("units"), "parameter", "EinsumDense: output size"),
    Argument("activation", "relu", "parameter", "Activation: the function applied"),
    Argument("stddev", 0.1, "parameter", "GaussianNoise: noise standard deviation"),
    Argument("axes", 1, "parameter", "Dot: the axis of the product"),
    Argument("dims", (1,), "parameter", "Permute: the permutation of the non-batch axes"),
    Argument("target_shape", (Same("features"),), "parameter",
             "Reshape: the output shape (one axis of `features`)"),
    Argument("n", 2, "parameter", "RepeatVector: repetitions"),
    Argument("height", 4, "parameter", "Resizing, CenterCrop, RandomCrop: output height"),
    Argument("width", 4, "parameter", "Resizing, CenterCrop, RandomCrop: output width"),
    Argument("factor", 0.1, "parameter",
             "random image augmentation layers (RandomContrast, RandomRotation, ...)"),
    Argument("height_factor", 0.1, "parameter", "RandomZoom, RandomTranslation"),
    Argument("width_factor", 0.1, "parameter", "RandomZoom, RandomTranslation"),
    Argument("scale", 1.0, "parameter", "Rescaling: the multiplier"),
    Argument("num_bins", 4, "parameter", "Hashing, HashedCrossing: number of bins"),
    Argument("device", "/cpu:0", "parameter",
             "the device a DeviceWrapper runs its cell on (tf.nn.rnn_cell.DeviceWrapper, "
             "tf.nn.RNNCellDeviceWrapper)"),
    Argument("name", "v", "parameter",
             "name of the variable a get_variable-style function creates"),
    Argument("layer", Inner(("LSTM",), instead=("Dense",)), "inner",
             "the layer a wrapper wraps (Bidirectional, TimeDistributed): LSTM of the "
             "wrapper's namespace; Dense when the wrapper's own checks require an attribute "
             "the code of LSTM never sets (SpectralNormalization: kernel or embeddings), or "
             "when LSTM's build raises on every input the wrapper's build hands it (TF 1.4 "
             "TimeDistributed)"),
    Argument("cell", Inner(("LSTMCell",), elsewhere=("tf.keras.layers",)), "inner",
             "the cell a recurrent layer or cell wrapper runs (RNN, DropoutWrapper, ...): "
             "LSTMCell of the wrapper's namespace, else of tf.keras.layers (TF 2.x "
             "tf.nn.RNNCellDropoutWrapper: tf.nn has no LSTMCell)"),
    Argument("cells", Inner(("LSTMCell", "LSTMCell"), elsewhere=("tf.keras.layers",)),
             "inner",
             "the cells a stacking cell runs (MultiRNNCell, StackedRNNCells): two LSTMCells "
             "of the wrapper's namespace, else of tf.keras.layers"),
    Argument("inputs", "tensor", "tensor",
             "the tensor a variable-creating function is applied to (tf.layers.dense(inputs, "
             "...)): [batch, length, ..., features], of the rank the layer it makes declares"),
    Argument("features", 32, "input",
             "size of the input's last axis -- the features of a dense or recurrent input, "
             "the channels of an image or volume -- for every layer family (--input-dim)"),
    Argument("length", 5, "input",
             "size of every axis between the batch and the last one: time steps of a "
             "sequence, each side of an image or volume"),
    Argument("batch", 1, "input",
             "size of the batch axis where a weight's shape takes it: a Keras metric's state "
             "made from the values of its first update (MeanTensor); else the batch is left "
             "open"),
)

BY_NAME: dict[str, Argument] = {a.name: a for a in TABLE}
ALIASES = {"units": "units", "input_dim": "features"}  # --units / --input-dim
POSITIVE = ("units", "features", "length", "batch")  # must be whole numbers > 0


class ArgumentError(ValueError):
    """A ``--dim`` or symbol argument that cannot be used (one line)."""


def parse_dim(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` of ``--dim``: the value is a Python literal (``8``, ``(3, 3)``,
    ``'same'``); an inner entry also takes a bare public name (``layer=GRU``,
    ``cells=GRUCell,LSTMCell``)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ArgumentError(f"bad --dim {text!r}: expected NAME=VALUE, e.g. --dim units=128")
    return name, _value(name, raw.strip(), f"--dim {text!r}")


def _value(name: str, raw: str, where: str) -> Any:
    entry = BY_NAME.get(name)
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        if entry is not None and entry.kind == "inner" and raw:
            value = raw
        else:
            raise ArgumentError(
                f"bad {where}: {raw!r} is not a Python literal (e.g. 8, (3, 3), 'same')"
            ) from None
    return check(name, value, where)


def check(name: str, value: Any, where: str = "argument") -> Any:
    """The value, normalised (inner entries to ``Inner``); ArgumentError if unusable."""
    entry = BY_NAME.get(name)
    if name in POSITIVE and (isinstance(value, bool) or not isinstance(value, int)
                             or value <= 0):
        raise ArgumentError(f"bad {where}: {name} must be a whole number > 0, not {value!r}")
    if entry is not None and entry.kind == "inner" and not isinstance(value, Inner):
        value = to_inner(value, where)
    return value


def to_inner(value: Any, where: str = "argument") -> Inner:
    if isinstance(value, Inner):
        return value
    if isinstance(value, str):
        names = tuple(n.strip() for n in _split_top(value)) if "," in value else (value,)
    elif isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        names = tuple(value)
    else:
        raise ArgumentError(f"bad {where}: an inner layer or cell is a public name "
                            f"(e.g. 'GRU' or 'tf.keras.layers.GRU[units=8]'), not {value!r}")
    if not names or not all(names):
        raise ArgumentError(f"bad {where}: empty layer name")
    return Inner(names)


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets: ``GRU[units=8,go_backwards=True],LSTM``."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def effective(overrides: dict[str, Any]) -> dict[str, Any]:
    """Every entry's value for a run: the table's defaults, ``Same`` references followed,
    ``overrides`` (``--dim``) applied; entries ``--dim`` adds are included."""
    given = {k: check(k, v, f"--dim {k}") for k, v in overrides.items()}
    out: dict[str, Any] = {}

    def value(name: str, seen: tuple[str, ...] = ()) -> Any:
        if name in given:
            return given[name]
        return follow(BY_NAME[name].default, (*seen, name))

    def follow(d: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(d, Same):
            return value(d.name, seen) if d.name not in seen else None
        if isinstance(d, tuple):
            return tuple(follow(x, seen) for x in d)
        return d

    for a in TABLE:
        out[a.name] = value(a.name)
    for k, v in given.items():
        out.setdefault(k, v)
    return out


def kind_of(name: str) -> str:
    """``parameter`` unless the table says otherwise (entries added by ``--dim`` are
    parameters)."""
    entry = BY_NAME.get(name)
    return entry.kind if entry is not None else "parameter"


def plain(value: Any) -> Any:
    """JSON-ready form of an entry's value."""
    if isinstance(value, Inner):
        return value.plain()
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def _shown(d: Any) -> str:
    if isinstance(d, Same):
        return f"= {d.name}"
    if isinstance(d, Inner):
        return ",".join(d.names) + "".join(f", else {n}" for n in d.instead) + "".join(
            f" (else {n}.*)" for n in d.elsewhere)
    if isinstance(d, tuple):
        return "(" + ", ".join(_shown(x) for x in d) + ("," if len(d) == 1 else "") + ")"
    return repr(d)


def table_rows() -> list[tuple[str, str, str, str]]:
    """(name, default, kind, what) for --help and the docs."""
    rows = []
    for a in TABLE:
        d = a.default
        shown = _shown(d)
        rows.append((a.name, shown, a.kind, a.doc))
    return rows
