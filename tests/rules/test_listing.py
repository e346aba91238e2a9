"""Whole namespaces (analysis/listing.py, analysis/audit.py): a pattern is listed as the
tree exposes it -- generated-module bindings, star imports with ``__all__``, a lazy loader's
``__dir__`` -- and each member is kept (a layer, an RNN cell or a function whose code creates
variables) or skipped with the reason; a listed layer whose build creates nothing is dropped
only when no code of its own could create a weight."""

from __future__ import annotations

import pytest
from rule_fixtures import interp, make_tree

from tfinit_audit.analysis.audit import analyze_release
from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.listing import expand, weight_source
from tfinit_audit.analysis.model import Dims, NamespaceListing
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.sources.base import MemoryTree

FILES = {
    "tensorflow/__init__.py": '''
        """Mimics a generated top-level API module: re-exports, a subpackage, a private name,
        and a lazy loader standing in for a package (as tf.contrib / tf.keras do)."""
        from tensorflow.python.layers import Dense
        from tensorflow.python.layers import Dense as FullyConnected
        from tensorflow.python.layers import Dropout, Attention, Lazy, NotALayer, dense, dropout
        from tensorflow.python.layers import gizmo
        from tensorflow.python.vs import get_variable
        from tensorflow.python.cells import BasicCell
        from tensorflow import nn
        from tensorflow.python.loader import LazyLoader as _LazyLoader
        _private = Dense
        contrib = _LazyLoader("contrib", globals(), "tensorflow.contrib")
        ''',
    "tensorflow/nn/__init__.py": '''
        from tensorflow.python.cells import *
        ''',
    "tensorflow/contrib/__init__.py": '''
        """Contrib, documented the TF 1.x way.

        @@OldCell
        """
        from tensorflow.python.cells import OldCell
        from tensorflow.python.layers import Dense, Dropout
        from tensorflow.python.all_util import remove_undocumented
        _allowed = ["Dense"]
        remove_undocumented(__name__, _allowed)
        ''',
    "tensorflow/python/all_util.py": '''
        """Mimics TF 1.x all_util: deletes what the docstring does not name (at run time)."""
        def remove_undocumented(module_name, allowed_exception_list=None,
                                doc_string_modules=None):
            pass
        ''',
    "tensorflow/python/loader.py": '''
        """Mimics TensorFlow's LazyLoader: a module object that imports its target on first
        attribute access, and lists the target's names."""
        import importlib
        import types


        class LazyLoader(types.ModuleType):
            def __init__(self, local_name, parent_module_globals, name):
                self._local_name = local_name
                super(LazyLoader, self).__init__(name)

            def _load(self):
                return importlib.import_module(self.__name__)

            def __getattr__(self, item):
                return getattr(self._load(), item)

            def __dir__(self):
                return dir(self._load())
        ''',
    "tensorflow/python/vs.py": '''
        """A variable store and get_variable (machinery)."""
        class _Store(object):
            def get_variable(self, name, shape=None, initializer=None):
                return name


        def get_variable(name, shape=None, initializer=None):
            return _Store().get_variable(name, shape, initializer)
        ''',
    "tensorflow/python/layers.py": '''
        """A Layer API base, a layer with weights, one without, one whose weight exists only
        under a flag that defaults to off, a class that is no layer, and functions that build
        a layer with weights or one without."""
        class Layer(object):
            def __init__(self, **kwargs):
                self.built = False

            def add_weight(self, name, shape, initializer=None):
                return name

            def call(self, inputs):
                return inputs

            def build(self, input_shape):
                self.built = True

            def __call__(self, inputs):
                self.build(inputs.shape)
                return self.call(inputs)


        class Dense(Layer):
            def __init__(self, units):
                super().__init__()
                self.units = units

            def build(self, input_shape):
                self.kernel = self.add_weight("kernel", shape=(input_shape[-1], self.units))


        class Dropout(Layer):
            def __init__(self, rate):
                super().__init__()
                self.rate = rate


        class Attention(Layer):
            def __init__(self, use_scale=False):
                super().__init__()
                self.use_scale = use_scale

            def build(self, input_shape):
                if self.use_scale:
                    self.scale = self.add_weight("scale", shape=())


        class Lazy(Layer):
            def make_slot(self):
                self.slot = self.add_weight("slot", shape=())


        class NotALayer(object):
            pass


        def dense(inputs, units):
            layer = Dense(units)
            return layer(inputs)


        def gizmo(inputs, gadget):
            return Dense(gadget)(inputs)


        def dropout(inputs, rate):
            return Dropout(rate).call(inputs)
        ''',
    "tensorflow/python/cells.py": '''
        """RNN cells: a Layer-API cell, and a TF 1.0-style cell that is no layer and creates its
        variables in __call__ through a module helper."""
        from tensorflow.python import vs
        from tensorflow.python.layers import Layer

        __all__ = ["BasicCell", "OldCell"]


        class BasicCell(Layer):
            def __init__(self, num_units):
                super().__init__()
                self.num_units = num_units

            def build(self, input_shape):
                self.kernel = self.add_weight("kernel", (input_shape[-1], self.num_units))


        class RNNCell(object):
            @property
            def state_size(self):
                raise NotImplementedError

            def __call__(self, inputs, state):
                raise NotImplementedError


        def _linear(args, size):
            return vs.get_variable("weights", [3, size])


        class OldCell(RNNCell):
            def __init__(self, num_units):
                self._num_units = num_units

            def __call__(self, inputs, state):
                return _linear([inputs, state], self._num_units)


        class Helper(object):
            pass
        ''',
}


