"""Layers that create their variables when called (rules/call_time.py, variable_scopes.py,
tensors.py): TF 0.x/1.x RNN cells, whose ``build`` creates nothing, run once on a tensor of the
input shape and their zero state; ``get_variable`` under ``variable_scope``s names the weights;
op shape functions carry the widths from one helper to the next."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV, Const, FunctionV
from tfinit_audit.analysis.layers import analyze_function, build_layer
from tfinit_audit.analysis.model import Dims, SymbolResult, Weight
from tfinit_audit.analysis.rules.weights import to_weights

INIT_OPS = '''
    """A minimal init_ops."""


    class Initializer(object):
        pass


    class Zeros(Initializer):
        pass


    class Ones(Initializer):
        pass


    class Constant(Initializer):
        def __init__(self, value=0):
            self.value = value


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
            self.scale = scale


    class GlorotUniform(VarianceScaling):
        def __init__(self):
            super(GlorotUniform, self).__init__(scale=1.0, mode="fan_avg",
                                                distribution="uniform")
    '''

VARIABLE_SCOPE = '''
    """Mimics TF 1.x variable_scope.py: a scope store, a scope class used as a context manager,
    and get_variable, whose None initializer becomes glorot_uniform."""
    from tensorflow.python.ops import init_ops


    class VariableScope(object):
        def __init__(self, name, initializer=None):
            self.name = name
            self._initializer = initializer


    def get_variable_scope():
        return VariableScope("")


    class variable_scope(object):
        def __init__(self, name_or_scope, default_name=None, values=None, initializer=None,
                     reuse=None):
            self._name_or_scope = name_or_scope

        def __enter__(self):
            return VariableScope(self._name_or_scope)

        def __exit__(self, *args):
            return False


    def get_variable(name, shape=None, dtype=None, initializer=None):
        if initializer is None:
            initializer = init_ops.GlorotUniform()
        return name
    '''

MATH_OPS = '''
    """Element-wise ops and matmul (bodies the shape rule never needs to run)."""


    def sigmoid(x, name=None):
        return unknown_kernel(x)


    def tanh(x, name=None):
        return unknown_kernel(x)


    def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
        return unknown_kernel(a, b)
    '''

ARRAY_OPS = '''
    """concat / split with the 1.x signatures."""


    def concat(values, axis, name="concat"):
        return unknown_kernel(values)


    def split(value, num_or_size_splits, axis=0, name="split"):
        return unknown_kernel(value)
    '''

NEST = '''
    """nest.is_sequence bound to a C helper, as in most releases."""
    from tensorflow.python import pywrap_helpers
    is_sequence = pywrap_helpers.IsSequence
    '''

PYWRAP = '''
    def IsSequence(o):
        return _native.IsSequence(o)
    '''

CELLS = '''
    """Mimics the TF 0.12-1.4 cells: an RNNCell base with nothing in build; a 0.x cell whose own
    __call__ opens its scope (type(self).__name__) and calls a _linear helper; a 1.x cell whose
    call builds _Linear objects (variables made in their constructor) under "gates" and
    "candidate" scopes, the candidate input's width coming through split and a product; a cell
    with a tuple state (a namedtuple of sizes) and a scope initializer; a cell that checks for an
    existing variable under reuse=True inside a @contextmanager scope helper, then re-gets a
    variable it made (as layer_norm(reuse=True) does); a stack of layer-cells (as
    ``MultiRNNCell``), each cell's ``__call__`` opening its scope and returning its output
    through framework code the analysis does not follow."""
    import collections
    import contextlib
    import math
    import re

    from tensorflow.python.ops import array_ops
    from tensorflow.python.ops import init_ops
    from tensorflow.python.ops import math_ops
    from tensorflow.python.ops import variable_scope as vs
    from tensorflow.python.util import nest


    class RNNCell(object):
        def build(self, inputs_shape):
            pass


    def _linear(args, output_size, bias, bias_start=0.0, scope=None):
        if not nest.is_sequence(args):
            args = [args]
        total_arg_size = 0
        shapes = [a.get_shape().as_list() for a in args]
        for shape in shapes:
            total_arg_size += shape[1]
        with vs.variable_scope(scope or "Linear"):
            matrix = vs.get_variable("Matrix", [total_arg_size, output_size])
            if not bias:
                return math_ops.matmul(array_ops.concat(args, 1), matrix)
            bias_term = vs.get_variable(
                "Bias", [output_size], initializer=init_ops.Constant(bias_start))
        return math_ops.matmul(array_ops.concat(args, 1), matrix) + bias_term


    class OldGRUCell(RNNCell):
        def __init__(self, num_units):
            self._num_units = num_units

        @property
        def state_size(self):
            return self._num_units

        def __call__(self, inputs, state, scope=None):
            with vs.variable_scope(scope or type(self).__name__):
                with vs.variable_scope("Gates"):
                    value = _linear([inputs, state], 2 * self._num_units, True, 1.0)
            return value


    class _Linear(object):
        def __init__(self, args, output_size, build_bias, bias_initializer=None):
            if not nest.is_sequence(args):
                args = [args]
            total_arg_size = 0
            for a in args:
                total_arg_size += a.get_shape()[1].value
            scope = vs.get_variable_scope()
            with vs.variable_scope(scope) as outer_scope:
                self._weights = vs.get_variable("kernel", [total_arg_size, output_size])
                if build_bias:
                    if bias_initializer is None:
                        bias_initializer = init_ops.Zeros()
                    self._biases = vs.get_variable("bias", [output_size],
                                                   initializer=bias_initializer)

        def __call__(self, args):
            res = math_ops.matmul(array_ops.concat(args, 1), self._weights)
            return res + self._biases


    class GRUCell(RNNCell):
        def __init__(self, num_units):
            self._num_units = num_units
            self._gate_linear = None

        @property
        def state_size(self):
            return self._num_units

        def call(self, inputs, state):
            if self._gate_linear is None:
                with vs.variable_scope("gates"):
                    self._gate_linear = _Linear([inputs, state], 2 * self._num_units, True,
                                                bias_initializer=init_ops.Ones())
            value = math_ops.sigmoid(self._gate_linear([inputs, state]))
            r, u = array_ops.split(value=value, num_or_size_splits=2, axis=1)
            r_state = r * state
            with vs.variable_scope("candidate"):
                c = _Linear([inputs, r_state], self._num_units, True)
            return c


    _StateTuple = collections.namedtuple("StateTuple", ("c", "h"))


    class StateTuple(_StateTuple):
        pass


    class LSTMCell(RNNCell):
        def __init__(self, num_units, num_proj=None, initializer=None):
            self._num_units = num_units
            self._num_proj = num_proj
            self._initializer = initializer

        @property
        def state_size(self):
            return StateTuple(self._num_units, self._num_proj or self._num_units)

        def call(self, inputs, state):
            (c_prev, m_prev) = state
            with vs.variable_scope(vs.get_variable_scope(), initializer=init_ops.Ones()):
                lstm = _Linear([inputs, m_prev], 4 * self._num_units, True)
                diag = vs.get_variable("w_diag", shape=[self._num_units])
                shards = math.floor(self._num_units / 2)
                half = vs.get_variable("half", shape=[shards])
            return lstm


    @contextlib.contextmanager
    def _checked_scope(cell, scope):
        with vs.variable_scope(scope) as checking_scope:
            found = False
            try:
                with vs.variable_scope(checking_scope, reuse=True):
                    vs.get_variable("weights")
                found = True
            except ValueError:
                pass
            if found:
                raise ValueError("already built")
            yield checking_scope


    def linear_layer(inputs, units, scope=None):
        with vs.variable_scope(scope, default_name="linear_layer"):
            w = vs.get_variable("w", [inputs.get_shape()[1].value, units])
            return math_ops.matmul(inputs, w)


    def snake(name):
        return re.sub("([a-z])([A-Z])", r"\\1_\\2", name).lower()


    class SquareCell(RNNCell):
        def __init__(self, num_units):
            self._num_units = num_units

        @property
        def state_size(self):
            return self._num_units

        def call(self, inputs, state):
            if inputs.get_shape()[1].value != self._num_units:
                raise ValueError("input size must equal num_units")
            return vs.get_variable("w", [self._num_units, self._num_units])


    class CheckedCell(RNNCell):
        def __init__(self, num_units):
            self._num_units = num_units

        @property
        def state_size(self):
            return self._num_units

        def __call__(self, inputs, state, scope=None):
            with _checked_scope(self, scope or "checked_cell"):
                w = vs.get_variable("weights", [3, self._num_units],
                                    initializer=init_ops.Zeros())
                with vs.variable_scope("norm"):
                    vs.get_variable("gamma", [self._num_units], initializer=init_ops.Ones())
                with vs.variable_scope("norm", reuse=True):
                    again = vs.get_variable("gamma", [self._num_units],
                                            initializer=init_ops.Zeros())
            return w


    class LayerCell(RNNCell):
        def __init__(self, num_units):
            self._num_units = num_units

        @property
        def state_size(self):
            return self._num_units

        @property
        def output_size(self):
            return self._num_units

        def add_weight(self, name, shape):
            return vs.get_variable(name, shape)

        def build(self, inputs_shape):
            self.kernel = self.add_weight("kernel",
                                          [inputs_shape[1] + self._num_units, self._num_units])

        def __call__(self, inputs, state, scope=None):
            with vs.variable_scope(scope or "layer_cell"):
                self.build(inputs.get_shape().as_list())
                return framework_call(self.call, inputs, state)


    class Stack(RNNCell):
        def __init__(self, num_units):
            self._cells = [LayerCell(num_units), LayerCell(num_units)]

        @property
        def state_size(self):
            return (self._cells[0].state_size, self._cells[1].state_size)

        def call(self, inputs, state):
            cur = inputs
            new_states = []
            for i, cell in enumerate(self._cells):
                with vs.variable_scope("cell_%d" % i):
                    cur, new_state = cell(cur, state[i])
                    new_states.append(new_state)
            return cur, tuple(new_states)
    '''

C = "mylib/cells.py"
VS = "tensorflow/python/ops/variable_scope.py"


def tree(extra: dict[str, str] | None = None) -> Any:
    return make_tree({
        "tensorflow/python/ops/init_ops.py": INIT_OPS, VS: VARIABLE_SCOPE,
        "tensorflow/python/ops/math_ops.py": MATH_OPS,
        "tensorflow/python/ops/array_ops.py": ARRAY_OPS,
        "tensorflow/python/util/nest.py": NEST,
        "tensorflow/python/pywrap_helpers.py": PYWRAP, C: CELLS, **(extra or {})})


def built(cls: str, t: Any = None, **kwargs: Any) -> dict[str, Weight]:
    it = interp(t or tree())
    c = it.value_at(C, cls)
    assert isinstance(c, ClassV)
    _, captured, _ = build_layer(it, c, kwargs, Dims(units=4), [None, 3])
    return {w.name: w for w in to_weights(it, captured)}


def test_a_0x_cell_is_called_and_its_scopes_name_the_weights() -> None:
    t = tree()
    w = built("OldGRUCell", t, num_units=4)
    assert list(w) == ["OldGRUCell/Gates/Linear/Matrix", "OldGRUCell/Gates/Linear/Bias"]
    m, b = w["OldGRUCell/Gates/Linear/Matrix"], w["OldGRUCell/Gates/Linear/Bias"]
    assert (m.shape, b.shape) == ([3 + 4, 8], [8])
    assert m.initializer.kind == "glorot_uniform" and m.fallback
    assert (b.initializer.kind, b.initializer.params) == ("constant", {"value": 1.0})
    assert where(m.provenance[:4]) == [
        at(t, C, 'matrix = vs.get_variable("Matrix", [total_arg_size, output_size])'),
        at(t, C, "with vs.variable_scope(scope or type(self).__name__):"),
        at(t, C, 'with vs.variable_scope("Gates"):'),
        at(t, C, 'with vs.variable_scope(scope or "Linear"):')]
    assert_real_lines(t, m.provenance)


def test_helper_objects_are_built_where_the_call_makes_them() -> None:
    # _Linear's constructor creates the variables: it runs inside the "gates" scope, and the
    # candidate's input width comes through sigmoid, split and r * state
    w = built("GRUCell", num_units=4)
    assert {n: x.shape for n, x in w.items()} == {
        "gates/kernel": [7, 8], "gates/bias": [8], "candidate/kernel": [7, 4],
        "candidate/bias": [4]}
    assert w["gates/bias"].initializer.kind == "ones"
    assert w["candidate/bias"].initializer.kind == "zeros"


def test_tuple_state_and_a_scope_initializer() -> None:
    t = tree()
    w = built("LSTMCell", t, num_units=4, num_proj=2)
    # m_prev is the namedtuple state's second field: num_proj wide
    assert w["kernel"].shape == [3 + 2, 16]
    diag = w["w_diag"]
    assert diag.initializer.kind == "ones" and diag.fallback  # the scope's initializer
    assert at(t, C, "with vs.variable_scope(vs.get_variable_scope(), "
                    "initializer=init_ops.Ones()):") in where(diag.provenance)
    assert w["half"].shape == [2]  # math.floor of known numbers


def test_reuse_true_gets_existing_variables_only() -> None:
    # the reuse=True probe of _checked_scope finds nothing (ValueError, caught): no weight; the
    # @contextmanager scope wraps the caller's body; norm/gamma re-got under reuse=True is the
    # one made before (its initializer stands)
    w = built("CheckedCell", num_units=4)
    assert list(w) == ["checked_cell/weights", "checked_cell/norm/gamma"]
    assert w["checked_cell/weights"].initializer.kind == "zeros"
    assert w["checked_cell/norm/gamma"].initializer.kind == "ones"


def test_a_function_that_creates_variables_is_called_on_an_input() -> None:
    # like tf.layers.dense: applied to an input tensor with its required arguments; the
    # variables its call creates are the weights, named by its scope's default name
    t = tree()
    it = interp(t)
    f = it.value_at(C, "linear_layer")
    assert isinstance(f, FunctionV)
    result = SymbolResult(symbol="linear_layer", status="resolved")
    analyze_function(it, f, {}, Dims(units=4, input_dim=3), result)
    [w] = result.weights
    assert (w.name, w.shape, w.initializer.kind, w.fallback) == (
        "linear_layer/w", [3, 4], "glorot_uniform", True)
    assert_real_lines(t, w.provenance)


def test_re_and_math_are_python_s_own_on_known_values() -> None:
    from rule_fixtures import evaluate

    it = interp(tree())
    assert evaluate(it, C, 'snake("BasicLSTMCell")').to_python() == "basic_lstmcell"
    assert evaluate(it, C, 're.match("a+", "aab").group(0)').to_python() == "aa"
    assert evaluate(it, C, 're.match("b", "aab")').to_python() is None
    assert evaluate(it, C, "math.floor(7 / 2)").to_python() == 3
    unknown = evaluate(it, C, "math.floor(some_unknown)")
    assert not isinstance(unknown, Const)


def test_a_layer_whose_code_raises_for_the_arguments_says_so() -> None:
    from tfinit_audit.analysis.audit import analyze
    from tfinit_audit.analysis.symbols import parse_symbol

    files = {"tensorflow/python/ops/init_ops.py": INIT_OPS, VS: VARIABLE_SCOPE,
             "tensorflow/python/ops/math_ops.py": MATH_OPS,
             "tensorflow/python/ops/array_ops.py": ARRAY_OPS,
             "tensorflow/python/util/nest.py": NEST,
             "tensorflow/python/pywrap_helpers.py": PYWRAP, C: CELLS,
             "tensorflow/__init__.py": "from mylib.cells import SquareCell\n"}
    t = make_tree(files)
    [r] = analyze(t, [parse_symbol("tf.SquareCell")], Dims(units=4, input_dim=3))
    assert r.status == "partial"
    line = at(t, C, 'raise ValueError("input size must equal num_units")')[1]
    assert r.message == ("no weights created: the layer's code raises ValueError: input size "
                         f"must equal num_units ({C}:{line}) for the arguments given")
    [ok] = analyze(t, [parse_symbol("tf.SquareCell")], Dims(units=3, input_dim=3))
    assert [(w.name, w.shape) for w in ok.weights] == [("w", [3, 3])]


def test_a_stack_of_cells_feeds_each_cell_the_previous_output() -> None:
    # each cell's own __call__ opens its scope (no build short-cut inside cell_0's scope), and
    # its output is [batch, output_size] (the RNNCell contract) although the framework code it
    # goes through leaves it unknown: the second kernel is built on the first cell's output
    w = built("Stack", num_units=4)
    assert {n: x.shape for n, x in w.items()} == {"cell_0/layer_cell/kernel": [7, 4],
                                                 "cell_1/layer_cell/kernel": [8, 4]}


LAYERS_10 = '''
    """Mimics TF 1.0 tf.layers: the layer takes its scope object at construction with
    next(variable_scope(None, default_name=...).gen) and re-enters it when called; the scope's
    name is checked against the op-name pattern, as ops.name_scope does."""
    import re
    from tensorflow.python.ops import variable_scope as vs

    _VALID = re.compile("^[A-Za-z0-9.][A-Za-z0-9_.\\\\-/]*$")


    class Thing(object):
        def __init__(self, units, name=None):
            self.units = units
            self._scope = next(vs.variable_scope(name, default_name="thing").gen)

        def __call__(self, inputs):
            with vs.variable_scope(self._scope) as scope:
                if not _VALID.match(scope.original_name_scope):
                    raise ValueError("not a valid scope name")
                return vs.get_variable("kernel", [inputs.get_shape()[1].value, self.units])


    def thing(inputs, units, name=None):
        return Thing(units, name=name)(inputs)
    '''


def _thing(files: dict[str, str] | None = None) -> SymbolResult:
    it = interp(tree({"mylib/layers10.py": LAYERS_10, **(files or {})}))
    f = it.value_at("mylib/layers10.py", "thing")
    assert isinstance(f, FunctionV)
    result = SymbolResult(symbol="thing", status="resolved")
    analyze_function(it, f, {}, Dims(units=4, input_dim=3), result)
    return result


def test_a_scope_object_taken_with_next_gen_names_the_variables() -> None:
    [w] = _thing().weights
    assert (w.name, w.shape, w.initializer.kind) == ("thing/kernel", [3, 4], "glorot_uniform")


def test_a_scope_whose_name_is_unknown_has_no_made_up_name() -> None:
    # the name comes from code the analysis cannot run: the scope's name is unknown, not a
    # placeholder string that fails the op-name check (which dropped the whole call)
    text = LAYERS_10.replace('next(vs.variable_scope(name, default_name="thing").gen)',
                             'next(vs.variable_scope(make_name(), default_name="x").gen)')
    [w] = _thing({"mylib/layers10.py": text}).weights
    assert w.name == "{make_name()}/kernel" and w.initializer.kind == "glorot_uniform"


WRAPPERS = '''
    """A wrapper whose ``__call__`` calls its cell (TF 1.x ``DropoutWrapper``) outside any
    scope; the cell's class has a ``__call__`` of its own (``RNNCell.__call__``) over the
    base layer's, which opens its scope and makes the variables in ``call``."""
    from tensorflow.python.ops import variable_scope as vs


    class BaseLayer(object):
        def add_weight(self, name, shape):
            return vs.get_variable(name, shape)

        def build(self, input_shape):
            self.built = True

        def __call__(self, inputs, *args):
            self.build(inputs.get_shape().as_list())
            return self.call(inputs, *args)


    class CallCell(BaseLayer):
        def __init__(self, num_units):
            self._num_units = num_units

        @property
        def state_size(self):
            return self._num_units

        def __call__(self, inputs, state, scope=None):
            with vs.variable_scope(scope or "call_cell"):
                return super(CallCell, self).__call__(inputs, state)

        def call(self, inputs, state):
            w = vs.get_variable("kernel", [inputs.get_shape().as_list()[1], self._num_units])
            return inputs, state


    class Wrapper(object):
        def __init__(self, num_units):
            self._cell = CallCell(num_units)

        @property
        def state_size(self):
            return self._cell.state_size

        def build(self, input_shape):
            pass

        def __call__(self, inputs, state, scope=None):
            return self._cell(inputs, state, scope)
    '''
W = "mylib/wrappers.py"


def _wrapped(source: str = WRAPPERS) -> dict[str, Weight]:
    it = interp(tree({W: source}))
    c = it.value_at(W, "Wrapper")
    assert isinstance(c, ClassV)
    _, captured, _ = build_layer(it, c, {}, Dims(units=4), [None, 3])
    return {w.name: w for w in to_weights(it, captured)}


def test_a_wrapped_cell_whose_class_has_its_own_call_runs_it() -> None:
    # not just built (rules/sublayers.py LayerCalls): its own __call__ makes the variables
    ws = _wrapped()
    assert {n: w.shape for n, w in ws.items()} == {"call_cell/kernel": [3, 4]}


def test_a_wrapped_layer_with_the_base_call_is_built_as_keras_does() -> None:
    # without the override, calling the cell is the base layer's __call__: LayerCalls builds
    # it on the input (its build makes nothing here) and does not run its call
    edited = WRAPPERS.replace("def __call__(self, inputs, state, scope=None):\n"
                              "            with vs.variable_scope", "def unused(self, inputs, "
                              "state, scope=None):\n            with vs.variable_scope")
    assert edited != WRAPPERS
    assert _wrapped(edited) == {}
