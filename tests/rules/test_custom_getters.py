"""Custom getters of TF 1.x variable scopes (rules/custom_getters.py, variable_scopes.py): a
variable made inside ``variable_scope(..., custom_getter=f)`` is the one ``f`` hands to the
store -- ``tf.contrib.layers`` renames ``kernel``/``bias`` to ``weights``/``biases`` this way,
through a rename dict in its own code. The getter's code is run; nothing is known about it in
advance."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import FunctionV
from tfinit_audit.analysis.layers import analyze_function
from tfinit_audit.analysis.model import Dims, SymbolResult, Weight

INIT_OPS = '''
    class Initializer(object):
        pass


    class Zeros(Initializer):
        pass


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
            self.scale = scale


    class GlorotUniform(VarianceScaling):
        def __init__(self):
            super(GlorotUniform, self).__init__(scale=1.0, mode="fan_avg",
                                                distribution="uniform")
    '''

VARIABLE_SCOPE = '''
    """Mimics TF 1.x variable_scope.py: scopes take a custom getter; get_variable's None
    initializer becomes glorot_uniform."""
    from tensorflow.python.ops import init_ops


    class VariableScope(object):
        def __init__(self, name):
            self.name = name


    class variable_scope(object):
        def __init__(self, name_or_scope, default_name=None, values=None, initializer=None,
                     reuse=None, custom_getter=None):
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

LAYERS = '''
    """Layers in the tf.contrib.layers style: a getter built around a rename dict, which
    hands the renamed variable on through a model-variable helper and functools.partial."""
    import functools

    from tensorflow.python.ops import init_ops
    from tensorflow.python.ops import variable_scope as vs


    def _model_variable(name, shape=None, initializer=None, custom_getter=None):
        getter = functools.partial(custom_getter, reuse=False)
        return getter(name, shape=shape, initializer=initializer)


    def _renaming_getter(getter, name, shape=None, dtype=None, initializer=None,
                         rename=None, **_):
        short_name = name.split("/")[-1]
        if rename and short_name in rename:
            parts = name.split("/")
            parts[-1] = rename[short_name]
            name = "/".join(parts)
        return _model_variable(name, shape=shape, initializer=initializer,
                               custom_getter=getter)


    def _build_getter(rename=None):
        def layer_getter(getter, *args, **kwargs):
            kwargs["rename"] = rename
            return _renaming_getter(getter, *args, **kwargs)
        return layer_getter


    def dense_like(inputs, num_outputs, scope=None):
        getter = _build_getter({"bias": "biases", "kernel": "weights"})
        with vs.variable_scope(scope, "dense_like", [inputs], custom_getter=getter):
            w = vs.get_variable("kernel", [inputs.get_shape()[1].value, num_outputs])
            b = vs.get_variable("bias", [num_outputs], initializer=init_ops.Zeros())
            return w


    def plain_like(inputs, num_outputs, scope=None):
        with vs.variable_scope(scope, "plain_like", [inputs]):
            return vs.get_variable("kernel", [inputs.get_shape()[1].value, num_outputs])


    def _lost_getter(getter, name, **kwargs):
        return somewhere_else(name)


    def lost_like(inputs, num_outputs, scope=None):
        with vs.variable_scope(scope, "lost_like", [inputs], custom_getter=_lost_getter):
            return vs.get_variable("kernel", [inputs.get_shape()[1].value, num_outputs])
    '''

VS = "tensorflow/python/ops/variable_scope.py"
L = "mylib/layers.py"


def weights(fn: str, layers: str = LAYERS,
            variable_scope: str = VARIABLE_SCOPE) -> tuple[Any, dict[str, Weight]]:
    t = make_tree({"tensorflow/python/ops/init_ops.py": INIT_OPS, VS: variable_scope,
                   L: layers})
    it = interp(t)
    f = it.value_at(L, fn)
    assert isinstance(f, FunctionV)
    result = SymbolResult(symbol=fn, status="resolved")
    analyze_function(it, f, {}, Dims(units=4, input_dim=3), result)
    return t, {w.name: w for w in result.weights}


# ------------------------------------------------------------------ decided
def test_the_getter_s_rename_names_the_variables() -> None:
    t, ws = weights("dense_like")
    assert list(ws) == ["dense_like/weights", "dense_like/biases"]
    w, b = ws["dense_like/weights"], ws["dense_like/biases"]
    assert (w.shape, w.initializer.kind, w.fallback) == ([3, 4], "glorot_uniform", True)
    assert b.initializer.kind == "zeros"
    assert at(t, L, 'with vs.variable_scope(scope, "dense_like", [inputs], '
                    'custom_getter=getter):') in where(w.provenance)
    renamed = [h for h in w.provenance if "hands" in h.note]
    assert [(h.code, h.note) for h in renamed] == [(
        "def layer_getter(getter, *args, **kwargs):",
        "layer_getter: the custom getter hands 'dense_like/kernel' to the store as "
        "'dense_like/weights'")]
    assert_real_lines(t, w.provenance)


def test_the_answer_follows_the_rename_dict() -> None:
    _, ws = weights("dense_like", LAYERS.replace('{"bias": "biases", "kernel": "weights"}',
                                                 '{"kernel": "w"}'))
    assert list(ws) == ["dense_like/w", "dense_like/bias"]


# ------------------------------------------------------------------ left alone
def test_a_scope_without_a_getter_keeps_the_name() -> None:
    _, ws = weights("plain_like")
    assert list(ws) == ["plain_like/kernel"]
    assert not any("custom getter" in h.note for h in ws["plain_like/kernel"].provenance)


def test_a_getter_that_never_reaches_the_store_leaves_the_name_unknown() -> None:
    # no guess: the name is shown as what the getter would decide
    _, ws = weights("lost_like")
    assert list(ws) == ["lost_like/{custom getter(kernel)}"]


# ------------------------------------------------------------------ nesting, as the release does it
NESTING = LAYERS + '''

    def _renamed(getter, name, *args, **kwargs):
        return getter(name + "_outer", *args, **kwargs)


    def _suffixed(getter, name, *args, **kwargs):
        return getter(name + "_inner", *args, **kwargs)


    def nested_like(inputs, num_outputs):
        with vs.variable_scope(None, "outer", custom_getter=_renamed):
            with vs.variable_scope(None, "inner", custom_getter=_suffixed):
                return vs.get_variable("kernel", [3, num_outputs])


    def reads_the_scope_getter(inputs, num_outputs):
        current = vs.get_variable_scope().custom_getter

        def wrapper(getter, name, *args, **kwargs):
            if current is not None:
                getter = functools.partial(current, getter)
            return getter(name, *args, **kwargs)

        with vs.variable_scope(None, "reads", custom_getter=wrapper):
            return vs.get_variable("kernel", [3, num_outputs])
    '''

GET_SCOPE = '''

    def get_variable_scope():
        return VariableScope("")
    '''

WRAPS = '''

    def _maybe_wrap_custom_getter(custom_getter, old_getter):
        return custom_getter
    '''


def nesting_weights(fn: str, variable_scope: str) -> dict[str, Weight]:
    return weights(fn, NESTING, variable_scope)[1]


def test_nested_getters_wrap_where_the_release_wraps_them_else_the_inner_replaces() -> None:
    # TF 1.2 on (_maybe_wrap_custom_getter): the inner scope's getter runs, then the outer's;
    # TF 1.0-1.1 (set_custom_getter): the inner one takes the outer one's place
    wrapped = nesting_weights("nested_like", VARIABLE_SCOPE + GET_SCOPE + WRAPS)
    assert list(wrapped) == ["outer/inner/kernel_inner_outer"]
    replaced = nesting_weights("nested_like", VARIABLE_SCOPE + GET_SCOPE)
    assert list(replaced) == ["outer/inner/kernel_inner"]
    hop = next(h for h in replaced["outer/inner/kernel_inner"].provenance
               if "custom_getter=_suffixed" in h.note)
    assert "in place of the enclosing scope's" in hop.note


def test_a_getter_reading_the_scope_s_own_getter_finds_none_outside_any() -> None:
    # TF 1.0-1.2 tf.layers: ``vs.get_variable_scope().custom_getter`` (None for the layer
    # called outside any scope), wrapped in only when set -- the name is then decided
    for scope in (VARIABLE_SCOPE + GET_SCOPE, VARIABLE_SCOPE + GET_SCOPE + WRAPS):
        assert list(nesting_weights("reads_the_scope_getter", scope)) == ["reads/kernel"]
