"""The bounds themselves, on small synthetic inputs (the end-to-end cases with the real
release are in test_sources_hostile.py): member checks before a fetch, the capped inflate,
names that would leave a directory, the per-release byte budget, and the variables."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import pytest

from tfinit_audit.errors import UsageError
from tfinit_audit.sources import limits
from tfinit_audit.sources.http import Counter, OverBound
from tfinit_audit.sources.index import parse_json_page, safe_filename
from tfinit_audit.sources.pypi import is_safe_path, member_to_path
from tfinit_audit.sources.wheel import Member, check_member, decode_member

MiB = 1024 * 1024


def _deflated_member(data: bytes, declared: int) -> tuple[Member, bytes]:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = comp.compress(data) + comp.flush()
    name = b"a.py"
    header = b"PK\x03\x04" + bytes(22) + len(name).to_bytes(2, "little") + bytes(2) + name
    m = Member("a.py", 0, len(payload), declared, zlib.crc32(data), 8,
               len(header) + len(payload))
    return m, header + payload


def test_inflate_stops_one_byte_past_the_declared_size() -> None:
    m, raw = _deflated_member(bytes(64 * MiB), declared=1000)  # a bomb that lies
    with pytest.raises(OverBound, match=r"member a\.py inflates beyond its declared 1000 bytes"):
        decode_member(m, raw, "w.whl")
    ok, raw = _deflated_member(b"x = 1\n" * 100, declared=600)
    assert decode_member(ok, raw, "w.whl") == b"x = 1\n" * 100


def test_member_checks_before_any_fetch() -> None:
    big = Member("big.py", 0, 10, 17 * MiB, 0, 8, 100)
    with pytest.raises(OverBound, match=r"big\.py inflates to 17,825,792 bytes, over the 16 MiB"):
        check_member(big, "w.whl")
    far = Member("far.py", 0, 10, 10, 0, 8, 10 * MiB)
    with pytest.raises(OverBound, match="spans 10,485,760 bytes of the archive for 10 bytes"):
        check_member(far, "w.whl")
    check_member(Member("ok.py", 0, 10, 100, 0, 8, 100), "w.whl")


def test_names_that_would_leave_a_directory() -> None:
    for bad in ("../x.py", "a/../../x.py", "/etc/passwd", "a\\..\\x", "./a.py", "a//b.py"):
        assert not is_safe_path(bad) and member_to_path(bad) is None, bad
    assert member_to_path("tensorflow-1.8.0.data/purelib/tensorflow/x.py") == "tensorflow/x.py"
    assert not safe_filename("../../x-1.0-py3-none-any.whl") and safe_filename("x-1.0.whl")
    page = {"files": [{"filename": "../evil-1.0-py3-none-any.whl", "url": "http://h/e"},
                      {"filename": "tensorflow-1.0-py3-none-any.whl", "url": "http://h/t"}]}
    assert [f.filename for f in parse_json_page(page, "http://h/")] == [
        "tensorflow-1.0-py3-none-any.whl"]


def test_release_byte_budget() -> None:
    c = Counter(budget=1000, what="tensorflow 9.9.9")
    c.spend(600)
    with pytest.raises(OverBound, match=r"tensorflow 9\.9\.9 needs more than 1000 bytes"):
        c.spend(500)


def test_bound_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFINIT_AUDIT_MAX_MEMBER", "1048576")
    assert limits.MEMBER.value == MiB and limits.MEMBER.text() == "1 MiB"
    for bad in ("abc", "0", "-5", "inf"):
        monkeypatch.setenv("TFINIT_AUDIT_MAX_MEMBER", bad)
        with pytest.raises(UsageError, match="a bound must be a number > 0"):
            limits.check_environment()
    monkeypatch.delenv("TFINIT_AUDIT_MAX_MEMBER")
    res = subprocess.run([sys.executable, "-m", "tfinit_audit", "fetch", "--versions", "1.8"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "TFINIT_AUDIT_READ_DEADLINE": "soon"})
    assert res.returncode == 2
    assert res.stderr.splitlines() == [
        "tfinit-audit: error: TFINIT_AUDIT_READ_DEADLINE='soon': a bound must be a number > 0"]
    helptext = subprocess.run([sys.executable, "-m", "tfinit_audit", "--help"],
                              capture_output=True, text=True, timeout=60).stdout
    assert all(b.env in helptext for b in limits.ALL)
