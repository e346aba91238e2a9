"""The engine's model of modules outside the tree that release code computes plain numbers and
type checks with (engine/builtins.py): ``math``, ``numpy`` and ``six``."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "rules"))
from rule_fixtures import evaluate, interp, make_tree  # noqa: E402

from tfinit_audit.analysis.engine.values import Const, Seq, Unknown  # noqa: E402

MOD = r'''
    """Mimics Keras kernelized.py: numbers from numpy and math, a type check through six;
    Keras 3 ``initializers.get``: numpy array types, ``inspect.isclass``."""
    import inspect
    import math
    import re
    import string
    import numpy as np
    import six


    class Base(object):
        pass


    class Array(np.ndarray):
        pass


    def equation(free_dims):
        """Mimics Keras MultiHeadAttention's _build_proj_equation + EinsumDense's parse."""
        letters = ""
        for i in range(free_dims + 2):
            letters += string.ascii_lowercase[i]
        eq = letters[:free_dims + 1] + "," + letters[free_dims:] + "->" + letters
        m = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", re.sub(r"\.\.\.", "0", eq))
        dims = {dim: i for i, dim in enumerate(m.group(1))}
        shape = []
        for dim in m.group(2):
            shape.append(dims.get(dim, -1))
        return eq, shape


    def skipped(n):
        shape = [1]
        for d in n:
            shape.append(d)
        return shape


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


def test_einsum_equations_are_written_and_parsed() -> None:
    v = ev("equation(1)")
    assert isinstance(v, Seq)
    eq, shape = v.items
    assert isinstance(eq, Const) and eq.value == "ab,bc->abc"
    assert isinstance(shape, Seq) and [i.value for i in shape.items] == [1, -1]  # type: ignore
    g = ev("re.match('(a)(b)?', 'ac').groups()")
    assert isinstance(g, Seq) and [i.value for i in g.items] == ["a", None]  # type: ignore


def test_a_loop_the_run_cannot_go_through_leaves_what_it_changes_unknown() -> None:
    # not [1]: the loop would have appended to it
    assert isinstance(ev("skipped(unknown_name)"), Unknown)
    v = ev("skipped([2, 3])")
    assert isinstance(v, Seq) and [i.value for i in v.items] == [1, 2, 3]  # type: ignore


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
    ("hasattr([None, 32], 'shape')", False),  # Keras 2.x _build_from_signature's check
    ("hasattr('abc', 'upper')", True),
    ("hasattr({}, 'items')", True),
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
    "hasattr(unknown_name, 'shape')",
])
def test_what_is_not_plain_stays_unknown(expr: str) -> None:
    assert isinstance(ev(expr), Unknown)


def test_index_bookkeeping_with_numpy_delete() -> None:
    # Keras 2 MultiHeadAttention's batch axes: tuple(np.delete(range(rank), axes))
    v = ev("tuple(np.delete(range(4), (1, 3)))")
    assert v.to_python() == (0, 2)
    assert isinstance(ev("np.delete(range(4), unknown_name)"), Unknown)
    assert isinstance(ev("np.delete([0.5, 1.5], 0)"), Unknown)  # not whole numbers