def tree(files: dict[str, str] | None = None) -> MemoryTree:
    return make_tree(files or FILES)


def listing(pattern: str, t: MemoryTree | None = None) -> NamespaceListing:
    return expand(interp(t or tree()), pattern)


def members(lst: NamespaceListing) -> dict[str, tuple[bool, str]]:
    return {m.symbol: (m.kept, m.reason) for m in lst.members}


def test_a_namespace_is_listed_as_the_module_binds_it() -> None:
    got = members(listing("tf.*"))
    assert "tf._private" not in got  # private names are not public
    kept = {n for n, (k, _) in got.items() if k}
    assert kept == {"tf.Dense", "tf.Dropout", "tf.Attention", "tf.Lazy", "tf.BasicCell",
                    "tf.dense", "tf.gizmo", "tf.get_variable"}
    assert got["tf.Dense"][1].startswith("a layer: its MRO reaches Layer, which defines "
                                         "add_weight")
    assert got["tf.dense"][1].startswith("dense builds Dense")
    assert got["tf.get_variable"][1].startswith("get_variable calls get_variable")
    assert got["tf.dropout"] == (False, "a function that creates no variable")
    assert not got["tf.NotALayer"][0]
    assert got["tf.nn"] == (False, "module tensorflow.nn, not a layer or function")
    assert got["tf.contrib"][0] is False  # a namespace, not a member


def test_aliases_are_listed_once_under_the_shortest_name() -> None:
    lst = listing("tf.*")
    dense = next(m for m in lst.members if m.symbol == "tf.Dense")
    assert dense.aliases == ["tf.FullyConnected"]
    assert not any(m.symbol == "tf.FullyConnected" for m in lst.members)


def test_star_imports_give_the_names_of_all() -> None:
    got = members(listing("tf.nn.*"))
    assert set(got) == {"tf.nn.BasicCell", "tf.nn.OldCell"}  # __all__, not Helper/RNNCell
    kept, reason = got["tf.nn.OldCell"]
    assert kept and reason.startswith("an RNN cell (RNNCell defines state_size) whose code "
                                      "creates variables: OldCell.__call__ calls _linear")


def test_a_lazy_loader_is_listed_through_its_dir() -> None:
    got = members(listing("tf.contrib.*"))
    assert {n for n, (kept, _) in got.items() if kept} == {"tf.contrib.OldCell", "tf.contrib.Dense"}


def test_names_remove_undocumented_deletes_are_skipped() -> None:
    got = members(listing("tf.contrib.*"))
    # neither @@-documented nor allowed: deleted at import, so dir() no longer has them
    # (RemoveUndocumentedRule, tests/rules/test_undocumented.py)
    assert "tf.contrib.Dropout" not in got and "tf.contrib.remove_undocumented" not in got
    assert got["tf.contrib.Dense"][0] and got["tf.contrib.OldCell"][0]


def test_glob_and_missing_namespaces() -> None:
    assert set(members(listing("tf.D*"))) == {"tf.Dense", "tf.Dropout"}
    lst = listing("tf.nope.*")
    assert lst.members == [] and lst.error == "tf.nope does not exist in this release"


