"""What a layer is built with: required constructor arguments from the argument table
(analysis/arguments.py), the input rank read from the layer's ``input_spec`` (rules/inputs.py),
wrappers given their inner layer from the table, weights named by the attributes that lead to
their owner, and ``needs-args`` for a required parameter the table does not have."""

from __future__ import annotations

from typing import Any

import pytest
from rule_fixtures import interp, make_tree

from tfinit_audit.analysis import arguments as table
from tfinit_audit.analysis.engine.values import ClassV, Instance
from tfinit_audit.analysis.layers import analyze_class, class_requirements
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.names import Resolver
from tfinit_audit.analysis.rules.inputs import RANKS, input_rank, required_parameters
from tfinit_audit.analysis.rules.sublayers import Step, step_name, sublayer_paths
from tfinit_audit.analysis.run import _inner_class
from tfinit_audit.sources.base import MemoryTree

LAYERS = '''
    """Mimics a Keras-style layers module: an ``InputSpec`` with ndim/min_ndim, a base
    ``Layer`` with ``add_weight``, convolutions that declare ``min_ndim = rank + 2``, a
    recurrent layer that declares a list of specs, a layer that declares nothing but needs a
    time axis, a locally connected layer whose weights depend on the spatial size, wrappers
    over a layer or a cell, and a layer with a required parameter no table has."""


    class InputSpec(object):
        def __init__(self, ndim=None, min_ndim=None, max_ndim=None):
            self.ndim = ndim
            self.min_ndim = min_ndim
            self.max_ndim = max_ndim


    class Layer(object):
        def __init__(self, **kwargs):
            self.built = False

        def add_weight(self, name, shape, initializer=None):
            return name

        def call(self, inputs):
            return inputs

        @property
        def weights(self):
            return []


    class Dense(Layer):
        def __init__(self, units, activation=None, input_dim=3):
            super().__init__()
            self.units = units
            self.extra_dim = input_dim
            self.input_spec = InputSpec(min_ndim=2)

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=(input_shape[-1], self.units))
            self.extra = self.add_weight("extra", shape=(self.extra_dim,))


    class Conv(Layer):
        def __init__(self, rank, filters, kernel_size):
            super().__init__()
            self.rank = rank
            self.filters = filters
            self.kernel_size = (kernel_size,) * rank
            self.input_spec = InputSpec(min_ndim=self.rank + 2)

        def build(self, input_shape):
            shape = self.kernel_size + (input_shape[-1], self.filters)
            self.kernel = self.add_weight("kernel", shape=shape)


    class Conv1D(Conv):
        def __init__(self, filters, kernel_size):
            super().__init__(1, filters, kernel_size)


    class Conv2D(Conv):
        def __init__(self, filters, kernel_size):
            super().__init__(2, filters, kernel_size)


    class Local2D(Layer):
        def __init__(self, filters, kernel_size):
            super().__init__()
            self.filters = filters
            self.kernel_size = kernel_size
            self.input_spec = InputSpec(ndim=4)

        def build(self, input_shape):
            rows = input_shape[1] - self.kernel_size + 1
            self.bias = self.add_weight("bias", shape=(rows, rows, self.filters))


    class Cell(Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=(input_shape[-1], self.units))


    class Recurrent(Layer):
        def __init__(self, units):
            super().__init__()
            self.cell = Cell(units)
            self.input_spec = [InputSpec(ndim=3)]

        def build(self, input_shape):
            self.cell.build((input_shape[0], input_shape[2]))


    class Steps(Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=(input_shape[2], self.units))


    class Wrap(Layer):
        def __init__(self, layer):
            super().__init__()
            self.forward_layer = layer

        def build(self, input_shape):
            self.forward_layer.build(input_shape)


    class CellLayer(Layer):
        def __init__(self, cell):
            super().__init__()
            self.cell = cell

        def build(self, input_shape):
            self.cell.build((input_shape[0], input_shape[-1]))


    class Pair(Layer):
        def __init__(self, cells):
            super().__init__()
            self._cells = cells

        def build(self, input_shape):
            for cell in self._cells:
                cell.build(input_shape)


    class Lambda(Layer):
        def __init__(self, function, units=2):
            super().__init__()
            self.function = function


    class ConvCell(Layer):
        def __init__(self, conv_ndims, input_shape, output_channels, **kwargs):
            super().__init__(**kwargs)
            self.conv_ndims = conv_ndims


    class Conv2DCell(ConvCell):
        def __init__(self, name="conv2d_cell", **kwargs):
            super(Conv2DCell, self).__init__(conv_ndims=2, name=name, **kwargs)


    class NeedsCell(Layer):
        def __init__(self, cell, **kwargs):
            super().__init__(**kwargs)
            self.cell = cell


    class FastRNN(NeedsCell):
        def __init__(self, units, **kwargs):
            # skips NeedsCell.__init__: no cell is needed
            super(NeedsCell, self).__init__(**kwargs)
            self.units = units


    class BlockCell(Layer):
        def __init__(self, num_units=None, cell_size=None):
            super().__init__()
            if (cell_size is None) == (num_units is None):
                raise ValueError("Exactly one of num_units or cell_size must be provided.")
            self._blocks = None
            self._size = num_units or cell_size

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], self._size))


    class GridCell(Layer):
        def __init__(self, num_units, num_blocks=None):
            super().__init__()
            self._num_blocks = num_blocks
            self._check()

        def _check(self):
            if self._num_blocks is None:
                raise ValueError("Must specify num_blocks")


    class ProjCell(Layer):
        """As TF 1.x IntersectionRNNCell: a cell whose call creates its weights; an input
        narrower than the units needs a projection it only makes when asked (the raise is in
        the else of the test)."""
        def __init__(self, units, num_in_proj=None):
            super().__init__()
            self.units = units
            self._num_in_proj = num_in_proj

        @property
        def state_size(self):
            return self.units

        def call(self, inputs, state):
            width = inputs.shape[-1]
            if width != self.units:
                if self._num_in_proj:
                    self.proj = self.add_weight("proj", (width, self.units))
                else:
                    raise ValueError("Must have input size == output size")
            self.kernel = self.add_weight("kernel", (self.units, self.units))
            return inputs, state
    '''

