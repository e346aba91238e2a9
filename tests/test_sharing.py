"""Releases whose files on the resolution path are identical share one analysis
(``analysis/results.py``): a stored answer serves any tree that shows what the analysis saw,
and only such a tree.

Synthetic libraries (written for these tests) in memory and as local wheels, then real patch
releases from the package index: 2.0.1 takes 2.0.0's answer without reading a file, 2.0.2 (one
file on the path differs) is analysed again, and both answers equal a cold analysis of each.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from httpserver import build_wheel
from synthetic_tf import FILES, LAYERS

from tfinit_audit import pipeline
from tfinit_audit.analysis import run as run_module
from tfinit_audit.analysis.audit import analyze, analyze_release, stored
from tfinit_audit.analysis.model import Analysis, Dims
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.report.model import _plain
from tfinit_audit.sources import CompositeTree, open_tree
from tfinit_audit.sources.base import MemoryTree

SPECS = [SymbolSpec("tf.Dense")]


def _tree(release: str, changes: dict[str, str | None] | None = None) -> MemoryTree:
    """The synthetic release, with ``changes`` (path -> new text, None: removed)."""
    files = {k: textwrap.dedent(v) for k, v in FILES.items()}
    for path, text in (changes or {}).items():
        if text is None:
            files.pop(path, None)
        else:
            files[path] = textwrap.dedent(text)
    return MemoryTree(files, release=release, kind="pypi")


def _answer(results: list[Any] | Analysis | None) -> list[Any]:
    if isinstance(results, Analysis):  # the symbols, then each pattern's listing
        return [_plain(r) for r in [*results.symbols, *results.namespaces]]
    return [_plain(r) for r in results or []]


def _refuse_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any analysis from here on fails the test: answers must come from the store."""
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("analysed, but a stored answer should have served")

    monkeypatch.setattr(run_module, "run_specs", refuse)


def _kernel(results: list[Any]) -> Any:
    (dense,) = results
    return next(w for w in dense.weights if w.name == "kernel").initializer


