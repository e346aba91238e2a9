"""``scan`` against real releases from the package index: the use cases of issue 11
(tensorflow#47495, tensorflow#43960, nntrainer#1644), an initializer default that changed
(pinned with a spelled initializer class), Keras 3's unavailable compat.v1 names, and
idempotent pins."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from tfinit_audit import pipeline
from tfinit_audit.usercode.model import CallSite, ScanResult

pytestmark = pytest.mark.network
ISSUES = Path(__file__).parent / "fixtures" / "issues"


def run(path: Path, frm: str, to: str, cache: Path, **kw) -> ScanResult:  # type: ignore[no-untyped-def]
    return pipeline.scan([path], from_version=frm, to_version=to, cache_dir=cache, **kw)


def site(result: ScanResult, symbol: str) -> CallSite:
    (s,) = [s for s in result.sites if s.call.symbol == symbol]
    return s


def changes(s: CallSite) -> dict[str, tuple[str, str, str | None]]:
    return {c.subject: (c.before, c.after, f"{c.pin.param}={c.pin.code}" if c.pin else None)
            for c in s.changes}


def params(result: ScanResult, s: CallSite, i: int) -> int:
    """Number of parameters the analysis of the call gives in release ``i``."""
    row = s.releases[i].row
    rec = result.report.versions[i]
    (sym,) = [x for x in rec.symbols if (x.twin or x.symbol) == row]
    return sum(math.prod(w.shape) for w in sym.weights)


def test_tf47495_lstm_recurrent_activation(real_cache: Path) -> None:
    result = run(ISSUES / "tf47495_lstm.py", "1.15", "2.15", real_cache)
    lstm = site(result, "tf.keras.layers.LSTM")
    assert changes(lstm) == {"recurrent_activation": (
        "'hard_sigmoid'", "'sigmoid'", 'recurrent_activation="hard_sigmoid"')}
    assert lstm.changes[0].pin.verified == "analysis"
    assert site(result, "tf.keras.layers.Dense").changes == []
    assert [s.call.symbol for s in result.relying] == ["tf.keras.layers.LSTM"]


def test_tf43960_gru_parameter_count_and_reset_after(real_cache: Path) -> None:
    result = run(ISSUES / "tf43960_gru.py", "1.15", "2.15", real_cache)
    gru = site(result, "tf.keras.layers.GRU")
    assert gru.call.written == "GRU" and gru.call.args[0].value == 64
    got = changes(gru)
    assert got["bias"] == ("[192]", "[2, 192]", "reset_after=False")
    assert got["reset_after"] == ("False", "True", "reset_after=False")
    assert got["recurrent_activation"][2] == 'recurrent_activation="hard_sigmoid"'
    # the issue's symptom: the parameter count differs by one bias row
    assert params(result, gru, 1) - params(result, gru, 0) == 192


def test_nntrainer1644_reset_after_false_is_the_users_choice(real_cache: Path) -> None:
    result = run(ISSUES / "nntrainer1644_gru.py", "1.15", "2.15", real_cache)
    gru = site(result, "tf.keras.layers.GRU")
    assert "reset_after" in gru.set_by_user
    assert set(changes(gru)) == {"recurrent_activation"}  # no bias shape, no reset_after
    assert params(result, gru, 0) == params(result, gru, 1)


def test_pin_then_rescan_finds_nothing_and_a_second_pin_changes_nothing(
        real_cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "gru.py"
    shutil.copy(ISSUES / "tf43960_gru.py", path)
    first = run(path, "1.15", "2.15", real_cache, pin="1.15", write=True)
    assert [p.pinned for p in first.pinned] == [1]
    text = path.read_text()
    assert 'GRU(64, return_sequences=True, reset_after=False, ' \
           'recurrent_activation="hard_sigmoid")' in text
    again = run(path, "1.15", "2.15", real_cache, pin="1.15", write=True)
    assert again.relying == [] and again.pinned == []
    assert path.read_text() == text


def test_initializer_default_pinned_with_a_spelled_class(real_cache: Path) -> None:
    result = run(ISSUES / "embedding_18.py", "1.8", "1.15", real_cache, pin="1.8")
    emb, mine = [s for s in result.sites if s.call.symbol == "tf.keras.layers.Embedding"]
    (ch,) = emb.changes
    assert (ch.kind, ch.subject, ch.param) == ("initializer", "embeddings",
                                               "embeddings_initializer")
    assert ch.pin is not None and ch.pin.verified == "signature"
    assert ch.pin.code == "tf.keras.initializers.RandomUniform(minval=0, maxval=1)"
    assert mine.changes == [] and "embeddings_initializer" in mine.set_by_user
    (pinned,) = result.pinned
    assert not pinned.written and "+emb = tf.keras.layers.Embedding(1000, 64, " \
        "embeddings_initializer=tf.keras.initializers.RandomUniform(minval=0, maxval=1))" \
        in pinned.diff


def test_pin_in_the_other_direction_keeps_the_newer_behaviour(real_cache: Path) -> None:
    result = run(ISSUES / "tf43960_gru.py", "1.15", "2.15", real_cache, pin="2.15")
    gru = site(result, "tf.keras.layers.GRU")
    assert changes(gru)["reset_after"][2] == "reset_after=True"
    assert changes(gru)["recurrent_activation"][2] == 'recurrent_activation="sigmoid"'
    assert result.pin_release == "2.15.1"


def test_keras3_makes_compat_v1_cells_unavailable_with_the_release_message(
        real_cache: Path) -> None:
    result = run(ISSUES / "keras3_cells.py", "2.15", "2.21", real_cache)
    cell = site(result, "tf.compat.v1.nn.rnn_cell.LSTMCell")
    dense = site(result, "tf.compat.v1.layers.dense")
    assert cell.unavailable_in == ["2.21.0"] and dense.unavailable_in == ["2.21.0"]
    view = cell.releases[1]
    assert view.name_status == "unavailable"
    assert "not available with Keras 3" in (view.name_message or "")
    assert dense.kind == "layer_function"
    assert dense.releases[0].analysed_as == "tf.compat.v1.layers.Dense[units=4]"