def test_an_edit_of_the_source_changes_what_is_kept() -> None:
    files = dict(FILES)
    files["tensorflow/python/layers.py"] = files["tensorflow/python/layers.py"].replace(
        "return Dropout(rate).call(inputs)",
        "return Dense(rate).call(inputs)")
    assert members(listing("tf.*", tree(files)))["tf.dropout"][0] is True


def test_weight_source_names_the_line() -> None:
    t = tree()
    it = interp(t)
    old = it.value_at("tensorflow/python/cells.py", "OldCell")
    hit = weight_source(it, old)
    assert hit is not None and hit.code == "return _linear([inputs, state], self._num_units)"
    helper = it.value_at("tensorflow/python/cells.py", "Helper")
    assert weight_source(it, helper) is None


def test_all_walks_every_namespace_once() -> None:
    lst = listing("all")
    names = {m.symbol for m in lst.kept}
    # BasicCell is public as tf.BasicCell and tf.nn.BasicCell: listed once, the shorter
    assert {"tf.Dense", "tf.BasicCell", "tf.nn.OldCell", "tf.dense",
            "tf.get_variable"} <= names
    assert "tf.nn.BasicCell" not in names
    assert lst.namespaces == 3  # tf, tf.nn, tf.contrib


# ------------------------------------------------------------------ audit: what is reported
@pytest.fixture(scope="module")
def audited() -> tuple[dict[str, tuple[str, list[str]]], NamespaceListing]:
    """status and weight names per reported symbol (the fixture's initializers are not
    resolvable: ``partial`` with weights is what a found weight looks like here)"""
    a = analyze_release(tree(), [parse_symbol("tf.*")], Dims(), cache_dir=None)
    return {s.symbol: (s.status, [w.name for w in s.weights]) for s in a.symbols}, \
        a.namespaces[0]


Audited = tuple[dict[str, tuple[str, list[str]]], NamespaceListing]


def test_a_layer_whose_build_creates_nothing_is_dropped_with_the_reason(
        audited: Audited) -> None:
    statuses, lst = audited
    assert statuses["tf.Dense"][1] == ["kernel"]
    assert "tf.Dropout" not in statuses
    drop = next(m for m in lst.members if m.symbol == "tf.Dropout")
    assert not drop.kept and drop.reason.startswith("creates no weights")


def test_a_layer_whose_code_could_create_a_weight_stays_partial(audited: Audited) -> None:
    statuses, _ = audited
    assert statuses["tf.Lazy"] == ("partial", [])  # make_slot never ran: nothing decided


def test_a_weight_in_a_branch_not_taken_is_decided(audited: Audited) -> None:
    statuses, lst = audited
    # scale only under use_scale=True: build ran and decided the ``if``; Attention creates no
    # weights for these arguments, like Dropout, and says which line needs what
    assert "tf.Attention" not in statuses
    why = next(m for m in lst.members if m.symbol == "tf.Attention").reason
    assert why.startswith("creates no weights for the arguments given: Attention.build calls "
                          "add_weight (tensorflow/python/layers.py:")
    assert why.endswith("only when `self.use_scale`, which is False here "
                        "(tensorflow/python/layers.py:44)")
    r = analyze_release(tree(), [parse_symbol("tf.Attention")], Dims(), cache_dir=None)
    assert (r.symbols[0].status, r.symbols[0].message) == ("resolved", why)
    r = analyze_release(tree(), [parse_symbol("tf.Attention[use_scale=True]")], Dims(),
                        cache_dir=None)
    assert [w.name for w in r.symbols[0].weights] == ["scale"]


def test_functions_are_reported_with_what_they_need(audited: Audited) -> None:
    statuses, _ = audited
    # called on an input tensor, with units from the table
    assert statuses["tf.dense"][1] == ["kernel"]
    assert statuses["tf.gizmo"] == ("needs-args", [])  # gadget: no table entry
    assert statuses["tf.get_variable"][1] == ["v"]


