"""Abstract evaluator on small synthetic packages written for these tests (no network).

The fragments mimic the patterns of the real releases (None falling through add_weight to a
variable-scope default, conditional weights, nested composite initializers, string identifiers,
forget_bias in call) so each rule is checked in isolation; tests/test_audit_real.py checks the
real releases.
"""

from __future__ import annotations

import math
import textwrap

import pytest

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.analysis.rules.facts import collect
from tfinit_audit.analysis.rules.weights import to_weights
from tfinit_audit.sources.base import MemoryTree

INIT_OPS = """
import math

class Initializer(object):
    pass

class Zeros(Initializer):
    def __init__(self, dtype=None):
        self.dtype = dtype

class Ones(Initializer):
    pass

class Constant(Initializer):
    def __init__(self, value=0, dtype=None):
        self.value = value

class Orthogonal(Initializer):
    def __init__(self, gain=1.0, seed=None):
        self.gain = gain

class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval

class VarianceScaling(Initializer):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        self.scale = scale

    def __call__(self, shape):
        stddev = math.sqrt(self.scale) / .87962566103423978
        return stddev

class GlorotUniform(VarianceScaling):
    def __init__(self, seed=None):
        super(GlorotUniform, self).__init__(
            scale=1.0, mode="fan_avg", distribution="uniform", seed=seed)

zeros_initializer = Zeros
constant_initializer = Constant

def glorot_uniform_initializer(seed=None):
    return GlorotUniform(seed=seed)
"""

INITIALIZERS = """
from mylib import init_ops
from mylib.init_ops import GlorotUniform, Orthogonal, RandomUniform, Zeros, Ones

TABLE = {}
TABLE["uniform"] = TABLE["random_uniform"]
ALIASES = {"one": Ones}

def deserialize(config):
    return TABLE[config]

def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, str):
        return deserialize(identifier)
    return identifier
"""

SCOPE = """
from mylib import init_ops
from mylib import dtypes

class Scope(object):
    def __init__(self, initializer=None):
        self._initializer = initializer

    @property
    def initializer(self):
        return self._initializer

    def get_variable(self, name, shape=None, dtype=dtypes.float32, initializer=None):
        if initializer is None:
            initializer = self._initializer
        return _store().create(name, shape=shape, dtype=dtype, initializer=initializer)

class Store(object):
    def create(self, name, shape=None, dtype=None, initializer=None):
        if name in self._vars:
            return self._vars[name]
        if initializer is None:
            initializer = self._default(dtype)
        return initializer

    def _default(self, dtype):
        if dtype.is_floating:
            init = init_ops.glorot_uniform_initializer()
        elif dtype.is_integer:
            init = init_ops.zeros_initializer()
        else:
            raise ValueError("needs an initializer")
        return init

def _store():
    return Store()

def current_scope():
    return Scope()

def get_variable(name, shape=None, dtype=None, initializer=None):
    return current_scope().get_variable(name, shape=shape, initializer=initializer)
"""

