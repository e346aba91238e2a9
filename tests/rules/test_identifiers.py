"""InitializerIdentifierRule / ActivationIdentifierRule (rules/identifiers.py): string
identifiers are looked up the way the release's own ``initializers`` / ``activations`` module
does."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, evaluate, interp, line_of, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV, Const, FunctionV, Unknown
from tfinit_audit.analysis.rules.identifiers import (
    ActivationIdentifierRule,
    InitializerIdentifierRule,
)
from tfinit_audit.analysis.rules.initializer_classes import InitializerClassRule
from tfinit_audit.analysis.rules.values import InitV

BASE = '''
    """Mimics a Keras initializers implementation module: classes whose constructor defaults
    carry the parameters, presets calling their base with fixed arguments."""


    class Initializer(object):
        def __call__(self, shape, dtype=None):
            raise NotImplementedError


    class RandomUniform(Initializer):
        def __init__(self, minval=-0.05, maxval=0.05, seed=None):
            self.minval = minval
            self.maxval = maxval


    class RandomNormal(Initializer):
        def __init__(self, mean=0.0, stddev=0.05, seed=None):
            self.mean = mean
            self.stddev = stddev


    class Zeros(Initializer):
        pass


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
            self.scale = scale


    class GlorotUniform(VarianceScaling):
        def __init__(self, seed=None):
            super(GlorotUniform, self).__init__(
                scale=1.0, mode="fan_avg", distribution="uniform", seed=seed)
    '''

INITIALIZERS = '''
    """Mimics a Keras ``initializers/__init__.py``: an alias table (dict literal and subscript
    assignments), module-level aliases, imported classes found by their snake_case name, and
    ``get``/``deserialize`` whose table lookup the engine cannot follow by itself."""
    from kl.initializers import base
    from kl.initializers.base import Initializer, Zeros, RandomUniform, RandomNormal

    ALL_OBJECTS = {"uniform": RandomUniform, "random_normal": RandomNormal}
    ALL_OBJECTS["normal"] = ALL_OBJECTS["random_normal"]
    zero = Zeros


    def deserialize(config):
        return ALL_OBJECTS[config]


    def get(identifier):
        if isinstance(identifier, str):
            return deserialize(identifier)
        return identifier
    '''

ACTIVATIONS = '''
    """Mimics Keras ``activations.py``: functions, an alias table, and a ``get`` that looks the
    name up in ``globals()``."""


    def tanh(x):
        return x


    def sigmoid(x):
        return x


    ALIASES = {"logistic": sigmoid}


    def get(identifier):
        return globals()[identifier]
    '''

REGISTRY = '''
    """A ``get`` that is neither an initializers nor an activations module's."""


    def get(identifier):
        return identifier
    '''

VERSIONED = '''
    """Mimics Keras 2.x ``initializers/__init__.py``: the same class names in a v1 and a v2
    module; the v1 module is imported first."""
    from kl.versioned import initializers_v1
    from kl.versioned import initializers_v2


    def get(identifier):
        return identifier
    '''

V1 = '''
    class Initializer(object):
        pass


    class RandomUniform(Initializer):
        def __init__(self, minval=-1.0, maxval=1.0):
            self.minval = minval
    '''

V2 = '''
    class Initializer(object):
        pass


    class RandomUniform(Initializer):
        def __init__(self, minval=-0.05, maxval=0.05):
            self.minval = minval
    '''

INIT = "kl/initializers/__init__.py"
BASE_PATH = "kl/initializers/base.py"


def tree(initializers: str = INITIALIZERS, base: str = BASE) -> Any:
    return make_tree({
        BASE_PATH: base, INIT: initializers, "kl/activations.py": ACTIVATIONS,
        "kl/utils/registry.py": REGISTRY,
        "kl/versioned/initializers/__init__.py": VERSIONED,
        "kl/versioned/initializers_v1.py": V1, "kl/versioned/initializers_v2.py": V2,
        "kl/layers.py": '''
            from kl import initializers
            from kl import activations
            from kl.versioned import initializers as versioned
            from kl.utils import registry
            ''',
    })


def ev(expr: str, t: Any = None, rules: Any = None) -> Any:
    return evaluate(interp(t or tree(), rules), "kl/layers.py", expr)


def init(expr: str, t: Any = None, rules: Any = None) -> InitV:
    v = ev(expr, t, rules)
    assert isinstance(v, InitV), (expr, v)
    assert_real_lines(t or tree(), v.hops)
    return v


# ------------------------------------------------------------------ decided
def test_dict_alias_entry() -> None:
    t = tree()
    v = init("initializers.get('uniform')", t)
    assert (v.kind, v.params) == ("random_uniform", {"minval": -0.05, "maxval": 0.05})
    assert where(v.hops) == [
        at(t, INIT, 'ALL_OBJECTS = {"uniform": RandomUniform, "random_normal": RandomNormal}'),
        at(t, BASE_PATH, "class RandomUniform(Initializer):"),
        at(t, BASE_PATH, "def __init__(self, minval=-0.05, maxval=0.05, seed=None):"),
    ]
    assert v.hops[0].note == "identifier 'uniform' -> RandomUniform"


def test_alias_of_another_identifier() -> None:
    t = tree()
    v = init("initializers.get('normal')", t)
    assert (v.kind, v.params) == ("random_normal", {"mean": 0.0, "stddev": 0.05})
    first = v.hops[0]
    assert (first.line, first.code) == (
        line_of(t, INIT, 'ALL_OBJECTS["normal"] = ALL_OBJECTS["random_normal"]'),
        'ALL_OBJECTS["normal"] = ALL_OBJECTS["random_normal"]')
    assert first.note == "identifier 'normal' is an alias of 'random_normal'"


def test_module_level_name() -> None:
    t = tree()
    v = init("initializers.get('zero')", t)
    assert v.kind == "zeros"
    assert where(v.hops)[0] == (INIT, line_of(t, INIT, "zero = Zeros"), "zero = Zeros")


def test_snake_case_names_its_class() -> None:
    t = tree()
    v = init("initializers.deserialize('zeros')", t)
    assert v.kind == "zeros"
    assert v.hops[0].note == "identifier 'zeros' names class Zeros"
    # a class only the imported module ``base`` defines (``from kl.initializers import base``)
    v = init("initializers.get('glorot_uniform')", t)
    assert (v.kind, v.params) == (
        "glorot_uniform", {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"})
    assert [h.code for h in v.hops] == ["class GlorotUniform(VarianceScaling):",
                                        "super(GlorotUniform, self).__init__("]


def test_a_v2_module_is_preferred_to_a_v1_module() -> None:
    v = init("versioned.get('random_uniform')")
    assert v.params == {"minval": -0.05, "maxval": 0.05}
    assert v.hops[0].path == "kl/versioned/initializers_v2.py"


def test_activation_identifiers() -> None:
    for rules in (None, [ActivationIdentifierRule()]):
        v = ev("activations.get('tanh')", rules=rules)
        assert isinstance(v, FunctionV) and v.name == "tanh"
        v = ev("activations.get('logistic')", rules=rules)  # through the alias table
        assert isinstance(v, FunctionV) and v.name == "sigmoid"


def test_the_rule_alone_decides_with_the_class_rule() -> None:
    rules = [InitializerIdentifierRule(), InitializerClassRule()]
    assert init("initializers.get('uniform')", rules=rules).kind == "random_uniform"
    assert init("initializers.get('zeros')", rules=rules).kind == "zeros"
    # without it: what the library's own body gives -- the table's class, uninstantiated,
    # and nothing for a name only found by its snake_case spelling
    v = ev("initializers.get('uniform')", rules=[InitializerClassRule()])
    assert isinstance(v, ClassV) and v.name == "RandomUniform"
    assert isinstance(ev("initializers.get('zeros')", rules=[InitializerClassRule()]), Unknown)


def test_the_answer_follows_the_alias_table() -> None:
    changed = tree(INITIALIZERS.replace('{"uniform": RandomUniform,', '{"uniform": RandomNormal,'))
    v = init("initializers.get('uniform')", changed)
    assert (v.kind, v.params) == ("random_normal", {"mean": 0.0, "stddev": 0.05})


def test_the_answer_follows_the_constructor_defaults() -> None:
    changed = tree(base=BASE.replace("minval=-0.05, maxval=0.05", "minval=-0.1, maxval=0.1"))
    assert init("initializers.get('uniform')", changed).params == {"minval": -0.1, "maxval": 0.1}


def test_a_later_table_entry_overrides_an_earlier_one() -> None:
    changed = tree(INITIALIZERS.replace(
        'ALL_OBJECTS = {"uniform": RandomUniform, "random_normal": RandomNormal}',
        'ALL_OBJECTS = {"random_normal": RandomNormal}\n    ALL_OBJECTS["uniform"] = '
        'RandomUniform\n    ALL_OBJECTS["uniform"] = RandomNormal'))
    assert init("initializers.get('uniform')", changed).kind == "random_normal"


# ------------------------------------------------------------------ left alone
def test_get_of_a_module_that_is_not_an_initializers_module() -> None:
    for expr in ("registry.get('glorot_uniform')", "registry.get('tanh')"):
        v = ev(expr)
        assert isinstance(v, Const) and v.value == expr.split("'")[1]  # the function's body


def test_an_identifier_the_release_does_not_have_is_unresolved() -> None:
    v = ev("initializers.get('no_such_initializer')")
    assert isinstance(v, Unknown)
    assert v.text == "initializer identifier 'no_such_initializer'" and v.path == INIT


def test_an_identifier_that_is_not_a_string_is_left_to_get() -> None:
    v = ev("initializers.get(None)")
    assert isinstance(v, Const) and v.value is None


def test_an_activation_the_release_does_not_have_is_not_invented() -> None:
    assert not isinstance(ev("activations.get('no_such_activation')"), FunctionV)


# ------------------------------------------------------------------ a namespace filled by table
DYN_INIT = '''
    """Mimics Keras 2.x ``initializers/__init__.py``: a thread-local table filled by a function
    (v2 classes by name when TF2 behaviour is on, v1 ones otherwise), then copied into the
    module's namespace with ``globals().update``; ``Orthogonal`` is bound by the module itself."""
    import threading

    from kl.initializers import initializers_v1
    from kl.initializers import initializers_v2
    from kl import tf2

    LOCAL = threading.local()


    def populate():
        LOCAL.ALL_OBJECTS = {}
        if tf2.enabled():
            for name in dir(initializers_v2):
                LOCAL.ALL_OBJECTS[name] = getattr(initializers_v2, name)
        else:
            LOCAL.ALL_OBJECTS.update({"RandomNormal": initializers_v1.RandomNormal})


    populate()
    globals().update(LOCAL.ALL_OBJECTS)

    Orthogonal = initializers_v1.RandomNormal
    '''

DYN_V2 = '''
    class Initializer(object):
        pass


    class RandomNormal(Initializer):
        def __init__(self, mean=0.0, stddev=0.05, seed=None):
            self.stddev = stddev
    '''

DYN_V1 = '''
    class Initializer(object):
        pass


    class RandomNormal(Initializer):
        def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=None):
            self.stddev = stddev


    class TruncatedNormal(Initializer):
        def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=None):
            self.stddev = stddev
    '''

USER = '''
    from kl.initializers import RandomNormal
    from kl import initializers
    '''


def dyn_tree(v2: str = DYN_V2, init: str = DYN_INIT) -> Any:
    return make_tree({"kl/initializers/__init__.py": init,
                      "kl/initializers/initializers_v2.py": v2,
                      "kl/initializers/initializers_v1.py": DYN_V1,
                      "kl/tf2.py": "def enabled():\n    return True\n",
                      "kl/layer.py": USER})


def test_a_name_of_a_namespace_filled_from_the_table_is_the_tables_class() -> None:
    t = dyn_tree()
    it = interp(t)
    cls = evaluate(it, "kl/layer.py", "RandomNormal")
    assert isinstance(cls, ClassV) and cls.path == "kl/initializers/initializers_v2.py"
    assert where(cls.hops) == [at(t, "kl/initializers/__init__.py",
                                  "globals().update(LOCAL.ALL_OBJECTS)")]
    v = evaluate(it, "kl/layer.py", "initializers.RandomNormal(stddev=1.5)")
    assert isinstance(v, InitV) and (v.kind, v.params) == (
        "random_normal", {"mean": 0.0, "stddev": 1.5})
    # a name only a v1 module has is still that table's entry
    tn = evaluate(it, "kl/layer.py", "initializers.TruncatedNormal")
    assert isinstance(tn, ClassV) and tn.path == "kl/initializers/initializers_v1.py"


def test_the_namespace_answer_follows_the_source() -> None:
    t = dyn_tree(v2=DYN_V2.replace("class RandomNormal(Initializer)",
                                   "class OtherNormal(Initializer)"))
    cls = evaluate(interp(t), "kl/layer.py", "RandomNormal")
    assert isinstance(cls, ClassV) and cls.path == "kl/initializers/initializers_v1.py"


def test_a_name_the_module_binds_itself_is_left_to_python() -> None:
    cls = evaluate(interp(dyn_tree()), "kl/layer.py", "initializers.Orthogonal")
    assert isinstance(cls, ClassV) and cls.path == "kl/initializers/initializers_v1.py"
    assert cls.name == "RandomNormal"  # the module's own alias, not a class named Orthogonal


def test_a_namespace_not_filled_from_a_table_is_left_alone() -> None:
    t = dyn_tree(init=DYN_INIT.replace("globals().update(LOCAL.ALL_OBJECTS)", "pass"))
    assert isinstance(evaluate(interp(t), "kl/layer.py", "initializers.RandomNormal"), Unknown)
