"""``tfinit-audit scan`` as a user runs it: text grouped by file, --check, --format json valid
against docs/scan.schema.json, --pin --diff (writes nothing), --pin (writes; a second run finds
nothing), --out (HTML with "Your code" linked to the provenance), and bad input in one line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from tfinit_audit.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "scan.schema.json").read_text())
PROJECT = Path(__file__).parent / "fixtures" / "project"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(PROJECT, tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


def one_line_error(code: int, err: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["scan", str(tmp_path / "nope"), "--from", "1.15", "--to", "2.15"],
                       capsys)
    one_line_error(code, err)
    assert "no such file or directory" in err
    code, _, err = run(["scan", str(tmp_path), "--from", "1.15", "--to", "2.15", "--diff"],
                       capsys)
    one_line_error(code, err)
    assert "--pin" in err
    code, _, err = run(["scan", str(tmp_path), "--from", "1.15"], capsys)
    one_line_error(code, err)
    code, _, err = run(["scan", str(tmp_path), "--from", "1.15", "--to", "2.15",
                        "--format", "xml"], capsys)
    one_line_error(code, err)
    code, _, err = run(["scan", str(tmp_path), "--from", "1.15", "--to", "2.15",
                        "--source", f"dir:{tmp_path}"], capsys)
    one_line_error(code, err)
    assert "compares two releases" in err


@pytest.mark.network
def test_text_check_json_pin_and_report(project: Path, real_cache: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    base = ["scan", "model", "--from", "1.15", "--to", "2.15", "--cache-dir", str(real_cache)]
    code, _, err = run([*base, "--pin", "2.0"], capsys)
    one_line_error(code, err)
    assert "--pin 2.0: must name the --from or --to release" in err
    code, _, err = run(["scan", "model", "--from", "1.99", "--to", "2.15", "--cache-dir",
                        str(real_cache)], capsys)
    one_line_error(code, err)
    code, out, err = run([*base, "--check"], capsys)
    assert code == 1
    assert "model/broken.py: skipped: syntax error at line 3" in err
    assert "Traceback" not in err
    lines = out.splitlines()
    assert lines[0] == "TensorFlow 1.15.5 → 2.15.1"
    assert lines.index("model/decoder.py") < lines.index("model/encoder.py")  # by file
    assert any(re.match(r"\s+9:20\s+tf\.keras\.layers\.GRU\(units,", ln) for ln in lines)
    assert any("pin reset_after=False" in ln for ln in lines)
    assert lines[-1].startswith("2 files, ") and "1 file skipped" in lines[-1]

    code, out, _ = run([*base, "--format", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    symbols = sorted(s["symbol"] for s in doc["call_sites"])
    assert symbols == ["tf.keras.layers.Dense", "tf.keras.layers.Embedding",
                       "tf.keras.layers.GRU", "tf.keras.layers.LSTMCell",
                       "tf.keras.layers.Layer", "tf.keras.layers.RNN"]
    gru = next(s for s in doc["call_sites"] if s["symbol"] == "tf.keras.layers.GRU")
    assert (gru["path"], gru["line"], gru["column"]) == ("model/encoder.py", 9, 20)
    assert {c["subject"] for c in gru["changes"]} == {"bias", "reset_after",
                                                      "recurrent_activation"}
    assert gru["unavailable_in"] == []
    assert doc["skipped"] == [{"path": "model/broken.py",
                               "reason": doc["skipped"][0]["reason"]}]

    before = (project / "model" / "encoder.py").read_bytes()
    code, out, _ = run([*base, "--pin", "1.15", "--diff"], capsys)
    assert code == 0
    assert "+++ b/model/encoder.py" in out and "+            reset_after=False," in out
    assert (project / "model" / "encoder.py").read_bytes() == before  # --diff writes nothing

    code, out, _ = run([*base, "--pin", "1.15"], capsys)
    assert code == 0 and "pinned 1 call(s) in model/encoder.py" in out
    after = (project / "model" / "encoder.py").read_text()
    assert "            return_sequences=True,  # keep every step\n" \
           "            reset_after=False,\n" in after
    code, out, err = run([*base, "--check", "--out", "site"], capsys)
    assert code == 0, out + err
    html = (project / "site" / "index.html").read_text()
    assert 'id="yourcode"' in html and "model/encoder.py" in html
    for anchor in set(re.findall(r'href="#([^"]+--v[01])"', html)):
        assert f'id="{anchor}"' in html  # each call links to its release's provenance
    jsonschema.validate(json.loads((project / "site" / "scan.json").read_text()), SCHEMA)


@pytest.mark.network
def test_pre_commit_hook_runs_check_on_the_files_it_is_given(
        real_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "tfinit-audit-scan" and set(hook["types_or"]) == {"python", "jupyter"}
    prog, *entry = hook["entry"].split()
    assert prog == "tfinit-audit"
    gru = tmp_path / "gru.py"
    gru.write_text("import tensorflow as tf\n\ngru = tf.keras.layers.GRU(8)\n")
    args = ["--from", "1.15", "--to", "2.15", "--cache-dir", str(real_cache)]
    code, _, err = run([*entry, *args, str(gru)], capsys)  # pre-commit appends the files
    assert code == 1 and "1 call(s) rely on defaults that change" in err
    gru.write_text("import tensorflow as tf\n\n"
                   "gru = tf.keras.layers.GRU(8)  # tfinit-audit: ignore\n")
    code, out, _ = run([*entry, *args, str(gru)], capsys)
    assert code == 0 and "1 ignored" in out


def test_scan_help_gives_every_option_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from tfinit_audit.cli.parser import build_parser

    code, out, _ = run(["scan", "--help"], capsys)
    assert code == 0 and "--pin" in out and "--check" in out and "tfinit-audit: ignore" in out
    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    scan = subs.choices["scan"]
    for action in scan._actions:
        if action.help and action.dest != "help":
            assert "Example" in action.help, action.dest
