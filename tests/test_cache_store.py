"""The cache's storage: entries compressed (wheel members exactly as fetched), checked by size and
CRC-32 when read (a damaged one is dropped), entries of the first format still read; ``prune``
by age and size, least recently used first, never the locks or a running download; the sizes
and ages the CLI takes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from conftest import fast_http
from httpserver import FakeIndex

from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.cache import (
    _MAGIC_V1,
    Cache,
    expand_kinds,
    parse_age,
    parse_size,
)

DAY = 86400.0


def _blob(cache: Cache, ns: str, ident: str, name: str) -> Path:
    return cache._blob_path(ns, ident, name)


def test_entries_are_compressed_and_read_back(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    text = b"import os\n" + b"x = 1  # a line of Python\n" * 2000
    cache.put("wheel", "sha", "big.py", text)
    cache.put("wheel", "sha", "small.py", b"y = 2\n")
    assert cache.get("wheel", "sha", "big.py") == text
    assert cache.get("wheel", "sha", "small.py") == b"y = 2\n"
    assert _blob(cache, "wheel", "sha", "big.py").stat().st_size < len(text) // 10
    # a payload given as a raw deflate stream is stored as it is and inflates on read
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = c.compress(text) + c.flush()
    cache.put_deflated("wheel", "sha", "as-fetched.py", stream, len(text), zlib.crc32(text))
    raw = _blob(cache, "wheel", "sha", "as-fetched.py").read_bytes()
    assert raw.endswith(stream) and len(raw) < len(stream) + 80
    assert cache.get("wheel", "sha", "as-fetched.py") == text


def test_damaged_entries_are_dropped(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    text = b"z = 3\n" * 500
    for name, damage in (("flip.py", lambda b: b[:-5] + bytes([b[-5] ^ 1]) + b[-4:]),
                         ("cut.py", lambda b: b[:-20]),
                         ("header.py", lambda b: b.replace(b" ", b"  ", 1)),
                         ("junk.py", lambda b: b"not an entry at all")):
        cache.put("wheel", "sha", name, text)
        path = _blob(cache, "wheel", "sha", name)
        path.write_bytes(damage(path.read_bytes()))
        assert cache.get("wheel", "sha", name) is None, name
        assert not path.exists(), name  # removed, so the next run fetches it again
    # a stream that inflates past the size its header says is refused, not inflated on
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = bomb.compress(bytes(10_000_000)) + bomb.flush()
    cache.put_deflated("wheel", "sha", "bomb.py", data, 100, zlib.crc32(bytes(100)))
    assert cache.get("wheel", "sha", "bomb.py") is None


def test_entries_of_the_first_format_are_still_read(tmp_path: Path) -> None:
    import hashlib

    cache = Cache(tmp_path)
    path = _blob(cache, "wheel", "sha", "old.py")
    path.parent.mkdir(parents=True)
    payload = b"OLD = True\n"
    path.write_bytes(_MAGIC_V1 + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    assert cache.get("wheel", "sha", "old.py") == payload
    path.write_bytes(_MAGIC_V1 + b"0" * 64 + b"\n" + payload)
    assert cache.get("wheel", "sha", "old.py") is None


def test_members_are_cached_as_fetched(index: FakeIndex, tmp_path: Path) -> None:
    """The entry of a wheel member holds the member's own deflate stream from the wheel."""
    source = "def f():\n    return 1\n" * 3000
    pub = index.add("tensorflow", "1.8.0", {"tensorflow/__init__.py": "",
                                            "tensorflow/big.py": source})
    ctx = SourceContext.create(cache_dir=tmp_path / "c", index_url=index.url, http=fast_http())
    tree = open_tree("pypi", "1.8.0", ctx=ctx)
    assert tree.read_text("tensorflow/big.py") == source
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(pub.data)) as zf:
        info = zf.getinfo("tensorflow/big.py")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        stream = pub.data[start : start + info.compress_size]
    raw = _blob(ctx.cache, "wheel", pub.sha256, "tensorflow/big.py").read_bytes()
    assert raw.split(b"\n", 1)[1] == stream
    again = open_tree("pypi", "1.8.0", ctx=SourceContext.create(
        cache_dir=tmp_path / "c", index_url=index.url, offline=True))
    assert again.read_text("tensorflow/big.py") == source


def _aged(cache: Cache, ns: str, name: str, size: int, age_days: float) -> Path:
    cache.put(ns, "id", name, os.urandom(size))  # incompressible: stored at its size
    path = _blob(cache, ns, "id", name)
    t = time.time() - age_days * DAY
    os.utime(path, (t, t))
    return path