P = "keras/layers.py"
INIT = "from keras.layers import *\n"


def tree(layers: str = LAYERS) -> MemoryTree:
    return make_tree({P: layers, "keras/__init__.py": INIT})


def analyse(name: str, kwargs: dict[str, Any] | None = None, dims: Dims | None = None,
            layers: str = LAYERS) -> SymbolResult:
    t = tree(layers)
    it = interp(t)
    resolver = Resolver(t, engine=it)
    cls = it.value_at(P, name)
    assert isinstance(cls, ClassV)
    result = SymbolResult(symbol=f"keras.{name}", status="resolved")
    with it.question():
        analyze_class(it, cls, kwargs or {}, dims or Dims(), result, "keras",
                      lambda n: _inner_class(resolver, n))
    return result


def shapes(r: SymbolResult) -> dict[str, list[int] | None]:
    return {w.name: w.shape for w in r.weights}


def supplied(r: SymbolResult) -> dict[str, tuple[Any, str]]:
    return {a.name: (a.value, a.source) for a in r.arguments}


# ------------------------------------------------------------------ the rank, from the source
@pytest.mark.parametrize("name, ranks, reason", [
    ("Dense", [2, 3, 4, 5], "input_spec min_ndim=2"),
    ("Conv1D", [3, 4, 5], "input_spec min_ndim=3"),
    ("Conv2D", [4, 5], "input_spec min_ndim=4"),
    ("Local2D", [4], "input_spec ndim=4"),
    ("Recurrent", [3], "input_spec ndim=3"),  # a list of specs: the first is the input's
    ("Steps", list(RANKS), "no input_spec: the first rank of 2-5 giving every weight a shape"),
])
def test_the_rank_is_what_the_instance_declares(name: str, ranks: list[int],
                                                reason: str) -> None:
    it = interp(tree())
    cls = it.value_at(P, name)
    assert isinstance(cls, ClassV)
    values = {"units": 4, "filters": 2, "kernel_size": 3}
    init = it.getattr(cls, "__init__")
    obj = it.instantiate(cls, [], {p: _c(values[p]) for p in required_parameters(init, True)})
    assert isinstance(obj, Instance)
    it.force(obj)
    hint = input_rank(it, obj)
    assert hint.ranks == ranks
    assert hint.reason.startswith(reason)


