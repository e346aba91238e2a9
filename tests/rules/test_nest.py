"""Fixture tests of ``rules/tensors.NestRule`` for ``nest.flatten`` bound to a C helper
(TF 1.12 ``nest.flatten = _pywrap_tensorflow.Flatten``): a layer's ``__call__`` that flattens
its inputs before it builds the layer on their shapes gets the shapes."""

from __future__ import annotations

from rule_fixtures import interp, make_tree

from tfinit_audit.analysis.engine.frames import EAGER
from tfinit_audit.analysis.engine.values import Const, FunctionV, Seq, Value
from tfinit_audit.analysis.rules.values import TensorV
from tfinit_audit.sources.base import MemoryTree

NEST = "tensorflow/python/util/nest.py"
HELPERS = "tensorflow/python/pywrap_helpers.py"
CALLER = "mylib/base.py"

BASE = '''
    """Mimics Keras Layer.__call__: the inputs flattened, the layer built on their shapes
    only when every one has a shape."""
    from tensorflow.python.util import nest


    def build_shapes(inputs):
        input_list = nest.flatten(inputs)
        input_shapes = None
        if all(hasattr(x, "shape") for x in input_list):
            input_shapes = inputs.shape
        return input_shapes
    '''


def _tree(nest: str, helpers: str) -> MemoryTree:
    return make_tree({NEST: nest, HELPERS: helpers, CALLER: BASE})


def _shapes(nest: str, helpers: str) -> Value:
    t = _tree(nest, helpers)
    it = interp(t)
    f = it.value_at(CALLER, "build_shapes")
    assert isinstance(f, FunctionV)
    return it.call(f, [TensorV(shape=[None, 3])], {}, mode=EAGER)


BOUND = '''
    from tensorflow.python import pywrap_helpers
    flatten = pywrap_helpers.Flatten
    '''

NATIVE = '''
    def Flatten(nested):
        return _native.Flatten(nested)


    def Ravel(nested):
        return _native.Ravel(nested)
    '''


def test_flatten_bound_to_its_c_helper_is_the_list_of_tensors() -> None:
    shapes = _shapes(BOUND, NATIVE)
    assert isinstance(shapes, Seq)
    assert [x.value for x in shapes.items if isinstance(x, Const)] == [None, 3]


def test_a_helper_of_another_name_is_left_alone() -> None:
    # ``flatten`` bound to a helper that is not its CamelCase twin: nothing is known of it
    shapes = _shapes(BOUND.replace("pywrap_helpers.Flatten", "pywrap_helpers.Ravel"), NATIVE)
    assert not isinstance(shapes, Seq)


def test_a_pure_python_flatten_of_a_nest_module_is_decided_too() -> None:
    shapes = _shapes('''
        def flatten(nested):
            return _native_flatten(nested)
        ''', NATIVE)
    assert isinstance(shapes, Seq)


FIRST = '''
    """Mimics Keras 2 StackedRNNCells.build: the batch size of a shape tuple, by flattening."""
    from tensorflow.python.util import nest


    def batch_of(shape):
        return nest.flatten(shape)[0]


    def width_of(shape):
        return nest.flatten(shape)[-1]
    '''


def _first(shape: Value, fn: str = "batch_of") -> Value:
    t = make_tree({NEST: '''
        def flatten(nested):
            return _native_flatten(nested)
        ''', CALLER: FIRST})
    it = interp(t)
    f = it.value_at(CALLER, fn)
    assert isinstance(f, FunctionV)
    return it.call(f, [shape], {}, mode=EAGER)


def test_flatten_of_a_shape_tuple_is_its_items() -> None:
    # TF 2.15 StackedRNNCells: ``batch_size = tf.nest.flatten(input_shape)[0]`` of (None, 32)
    # is None, so the next cell's input shape (None, 64) stays known (it was unknown, and the
    # second cell's kernel had no shape once decorated builds ran)
    shape = Seq(items=[Const(value=None), Const(value=32)], kind="tuple")
    batch = _first(shape)
    assert isinstance(batch, Const) and batch.value is None
    width = _first(shape, "width_of")
    assert isinstance(width, Const) and width.value == 32


def test_flatten_of_a_nested_structure_is_left_to_the_source() -> None:
    nested = Seq(items=[Seq(items=[Const(value=None), Const(value=32)], kind="tuple")],
                 kind="list")
    assert not isinstance(_first(nested), Const)


RESIDUAL = '''
    """Mimics Keras ResidualWrapper's default_residual_fn: the shapes checked and the tensors
    added pairwise, over two structures."""
    from tensorflow.python.util import nest


    def residual(inputs, outputs):
        nest.map_structure(lambda i, o: i.shape == o.shape, inputs, outputs)
        return nest.map_structure(lambda i, o: (i.shape, o.shape), inputs, outputs)
    '''
OPAQUE_MAP = '''
    def map_structure(func, *structure, **kwargs):
        return _native_map(func, structure, kwargs)
    '''


def test_map_structure_over_two_structures_pairs_their_tensors() -> None:
    # nest.map_structure(func, *structures): func gets the corresponding tensors of each
    it = interp(make_tree({NEST: OPAQUE_MAP, HELPERS: NATIVE, CALLER: RESIDUAL}))
    f = it.value_at(CALLER, "residual")
    assert isinstance(f, FunctionV)
    a, b = TensorV(shape=[None, 32]), TensorV(shape=[None, 64])
    one = it.call(f, [a, b], {}, mode=EAGER)
    assert isinstance(one, Seq) and [s.to_python() for s in one.items] == [(None, 32),
                                                                           (None, 64)]
    pairs = it.call(f, [Seq(items=[a, a], kind="list"), Seq(items=[b, a], kind="list")], {},
                    mode=EAGER)
    assert isinstance(pairs, Seq) and [[s.to_python() for s in p.items]
                                       for p in pairs.items if isinstance(p, Seq)] == [
        [(None, 32), (None, 64)], [(None, 32), (None, 32)]]
    # structures that do not match (a list of two and a tensor): not decided here
    odd = it.call(f, [Seq(items=[a, a], kind="list"), b], {}, mode=EAGER)
    assert not isinstance(odd, Seq)