def test_prune_by_age_and_size_least_recently_used_first(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    old = _aged(cache, "wheel", "old", 10_000, 40)
    mid = _aged(cache, "index", "mid", 10_000, 20)
    new = _aged(cache, "zipdir", "new", 10_000, 1)
    summary = tmp_path / "analysis" / "summaries" / "ab" / "s.pkl"
    summary.parent.mkdir(parents=True)
    summary.write_bytes(os.urandom(10_000))
    t = time.time() - 30 * DAY
    os.utime(summary, (t, t))
    lock = tmp_path / "locks" / "x.lock"
    lock.parent.mkdir(parents=True)
    lock.write_bytes(b"")
    os.utime(lock, (0, 0))

    sizes = {"members": (1, old.stat().st_size), "summaries": (1, summary.stat().st_size)}
    dry = cache.prune(older_than=25 * DAY, dry_run=True)
    assert dry.removed == sizes and old.exists() and summary.exists()
    res = cache.prune(older_than=25 * DAY)
    assert res.removed == sizes
    assert not old.exists() and not summary.exists() and mid.exists() and new.exists()
    assert lock.exists()  # never pruned: a run may hold it
    assert not summary.parent.exists()  # empty fan-out directories go too
    # size: the least recently used goes first, until what is left fits
    res = cache.prune(max_size=15_000)
    assert not mid.exists() and new.exists() and res.files == 1
    assert res.kept[1] <= 15_000
    # both at once, and restricted to kinds
    _aged(cache, "wheel", "w2", 10_000, 2)
    res = cache.prune(max_size=0, what=["members"])
    assert res.files == 1 and new.exists()


def test_prune_keeps_a_young_download(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    young = cache.tempdir() / "download.whl"
    young.write_bytes(b"x" * 5000)
    old_dir = cache.tempdir()
    stale = old_dir / "download.whl"
    stale.write_bytes(b"y" * 5000)
    t = time.time() - 3 * DAY
    os.utime(stale, (t, t))
    cache.prune(max_size=0)
    assert young.exists() and not stale.exists() and not old_dir.exists()


def test_read_marks_use(tmp_path: Path) -> None:
    """Prune goes by last use: an old entry read since counts as recent (the access time)."""
    cache = Cache(tmp_path)
    path = _aged(cache, "wheel", "used", 1000, 40)
    t = time.time() - 40 * DAY
    os.utime(path, (time.time(), t))  # what reading it does on a filesystem keeping atime
    assert cache.prune(older_than=30 * DAY).files == 0


def test_sizes_ages_and_kinds() -> None:
    assert parse_size("500MB") == 500 * 1024**2
    assert parse_size("1.5G") == int(1.5 * 1024**3)
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size("800k") == 800 * 1024
    assert parse_size("123") == 123
    assert parse_age("30d") == 30 * DAY and parse_age("12h") == 12 * 3600
    assert parse_age("2w") == 14 * DAY and parse_age("90m") == 5400
    for bad in ("", "MB", "-1G", "1 parsec", "ten"):
        with pytest.raises(ValueError, match="bad size"):
            parse_size(bad)
    for bad in ("30", "1y", "d", "-2d"):
        with pytest.raises(ValueError, match="bad age"):
            parse_age(bad)
    assert expand_kinds(["files"]) == ["members", "directories", "plans"]
    assert expand_kinds(["analysis", "summaries"]) == ["summaries", "results"]
    assert "venvs" in expand_kinds(["all"]) and "venvs" not in expand_kinds(None)
    with pytest.raises(ValueError, match="wheels"):
        expand_kinds(["wheels"])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tfinit_audit", *args], capture_output=True,
                          text=True, timeout=120)


def test_prune_cli(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    old = _aged(cache, "wheel", "old", 3000, 40)
    keep = _aged(cache, "wheel", "keep", 3000, 1)
    res = _cli("cache", "prune", "--older-than", "30d", "--cache-dir", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("removed 1 entries (3,") and "members 1" in res.stdout
    assert not old.exists() and keep.exists()
    for args, msg in (([], "say what to remove: --max-size SIZE and/or --older-than AGE"),
                      (["--max-size", "lots"], "bad size 'lots'"),
                      (["--older-than", "30"], "bad age '30'"),
                      (["--max-size", "1G", "--what", "wheels"], "unknown --what 'wheels'")):
        bad = _cli("cache", "prune", *args, "--cache-dir", str(tmp_path))
        assert bad.returncode == 2, args
        lines = bad.stderr.strip().splitlines()
        assert len(lines) == 1 and msg in lines[0], bad.stderr
    dry = _cli("cache", "prune", "--max-size", "0", "--dry-run", "--cache-dir", str(tmp_path))
    assert dry.returncode == 0 and dry.stdout.startswith("would remove 1 entries")
    assert keep.exists()
    helptext = _cli("cache", "prune", "--help").stdout
    assert "--max-size SIZE" in helptext and "--older-than AGE" in helptext