LAYERS = """
from mylib import init_ops
from mylib import initializers
from mylib import scope as vs
from mylib import backend


class Layer(object):
    def __init__(self, name=None, dtype=None):
        self._dtype = dtype

    @property
    def dtype(self):
        return self._dtype

    def add_weight(self, name, shape, dtype=None, initializer=None):
        return vs.get_variable(name, shape=shape, dtype=dtype, initializer=initializer)

    def add_variable(self, *args, **kwargs):
        return self.add_weight(*args, **kwargs)


class Cell(Layer):
    def __init__(self, num_units, use_peepholes=False, initializer=None, forget_bias=1.0,
                 num_proj=None, activation=None):
        super(Cell, self).__init__()
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._initializer = initializer
        self._forget_bias = forget_bias
        self._num_proj = num_proj
        self._activation = activation or backend.tanh

    def build(self, inputs_shape):
        input_depth = inputs_shape[1].value
        h_depth = self._num_units if self._num_proj is None else self._num_proj
        self._kernel = self.add_variable(
            "kernel",
            shape=[input_depth + h_depth, 4 * self._num_units],
            initializer=self._initializer)
        self._bias = self.add_variable(
            "bias", shape=[4 * self._num_units],
            initializer=(self._initializer if self._initializer is not None
                         else init_ops.constant_initializer(1.0, dtype=self.dtype)))
        if self._use_peepholes:
            self._w_f_diag = self.add_variable("w_f_diag", shape=[self._num_units])

    def call(self, inputs, state):
        i, j, f, o = backend.split(value=inputs, num_or_size_splits=4, axis=1)
        return backend.sigmoid(f + self._forget_bias) * i


class KerasCell(Layer):
    def __init__(self, units, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 embeddings_initializer="uniform", unit_forget_bias=True):
        super(KerasCell, self).__init__()
        self.units = units
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.emb_initializer = initializers.get(embeddings_initializer)
        self.unit_forget_bias = unit_forget_bias

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(shape=(input_dim, self.units * 4), name="kernel",
                                      initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units * 4),
                                                name="recurrent_kernel",
                                                initializer=self.recurrent_initializer)
        if self.unit_forget_bias:
            def bias_initializer(_, *args, **kwargs):
                return backend.concatenate([
                    self.bias_initializer((self.units,), *args, **kwargs),
                    initializers.get("one")((self.units,), *args, **kwargs),
                    self.bias_initializer((self.units * 2,), *args, **kwargs),
                ])
        else:
            bias_initializer = self.bias_initializer
        self.bias = self.add_weight(shape=(self.units * 4,), name="bias",
                                    initializer=bias_initializer)
        self.emb = self.add_weight(shape=(10, 4), name="emb", initializer=self.emb_initializer)
"""

BACKEND = """
def tanh(x):
    return x

def sigmoid(x):
    return x

def split(value, num_or_size_splits, axis=0):
    return value

def concatenate(tensors, axis=-1):
    return tensors
"""

DTYPES = """
class DType(object):
    def __init__(self, t):
        self.t = t

float32 = DType(1)
"""


def tree(**overrides: str) -> MemoryTree:
    files = {
        "mylib/__init__.py": "",
        "mylib/init_ops.py": INIT_OPS,
        "mylib/initializers.py": INITIALIZERS,
        "mylib/scope.py": SCOPE,
        "mylib/layers.py": LAYERS,
        "mylib/backend.py": BACKEND,
        "mylib/dtypes.py": DTYPES,
    }
    files.update({k.replace("__", "/") + ".py": v for k, v in overrides.items()})
    return MemoryTree({k: textwrap.dedent(v) for k, v in files.items()})


def run(
    t: MemoryTree, cls: str, shape: list[int | None], **kwargs: object
) -> tuple[dict[str, Weight], dict]:
    it = Interpreter(t, ENGINE_RULES)
    c = it.value_at("mylib/layers.py", cls)
    assert isinstance(c, ClassV)
    obj, captured, bound = build_layer(it, c, dict(kwargs), Dims(), shape)
    weights = to_weights(it, captured)
    facts = collect(it, c, obj, bound, weights)
    return {w.name: w for w in weights}, facts


def check_hops(t: MemoryTree, w: Weight) -> None:
    for h in w.provenance:
        text = t.read_text(h.path)
        assert text is not None
        assert text.splitlines()[h.line - 1].strip() == h.code, h


def test_none_falls_through_to_scope_default() -> None:
    t = tree()
    ws, _ = run(t, "Cell", [None, 32])
    k = ws["kernel"]
    assert k.shape == [96, 256]
    assert k.shape_expr == "[input_depth + h_depth, 4 * self._num_units]"
    assert k.fallback is True
    assert k.initializer.kind == "glorot_uniform"
    assert k.initializer.limit == pytest.approx(math.sqrt(6 / 352))
    notes = [h.note for h in k.provenance]
    codes = [h.code for h in k.provenance]
    assert any("passes" in n and "add_weight" in n for n in notes)  # add_variable -> add_weight
    assert "init = init_ops.glorot_uniform_initializer()" in codes  # the line that decides
    check_hops(t, k)