MODELS = {
    **FILES,
    "tensorflow/__init__.py": FILES["tensorflow/__init__.py"] + "from tensorflow import keras\n",
    "tensorflow/keras/__init__.py": '''
        from tensorflow.python.models import Model, Sequential, Linear, make_net
        ''',
    "tensorflow/python/models.py": '''
        """Mimics Keras models: the Model API (``fit``) over a layer, whose constructor makes
        machinery that creates a variable (as a checkpoint's save counter); an empty
        container; a model whose own build creates a kernel; a factory that builds a model."""
        from tensorflow.python import vs
        from tensorflow.python.layers import Dense, Layer


        class Tracker(object):
            def __init__(self):
                self.counter = vs.get_variable("save_counter", [])


        class Model(Layer):
            def __init__(self, inputs=None, outputs=None):
                super().__init__()
                self._tracker = Tracker()

            def fit(self, x):
                return x


        class Sequential(Model):
            def __init__(self, layers=None):
                super().__init__()
                self._layers = layers or []


        class Linear(Model):
            def __init__(self, units=2):
                super().__init__()
                self.units = units

            def build(self, input_shape):
                self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))


        def make_net(inputs):
            x = Dense(4)(inputs)
            return Model(inputs, x)
        ''',
}


def test_models_are_containers_and_model_factories_are_skipped() -> None:
    t = tree(MODELS)
    got = members(listing("tf.keras.*", t))
    kept, reason = got["tf.keras.make_net"]
    assert not kept and reason.startswith("a model factory: make_net builds Model, a model "
                                          "(Model defines fit)")
    a = analyze_release(t, [parse_symbol("tf.keras.*")], Dims(), cache_dir=None)
    reported = {s.symbol: [w.name for w in s.weights] for s in a.symbols}
    # the Model API's own machinery (the tracker's counter) is not a weight of a model: the
    # empty containers create nothing and are dropped; a model whose own code creates a
    # weight is reported
    assert reported == {"tf.keras.Linear": ["kernel"]}
    why = {m.symbol: m.reason for m in a.namespaces[0].members}
    assert why["tf.keras.Sequential"].startswith("creates no weights")


FACTORIES = '''
    """Factories in the TF 1.x contrib style (specs.Var, adaptive_clipping_fn): the variable
    is made by the nested function they return, when that is called."""
    from tensorflow.python import vs


    class Spec(object):
        def __init__(self, fn):
            self.fn = fn


    def var_spec(name, shape=None):
        def var(_):
            return vs.get_variable(name, shape)
        return Spec(var)


    def clipping_fn(decay=0.95):
        def clip(grads):
            return _moving(grads, decay)
        return clip


    def _moving(value, decay):
        return vs.get_variable("mean", [1])


    def made_now(name):
        def var():
            return vs.get_variable(name, [1])
        return var()


    def looped(n):
        def body(i):
            return vs.get_variable("v", [1])
        return _loop(body, n)


    def _loop(fn, n):
        return fn(n)
    '''


def test_a_function_returning_its_creating_function_uncalled_creates_nothing() -> None:
    files = dict(FILES)
    files["tensorflow/__init__.py"] += "from tensorflow.python.factories import *\n"
    files["tensorflow/python/factories.py"] = FACTORIES
    got = members(listing("tf.*", tree(files)))
    kept, reason = got["tf.var_spec"]
    assert not kept and reason == (
        "a function that creates no variable when called: var_spec returns its nested "
        "function var uncalled (tensorflow/python/factories.py:13), whose code can create "
        "variables when that is called")
    kept, reason = got["tf.clipping_fn"]  # through a helper the nested function calls
    assert not kept and "clipping_fn returns its nested function clip uncalled" in reason
    # left alone: a nested function the function calls itself runs when it does
    kept, reason = got["tf.made_now"]
    assert kept and reason == "made_now calls get_variable"
    # ... and one passed to a function, which may call it (a while_loop's body)
    kept, reason = got["tf.looped"]
    assert kept and reason == "looped calls get_variable"


TF10_LOADER = '''
    """TF 1.0's tensorflow/__init__.py: a loader with only __getattr__ that puts the module it
    imports in its own place (no __dir__: dir() of the loader would list nothing useful)."""
    from tensorflow.python.layers import Dense


    class _LazyContribLoader(object):
        def __getattr__(self, item):
            global contrib
            import importlib
            contrib = importlib.import_module('tensorflow.contrib')
            return getattr(contrib, item)


    contrib = _LazyContribLoader()
    '''


