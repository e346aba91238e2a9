"""What ``port`` returns, its error, and the target names."""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tfinit_audit.analysis.model import SymbolResult
from tfinit_audit.errors import UsageError

if TYPE_CHECKING:
    from tfinit_audit.report.model import VersionReport

TARGETS = ("pytorch", "jax", "keras", "numpy")
ALIASES = {"torch": "pytorch", "flax": "jax", "np": "numpy", "tf.keras": "keras"}
TARGET_TITLES = {"pytorch": "PyTorch", "jax": "JAX (Flax linen)", "keras": "Keras",
                 "numpy": "NumPy"}


class PortError(UsageError):
    """The symbol cannot be ported: absent, unresolved, no concrete shape, unknown target."""


def target_name(name: str) -> str:
    """``pytorch`` / ``jax`` / ``keras`` / ``numpy`` (aliases ``torch``, ``flax``, ``np``)."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in TARGETS:
        raise PortError(f"unknown port target {name!r}: use one of {', '.join(TARGETS)}")
    return key


def port_targets(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Targets named by ``"all"`` (every target), ``"none"``/``None``/``""`` (none), or names
    (a list, or one comma-separated string)."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(i).strip().lower() for i in items if str(i).strip()]
    if names in ([], ["none"]):
        return ()
    if "all" in names:
        return TARGETS
    return tuple(dict.fromkeys(target_name(n) for n in names))


@dataclass
class Port:
    """A generated Python module that reproduces one symbol's initialization in a target.

    ``code`` is the module's text: ``build(seed)`` returns the initialized target object,
    ``tf_weights(seed)`` the same draws in TensorFlow's own layout and names, ``to_target``
    maps such arrays onto the target, ``step`` runs it with TF's conventions, and (with
    ``convert``) ``convert(arrays)`` maps a TF checkpoint's arrays onto the target.
    """

    target: str  # pytorch | jax | keras | numpy
    code: str
    builds: str  # what build() returns, e.g. "torch.nn.LSTMCell"
    equivalent: bool  # False: the target has no equivalent module; code is the TF-layout recipe
    kind: str  # the layout recognised (port/layout.py)
    notes: list[str] = field(default_factory=list)  # what the user must know or set by hand
    symbol: SymbolResult | None = None
    release: VersionReport | None = None

    def __str__(self) -> str:
        return self.code

    def load(self, name: str = "tfinit_port") -> types.ModuleType:
        """Execute the code as a fresh module (imports the target framework) and return it."""
        module = types.ModuleType(name)
        module.__file__ = f"<{name}>"
        exec(compile(self.code, module.__file__, "exec"), module.__dict__)
        return module
