"""numpy arrays of known values (engine/arrays.py): ``np.zeros``/``np.ones`` of a known shape,
``slice`` objects and ``a:b`` in subscripts, item assignment in loops, ``.T``, arithmetic with
numbers; what is not followed makes the values unknown (no network)."""

from __future__ import annotations

import textwrap

import numpy as np

from tfinit_audit.analysis.engine.arrays import MAX_ELEMENTS, ArrayV
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Const, Seq, Unknown
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree

MASKS = '''
    """Mimics an autoregressive mask builder: slices made in one loop, written in another."""
    import numpy as np


    def gen_slices(num_blocks, n_in, n_out, exclusive):
        slices = []
        col = 0
        d_in = n_in // num_blocks
        d_out = n_out // num_blocks
        row = d_out if exclusive else 0
        for _ in range(num_blocks):
            slices.append([slice(row, None), slice(col, col + d_in)])
            col += d_in
            row += d_out
        return slices


    def gen_mask(num_blocks, n_in, n_out, exclusive=False, dtype=None):
        mask = np.zeros([n_out, n_in], dtype=dtype)
        for [rows, cols] in gen_slices(num_blocks, n_in, n_out, exclusive):
            mask[rows, cols] = 1
        return mask.T


    def written(value, key_hi):
        a = np.ones((2, 3), dtype="int32")
        a[0, 1:key_hi] = value
        return a


    def shape_of(n):
        a = np.zeros(n)
        return a.shape, a.ndim, a.size, (a + 2) * 3, a.transpose().shape
    '''


def _it() -> Interpreter:
    return Interpreter(MemoryTree({"pkg/__init__.py": "",
                                   "pkg/masks.py": textwrap.dedent(MASKS)}), ENGINE_RULES)


def _call(name: str, *args: object) -> object:
    it = _it()
    return it.call(it.resolve(f"pkg.masks.{name}"), [Const(value=a) for a in args], {})


def _expected(num_blocks: int, n_in: int, n_out: int, exclusive: bool) -> np.ndarray:
    """The same mask computed by numpy itself."""
    mask = np.zeros([n_out, n_in])
    d_in, d_out = n_in // num_blocks, n_out // num_blocks
    row = d_out if exclusive else 0
    for b in range(num_blocks):
        mask[row:, b * d_in:(b + 1) * d_in] = 1
        row += d_out
    return mask.T


def test_a_mask_written_by_slices_in_a_loop_has_numpys_values() -> None:
    for args in ((2, 32, 64, False), (3, 6, 9, True), (1, 4, 4, True)):
        out = _call("gen_mask", *args)
        assert isinstance(out, ArrayV) and out.data is not None, args
        assert np.array_equal(out.data, _expected(*args)), args


def test_an_unknown_dtype_keeps_the_values_only_for_writes_of_0_and_1() -> None:
    it = _it()
    f = it.resolve("pkg.masks.gen_mask")
    out = it.call(f, [Const(value=2), Const(value=4), Const(value=4)],
                  {"dtype": Unknown(text="dtype.as_numpy_dtype()")})
    assert isinstance(out, ArrayV) and out.exact01
    assert np.array_equal(out.data, _expected(2, 4, 4, False))
    out = _call("written", 2, 3)  # an int32 array, known dtype: 2 is written
    assert isinstance(out, ArrayV) and out.data.tolist() == [[1, 2, 2], [1, 1, 1]]


def test_a_write_the_model_does_not_follow_makes_the_values_unknown() -> None:
    it = _it()
    out = it.call(it.resolve("pkg.masks.written"), [Unknown(text="v"), Const(value=3)], {})
    assert isinstance(out, ArrayV) and out.data is None
    out = it.call(it.resolve("pkg.masks.written"), [Const(value=1), Unknown(text="hi")], {})
    assert isinstance(out, ArrayV) and out.data is None


def test_shape_attributes_and_arithmetic_with_numbers() -> None:
    out = _call("shape_of", 4)
    assert isinstance(out, Seq)
    shape, ndim, size, arith, transposed = out.items
    assert isinstance(shape, Seq) and [d.value for d in shape.items] == [4]  # type: ignore[attr-defined]
    assert (ndim.value, size.value) == (1, 4)  # type: ignore[attr-defined]
    assert isinstance(arith, ArrayV) and arith.data.tolist() == [6.0] * 4
    assert isinstance(transposed, Seq)


def test_an_array_over_the_budget_is_not_kept() -> None:
    out = _call("shape_of", MAX_ELEMENTS + 1)
    assert isinstance(out, Seq) and isinstance(out.items[0], Unknown)
