"""Values the TensorFlow rules add to the engine's value model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.engine.values import DictV, Unknown, Value
from tfinit_audit.analysis.model import Hop


@dataclass(eq=False)
class InitV(Value):
    """An initializer object of the canonical vocabulary (rules/vocabulary.py). ``made`` is
    the constructor call that made it (class, args, kwargs) when it was a class's: the object
    is also an instance of that class (``init.__class__``, ``init.get_config()``)."""

    kind: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    truncation: float | None = None
    made: tuple[Any, list[Value], dict[str, Value]] | None = None
    shadow: Any = None  # the instance of that class, built when first asked

    def is_callable(self) -> bool | None:
        return True

    def python_class(self) -> Any:
        return self.made[0] if self.made is not None else None

    def describe(self) -> str:
        ps = ", ".join(f"{k}={p.describe() if isinstance(p, Value) else repr(p)}"
                       for k, p in self.params.items())
        return f"{self.kind}({ps})"


@dataclass(eq=False)
class ConfigV(DictV):
    """``init.get_config()`` of an initializer value: the config dict, knowing its origin."""

    origin: InitV | None = None


@dataclass(eq=False)
class Applied(Value):
    """An initializer called on a shape (inside a nested initializer function)."""

    init: Value = field(default_factory=Unknown)
    shape: list[Any] | None = None


@dataclass(eq=False)
class Composite(Value):
    """Initializers applied to consecutive column ranges of one weight (concatenated)."""

    parts: list[tuple[Value, int, int]] = field(default_factory=list)


@dataclass(eq=False)
class DType(Value):
    """A TensorFlow dtype, known by name."""

    name: str = "float32"

    def to_python(self) -> Any:
        return self.name


@dataclass(eq=False)
class TensorV(Value):
    """A tensor a layer is called on: its static shape (None: unknown dimension) and dtype."""

    shape: list[int | None] = field(default_factory=list)
    dtype: str = "float32"
    # the variable this tensor is, when a creator made it (rules/weights.py ``Captured``):
    # its ``initial_value`` is that weight's initial value (rules/expressions.py)
    variable: Any = None

    def describe(self) -> str:
        return f"tensor{self.shape}"

    def same_as(self, other: Value) -> bool:
        """A tensor is what the analysis knows of it: another plain tensor of the same static
        shape and dtype, that is the same variable or none, is alike (Keras' ``outputs`` of
        the same ``call`` on either arm of ``if build_graph:``)."""
        return other is self or (type(self) is TensorV and type(other) is TensorV
                                 and isinstance(other, TensorV) and other.shape == self.shape
                                 and other.dtype == self.dtype
                                 and other.variable is self.variable)


@dataclass(eq=False)
class ExprV(TensorV):
    """A tensor whose values the analysis knows as an expression (rules/expressions.py): a
    leaf (``leaf``: an initializer of the vocabulary, an ``InitV``, drawn on ``shape``; or a
    weight's initial value, the ``Captured`` weight) or an elementwise op of TensorFlow
    (``op``) on ``args`` -- other such tensors and plain numbers (``Const``). ``text`` is the
    source text that made it, when known."""

    op: str = ""
    args: list[Value] = field(default_factory=list)
    leaf: Any = None
    text: str = ""

    def describe(self) -> str:
        if self.leaf is not None:
            return self.leaf.describe() if isinstance(self.leaf, Value) else \
                f"initial value of {getattr(self.leaf, 'name', '?')}"
        return f"{self.op}(" + ", ".join(a.describe() for a in self.args) + ")"


@dataclass(eq=False)
class ScopeV(Value):
    """A TF 1.x variable scope: its name path under the layer's own scope and the default
    initializer it gives the variables created in it (None: none set)."""

    path: tuple[str, ...] = ()
    initializer: Value | None = None
    init_hop: Hop | None = None  # the line that set that initializer
    reuse: bool | str | None = None  # True: only existing variables; "auto": get or create
    name_hops: tuple[Hop, ...] = ()  # the lines that opened each component of ``path``
    # the scope's custom getters, innermost first, each with the line that set it
    # (rules/custom_getters.py)
    getters: tuple[tuple[Value, Hop], ...] = ()

    def describe(self) -> str:
        return "variable_scope(" + "/".join(self.path) + ")"