def test_conditional_and_num_proj() -> None:
    ws, _ = run(tree(), "Cell", [None, 32], use_peepholes=True, num_proj=16)
    assert ws["kernel"].shape == [48, 256]
    assert ws["w_f_diag"].condition == "self._use_peepholes"
    assert ws["w_f_diag"].initializer.kind == "glorot_uniform"
    assert "w_f_diag" not in run(tree(), "Cell", [None, 32])[0]


def test_ifexp_constant_and_mutation() -> None:
    ws, _ = run(tree(), "Cell", [None, 32])
    assert ws["bias"].initializer.kind == "constant"
    assert ws["bias"].initializer.params == {"value": 1.0}
    # ``x if x is not None else default`` with x None: a None-means-default rule chose
    assert ws["bias"].fallback is True
    mutated = LAYERS.replace("constant_initializer(1.0", "constant_initializer(2.0")
    ws2, _ = run(tree(mylib__layers=mutated), "Cell", [None, 32])
    assert ws2["bias"].initializer.params == {"value": 2.0}


def test_default_initializer_mutation_follows_source() -> None:
    mutated = SCOPE.replace(
        "init = init_ops.glorot_uniform_initializer()", "init = init_ops.Orthogonal(gain=3.0)"
    )
    ws, _ = run(tree(mylib__scope=mutated), "Cell", [None, 32])
    assert ws["kernel"].initializer.kind == "orthogonal"
    assert ws["kernel"].initializer.params == {"gain": 3.0}


def test_unknown_dtype_is_not_guessed() -> None:
    # the default depends on dtype.is_floating; with an unknown dtype the answer must be unresolved
    mutated = SCOPE.replace(
        "dtype=dtypes.float32, initializer=None):", "dtype=None, initializer=None):"
    )
    mutated = mutated.replace(
        "if name in self._vars:", "dtype = some_unknown_call(dtype)\n        if name in self._vars:"
    )
    ws, _ = run(tree(mylib__scope=mutated), "Cell", [None, 32])
    assert ws["kernel"].initializer.kind == "unresolved"
    assert ws["kernel"].initializer.params["expression"]


def test_forget_bias_and_gate_order() -> None:
    ws, facts = run(tree(), "Cell", [None, 32])
    assert facts["gate_order"]["value"] == ["i", "j", "f", "o"]
    adj = ws["bias"].runtime_adjustments
    assert len(adj) == 1 and adj[0].value == 1.0 and "'f'" in adj[0].applies_to
    assert facts["activation"]["value"] == "tanh"
    assert facts["recurrent_activation"]["value"] == "sigmoid"


def test_string_identifiers_and_composite() -> None:
    t = tree()
    ws, _ = run(t, "KerasCell", [None, 32])
    assert ws["kernel"].initializer.kind == "glorot_uniform"
    assert ws["kernel"].initializer.limit == pytest.approx(math.sqrt(6 / (32 + 256)))
    assert ws["recurrent_kernel"].initializer.kind == "orthogonal"
    assert ws["recurrent_kernel"].initializer.params == {"gain": 1.0}
    # "uniform" is an alias entry of the module's own table pointing at "random_uniform"
    emb = ws["emb"].initializer
    assert emb.kind == "random_uniform" and emb.params == {"minval": -0.05, "maxval": 0.05}
    parts = ws["bias"].initializer.params["parts"]
    assert [(p["initializer"].kind, p["start"], p["stop"]) for p in parts] == [
        ("zeros", 0, 64),
        ("ones", 64, 128),
        ("zeros", 128, 256),
    ]
    for w in ws.values():
        check_hops(t, w)


def test_unknown_identifier_is_unresolved() -> None:
    ws, _ = run(tree(), "KerasCell", [None, 32], recurrent_initializer="no_such_thing")
    i = ws["recurrent_kernel"].initializer
    assert i.kind == "unresolved"
    assert "no_such_thing" in i.params["expression"]


