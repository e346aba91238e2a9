"""The package builds without deprecation warnings and declares its licence the PEP 639 way."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.network  # pip fetches the build backend (setuptools) from the package index
@pytest.mark.slow
def test_wheel_metadata_has_a_license_expression(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w",
                          str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    log = res.stdout + res.stderr
    assert "deprecat" not in log.lower(), [ln for ln in log.splitlines() if "eprecat" in ln][:5]
    (wheel,) = tmp_path.glob("tfinit_audit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        headers = zf.read(meta).decode().split("\n\n", 1)[0].splitlines()
    assert "License-Expression: Apache-2.0" in headers
    assert not any(h.startswith("License:") for h in headers)
