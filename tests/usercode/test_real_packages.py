"""scan on model code nobody here wrote: two real packages read from their wheels on the
package index at test time (by HTTP range requests, as the tool reads TensorFlow).

- tensor2tensor 1.15.7 (TF 1.x: ``import tensorflow.compat.v1 as tf``, ``tf.layers.dense``,
  ``tf.get_variable``, compat.v1 RNN cells), ``tensor2tensor/layers``, TF 1.15 -> 2.15;
- OpenNMT-tf 2.32.0 (Keras 2 layers, user subclasses across modules), TF 2.15 -> 2.21 (Keras 3);
- tensorpack 0.11 (``compat.py`` binds ``tfv1 = tf.compat.v1`` in if/try branches, model code
  does ``from ..compat import tfv1 as tf`` and calls ``tf.layers.Conv2D``), TF 1.15 -> 2.15.

The number of call sites per symbol must equal an independent count made with CPython's
``ast`` (``ast_count.py``); the run's time (the first scan of the session: releases fetched
and analysed, no user code cached) is printed (``pytest -s``) and written to ``scan-real.json``
in the test's temporary directory.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from ast_count import count
from packaging.version import Version

from tfinit_audit import pipeline
from tfinit_audit.sources import SourceContext
from tfinit_audit.sources.wheel import RemoteWheel, choose_wheel

pytestmark = [pytest.mark.network, pytest.mark.slow]

CASES = [
    ("tensor2tensor", "1.15.7", "tensor2tensor", "layers", "1.15", "2.15"),
    ("OpenNMT-tf", "2.32.0", "opennmt", "", "2.15", "2.21"),
    ("tensorpack", "0.11", "tensorpack", "", "1.15", "2.15"),
]


def unpack(ctx: SourceContext, dist: str, version: str, top: str, dest: Path) -> int:
    """The package's ``.py`` members, read out of its wheel by range requests; bytes read."""
    files = ctx.index.project(dist).releases()[Version(version)]
    w = choose_wheel(files)
    wheel = RemoteWheel(w.url, filename=w.filename, sha256=w.sha256, size=w.size,
                        http=ctx.http, cache=ctx.cache)
    names = [n for n in wheel.names() if n.startswith(f"{top}/") and n.endswith(".py")]
    for name, data in wheel.read_many(names).items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return len(names)


@pytest.mark.parametrize("dist, version, top, sub, frm, to", CASES,
                         ids=[c[0] for c in CASES])
def test_call_sites_per_symbol_match_an_independent_count(
        dist: str, version: str, top: str, sub: str, frm: str, to: str, real_ctx: SourceContext,
        real_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    n_files = unpack(real_ctx, dist, version, top, src)
    assert n_files > 20
    monkeypatch.chdir(src)
    target = Path(top) / sub if sub else Path(top)
    t0 = time.monotonic()
    result = pipeline.scan([target], from_version=frm, to_version=to, cache_dir=real_cache)
    seconds = time.monotonic() - t0
    ours = Counter(s.call.symbol for s in result.sites)
    independent = count(src, str(target))
    assert ours, "no call site found"
    assert {k: independent[k] for k in ours} == dict(ours)
    assert not result.skipped
    lines = sum(s.lines for s in result.files)
    record = {"package": f"{dist} {version}", "scanned": str(target), "lines": lines,
              "releases": [result.from_release, result.to_release], "seconds": round(seconds, 2),
              "call_sites": sum(ours.values()), "per_symbol": dict(ours.most_common()),
              "relying": len(result.relying), "unavailable": len(result.unavailable)}
    (tmp_path / "scan-real.json").write_text(json.dumps(record, indent=1))
    print(json.dumps(record))