UNBOUNDED_UNIFORM = INIT_OPS.replace(
    """class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
""",
    """from mylib import random_ops
from mylib import dtypes

class RandomUniform(Initializer):
    def __init__(self, minval=0, maxval=None, seed=None, dtype=dtypes.float32):
        self.minval = minval
        self.maxval = maxval
        self.dtype = dtype

    def __call__(self, shape, dtype=None, partition_info=None):
        if dtype is None:
            dtype = self.dtype
        return random_ops.random_uniform(
            shape, self.minval, self.maxval, dtype)
""",
)

RANDOM_OPS = """
from mylib import dtypes

def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None):
    dtype = dtypes.as_dtype(dtype)
    if maxval is None:
        if dtype.is_integer:
            raise ValueError("Must specify maxval for integer dtype")
        maxval = 1
    return shape
"""


def test_none_parameter_follows_call_into_callee() -> None:
    # RandomUniform(maxval=None): None means what the function __call__ hands it to decides
    t = tree(mylib__init_ops=UNBOUNDED_UNIFORM, mylib__random_ops=RANDOM_OPS)
    ws, _ = run(t, "KerasCell", [None, 32])
    emb = ws["emb"]
    assert emb.initializer.kind == "random_uniform"
    assert emb.initializer.params == {"minval": 0, "maxval": 1}
    assert emb.initializer.limit is None  # asymmetric range: no +-limit
    codes = [h.code for h in emb.provenance]
    assert codes[-1] == "maxval = 1" and "shape, self.minval, self.maxval, dtype)" in codes
    check_hops(t, emb)
    # the rule is read from the callee: change it and the answer follows
    t2 = tree(
        mylib__init_ops=UNBOUNDED_UNIFORM,
        mylib__random_ops=RANDOM_OPS.replace("maxval = 1", "maxval = 7"),
    )
    assert run(t2, "KerasCell", [None, 32])[0]["emb"].initializer.params["maxval"] == 7


def test_none_parameter_without_rule_stays_none() -> None:
    # no "if maxval is None" in the callee: nothing to derive, nothing guessed
    ops = RANDOM_OPS.replace("maxval = 1", "pass")
    t = tree(mylib__init_ops=UNBOUNDED_UNIFORM, mylib__random_ops=ops)
    emb = run(t, "KerasCell", [None, 32])[0]["emb"]
    assert emb.initializer.params == {"minval": 0, "maxval": None}


def test_large_module_lookup_by_chunks_equals_whole_parse() -> None:
    # a module above LAZY_MIN is not parsed whole: a name is looked up in the statements whose
    # text can bind it. The answers must equal the whole-module summary's.
    from tfinit_audit.analysis.engine.source import LAZY_MIN, Sources

    filler = "".join(
        f'@export("f{i}")\ndef f{i}(x, name=None):\n    """Doc.\ndef fake{i}(): pass\n"""\n'
        f"    return helper(x) + {i}\n\n"
        for i in range(800)
    )
    text = (
        "from pkg.other import *\nimport helper_mod as helper\n"
        + filler
        + "if FLAG:\n    f3 = f4\nelse:\n    g = 1\nf5 = None\n"
    )
    assert len(text) > LAZY_MIN
    t = MemoryTree({"pkg/__init__.py": "", "pkg/big.py": text})
    lazy = Sources(t).module("pkg/big.py")
    whole = Sources(t).module("pkg/big.py")
    assert lazy is not None and whole is not None
    whole.full()
    assert lazy.summary is None  # really lazy
    names = [*(f"f{i}" for i in range(800)), "fake7", "helper", "g", "x", "export", "nothing"]
    for n in names:
        a = [(b.kind, b.line, b.guard) for b in whole.events(n)]
        b = [(b.kind, b.line, b.guard) for b in lazy.events(n)]
        assert a == b, n
        assert (whole.function_info(n) is None) == (lazy.function_info(n) is None), n
    assert [b.module for b in lazy.stars()] == ["pkg.other"]
    assert lazy.summary is None
    fresh = Sources(t).module("pkg/big.py")
    assert fresh is not None and [b.kind for b in fresh.events("f7")][-1] == "def"
    assert len(fresh._chunk_body) == 2  # f7's statement and the star import, not 800
    info = fresh.function_info("f7")
    assert info is not None
    node = fresh.function_node(info)
    assert node is not None and node.lineno == info.def_line
    assert fresh.sources.asts.parsed == 0  # no whole-module parse