def test_a_conv_is_built_on_its_declared_rank_with_the_one_feature_size() -> None:
    r = analyse("Conv2D")
    assert r.input_shape == [None, 5, 5, 32]
    assert shapes(r) == {"kernel": [3, 3, 32, 8]}  # filters 8, kernel_size 3 from the table
    assert r.input_note is not None and r.input_note.startswith("input_spec min_ndim=4 (")
    assert shapes(analyse("Conv1D")) == {"kernel": [3, 32, 8]}


def test_the_feature_and_spatial_sizes_follow_the_dims() -> None:
    dims = Dims(input_dim=7, given={"length": 6, "kernel_size": 2})
    assert shapes(analyse("Conv2D", dims=dims)) == {"kernel": [2, 2, 7, 8]}
    assert shapes(analyse("Dense", dims=dims))["kernel"] == [7, 64]
    # spatial size 6, window 2: 5 rows and columns
    assert shapes(analyse("Local2D", dims=dims)) == {"bias": [5, 5, 8]}


def test_an_edit_of_the_declared_rank_changes_the_input() -> None:
    edited = LAYERS.replace("self.input_spec = InputSpec(ndim=4)",
                            "self.input_spec = InputSpec(ndim=5)")
    assert analyse("Local2D", layers=edited).input_shape == [None, 5, 5, 5, 32]


def test_without_a_declared_rank_the_first_rank_that_gives_every_weight_a_shape() -> None:
    r = analyse("Steps")
    assert r.input_shape == [None, 5, 32]  # rank 2 has no input_shape[2]
    assert shapes(r) == {"kernel": [32, 64]}
    assert analyse("Dense").input_shape == [None, 32]


# ------------------------------------------------------------------ arguments from the table
def test_required_parameters_come_from_the_signature() -> None:
    it = interp(tree())
    for name, want in (("Dense", ["units"]), ("Conv", ["rank", "filters", "kernel_size"]),
                       ("Lambda", ["function"])):
        cls = it.value_at(P, name)
        assert isinstance(cls, ClassV)
        init = it.getattr(cls, "__init__")
        assert required_parameters(init, True) == want


def test_required_arguments_are_filled_and_say_where_from() -> None:
    r = analyse("Dense", dims=Dims(units=5))
    assert supplied(r) == {"units": (5, "--dim")}
    assert shapes(r)["kernel"] == [32, 5]
    # ``input_dim`` has a default: the release's default, never the table's Embedding size
    assert shapes(r)["extra"] == [3]
    r = analyse("Dense", {"units": 3})
    assert supplied(r) == {"units": (3, "symbol")}
    assert supplied(analyse("Conv2D")) == {"filters": (8, "table"), "kernel_size": (3, "table")}


def test_a_required_parameter_the_table_lacks_is_needs_args() -> None:
    r = analyse("Lambda")
    assert r.status == "needs-args"
    assert r.missing_arguments == ["function"]
    assert r.weights == []
    assert r.message is not None and "function" in r.message
    # given in the symbol or by --dim, it is built
    assert analyse("Lambda", {"function": "f"}).status == "resolved"
    assert analyse("Lambda", dims=Dims(given={"function": "f"})).status == "resolved"


def test_parameters_forwarded_through_kwargs_are_required_too() -> None:
    r = analyse("Conv2DCell")
    assert r.status == "needs-args"
    # conv_ndims is given by the subclass's call; name is its own (with a default)
    assert r.missing_arguments == ["input_shape", "output_channels"]


