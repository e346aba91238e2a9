"""The known answers, computed from the real release sources fetched from PyPI.

Network tests: they fail (not skip) when PyPI is unreachable.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from known_answers import KNOWN, assert_known, specs

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult, Weight
from tfinit_audit.analysis.results import RecordingTree
from tfinit_audit.analysis.symbols import (
    DEFAULT_SYMBOLS,
    SymbolSpec,
    parse_symbol,
    twin_names,
)
from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.base import MemoryTree, SourceTree

pytestmark = [pytest.mark.network, pytest.mark.slow]

_TREES: dict[str, SourceTree] = {}


def tree_of(ctx: SourceContext, version: str) -> SourceTree:
    if version not in _TREES:
        _TREES[version] = open_tree("pypi", version, ctx=ctx)
    return _TREES[version]


def one(tree: SourceTree, symbol: str, cache: Path | None = None) -> SymbolResult:
    spec = parse_symbol(symbol)
    default = next(
        (s for s in DEFAULT_SYMBOLS if s.name == spec.name and s.args == spec.args), spec
    )
    [res] = analyze(tree, [default], Dims(), cache_dir=cache)
    return res


def weights(r: SymbolResult) -> dict[str, Weight]:
    return {w.name: w for w in r.weights}


def assert_hops_real(tree: SourceTree, r: SymbolResult) -> None:
    for w in r.weights:
        assert w.provenance, w.name
        for h in w.provenance:
            text = tree.read_text(h.path)
            assert text is not None, h.path
            assert text.splitlines()[h.line - 1].strip() == h.code, (w.name, h)


@pytest.fixture(scope="module")
def analysis_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("analysis-cache")


def test_tf18_lstmcell(real_ctx: SourceContext, analysis_cache: Path) -> None:
    tree = tree_of(real_ctx, "1.8.0")
    r = one(tree, "tf.nn.rnn_cell.LSTMCell", analysis_cache)
    assert r.status == "resolved"
    assert (
        r.defined_in is not None and r.defined_in.path == "tensorflow/python/ops/rnn_cell_impl.py"
    )
    w = weights(r)
    k = w["kernel"]
    assert k.shape == [96, 256]
    assert k.initializer.kind == "glorot_uniform"
    assert k.fallback is True
    assert k.initializer.limit == pytest.approx(math.sqrt(6 / 352))
    notes = " | ".join(h.note for h in k.provenance)
    assert (
        "add_variable" in notes and "get_variable" in notes and "_get_default_initializer" in notes
    )
    paths = [h.path for h in k.provenance]
    assert paths[0] == "tensorflow/python/ops/rnn_cell_impl.py"
    assert "tensorflow/python/layers/base.py" in paths
    assert "tensorflow/python/ops/variable_scope.py" in paths
    assert w["bias"].shape == [256] and w["bias"].initializer.kind == "zeros"
    [adj] = w["bias"].runtime_adjustments
    assert adj.kind == "forget_bias" and adj.value == 1.0
    assert r.facts["gate_order"]["value"] == ["i", "j", "f", "o"]
    assert_hops_real(tree, r)


def test_tf110_lstmcell_chain_differs(real_ctx: SourceContext, analysis_cache: Path) -> None:
    tree = tree_of(real_ctx, "1.10.0")
    r = one(tree, "tf.nn.rnn_cell.LSTMCell", analysis_cache)
    w = weights(r)
    k = w["kernel"]
    assert (k.shape, k.initializer.kind, k.fallback) == ([96, 256], "glorot_uniform", True)
    assert k.initializer.limit == pytest.approx(math.sqrt(6 / 352))
    codes = [h.code for h in k.provenance]
    assert any("initializer or scope.initializer" in c for c in codes)
    assert any(
        h.path == "tensorflow/python/keras/engine/base_layer.py" and "glorot_uniform" in h.code
        for h in k.provenance
    )
    assert not any("_get_default_initializer" in h.note for h in k.provenance)
    assert w["bias"].initializer.kind == "zeros"
    assert w["bias"].runtime_adjustments[0].value == 1.0
    assert_hops_real(tree, r)


def test_tf18_grucell(real_ctx: SourceContext, analysis_cache: Path) -> None:
    tree = tree_of(real_ctx, "1.8.0")
    r = one(tree, "tf.nn.rnn_cell.GRUCell", analysis_cache)
    w = weights(r)
    assert w["gates/bias"].initializer.kind == "constant"
    assert w["gates/bias"].initializer.params == {"value": 1.0}
    assert w["candidate/bias"].initializer.kind == "zeros"
    assert w["gates/kernel"].initializer.kind == "glorot_uniform"
    assert w["candidate/kernel"].initializer.kind == "glorot_uniform"
    assert_hops_real(tree, r)


def test_tf18_peepholes_projection(real_ctx: SourceContext, analysis_cache: Path) -> None:
    tree = tree_of(real_ctx, "1.8.0")
    r = one(tree, "tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]", analysis_cache)
    w = weights(r)
    assert w["kernel"].shape == [48, 256]  # h_depth = num_proj
    assert w["w_f_diag"].shape == [64] and w["w_f_diag"].condition == "self._use_peepholes"
    assert w["projection/kernel"].shape == [64, 16]
    assert all(x.initializer.kind == "glorot_uniform" for n, x in w.items() if n != "bias")


def test_tf215_keras_lstm_and_compat_cell(real_ctx: SourceContext, analysis_cache: Path) -> None:
    tree = tree_of(real_ctx, "2.15.0")
    r = one(tree, "tf.keras.layers.LSTM", analysis_cache)
    assert r.status == "resolved"
    assert r.defined_in is not None and r.defined_in.package == "keras"
    w = weights(r)
    assert w["kernel"].initializer.kind == "glorot_uniform"
    assert w["recurrent_kernel"].initializer.kind == "orthogonal"
    assert w["recurrent_kernel"].initializer.params["gain"] == 1.0
    parts = w["bias"].initializer.params["parts"]
    assert [(p["initializer"].kind, p["start"], p["stop"]) for p in parts] == [
        ("zeros", 0, 64),
        ("ones", 64, 128),
        ("zeros", 128, 256),
    ]
    assert_hops_real(tree, r)
    c = one(tree, "tf.nn.rnn_cell.LSTMCell", analysis_cache)
    assert c.symbol == "tf.compat.v1.nn.rnn_cell.LSTMCell"
    assert c.defined_in is not None and c.defined_in.path == "keras/src/layers/rnn/legacy_cells.py"
    assert weights(c)["kernel"].initializer.kind == "glorot_uniform"


def test_tf215_lstm_kernel_chain_ends_at_the_base_call(
    real_ctx: SourceContext, analysis_cache: Path
) -> None:
    """GlorotUniform fixes its parameters in super().__init__(...); the chain ends there."""
    tree = tree_of(real_ctx, "2.15.1")
    r = one(tree, "tf.keras.layers.LSTM", analysis_cache)
    assert_hops_real(tree, r)
    w = weights(r)
    chain = w["kernel"].provenance
    last = chain[-1]
    assert last.path == "keras/src/initializers/initializers.py"
    lines = tree.read_text(last.path).splitlines()  # type: ignore[union-attr]
    call = "\n".join(lines[last.line - 1 : last.line + 6])  # the call spans lines
    assert last.code.startswith("super().__init__(") and "fan_avg" in call
    assert "fan_avg" in last.note
    assert len({(h.path, h.line) for h in chain}) == len(chain)  # no duplicated hop
    assert not any("defaults" in h.note for h in chain)  # every parameter was explicit
    # Orthogonal's gain really is its __init__ default: that line ends the chain
    rk = w["recurrent_kernel"].provenance[-1]
    assert rk.code.startswith("def __init__(") and "gain=1.0" in rk.note


@dataclass
class Overlay:
    """A copy of a release tree with some files edited (reads fall through to the base tree)."""

    base: SourceTree
    edits: dict[str, str] = field(default_factory=dict)

    @property
    def release(self) -> str:
        return self.base.release

    @property
    def kind(self) -> str:
        return "dir"

    @property
    def packages(self) -> list:  # type: ignore[type-arg]
        return []

    @property
    def stats(self):  # type: ignore[no-untyped-def]
        return self.base.stats

    def read_text(self, path: str) -> str | None:
        return self.edits.get(path, self.base.read_text(path))

    def exists(self, path: str) -> bool:
        return self.base.exists(path)

    def list(self, prefix: str) -> list[str]:
        return self.base.list(prefix)

    def package_of(self, path: str) -> str | None:
        return self.base.package_of(path)


def test_mutations_follow_the_source(real_ctx: SourceContext) -> None:
    base = tree_of(real_ctx, "1.8.0")
    vs = "tensorflow/python/ops/variable_scope.py"
    cells = "tensorflow/python/ops/rnn_cell_impl.py"
    vs_text = base.read_text(vs) or ""
    cell_text = base.read_text(cells) or ""
    old = "initializer = init_ops.glorot_uniform_initializer()"
    assert old in vs_text and "constant_initializer(1.0, dtype=self.dtype)" in cell_text
    tree = Overlay(
        base,
        {
            vs: vs_text.replace(old, "initializer = init_ops.orthogonal_initializer()"),
            cells: cell_text.replace(
                "constant_initializer(1.0, dtype=self.dtype)",
                "constant_initializer(2.0, dtype=self.dtype)",
            ),
        },
    )
    specs: list[SymbolSpec] = [
        parse_symbol("tf.nn.rnn_cell.LSTMCell"),
        parse_symbol("tf.nn.rnn_cell.GRUCell"),
    ]
    lstm, gru = analyze(tree, specs, Dims(), cache_dir=None)  # type: ignore[arg-type]
    k = weights(lstm)["kernel"]
    assert k.initializer.kind == "orthogonal" and k.fallback
    assert k.initializer.params == {"gain": 1.0}
    assert weights(gru)["gates/bias"].initializer.params == {"value": 2.0}


def test_tf18_whole_default_set(real_ctx: SourceContext, analysis_cache: Path) -> None:
    tree = tree_of(real_ctx, "1.8.0")
    results = analyze(tree, DEFAULT_SYMBOLS, Dims(), cache_dir=analysis_cache)
    assert [r.status for r in results] == ["resolved"] * len(DEFAULT_SYMBOLS)
    by = {r.symbol: weights(r) for r in results}
    assert by["tf.get_variable"]["v"].initializer.kind == "glorot_uniform"
    assert by["tf.get_variable"]["v"].shape == [32, 64]
    assert by["tf.layers.Dense"]["kernel"].fallback
    # one input size for every family (the table's features, --input-dim): 32 channels
    assert by["tf.keras.layers.Conv2D"]["kernel"].shape == [3, 3, 32, 8]
    assert by["tf.keras.layers.Conv2D"]["kernel"].initializer.limit == pytest.approx(
        math.sqrt(6 / (9 * 32 + 9 * 8))
    )
    assert by["tf.keras.layers.Embedding"]["embeddings"].shape == [100, 16]
    assert by["tf.keras.layers.BatchNormalization"]["gamma"].initializer.kind == "ones"
    for r in results:
        assert_hops_real(tree, r)
    # warm: the same answers again from the result cache
    again = analyze(tree, DEFAULT_SYMBOLS, Dims(), cache_dir=analysis_cache)
    assert [w.initializer.kind for r in again for w in r.weights] == [
        w.initializer.kind for r in results for w in r.weights
    ]


KERAS_EXPECT = {
    "tf.keras.layers.LSTM": {
        "kernel": "glorot_uniform",
        "recurrent_kernel": "orthogonal",
        "bias": "composite",
    },
    "tf.keras.layers.GRU": {
        "kernel": "glorot_uniform",
        "recurrent_kernel": "orthogonal",
        "bias": "zeros",
    },
    "tf.keras.layers.Dense": {"kernel": "glorot_uniform", "bias": "zeros"},
    "tf.keras.layers.Embedding": {"embeddings": "random_uniform"},
    "tf.keras.layers.Conv2D": {"kernel": "glorot_uniform", "bias": "zeros"},
    "tf.keras.layers.BatchNormalization": {
        "gamma": "ones",
        "beta": "zeros",
        "moving_mean": "zeros",
        "moving_variance": "ones",
    },
}


@pytest.mark.parametrize("version", ["1.15.5", "2.0.0", "2.4.4", "2.10.1", "2.16.2", "2.21.0"])
def test_default_set_across_releases(
    real_ctx: SourceContext, analysis_cache: Path, version: str
) -> None:
    tree = tree_of(real_ctx, version)
    results = analyze(tree, DEFAULT_SYMBOLS, Dims(), cache_dir=analysis_cache)
    by = {r.symbol.replace("tf.compat.v1.", "tf."): r for r in results}
    keras3 = any(p.name == "keras" and p.version.startswith("3") for p in tree.packages)
    for r in results:
        if (
            keras3
            and r.symbol.startswith("tf.compat.v1.")
            and r.symbol != "tf.compat.v1.get_variable"
        ):
            # Keras 3 releases refuse the compat.v1 cells and tf.compat.v1.layers at use
            assert r.status == "unavailable" and r.message and "Keras 3" in r.message, r
            continue
        assert r.status == "resolved", (r.symbol, r.status, r.message)
        assert_hops_real(tree, r)
    for sym, expect in KERAS_EXPECT.items():
        got = {w.name: w.initializer.kind for w in by[sym].weights}
        assert got == expect, (sym, got)
    lstm = weights(by["tf.keras.layers.LSTM"])
    assert lstm["kernel"].shape == [32, 256] and lstm["recurrent_kernel"].initializer.params == {
        "gain": 1.0
    }
    emb = weights(by["tf.keras.layers.Embedding"])["embeddings"].initializer
    assert emb.params == {"minval": -0.05, "maxval": 0.05}
    assert weights(by["tf.get_variable"])["v"].initializer.kind == "glorot_uniform"
    if not keras3:
        cell = weights(by["tf.nn.rnn_cell.LSTMCell"])
        assert cell["kernel"].fallback and cell["kernel"].initializer.kind == "glorot_uniform"
        assert cell["bias"].runtime_adjustments[0].value == 1.0
        assert weights(by["tf.nn.rnn_cell.GRUCell"])["gates/bias"].initializer.params == {
            "value": 1.0
        }


def test_embedding_uniform_range_from_the_call_chain(
    real_ctx: SourceContext, analysis_cache: Path
) -> None:
    # 1.8: 'uniform' -> init_ops.RandomUniform(minval=0, maxval=None); the None is decided by
    # random_ops.random_uniform (`if maxval is None: ... maxval = 1`), reached from __call__
    tree = tree_of(real_ctx, "1.8.0")
    r = one(tree, "tf.keras.layers.Embedding", analysis_cache)
    emb = weights(r)["embeddings"]
    assert emb.shape == [100, 16]
    assert emb.initializer.kind == "random_uniform"
    assert emb.initializer.params == {"minval": 0, "maxval": 1}
    assert emb.initializer.limit is None  # U[0, 1) is not a symmetric +-limit range
    last = emb.provenance[-1]
    assert last.path == "tensorflow/python/ops/random_ops.py" and last.code == "maxval = 1"
    assert any(
        h.path == "tensorflow/python/ops/init_ops.py" and "self.maxval" in h.code
        for h in emb.provenance
    )
    assert_hops_real(tree, r)
    # 2.15: Keras' own RandomUniform(minval=-0.05, maxval=0.05), nothing left None
    r2 = one(tree_of(real_ctx, "2.15.1"), "tf.keras.layers.Embedding", analysis_cache)
    emb2 = weights(r2)["embeddings"].initializer
    assert emb2.params == {"minval": -0.05, "maxval": 0.05}
    assert emb2.limit == pytest.approx(0.05)


def test_warm_cache_notices_an_edited_generated_api_module(
    real_ctx: SourceContext, tmp_path: Path
) -> None:
    # copy exactly what the analysis looks at into a MemoryTree, answer once (cache warm), then
    # re-point the generated API module: the cached answer must not be served
    base = tree_of(real_ctx, "1.8.0")
    rec = RecordingTree(base)
    specs = [parse_symbol("tf.keras.layers.Embedding")]
    both = [*specs, parse_symbol("tf.keras.layers.Dense")]
    analyze(rec, both, Dims(), cache_dir=None)  # type: ignore[arg-type]
    files: dict[str, str] = {}
    for key in rec.reads:
        text = None if key.startswith("list:") else base.read_text(key)
        if text is not None:
            files[key] = text
    api = "tensorflow/tools/api/generator/api/keras/layers/__init__.py"
    line = "from tensorflow.python.keras._impl.keras.layers import Embedding"
    assert line in files[api]
    copy = MemoryTree(dict(files), release="1.8.0", kind="pypi")
    cache = tmp_path / "cache"
    [first] = analyze(copy, specs, Dims(), cache_dir=cache)
    assert first.defined_in is not None and first.defined_in.qualname == "Embedding"
    assert [w.name for w in first.weights] == ["embeddings"]
    [warm] = analyze(copy, specs, Dims(), cache_dir=cache)  # served from the cache
    assert warm.defined_in == first.defined_in
    copy.files[api] = files[api].replace(line, line.replace("Embedding", "Dense as Embedding"))
    [edited] = analyze(copy, specs, Dims(), cache_dir=cache)
    assert edited.defined_in is not None and edited.defined_in.qualname == "Dense"
    assert sorted(w.name for w in edited.weights) == ["bias", "kernel"]


@pytest.mark.parametrize("version", ["1.15.5", "2.15.1"])
def test_answer_does_not_depend_on_the_batch(real_ctx: SourceContext, version: str) -> None:
    # every answer (weights, facts, name hops) is the same whatever was analysed before it:
    # the default set forwards, backwards, and each symbol on its own
    tree = tree_of(real_ctx, version)
    specs = list(DEFAULT_SYMBOLS)
    forward = analyze(tree, specs, Dims(), cache_dir=None)
    backward = analyze(tree, specs[::-1], Dims(), cache_dir=None)[::-1]
    assert forward == backward
    for spec, res in zip(specs[::5], forward[::5], strict=True):
        assert analyze(tree, [spec], Dims(), cache_dir=None) == [res]
    assert any(len(r.name_hops) > 3 for r in forward)


def test_tf115_contrib_lazy_loader_is_followed(real_ctx: SourceContext) -> None:
    # tf.contrib is a LazyLoader whose module imports its submodules through the tensorflow ->
    # tensorflow_core forwarding shim (re-entering the shim's __getattr__ while it loads)
    tree = tree_of(real_ctx, "1.15.5")
    r = one(tree, "tf.contrib.rnn.LSTMBlockCell")
    assert r.status == "resolved", r.message
    assert r.defined_in is not None
    assert r.defined_in.path == "tensorflow_core/contrib/rnn/python/ops/lstm_ops.py"
    notes = [h.note for h in r.name_hops]
    assert "contrib is assigned" in notes and "rnn is imported from tensorflow.contrib" in notes
    w = weights(r)
    assert w["kernel"].shape == [32 + 64, 4 * 64]
    assert w["kernel"].initializer.kind == "glorot_uniform" and w["kernel"].fallback
    assert w["bias"].initializer.kind == "constant"
    assert w["bias"].initializer.params["value"] == 0.0
    assert_hops_real(tree, r)


def test_tf1_absent_names_say_why_and_where_the_release_has_them(
    real_ctx: SourceContext,
) -> None:
    tree = tree_of(real_ctx, "1.1.0")
    cell_spec = next(s for s in DEFAULT_SYMBOLS if s.name == "tf.nn.rnn_cell.LSTMCell")
    cell, lstm = analyze(tree, [cell_spec, parse_symbol("tf.keras.layers.LSTM")], Dims())
    # no tf.nn.rnn_cell before 1.2: the default set asks for the tf.contrib.rnn twin
    assert cell.symbol == "tf.contrib.rnn.LSTMCell" and cell.twin == "tf.nn.rnn_cell.LSTMCell"
    assert cell.defined_in is not None and cell.defined_in.qualname == "LSTMCell"
    # 1.1 cells create their variables in __call__, under a @contextmanager scope helper
    # (_checked_scope) whose reuse=True probe finds nothing
    assert cell.status == "resolved", cell.message
    w = weights(cell)
    assert list(w) == ["lstm_cell/weights", "lstm_cell/biases"]
    assert w["lstm_cell/weights"].shape == [96, 256]
    assert w["lstm_cell/weights"].initializer.kind == "glorot_uniform"
    assert w["lstm_cell/biases"].initializer.params == {"value": 0.0}
    assert_hops_real(tree, cell)
    assert lstm.status == "absent"
    assert lstm.message == "tf has no attribute 'keras'; this release has " \
        "tf.contrib.keras.layers.LSTM"
    # a lazy loader's __getattr__ failing with Python's own AttributeError: absent, not
    # "unavailable" (that is for a library's own raise, e.g. Keras 3's message)
    [r] = analyze(tree_of(real_ctx, "1.0.1"), [parse_symbol("tf.contrib.keras.layers.LSTM")],
                  Dims())
    assert (r.status, r.message) == ("absent", "tf.contrib has no attribute 'keras'")


# the releases whose default-set answers take paths of their own: cells that create their
# variables when called (0.12-1.4), RNN cells only in tf.contrib.rnn (1.0-1.1), Keras only in
# tf.contrib.keras (1.1-1.3), 1.13's TensorShape = TensorShapeV1
EARLY = ["0.12.0", "0.12.1", "1.0.0", "1.0.1", "1.1.0", "1.2.0", "1.2.1", "1.3.0", "1.4.0",
         "1.4.1", "1.13.1", "1.13.2"]
_ABSENT = re.compile(r"^(tf(?:\.\w+)*) has no attribute '(\w+)'(?:; this release has (\S+))?$")


@pytest.mark.parametrize("version", EARLY)
def test_default_set_is_complete_in_early_releases(real_ctx: SourceContext,
                                                   version: str) -> None:
    # every symbol resolved (no partial, nothing unresolved) or absent; an absent name says the
    # first component the release lacks, and the twin it has instead when it has one
    tree = tree_of(real_ctx, version)
    results = analyze(tree, list(DEFAULT_SYMBOLS), Dims())
    for spec, r in zip(DEFAULT_SYMBOLS, results, strict=True):
        assert r.status in ("resolved", "absent"), (r.symbol, r.status, r.message)
        if r.status == "resolved":
            assert r.weights, r.symbol
            assert all(w.initializer.kind != "unresolved" for w in r.weights), r.symbol
            continue
        m = _ABSENT.match(r.message or "")
        assert m is not None, (r.symbol, r.message)
        missing = f"{m.group(1)}.{m.group(2)}"
        assert (spec.name + ".").startswith(missing + "."), (spec.name, r.message)
        if m.group(3):
            assert m.group(3) in twin_names(spec.name), (spec.name, r.message)
            [twin] = analyze(tree, [parse_symbol(m.group(3))], Dims())
            assert twin.status == "resolved", (m.group(3), twin.status)


@pytest.mark.parametrize("version", list(KNOWN))
def test_known_answers_of_cells_made_when_called_and_of_contrib_cells(
    real_ctx: SourceContext, version: str
) -> None:
    # tests/known_answers.py, read by hand from each release's source: 0.12's uniform unit
    # scaling default and its variable names, 1.2/1.4's glorot default and None-means-default
    # biases, 1.15's tf.contrib.rnn cells; the forget bias each adds at run time
    tree = tree_of(real_ctx, version)
    table = KNOWN[version]
    results = analyze(tree, specs(table), Dims())
    assert_known(results, table)
    for r in results:
        assert_hops_real(tree, r)
    if version == "0.12.1":  # the 0.x cells' porting facts come from their own __call__
        lstm = results[2]
        assert lstm.facts["gate_order"]["value"] == ["i", "j", "f", "o"]
        assert lstm.facts["recurrent_activation"]["value"] == "sigmoid"
        assert lstm.facts["gate_order"]["path"] == "tensorflow/python/ops/rnn_cell.py"


def test_tf18_variable_creating_function_is_called_on_an_input(real_ctx: SourceContext) -> None:
    # tf.layers.dense builds a Dense layer and applies it: Layer.__call__ opens the layer's
    # scope (its default name from to_snake_case, through re.sub) and runs build on the
    # input's shape
    tree = tree_of(real_ctx, "1.8.0")
    r = one(tree, "tf.layers.dense")
    assert r.status == "resolved", r.message
    w = weights(r)
    assert list(w) == ["dense/kernel", "dense/bias"]
    assert w["dense/kernel"].shape == [32, 64]
    assert w["dense/kernel"].initializer.kind == "glorot_uniform" and w["dense/kernel"].fallback
    assert w["dense/bias"].initializer.kind == "zeros"


# ------------------------------------------------------------ plain sources, sub-layers
def test_tf1_gru_cell_biases_are_none_means_default_fallbacks(real_ctx: SourceContext) -> None:
    tree = tree_of(real_ctx, "1.15.5")
    w = weights(one(tree, "tf.nn.rnn_cell.GRUCell"))
    gates, cand = w["gates/bias"], w["candidate/bias"]
    assert (gates.initializer.kind, gates.initializer.params, gates.fallback) == (
        "constant", {"value": 1.0}, True)
    assert (cand.initializer.kind, cand.fallback) == ("zeros", True)
    assert any(h.code == "if self._bias_initializer is not None else" for h in gates.provenance)


def test_plain_initializers_of_keras_215(real_ctx: SourceContext) -> None:
    tree = tree_of(real_ctx, "2.15.1")
    # a string identifier handed straight to add_weight, looked up by add_weight itself
    scale = weights(one(tree, "tf.keras.layers.AdditiveAttention"))["scale"]
    assert (scale.initializer.kind, scale.fallback) == ("glorot_uniform", False)
    assert scale.provenance[1].code == "initializer = initializers.get(initializer)"
    assert weights(one(tree, "tf.keras.layers.Attention[use_scale=True]"))[
        "scale"].initializer.kind == "ones"
    # constructors with arguments (through the initializers package filled by
    # globals().update), numpy numbers, a value computed in __init__/build
    r = one(tree, "tf.keras.layers.experimental.RandomFourierFeatures[output_dim=16]")
    assert r.status == "resolved"
    w = weights(r)
    assert (w["unscaled_kernel"].initializer.kind, w["unscaled_kernel"].initializer.params) == (
        "random_normal", {"mean": 0.0, "stddev": 1.0})
    assert w["bias"].initializer.params == {"minval": 0.0, "maxval": pytest.approx(2 * math.pi)}
    assert w["kernel_scale"].initializer.params == {"value": pytest.approx(math.sqrt(32 / 2))}
    assert weights(one(tree, "tf.keras.layers.SpectralNormalization"))[
        "vector_u"].initializer.params == {"mean": 0.0, "stddev": 0.02}
    # a nested initializer function: sqrt of the moving variance's ones
    bn = weights(one(tree, "tf.keras.layers.BatchNormalization[renorm=True]"))
    assert bn["moving_stddev"].initializer.kind == bn["renorm_stddev"].initializer.kind == "ones"
    for sym in ("tf.keras.layers.AdditiveAttention", "tf.keras.layers.SpectralNormalization"):
        assert_hops_real(tree, one(tree, sym))


def test_tf244_random_fourier_features(real_ctx: SourceContext) -> None:
    # isinstance(x, six.string_types), init_ops.random_normal_initializer(stddev=1.0), np.pi
    r = one(tree_of(real_ctx, "2.4.4"),
            "tf.keras.layers.experimental.RandomFourierFeatures[output_dim=16]")
    assert r.status == "resolved"
    assert [w.initializer.kind for w in r.weights] == ["random_normal", "random_uniform",
                                                       "constant"]


def test_tf012_get_variable_default_is_uniform_unit_scaling(real_ctx: SourceContext) -> None:
    tree = tree_of(real_ctx, "0.12.1")
    r = one(tree, "tf.get_variable")
    [v] = r.weights
    assert (r.status, v.initializer.kind, v.initializer.params, v.fallback) == (
        "resolved", "uniform_unit_scaling", {"factor": 1.0}, True)
    assert v.initializer.limit == pytest.approx(math.sqrt(3 / 32))
    assert v.provenance[-1].code.startswith("def uniform_unit_scaling_initializer(")
    assert_hops_real(tree, r)
    lstm = weights(one(tree, "tf.nn.rnn_cell.LSTMCell"))
    assert lstm["LSTMCell/W_0"].initializer.kind == "uniform_unit_scaling"
    assert lstm["LSTMCell/B"].initializer.kind == "zeros"  # zeros_initializer passed uncalled


@pytest.mark.parametrize(("version", "symbol"), [
    ("2.15.1", "tf.keras.layers.Conv1DTranspose"),
    ("2.15.1", "tf.keras.layers.Conv3DTranspose"),
    ("2.15.1", "tf.keras.layers.DepthwiseConv1D"),
    ("1.15.5", "tf.keras.layers.Conv3DTranspose"),
    ("1.13.1", "tf.keras.layers.BatchNormalization"),
])
def test_weights_are_found_where_build_checks_its_input(
    real_ctx: SourceContext, version: str, symbol: str
) -> None:
    tree = tree_of(real_ctx, version)
    r = one(tree, symbol)
    assert r.status == "resolved", r.message
    kinds = {w.name: w.initializer.kind for w in r.weights}
    if "BatchNormalization" in symbol:  # 1.13: TensorShape = TensorShapeV1
        assert kinds == {"gamma": "ones", "beta": "zeros", "moving_mean": "zeros",
                         "moving_variance": "ones"}
    else:  # built on the rank the layer declares (its input_spec): every shape concrete
        assert set(kinds.values()) == {"glorot_uniform", "zeros"}
        assert r.input_note is not None and r.input_note.startswith("input_spec ")
        assert all(w.shape is not None for w in r.weights)
        assert not any("rejects the input shape" in h.note for w in r.weights
                       for h in w.provenance)
    assert_hops_real(tree, r)


@pytest.mark.parametrize("version", ["2.4.4", "2.15.1", "2.21.0"])
def test_multi_head_attention_reports_its_sub_layers_weights(
    real_ctx: SourceContext, version: str
) -> None:
    tree = tree_of(real_ctx, version)
    r = one(tree, "tf.keras.layers.MultiHeadAttention[num_heads=2,key_dim=8]")
    assert r.status == "resolved", r.message
    w = weights(r)
    assert list(w) == [f"{d}/{k}" for d in ("query", "key", "value", "attention_output")
                       for k in ("kernel", "bias")]
    assert {x.initializer.kind for n, x in w.items() if n.endswith("kernel")} == {
        "glorot_uniform"}
    assert {x.initializer.kind for n, x in w.items() if n.endswith("bias")} == {"zeros"}
    codes = [h.code for h in w["query/kernel"].provenance]
    assert any(c.startswith("self._query_dense = ") for c in codes)  # through the sub-layer
    assert 'kernel_initializer="glorot_uniform",' in codes  # MultiHeadAttention's own default
    assert_hops_real(tree, r)


def test_tf112_cells_called_inside_multirnncell_take_the_input_dtype(
    real_ctx: SourceContext
) -> None:
    # Keras Layer.__call__ flattens its inputs (nest.flatten = _pywrap_tensorflow.Flatten)
    # and takes the layer's dtype from the first: LSTMCell.build picks its bias initializer on
    # self.dtype, and the second cell is built on the first one's output (checked live)
    tree = tree_of(real_ctx, "1.12.3")
    r = one(tree, "tf.nn.rnn_cell.MultiRNNCell")
    assert r.status == "resolved", r.message
    w = weights(r)
    assert {n: x.shape for n, x in w.items()} == {
        "cell_0/lstm_cell/kernel": [96, 256], "cell_0/lstm_cell/bias": [256],
        "cell_1/lstm_cell/kernel": [128, 256], "cell_1/lstm_cell/bias": [256]}
    assert {w[n].initializer.kind for n in w if n.endswith("bias")} == {"zeros"}
    assert_hops_real(tree, r)


def test_tf14_gru_block_cell_is_called_on_its_zero_state(real_ctx: SourceContext) -> None:
    # GRUBlockCell.__call__(self, x, h_prev) checks h_prev's width against its cell size:
    # the second parameter of a cell is its state whatever its name (checked live)
    tree = tree_of(real_ctx, "1.4.1")
    r = one(tree, "tf.contrib.rnn.GRUBlockCell")
    assert r.status == "resolved", r.message
    w = weights(r)
    assert {n: x.shape for n, x in w.items()} == {
        "GRUBlockCell/w_ru": [96, 128], "GRUBlockCell/b_ru": [128],
        "GRUBlockCell/w_c": [96, 64], "GRUBlockCell/b_c": [64]}
    assert (w["GRUBlockCell/b_ru"].initializer.kind,
            w["GRUBlockCell/b_ru"].initializer.params) == ("constant", {"value": 1.0})


# 1.2.1: LSTM and ConvLSTM2D; 1.3.0: ConvLSTM2D only (its LSTM has the nested initializer)
SET_VALUE = [("1.2.1", "tf.contrib.keras.layers.LSTM", 64),
             ("1.2.1", "tf.contrib.keras.layers.ConvLSTM2D", 8),
             ("1.3.0", "tf.contrib.keras.layers.ConvLSTM2D", 8)]


@pytest.mark.parametrize(("version", "sym", "n"), SET_VALUE)
def test_tf1_contrib_keras_forget_bias_is_the_value_set_value_writes(
        real_ctx: SourceContext, version: str, sym: str, n: int) -> None:
    # tf.contrib.keras LSTM/ConvLSTM2D.build create the bias with zeros, then
    # K.set_value(self.bias, bias_value) with ones in [units:2*units] (rules/set_value.py)
    tree = tree_of(real_ctx, version)
    r = one(tree, sym)
    b = weights(r)["bias"]
    assert [(p["initializer"].kind, p["start"], p["stop"]) for p in
            b.initializer.params["parts"]] == [("zeros", 0, n), ("ones", n, 2 * n),
                                               ("zeros", 2 * n, 4 * n)], (version, sym)
    last = b.provenance[-1]
    assert last.code == "K.set_value(self.bias, bias_value)", (version, sym)
    assert last.note.startswith("set_value writes bias_value into 'bias': "), (version, sym)
    assert_hops_real(tree, r)


@pytest.mark.parametrize(("version", "sym"), [("1.3.0", "tf.contrib.keras.layers.LSTM"),
                                              ("1.4.1", "tf.keras.layers.LSTM")])
def test_keras_forget_bias_of_a_nested_initializer_stays_the_composite(
        real_ctx: SourceContext, version: str, sym: str) -> None:
    # 1.3's Keras LSTM and 1.4's build the ones into a nested bias initializer: no set_value
    b = weights(one(tree_of(real_ctx, version), sym))["bias"]
    assert [p["initializer"].kind for p in b.initializer.params["parts"]] == [
        "zeros", "ones", "zeros"]
    assert all("set_value" not in h.code for h in b.provenance)


def test_names_bound_or_deleted_by_module_level_code(real_ctx: SourceContext) -> None:
    """0.12.1: ``standard_ops`` deletes the module alias ``vs`` with remove_undocumented
    (``tf.vs`` raises AttributeError in TF 0.12.1) while keeping ``nn``, which only an
    ``_allowed_symbols.extend([...])`` names; ``tf.nn.vs`` stays (``tf.nn`` calls no
    remove_undocumented). 2.15.1: ``tf.compat.v1.ConfigProto`` is made by protobuf's builder
    through ``globals()``: not followed, but not absent either."""
    tree = tree_of(real_ctx, "0.12.1")
    gone = one(tree, "tf.vs.get_local_variable")
    assert gone.status == "absent" and gone.message == (
        "tf has no attribute 'vs' (remove_undocumented deletes every public name of "
        "tensorflow.python.ops.standard_ops not referenced as @@name in its docstring or "
        "allowed: tensorflow/python/ops/standard_ops.py:259)")  # deleted on the way
    kept = one(tree, "tf.nn.vs.get_local_variable")
    assert kept.status == "resolved" and kept.weights[0].initializer.kind == \
        "uniform_unit_scaling"
    proto = one(tree_of(real_ctx, "2.15.1"), "tf.compat.v1.ConfigProto")
    assert proto.status == "partial" and "globals()" in (proto.message or "")


@pytest.mark.parametrize(("sym", "names"), [
    ("tf.layers.dense", ["dense/kernel", "dense/bias"]),
    ("tf.contrib.slim.fully_connected", ["fully_connected/weights", "fully_connected/biases"]),
])
def test_tf10_layers_names_through_the_scope_s_own_custom_getter(
        real_ctx: SourceContext, sym: str, names: list[str]) -> None:
    # TF 1.0 tf.layers read ``vs.get_variable_scope().custom_getter`` (None outside any
    # scope) before wrapping theirs, and TF 1.0's scopes replace an enclosing scope's getter
    # rather than wrap it (no _maybe_wrap_custom_getter): live TF 1.0.1 names them so
    tree = tree_of(real_ctx, "1.0.1")
    r = one(tree, sym)
    assert list(weights(r)) == names, [w.name for w in r.weights]
    assert_hops_real(tree, r)


def test_tf11_contrib_keras_fans_are_its_own_and_its_shapes_come_first(
        real_ctx: SourceContext) -> None:
    # Keras 2.0.0 in TF 1.1: add_weight(shape, initializer, name=None) takes the shape first,
    # and _compute_fans takes the receptive field as np.prod(shape[:2]); live TF 1.1.0 draws
    # a Conv1D kernel [3, 32, 8] with std 0.0226 (limit 0.0395), not glorot's usual 0.129
    tree = tree_of(real_ctx, "1.1.0")
    r = one(tree, "tf.contrib.keras.layers.Conv1D")
    k = weights(r)["kernel"]
    assert k.shape == [3, 32, 8]
    assert k.initializer.params["fans"] == [3072.0, 768.0]
    assert k.initializer.limit is not None and abs(k.initializer.limit - 0.0395285) < 1e-6
    assert k.provenance[-1].code == "fan_in, fan_out = _compute_fans(shape)"
    assert_hops_real(tree, r)
    d = weights(one(tree, "tf.contrib.keras.layers.Dense"))["kernel"]
    assert d.shape == [32, 64] and "fans" not in d.initializer.params
    # TF 1.3.0's Keras computes them the usual way: nothing added
    later = weights(one(tree_of(real_ctx, "1.3.0"), "tf.contrib.keras.layers.Conv1D"))["kernel"]
    assert "fans" not in later.initializer.params
