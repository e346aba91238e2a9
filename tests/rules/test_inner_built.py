"""Fixture tests of rules/inner_built.py: a wrapper whose own code never builds the layer it
wraps (TF 1.4-1.12 Keras ``Wrapper``: ``build`` only sets ``built``) creates no weights; one
that calls it or its build does, and one that hands it to other code is undecided."""

from __future__ import annotations

from rule_fixtures import interp, make_tree

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.rules.inner_built import building_methods, never_built

P = "mylib/wrappers.py"

WRAPPERS = '''
    """A Layer API whose __call__ builds and whose apply calls __call__, and wrappers."""
    import copy


    class Layer(object):
        def __init__(self, **kwargs):
            self.built = False

        def add_weight(self, name, shape):
            return name

        def __call__(self, inputs):
            if not self.built:
                self.build(inputs.shape)
            return self.call(inputs)

        def apply(self, inputs):
            return self.__call__(inputs)

        def build(self, input_shape):
            self.built = True

        def call(self, inputs):
            return inputs


    class AbstractWrapper(Layer):
        def __init__(self, layer, **kwargs):
            self.layer = layer
            super(AbstractWrapper, self).__init__(**kwargs)

        def build(self, input_shape=None):
            self.built = True

        def regularizer(self):
            if hasattr(self.layer, "regularizer"):
                return self.layer.regularizer
            return None

        def get_weights(self):
            return self.layer.get_weights()


    class CallingWrapper(AbstractWrapper):
        def call(self, inputs):
            return self.layer(inputs)


    class ApplyingWrapper(AbstractWrapper):
        def call(self, inputs):
            return self.layer.apply(inputs)


    class CopyingWrapper(AbstractWrapper):
        def build(self, input_shape=None):
            self.copied = copy.copy(self.layer)
    '''


def _why(name: str, text: str = WRAPPERS) -> str | None:
    it = interp(make_tree({P: text}))
    cls = it.value_at(P, name)
    assert isinstance(cls, ClassV)
    own = [c for c in it.source_mro(cls) if c.name != "Layer" and c.name != "object"]
    return never_built(it, cls, own, ["layer"])


def test_the_layer_api_s_building_methods_are_read_from_source() -> None:
    it = interp(make_tree({P: WRAPPERS}))
    cls = it.value_at(P, "AbstractWrapper")
    assert isinstance(cls, ClassV)
    assert building_methods(it, cls) == {"build", "__call__", "apply"}


def test_a_wrapper_that_never_builds_its_layer_says_so() -> None:
    assert _why("AbstractWrapper") == (
        "AbstractWrapper never builds its layer: its own code (mylib/wrappers.py) neither "
        "calls self.layer nor calls one of its building methods (__call__, apply, build) "
        "on it")


def test_a_wrapper_that_calls_or_applies_its_layer_is_left_alone() -> None:
    assert _why("CallingWrapper") is None
    assert _why("ApplyingWrapper") is None


def test_a_layer_handed_to_other_code_is_undecided() -> None:
    assert _why("CopyingWrapper") is None


def test_an_edit_that_builds_the_layer_changes_the_answer() -> None:
    edited = WRAPPERS.replace(
        "        def build(self, input_shape=None):\n            self.built = True",
        "        def build(self, input_shape=None):\n            self.layer.build(input_shape)",
        1)
    assert _why("AbstractWrapper", edited) is None