def test_super_of_a_named_class_skips_its_requirements() -> None:
    it = interp(tree())
    for name, want in (("FastRNN", ["units"]), ("NeedsCell", ["cell"])):
        cls = it.value_at(P, name)
        assert isinstance(cls, ClassV)
        assert class_requirements(it, cls) == want


def test_a_constructor_that_raises_gets_a_guarded_optional_argument_from_the_table() -> None:
    r = analyse("BlockCell")
    assert supplied(r) == {"num_units": (64, "table")}  # cell_size is not in the table
    assert shapes(r) == {"kernel": [32, 64]}


def test_a_guarded_argument_the_table_lacks_is_needs_args() -> None:
    r = analyse("GridCell")
    assert r.status == "needs-args" and r.missing_arguments == ["num_blocks"]
    assert r.message is not None and "raises ValueError: Must specify num_blocks" in r.message
    assert analyse("GridCell", {"num_blocks": 2}).status == "resolved"


def test_a_build_that_raises_under_a_test_of_a_parameter_is_needs_args() -> None:
    r = analyse("ProjCell")  # input 32, units 64: the check raises, in the else branch
    assert r.status == "needs-args" and r.missing_arguments == ["num_in_proj"]
    assert r.message is not None and "raises ValueError: Must have input size == output " \
        "size" in r.message and "for the input (None, 32)" in r.message
    assert shapes(analyse("ProjCell", {"num_in_proj": 64})) == {"proj": [32, 64],
                                                              "kernel": [64, 64]}
    # an input as wide as the units passes the check: nothing needed
    wide = analyse("ProjCell", dims=Dims(input_dim=64))
    assert wide.status == "resolved" and shapes(wide) == {"kernel": [64, 64]}


# ------------------------------------------------------------------ wrappers
def test_a_wrapper_gets_its_inner_layer_from_the_table_and_names_its_weights() -> None:
    r = analyse("Wrap", dims=Dims(given={"layer": "Recurrent"}))
    assert supplied(r)["layer"] == ({"symbol": "keras.Recurrent", "arguments": [
        {"name": "units", "value": 64, "source": "table"}]}, "--dim")
    # the inner layer's cell is the layer: forward_layer/kernel, not forward_layer/cell/kernel
    assert shapes(r) == {"forward_layer/kernel": [32, 64]}
    assert r.input_shape == [None, 5, 32]


def test_the_inner_layer_takes_arguments_and_full_names() -> None:
    r = analyse("Wrap", {"layer": "keras.Dense[units=7]"})
    assert shapes(r) == {"forward_layer/kernel": [32, 7], "forward_layer/extra": [3]}


def test_cells_from_the_table() -> None:
    dims = Dims(given={"cell": "Cell", "cells": "Cell,Cell"})
    assert shapes(analyse("CellLayer", dims=dims)) == {"kernel": [32, 64]}
    assert shapes(analyse("Pair", dims=dims)) == {"cells/0/kernel": [32, 64],
                                                  "cells/1/kernel": [32, 64]}


def test_an_inner_layer_the_namespace_lacks_is_needs_args() -> None:
    r = analyse("Wrap")  # the table's LSTM: this namespace has none
    assert r.status == "needs-args"
    assert r.missing_arguments == ["layer"]
    assert r.message is not None and "keras.LSTM" in r.message


def test_owner_paths_prefer_public_attributes_and_follow_layers_only() -> None:
    it = interp(tree())
    dense = it.value_at(P, "Dense")
    helper = it.value_at(P, "InputSpec")  # no ``weights``: not a layer
    assert isinstance(dense, ClassV) and isinstance(helper, ClassV)
    a, b, h = Instance(cls=dense), Instance(cls=dense), Instance(cls=helper)
    top = Instance(cls=dense, attrs={"_layers": a, "forward_layer": a, "cell": b, "spec": h})
    paths = {id(steps[-1].obj): [s.attr for s in steps] for steps in sublayer_paths(it, top)}
    assert paths[id(a)] == ["forward_layer"]
    assert id(h) not in paths
    assert len(paths) == 2  # a and the cell b; nothing else is reachable
    assert step_name(it, Step("_cells", a, None, "1")) == "cells/1"
    assert step_name(it, Step("forward_layer", a, None)) == "forward_layer"