def test_all_follows_a_loader_that_only_has_getattr() -> None:
    files = {**FILES, "tensorflow/__init__.py": TF10_LOADER}
    lst = listing("all", tree(files))
    names = {m.symbol for m in lst.kept}
    assert {"tf.Dense", "tf.contrib.OldCell"} <= names  # contrib listed through the module
    assert lst.namespaces == 2  # tf, tf.contrib
    # an object with __getattr__ that does not stand for a module is not a namespace
    other = TF10_LOADER.replace("importlib.import_module('tensorflow.contrib')", "None")
    names = {m.symbol for m in listing("all", tree({**FILES, "tensorflow/__init__.py": other}))
             .kept}
    assert not any(n.startswith("tf.contrib.") for n in names)


# ---------------------------------------------- all: implementation modules an import exposes
ALIAS_FILES = {
    "tensorflow/__init__.py": '''
        from tensorflow import contrib
        ''',
    "tensorflow/contrib/__init__.py": '''
        from tensorflow.contrib import grid
        ''',
    "tensorflow/contrib/grid/__init__.py": '''
        """As TF 1.x contrib modules do: a star import of the package's own code, which imports
        TF implementation modules under short names."""
        from tensorflow.contrib.grid.cells import *
        ''',
    "tensorflow/contrib/grid/cells.py": '''
        from tensorflow.python import vscope as vs
        from tensorflow.python import api_keras as keras

        def grid_layer(x):
            return vs.get_variable("w", [3])
        ''',
    "tensorflow/python/vscope.py": '''
        def get_variable(name, shape=None, initializer=None):
            return None

        def store_variable(name):
            return get_variable(name)
        ''',
    "tensorflow/python/api_keras.py": '''
        # This file is MACHINE GENERATED! Do not edit.
        def dense_var(name):
            from tensorflow.python.vscope import get_variable
            return get_variable(name)
        ''',
}


def test_all_does_not_walk_an_implementation_module_an_import_exposed() -> None:
    lst = listing("all", tree(ALIAS_FILES))
    got = members(lst)
    kept = {m.symbol for m in lst.kept}
    # the package's own function is kept; the implementation module bound as `vs` is not a
    # namespace: its functions are not listed under tf.contrib.grid.vs.*
    assert "tf.contrib.grid.grid_layer" in kept
    assert not any(".vs." in n for n in got), sorted(got)
    kept_vs, why = got["tf.contrib.grid.vs"]
    assert not kept_vs and why.startswith("module tensorflow.python.vscope, imported by "
                                          "tensorflow.contrib.grid")
    assert "an implementation module an import made visible" in why
    # a generated API module is a namespace wherever it is bound
    assert "tf.contrib.grid.keras.dense_var" in kept


def test_a_curated_module_keeps_the_modules_it_names() -> None:
    # the same tree, but the contrib package says which names it exports: `vs` is then one
    files = dict(ALIAS_FILES)
    files["tensorflow/contrib/grid/__init__.py"] = files[
        "tensorflow/contrib/grid/__init__.py"].replace(
        "from tensorflow.contrib.grid.cells import *",
        "from tensorflow.contrib.grid.cells import *\n        __all__ = ['grid_layer', 'vs']")
    got = members(listing("all", tree(files)))
    assert "tf.contrib.grid.vs" not in got  # walked, not a member
    assert got["tf.contrib.grid.vs.store_variable"][0] is True
    # and without the generated header, the API module is an implementation module too
    files = dict(ALIAS_FILES)
    files["tensorflow/python/api_keras.py"] = files["tensorflow/python/api_keras.py"].replace(
        "MACHINE GENERATED", "written by hand")
    got = members(listing("all", tree(files)))
    assert got["tf.contrib.grid.keras"][0] is False
    assert not any(n.startswith("tf.contrib.grid.keras.") for n in got)


SCOPES = '''
    """Mimics TF 1.x variable_scope.py: a scope object whose method creates
    variables, a store whose constructor makes one, and functions that make the store or
    use a scope."""
    from tensorflow.python import vs


    class Scope(object):
        def __init__(self, name):
            self.name = name

        def make_variable(self, name, shape=None):
            return vs.get_variable(self.name + "/" + name, shape)


    class _ScopeStore(object):
        def __init__(self):
            self.current_scope = Scope("")


    def current_scope():
        return _ScopeStore().current_scope


    def scoped_variable(name):
        return Scope("outer").make_variable(name)


    def new_scope(name):
        return Scope(name)
    '''