def test_identical_files_share_the_stored_answer(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first = analyze(_tree("1.0.0"), SPECS, Dims(), cache_dir=tmp_path)
    assert first[0].status == "resolved", first[0].message
    assert (_kernel(first).kind, _kernel(first).params["scale"]) == ("glorot_uniform", 1.0)
    _refuse_analysis(monkeypatch)
    patch = _tree("1.0.1")
    assert _answer(stored(patch, SPECS, Dims(), tmp_path)) == _answer(first)
    assert _answer(analyze(patch, SPECS, Dims(), cache_dir=tmp_path)) == _answer(first)
    # a file nothing on the resolution path reads may differ, or be gone
    for changes in ({"tensorflow/unused.py": "X = 2\n"}, {"tensorflow/unused.py": None}):
        assert _answer(analyze(_tree("1.0.2", changes), SPECS, Dims(), cache_dir=tmp_path)) \
            == _answer(first)


def test_other_specs_or_sizes_are_not_shared(tmp_path: Path) -> None:
    analyze(_tree("1.0.0"), SPECS, Dims(), cache_dir=tmp_path)
    assert stored(_tree("1.0.1"), SPECS, Dims(units=8), tmp_path) is None
    assert stored(_tree("1.0.1"), SPECS, Dims(given={"filters": 16}), tmp_path) is None  # --dim
    assert stored(_tree("1.0.1"), [*SPECS, SymbolSpec("tf.Other")], Dims(), tmp_path) is None
    assert stored(_tree("1.0.1"), [SymbolSpec("tf.Dense", (("units", 3),))], Dims(),
                  tmp_path) is None
    other_kind = MemoryTree(dict(_tree("1.0.1").files), release="1.0.1", kind="dir")
    assert stored(other_kind, SPECS, Dims(), tmp_path) is None  # the resolver asks the kind


@pytest.mark.parametrize("changes", [
    {"tensorflow/layers.py": LAYERS.replace("scale=1.0)", "scale=2.0)")},  # the default
    {"tensorflow/layers/__init__.py": "from tensorflow.unused import X as Dense\n"},  # shadows
    {"tensorflow/__init__.py": "from tensorflow.layers import Dense\nDense = None\n"},
    {"tensorflow/layers.py": None},
], ids=["default-changed", "package-shadows-module", "name-rebound", "module-gone"])
def test_a_change_on_the_resolution_path_is_analysed_again(
    tmp_path: Path, changes: dict[str, str | None]
) -> None:
    first = analyze(_tree("1.0.0"), SPECS, Dims(), cache_dir=tmp_path)
    changed = _tree("1.0.1", changes)
    assert stored(changed, SPECS, Dims(), tmp_path) is None
    again = analyze(changed, SPECS, Dims(), cache_dir=tmp_path)
    cold = analyze(changed, SPECS, Dims(), cache_dir=None)
    assert _answer(again) == _answer(cold) != _answer(first)
    # each content keeps its own answer, whichever release shows it
    assert _answer(stored(_tree("1.0.2"), SPECS, Dims(), tmp_path)) == _answer(first)
    assert _answer(stored(_tree("1.0.3", changes), SPECS, Dims(), tmp_path)) == _answer(cold)


# -- local wheels: files compared by their zip fingerprints, none read -------------------------
def _wheel(tmp: Path, version: str, changes: dict[str, str | None] | None = None,
           extra: dict[str, bytes] | None = None) -> str:
    files: dict[str, bytes | str] = dict(_tree(version, changes).files)
    files.update(extra or {})
    name, data = build_wheel("tensorflow", version, files)
    path = tmp / name
    path.write_bytes(data)
    return f"wheel:{path}"


LATIN1 = "tensorflow/legacy.py"  # on the path, bytes that are not UTF-8 (a tree warning)


def _audit(source: str, cache: Path) -> Any:
    report = pipeline.audit(None, source=source, symbols=["tf.Dense"], cache_dir=cache)
    (record,) = report.versions
    assert record.status == "ok", record.error
    return record


def test_wheels_with_the_same_files_share_without_reading_them(tmp_path: Path) -> None:
    legacy = {"tensorflow/layers.py": "from tensorflow.legacy import SCALE\n" + LAYERS.replace(
        "VarianceScaling(scale=1.0)", "VarianceScaling(scale=SCALE)")}
    extra = {LATIN1: "# caf\xe9\nSCALE = 1.0\n".encode("latin-1")}
    cache = tmp_path / "cache"
    first = _audit(_wheel(tmp_path, "1.0.0", legacy, extra), cache)
    assert first.fetch.files > 0
    assert any(w.startswith(f"{LATIN1}: not UTF-8") for w in first.warnings), first.warnings
    second = _audit(_wheel(tmp_path, "1.0.1", legacy, extra), cache)
    assert second.tensorflow == "1.0.1"
    assert second.fetch.files == 0  # every file vouched for by its CRC-32 and sizes
    assert _answer(second.symbols) == _answer(first.symbols)
    assert second.warnings == first.warnings  # the same files, the same warnings


def test_a_same_size_change_is_seen_by_its_crc(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _audit(_wheel(tmp_path, "1.0.0"), cache)
    edited = LAYERS.replace("scale=1.0)", "scale=3.0)")
    assert len(edited) == len(LAYERS)
    ctx = pipeline.open_context(cache_dir=cache)
    tree = open_tree(_wheel(tmp_path, "1.0.1", {"tensorflow/layers.py": edited}), None, ctx=ctx)
    assert stored(tree, SPECS, Dims(), pipeline.analysis_cache_dir(ctx)) is None
    second = _audit(_wheel(tmp_path, "1.0.2", {"tensorflow/layers.py": edited}), cache)
    assert second.fetch.files > 0
    assert _kernel(second.symbols).params["scale"] == 3.0
    assert _kernel(first.symbols).params["scale"] == 1.0


# -- real patch releases ------------------------------------------------------------------------
@pytest.mark.network
@pytest.mark.slow
def test_real_patch_releases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 2.0.1's files on the resolution path of the default set are 2.0.0's, byte for byte;
    # 2.0.2 changes one of them (tensorflow_core/python/keras/utils/generic_utils.py)
    shared = pipeline.audit(["2.0.0", "2.0.1", "2.0.2"], cache_dir=tmp_path / "shared", jobs=1)
    first, patch, changed = shared.versions
    assert [v.status for v in shared.versions] == ["ok"] * 3
    assert first.fetch.files > 100 and changed.fetch.files > 100  # analysed: files read
    assert patch.fetch.files == 0  # took 2.0.0's answer: not a file read
    for record in (patch, changed):  # each equals that release analysed alone, cold
        alone = pipeline.audit([record.label], cache_dir=tmp_path / record.label, jobs=1)
        assert _answer(alone.versions[0].symbols) == _answer(record.symbols)
        assert alone.versions[0].warnings == record.warnings
    assert _answer(patch.symbols) == _answer(first.symbols)
    # warm, 2.0.1 again: its wheels were found to match 2.0.0's answer, no fingerprint needed
    monkeypatch.setattr(CompositeTree, "fingerprint", None)
    again = pipeline.audit(["2.0.1"], cache_dir=tmp_path / "shared", jobs=1).versions[0]
    assert again.fetch.files == 0 and _answer(again.symbols) == _answer(patch.symbols)


@pytest.mark.network
@pytest.mark.slow
def test_an_identical_release_costs_only_its_directory(
    real_ctx: Any, index: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the real 1.8.0 files republished as 1.9.0: after 1.8.0, 1.9.0 reads no file -- it fits a
    # byte budget that holds its zip directory and nothing more
    from real_wheel import VERSION, RealSources

    real18 = RealSources.fetch(real_ctx, ["tf.nn.rnn_cell.LSTMCell"])
    index.add_file("tensorflow", *real18.wheel())
    index.add_file("tensorflow", *real18.wheel("1.9.0"))
    opts = {"symbols": ["tf.nn.rnn_cell.LSTMCell"], "index_url": index.url,
            "cache_dir": tmp_path / "c", "jobs": 1}
    (first,) = pipeline.audit([VERSION], **opts).versions
    monkeypatch.setenv("TFINIT_AUDIT_MAX_RELEASE_BYTES", str(256 * 1024 + 20_000))
    (same,) = pipeline.audit(["1.9.0"], **opts).versions
    assert same.status == "ok", same.error
    assert same.fetch.files == 0 and same.fetch.requests <= 3, same.fetch
    assert _answer(same.symbols) == _answer(first.symbols) == _answer(real18.results)


def test_a_pattern_shares_its_listing_and_sees_a_new_name(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """``tf.*`` is listed through the tree: an identical release takes the listing and the
    symbols stored; a release whose namespace exposes one more name is listed again."""
    specs = [SymbolSpec("tf.*")]
    layers = {"tensorflow/layers.py": LAYERS + "\n    def call(self, inputs):\n"
              "        return inputs\n"}  # a layer, for the listing: its class has call
    first = analyze_release(_tree("1.0.0", layers), specs, Dims(), cache_dir=tmp_path)
    assert [r.symbol for r in first.symbols] == ["tf.Dense"]
    assert [(n.pattern, [m.kept for m in n.members]) for n in first.namespaces] \
        == [("tf.*", [True])]
    assert stored(_tree("1.0.1", layers), [SymbolSpec("tf.Dense")], Dims(), tmp_path) is None
    more = _tree("1.0.2", {**layers, "tensorflow/__init__.py":
                           "from tensorflow.layers import Dense\nfrom tensorflow.layers import "
                           "Dense as Dense2\n"})
    assert stored(more, specs, Dims(), tmp_path) is None
    _refuse_analysis(monkeypatch)
    assert _answer(analyze_release(_tree("1.0.1", layers), specs, Dims(), cache_dir=tmp_path)) \
        == _answer(first)