# ------------------------------------------------------------------ the table itself
def test_the_table_and_dim_parsing() -> None:
    values = table.effective({})
    assert values["num_units"] == values["units"] == 64
    assert table.effective({"units": 8})["num_units"] == 8  # num_units follows units
    assert table.effective({"features": 7})["target_shape"] == (7,)
    assert table.parse_dim("kernel_size=(3, 3)") == ("kernel_size", (3, 3))
    assert table.parse_dim("layer=GRU") == ("layer", table.Inner(("GRU",)))
    assert table.parse_dim("cells=GRUCell,LSTMCell[units=4]") == (
        "cells", table.Inner(("GRUCell", "LSTMCell[units=4]")))
    for bad in ("units", "units=0", "units=abc", "=3", "features=2.5"):
        with pytest.raises(table.ArgumentError):
            table.parse_dim(bad)


def _c(v: Any) -> Any:
    from tfinit_audit.analysis.engine.values import Const

    return Const(value=v)


MODELS = '''
    """``Base.__init__`` named through a module (Keras 3 ``Model`` calls
    ``base_trainer.Trainer.__init__(self)``-style bases)."""
    from keras import layers


    class Model(layers.NeedsCell):
        def __init__(self, depth, **kwargs):
            layers.NeedsCell.__init__(self, **kwargs)
            self.depth = depth
    '''


def test_a_base_init_named_through_a_module_forwards_its_requirements() -> None:
    it = interp(make_tree({P: LAYERS, "keras/__init__.py": INIT, "keras/models.py": MODELS}))
    cls = it.value_at("keras/models.py", "Model")
    assert isinstance(cls, ClassV)
    assert class_requirements(it, cls) == ["depth", "cell"]
    # the text scan behind module lookups: a name that is not an identifier binds nothing
    src = it.sources.module("keras/models.py")
    assert src is not None and not src.may_bind("") and src.may_bind("Model")


SPLIT_CELL = '''

    class SplitLayer(Layer):
        """As Keras 2.4 TextVectorization: build refuses an input whose last axis is not 1
        while splitting is on (and makes no weight); the test names build's own input_shape
        too."""
        def __init__(self, split="whitespace"):
            super().__init__()
            self._split = split

        def build(self, input_shape):
            if self._split is not None:
                if input_shape[-1] != 1:
                    raise ValueError("the innermost dimension must be 1")
            self.built = True
    '''


def test_a_build_s_own_input_parameter_is_never_an_argument_to_give() -> None:
    r = analyse("SplitLayer", layers=LAYERS + SPLIT_CELL)
    assert r.status == "needs-args" and r.missing_arguments == ["split"]
    # the constructor taking a parameter of that name changes nothing: the test's bare
    # input_shape is build's own
    edited = SPLIT_CELL.replace('def __init__(self, split="whitespace"):',
                                'def __init__(self, split="whitespace", input_shape=None):')
    r = analyse("SplitLayer", layers=LAYERS + edited)
    assert r.status == "needs-args" and r.missing_arguments == ["split"]
    # an edit: the width checked is a constructor argument the layer keeps
    edited = SPLIT_CELL.replace('def __init__(self, split="whitespace"):',
                                'def __init__(self, split="whitespace", width=1):').replace(
        "self._split = split", "self._split = split\n            self._width = width").replace(
        "if input_shape[-1] != 1:", "if input_shape[-1] != self._width:")
    r = analyse("SplitLayer", layers=LAYERS + edited)
    assert r.status == "needs-args" and r.missing_arguments == ["split", "width"]