def test_an_object_built_runs_its_constructor_and_the_methods_called() -> None:
    files = dict(FILES)
    files["tensorflow/__init__.py"] += "from tensorflow.python.scopes import *\n"
    files["tensorflow/python/scopes.py"] = SCOPES
    got = members(listing("tf.*", tree(files)))
    # a scope made (through a store) is not asked for a variable: make_variable never runs
    assert got["tf.current_scope"] == (False, "a function that creates no variable")
    # a scope returned to the caller: its method can create variables when called
    kept, reason = got["tf.new_scope"]
    assert not kept and reason.startswith(
        "a function that creates no variable when called: new_scope builds Scope, whose "
        "methods can when they are called (tensorflow/python/scopes.py:")
    # left alone: the method that creates is called on the object built
    kept, reason = got["tf.scoped_variable"]
    assert kept and reason.startswith("scoped_variable builds Scope (")
    # an edit: the store's constructor asks its scope for a variable
    files["tensorflow/python/scopes.py"] = SCOPES.replace(
        'self.current_scope = Scope("")',
        'self.current_scope = Scope("")\n            self.current_scope.make_variable("v")')
    kept, reason = members(listing("tf.*", tree(files)))["tf.current_scope"]
    assert kept and "Scope.make_variable calls get_variable" in reason


STATEFUL = '''
    """Mimics Keras 2.4 preprocessing: a base whose private helper makes state weights for the
    subclasses that ask, one that asks (in build), one that never does (a lookup table)."""
    from tensorflow.python.layers import Layer


    class StatefulBase(Layer):
        def _add_state(self, name, shape):
            return self.add_weight(name, shape)

        def call(self, inputs):
            return inputs


    class Normalizer(StatefulBase):
        def build(self, input_shape):
            self.mean = self._add_state("mean", input_shape[-1:])


    class Lookup(StatefulBase):
        def __init__(self, **kwargs):
            super(Lookup, self).__init__(**kwargs)
            self._table = {}


    class Override(Normalizer):
        def build(self, input_shape):
            super(Override, self).build(input_shape)
    '''


def test_a_private_helper_nothing_uses_creates_nothing() -> None:
    t = make_tree({**FILES, "tensorflow/python/stateful.py": STATEFUL})
    it = interp(t)
    normalizer, lookup = (it.value_at("tensorflow/python/stateful.py", n)
                          for n in ("Normalizer", "Lookup"))
    assert isinstance(normalizer, ClassV) and isinstance(lookup, ClassV)
    hit = weight_source(it, normalizer)
    assert hit is not None and hit.note == "StatefulBase._add_state calls add_weight"
    assert weight_source(it, lookup) is None  # _add_state is never used by its code
    override = it.value_at("tensorflow/python/stateful.py", "Override")
    assert isinstance(override, ClassV)  # super().build reaches the base's, which uses it
    assert weight_source(it, override) == hit
    # an edit: the lookup uses the helper (any use by name counts, also uncalled)
    edited = STATEFUL.replace("self._table = {}", "self._make = self._add_state")
    it = interp(make_tree({**FILES, "tensorflow/python/stateful.py": edited}))
    lookup = it.value_at("tensorflow/python/stateful.py", "Lookup")
    assert isinstance(lookup, ClassV) and weight_source(it, lookup) is not None


SUMMARIES = '''
    """Mimics TF 1.12 summary_ops_v2: a helper that makes the global step only when no step
    is given, a public function that passes its step on, and callers that give one or not."""
    from tensorflow.python import vs


    def _choose_step(step):
        if step is None:
            return vs.get_variable("global_step", [])
        return step


    def graph(param, step=None):
        return _choose_step(step)


    _graph = graph


    def initialize(session=None):
        return session.run(_graph(session, 0))


    def record(session=None):
        return session.run(_graph(session))
    '''


def test_a_helper_s_none_arm_a_literal_rules_out_creates_nothing() -> None:
    files = {**FILES, "tensorflow/python/summaries.py": SUMMARIES}
    files["tensorflow/__init__.py"] += \
        "from tensorflow.python.summaries import initialize, record\n"
    got = members(listing("tf.*", tree(files)))
    assert got["tf.initialize"] == (False, "a function that creates no variable")
    kept, reason = got["tf.record"]  # the default step=None: the arm runs
    assert kept and reason.startswith("record calls graph (")
    # an edit: the step given is None
    files["tensorflow/python/summaries.py"] = SUMMARIES.replace("_graph(session, 0)",
                                                               "_graph(session, None)")
    kept, _ = members(listing("tf.*", tree(files)))["tf.initialize"]
    assert kept
