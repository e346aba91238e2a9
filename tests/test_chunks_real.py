"""Large real modules read chunk by chunk (a ``SourceModule`` of ``LAZY_MIN`` bytes or more is
not parsed whole until needed) bind every name their whole parse binds, with the same events.

A file's summary cached by an earlier run is read whole; a cold run reads the same file chunk
by chunk. Before the chained-assignment, annotation and starred alternatives of the binding
pattern, the chunk lookup missed ``kld = KLD = kullback_leibler_divergence`` (TF 1.15
``keras/losses.py``), ``zero = zeros = Zeros`` (``ops/init_ops_v2.py``) and
``internal_convert_to_tensor: Callable[...] = convert_to_tensor`` (TF 2.15
``framework/ops.py``): a cold audit of 1.15.5 could not follow ``tf.keras.losses.KLD``, and
``--symbols all`` of 1.15.5 listed none of its 12 names, while a warm one did."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.engine.source import LAZY_MIN, Sources
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.sources import SourceContext, open_tree

FILES = {
    "1.15.5": ["tensorflow_core/python/keras/losses.py", "tensorflow_core/python/keras/metrics.py",
               "tensorflow_core/python/ops/init_ops_v2.py",
               "tensorflow_core/python/layers/convolutional.py"],
    "2.15.1": ["tensorflow/python/framework/ops.py", "keras/src/losses.py"],
}


@pytest.mark.network
@pytest.mark.parametrize("version", sorted(FILES))
def test_real_modules_read_by_chunks_bind_what_their_whole_parse_binds(
        version: str, real_ctx: SourceContext) -> None:
    tree = open_tree("pypi", version, ctx=real_ctx)
    for path in FILES[version]:
        whole = Sources(tree).module(path)
        assert whole is not None and len(whole.text) > LAZY_MIN, path
        names = sorted({b.name for b in whole.full().bindings if b.name})
        assert len(names) > 20, path
        lazy = Sources(tree).module(path)
        assert lazy is not None
        for name in names:
            if lazy.summary is not None:  # a chunk that does not parse alone: read whole
                lazy = Sources(tree).module(path)
                assert lazy is not None
            got = [(b.kind, b.line, b.guard) for b in lazy.events(name)]
            assert got == [(b.kind, b.line, b.guard) for b in whole.events(name)], (path, name)


@pytest.mark.network
def test_a_cold_analysis_follows_a_name_bound_in_the_middle_of_a_chain(
        real_ctx: SourceContext, tmp_path: Path) -> None:
    tree = open_tree("pypi", "1.15.5", ctx=real_ctx)
    specs = [parse_symbol(s) for s in ("tf.keras.losses.KLD", "tf.keras.losses.MSE")]
    results = analyze(tree, specs, Dims(), cache_dir=tmp_path)  # nothing summarized before
    for r in results:  # functions of their arguments, not "cannot follow ... import KLD"
        assert r.status == "needs-args" and "y_true" in (r.message or ""), (r.symbol, r.message)
