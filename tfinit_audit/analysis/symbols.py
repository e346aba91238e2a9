"""Symbol specs (`tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]`) and the default set."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, cast

from tfinit_audit.analysis.engine.parsing import ast_parse
from tfinit_audit.errors import UsageError


@dataclass(frozen=True)
class SymbolSpec:
    """A public name plus constructor arguments; ``alternatives`` are tried in order.

    For the default set a TF 1.x name carries its twins (``tf.compat.v1``, ``tf.contrib.rnn``)
    as alternatives: a release is asked for the first name it has, and reports show them on one
    row (``row``).
    """

    name: str  # "tf.nn.rnn_cell.LSTMCell"
    args: tuple[tuple[str, Any], ...] = ()
    alternatives: tuple[str, ...] = ()  # e.g. ("tf.compat.v1.nn.rnn_cell.LSTMCell",)
    kind_hint: str = ""  # "" | "function" (get_variable)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)

    def display(self, name: str | None = None) -> str:
        base = name or self.name
        if not self.args:
            return base
        inner = ",".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in self.args)
        return f"{base}[{inner}]"

    @property
    def row(self) -> str:
        """Row key shared by a TF 1.x name and its compat.v1 twin."""
        return self.display()

    def candidates(self) -> list[str]:
        return [self.name, *self.alternatives]

    @property
    def is_pattern(self) -> bool:
        """``all`` or a name whose last component has ``*``/``?`` (``tf.keras.layers.*``):
        expanded per release into the public names that create weights."""
        return is_pattern(self.name)


ALL = "all"


def is_pattern(name: str) -> bool:
    return name == ALL or any(c in name.rpartition(".")[2] for c in "*?")


def parse_symbol(text: str) -> SymbolSpec:
    """Parse ``tf.a.B`` or ``tf.a.B[k=v,...]`` (values are Python literals); ``all`` and
    ``tf.a.*`` (``*``/``?`` in the last component) are patterns."""
    text = text.strip()
    if text == ALL:
        return SymbolSpec(name=ALL)
    name, args = text, cast(tuple[tuple[str, Any], ...], ())
    if "[" in text:
        if not text.endswith("]"):
            raise UsageError(f"bad symbol {text!r}: expected NAME[arg=value,...]")
        name, inner = text[:-1].split("[", 1)
        args = _parse_args(text, inner)
    parts = name.split(".")
    if is_pattern(name):
        if args:
            raise UsageError(f"bad symbol {text!r}: a pattern takes no arguments; set them "
                             "for every member with --dim NAME=VALUE")
        if len(parts) < 2 or not all(p.isidentifier() for p in parts[:-1]) or not all(
                c.isalnum() or c in "_*?" for c in parts[-1]):
            raise UsageError(f"bad symbol {text!r}: a pattern is a dotted namespace and a "
                             "last component with * or ?, e.g. 'tf.keras.layers.*'")
    elif not name or not all(p.isidentifier() for p in parts):
        raise UsageError(
            f"bad symbol {text!r}: expected a dotted public name like tf.keras.layers.LSTM"
        )
    if parts[0] not in ("tf", "tensorflow", "keras", "tf_keras"):
        raise UsageError(f"bad symbol {text!r}: must start with tf., keras. or tf_keras.")
    if parts[0] == "tensorflow":
        name = "tf." + ".".join(parts[1:])
    return SymbolSpec(name=name, args=args)


def _parse_args(text: str, inner: str) -> tuple[tuple[str, Any], ...]:
    try:
        call = ast_parse(f"f({inner})", mode="eval").body
        assert isinstance(call, ast.Call) and not call.args
        return tuple((kw.arg or "", ast.literal_eval(kw.value)) for kw in call.keywords)
    except (SyntaxError, ValueError, AssertionError):
        raise UsageError(
            f"bad symbol {text!r}: arguments must be name=literal pairs, e.g. [use_peepholes=True]"
        ) from None


# Public namespaces under which TensorFlow releases export the same classes: TF 1.x names and
# their ``tf.compat.v1`` twins (1.13 on); the 1.x RNN cells, which 1.0-1.1 export only as
# ``tf.contrib.rnn``; Keras layers, exported as ``tf.contrib.keras`` in 1.2-1.3. Which of them
# a release has is read from the release (a twin is named only after it resolves there).
TWIN_NAMESPACES: tuple[tuple[str, ...], ...] = (
    ("tf.nn.rnn_cell.", "tf.compat.v1.nn.rnn_cell.", "tf.contrib.rnn."),
    ("tf.keras.", "tf.compat.v1.keras.", "tf.contrib.keras."),
    ("tf.", "tf.compat.v1."),
)


def twin_names(name: str) -> list[str]:
    """The names the same class may have in another public namespace (``TWIN_NAMESPACES``;
    the longest matching prefix decides the group)."""
    pairs = sorted(((p, g) for g in TWIN_NAMESPACES for p in g), key=lambda t: -len(t[0]))
    for prefix, group in pairs:
        if name.startswith(prefix):
            rest = name[len(prefix):]
            return [p + rest for p in group if p != prefix]
    return []


def _tf1(name: str, args: tuple[tuple[str, Any], ...] = (), kind_hint: str = "") -> SymbolSpec:
    """A TF 1.x name with its twins as alternatives (``tf.compat.v1``, and ``tf.contrib.rnn``
    for the RNN cells of releases without ``tf.nn.rnn_cell``)."""
    return SymbolSpec(name, args, alternatives=tuple(twin_names(name)), kind_hint=kind_hint)


DEFAULT_SYMBOLS: list[SymbolSpec] = [
    _tf1("tf.nn.rnn_cell.BasicRNNCell"),
    _tf1("tf.nn.rnn_cell.BasicLSTMCell"),
    _tf1("tf.nn.rnn_cell.LSTMCell"),
    _tf1("tf.nn.rnn_cell.LSTMCell", (("use_peepholes", True), ("num_proj", 16))),
    _tf1("tf.nn.rnn_cell.GRUCell"),
    _tf1("tf.layers.Dense"),
    _tf1("tf.get_variable", kind_hint="function"),
    SymbolSpec("tf.keras.layers.LSTM"),
    SymbolSpec("tf.keras.layers.GRU"),
    SymbolSpec("tf.keras.layers.SimpleRNN"),
    SymbolSpec("tf.keras.layers.LSTMCell"),
    SymbolSpec("tf.keras.layers.GRUCell"),
    SymbolSpec("tf.keras.layers.Dense"),
    SymbolSpec("tf.keras.layers.Embedding"),
    SymbolSpec("tf.keras.layers.Conv2D"),
    SymbolSpec("tf.keras.layers.BatchNormalization"),
]


@dataclass
class SymbolSet:
    specs: list[SymbolSpec] = field(default_factory=lambda: list(DEFAULT_SYMBOLS))
