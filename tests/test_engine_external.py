"""The engine's model of modules outside the tree that release code computes plain numbers and
type checks with (engine/builtins.py): ``math``, ``numpy`` and ``six``."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "rules"))
from rule_fixtures import evaluate, interp, make_tree  # noqa: E402

from tfinit_audit.analysis.engine.values import Const, Unknown  # noqa: E402

MOD = '''
    """Mimics Keras kernelized.py: numbers from numpy and math, a type check through six;
    Keras 3 ``initializers.get``: numpy array types, ``inspect.isclass``."""
    import inspect
    import math
    import numpy as np
    import six


    class Base(object):
        pass


    class Array(np.ndarray):
        pass


    def kind(identifier):
        if isinstance(identifier, (np.generic, np.ndarray)):
            return "array"
        if inspect.isclass(identifier):
            return "class"
        return "object"


    def default_scale(initializer, input_dim):
        if isinstance(initializer, six.string_types) and initializer == "gaussian":
            return np.sqrt(input_dim / 2.0)
        return 1.0
    '''

P = "lib/kernelized.py"


def ev(expr: str) -> object:
    it = interp(make_tree({P: MOD}))
    return evaluate(it, P, expr)


@pytest.mark.parametrize(("expr", "value"), [
    ("2 * np.pi", 2 * math.pi),
    ("math.sqrt(3 / 4.0) * 2", math.sqrt(3 / 4.0) * 2),
    ("np.sqrt(16.0)", 4.0),
    ("np.prod([2, 3, 4])", 24),
    ("default_scale('gaussian', 32)", 4.0),
    ("default_scale('laplacian', 32)", 1.0),
    ("isinstance('x', six.string_types)", True),
    ("isinstance(3, six.integer_types)", True),
    ("isinstance(3.5, six.integer_types)", False),
    ("kind(Base())", "object"),
    ("kind(Base)", "class"),
    ("kind(Array())", "array"),
    ("kind(1.5)", "object"),
    ("inspect.isfunction(kind)", True),
])
def test_plain_numbers_and_type_checks(expr: str, value: object) -> None:
    v = ev(expr)
    assert isinstance(v, Const)
    if isinstance(value, str):
        assert v.value == value
    else:
        assert v.value == pytest.approx(value)
        assert type(v.value) is not bool or isinstance(value, bool)


@pytest.mark.parametrize("expr", [
    "np.sqrt(unknown_name)",        # an unknown argument
    "np.random.uniform(0, 1)",      # random draws are not modelled
    "np.float32",                   # neither are dtypes or arrays
    "np.sqrt([1.0, 4.0])",          # an array result
    "isinstance(unknown_name, np.ndarray)",  # an unknown object may be an array
])
def test_what_is_not_plain_stays_unknown(expr: str) -> None:
    assert isinstance(ev(expr), Unknown)