FORMS = """
a = B = C = value()
x = (p, q) = pair()
left, *rest = items()
chained: Callable[
    ..., int] = convert
annotated: int = 3
bare_annotation: int
counter += 1
del dropped
for looped in range(3):
    pass
with ctx() as entered:
    pass
import os.path as osp
from pkg import thing as renamed, other
if (walrus := compute()):
    pass
def func(): pass
class Klass: pass
mse = MSE = mean_squared_error
kld = KLD = kullback_leibler_divergence
try:
    import fast
except ImportError as missing:
    fast = None
"""


def test_every_binding_form_is_found_by_chunks_as_by_the_whole_parse() -> None:
    # a name bound in the middle of a chain (``kld = KLD = f``: TF 1.15 keras/losses.py) or by
    # an annotation whose value is on a later line (TF 2.15 framework/ops.py) was missed by the
    # chunk lookup: on a cold cache ``tf.keras.losses.KLD`` could not be followed, with the
    # summary cached from an earlier run it could
    from tfinit_audit.analysis.engine.source import LAZY_MIN, Sources

    filler = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(800))
    text = filler + textwrap.dedent(FORMS)
    assert len(text) > LAZY_MIN
    t = MemoryTree({"pkg/__init__.py": "", "pkg/big.py": text})
    whole = Sources(t).module("pkg/big.py")
    assert whole is not None
    names = sorted({b.name for b in whole.full().bindings if b.name and not b.name[1:].isdigit()})
    assert {"B", "C", "q", "rest", "chained", "annotated", "osp", "renamed", "KLD", "MSE",
            "counter", "dropped", "func", "Klass", "fast"} <= set(names)
    for n in names:
        lazy = Sources(t).module("pkg/big.py")  # fresh: each name looked up first, by chunks
        assert lazy is not None
        got = [(b.kind, b.line, b.guard) for b in lazy.events(n)]
        assert lazy.summary is None, n  # really read by chunks
        assert got == [(b.kind, b.line, b.guard) for b in whole.events(n)], n


def test_text_only_facts_of_a_module_equal_the_whole_parse() -> None:
    # the docstring read from the first chunk with a statement, star imports found from the
    # literal ``import``, ``name.attr =`` / ``setattr(name`` and a literal ``__all__`` read
    # from chunks: the answers of the whole parse (or of the plain regular expression)
    import ast
    import re

    from tfinit_audit.analysis.engine.source import LAZY_MIN, Sources, _star_imports

    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(800))
    text = ("# Copyright\n# more comments\n\n" + '"""The module.\n\n@@f1\n"""\n'
            "from a import *\nfrom b import reimport\nx = _import *2\n" + body
            + "f3.extra = 1\nsetattr(f4, 'other', 2)\n__all__ = ['f1']\n__all__ += ['f2']\n")
    assert len(text) > LAZY_MIN  # read chunk by chunk, not parsed whole
    t = MemoryTree({"pkg/__init__.py": "", "pkg/m.py": text, "pkg/none.py": "# nothing\n"})
    lazy = Sources(t).module("pkg/m.py")
    assert lazy is not None
    whole = ast.parse(text)
    assert lazy.docstring() == ast.get_docstring(whole, clean=False) == "The module.\n\n@@f1\n"
    assert lazy.sources.asts.parsed == 0  # the docstring came from its chunk alone
    empty = Sources(t).module("pkg/none.py")
    assert empty is not None and empty.docstring() is None
    assert list(_star_imports(text)) == [m.start() for m in re.finditer(r"\bimport\s*\*", text)]
    assert len(list(_star_imports(text))) == 1  # not ``_import *2``
    assert lazy.sets_attribute("f3", "extra") and lazy.sets_attribute("f4", "anything")
    assert not lazy.sets_attribute("f5", "extra") and not lazy.sets_attribute("f3", "other")
    assert lazy.all_names == ["f1", "f2"] and lazy.all_names == ["f1", "f2"]  # again: memo
    lazy.full()
    assert lazy.all_names == ["f1", "f2"]
