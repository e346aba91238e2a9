"""Each symbol's evaluation is bounded: over its step budget it is partial, saying where it
stopped, and the other symbols of the same run are unaffected."""

from __future__ import annotations

import textwrap

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.sources.base import MemoryTree

# a layer whose build goes through a call tree of 3**8 calls before it creates its weight
# (eight functions, each calling the next three times: the engine runs no recursion), next to
# a plain one
LIB = """
class Layer(object):
    def add_weight(self, name, shape, initializer=None):
        return initializer


class Zeros(object):
    pass


def spin0():
    return 0


class Slow(Layer):
    def __init__(self, units):
        self.units = units

    def build(self, input_shape):
        spin8()
        self.w = self.add_weight("w", [input_shape[-1], self.units], initializer=Zeros())


class Quick(Layer):
    def __init__(self, units):
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight("w", [input_shape[-1], self.units], initializer=Zeros())
"""


CHAIN = "".join(
    f"def spin{i}():\n    spin{i - 1}()\n    spin{i - 1}()\n    spin{i - 1}()\n    return {i}\n\n"
    for i in range(1, 9)
)


def _tree() -> MemoryTree:
    return MemoryTree({
        "tensorflow/__init__.py": "from tensorflow.lib import Slow, Quick\n",
        "tensorflow/lib.py": textwrap.dedent(LIB) + CHAIN,
    })


def test_a_symbol_over_its_budget_is_partial_and_says_where() -> None:
    specs = [SymbolSpec("tf.Slow"), SymbolSpec("tf.Quick")]
    slow, quick = analyze(_tree(), specs, Dims(), budget=20_000)
    assert slow.status == "partial"
    assert slow.message is not None
    assert "analysis stopped after 20,000 steps" in slow.message
    assert "in tensorflow/lib.py" in slow.message and "spin" in slow.message
    assert quick.status == "resolved"  # the next symbol has its own budget
    assert [w.name for w in quick.weights] == ["w"]
    assert quick.weights[0].shape == [32, 64]


def test_within_the_budget_the_same_layer_is_answered() -> None:
    (slow,) = analyze(_tree(), [SymbolSpec("tf.Slow")], Dims())
    assert slow.status == "resolved", slow.message
    assert slow.weights[0].shape == [32, 64]
