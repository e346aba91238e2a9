"""Read single members of a remote wheel with HTTP Range requests (full download as fallback).

Why not download the wheel: a TensorFlow wheel is 50-600 MB while the audit reads a few hundred
KB of Python source. The zip central directory is read once with ``remotezip`` (explicit byte
ranges only: the public file host answers suffix ranges with 501) and stored in the cache as a
compact member table, so later runs need no request at all for it. Each member is then one
explicit range request, from its local header to the next member, checked against the CRC the
directory records. The per-member path is plain ``zlib`` so members of one wheel can be fetched
concurrently over the shared keep-alive session, which a single ``ZipFile`` object cannot do.
"""

from __future__ import annotations

import array
import contextlib
import functools
import io
import re
import shutil
import struct
import threading
import weakref
import zipfile
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from tfinit_audit.errors import FetchError
from tfinit_audit.sources import limits
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.download import download_whole
from tfinit_audit.sources.http import Counter, Http, OverBound, RangeNotHonoured
from tfinit_audit.sources.index import IndexFile
from tfinit_audit.sources.spans import Spans

PLACEHOLDER_MAX = 64 * 1024  # wheels below this carry no sources (2 KB stubs that only depend)
TAIL_BYTES = 256 * 1024  # first read at the end of the wheel: end record + small directories
COALESCE_GAP = 32 * 1024  # members closer than this are fetched in one range request
COALESCE_SPAN = 4 * 1024 * 1024
DEFAULT_MAX_DOWNLOAD = int(limits.DOWNLOAD.value)
MEMBER_SLACK = 64 * 1024  # local header, name, extra field and data descriptor of one member
FETCH_WORKERS = 4  # per wheel: one release must not take every connection of the pool

ProgressFn = Callable[[str, int, int | None], None]  # (what, bytes done, total or None)


# --------------------------------------------------------------------------------------------
# Choosing the wheel
# --------------------------------------------------------------------------------------------
def is_placeholder(f: IndexFile) -> bool:
    return f.size is not None and f.size < PLACEHOLDER_MAX


def _rank(f: IndexFile) -> tuple[Any, ...]:
    try:
        _, _, _, tags = parse_wheel_filename(f.filename)
    except InvalidWheelFilename:
        return (0, 0, 0, 0, 0, f.filename)
    plats = {t.platform for t in tags}
    interps = {t.interpreter for t in tags}
    linux64 = any(re.match(r"(many)?linux.*_x86_64$", p) for p in plats)
    anyplat = "any" in plats
    cp = [int(i[3:]) for i in interps if re.match(r"cp3\d+$", i)]
    py3 = any(i.startswith("py3") for i in interps)
    return (
        0 if f.yanked else 1,
        1 if (linux64 or anyplat) else 0,
        1 if (cp or py3) else 0,
        max(cp) if cp else 0,
        f.size or 0,
        f.filename,
    )


def choose_wheel(
    files: Iterable[IndexFile], *, size_of: Callable[[IndexFile], int | None] | None = None
) -> IndexFile:
    """The wheel that carries the release's Python sources, chosen deterministically.

    Skips placeholder wheels by size; prefers a linux x86_64 CPython 3 wheel (then the highest
    CPython, then size, then name). ``size_of`` is asked for sizes the index did not give.
    """
    wheels = [f for f in files if f.is_wheel]
    if not wheels:
        raise FetchError("the release has no wheel on the index")
    if size_of is not None:
        for f in sorted(wheels, key=_rank, reverse=True):
            if f.size is None:
                f.size = size_of(f)
            if not is_placeholder(f):
                break
    real = [f for f in wheels if not is_placeholder(f)]
    if not real:
        names = ", ".join(f.filename for f in wheels[:3])
        raise FetchError(f"every wheel of the release is a placeholder without sources ({names})")
    return max(real, key=_rank)


# --------------------------------------------------------------------------------------------
# Member table (the central directory, reduced to what reading a member needs)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    name: str
    offset: int  # local header offset
    csize: int
    size: int
    crc: int
    method: int
    end: int  # first byte after this member's stretch (next header or the directory)


def _members_from_infos(infos: list[zipfile.ZipInfo], cd_start: int) -> dict[str, Member]:
    offsets = sorted({i.header_offset for i in infos}) + [cd_start]
    nxt = {a: b for a, b in zip(offsets, offsets[1:], strict=False)}
    out = {}
    for i in infos:
        if i.is_dir():
            continue
        out[i.filename] = Member(
            i.filename, i.header_offset, i.compress_size, i.file_size, i.CRC, i.compress_type,
            nxt.get(i.header_offset, cd_start),
        )
    return out


# Zip local file header (APPNOTE 4.3.7): signature ... file name length, extra field length.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record (4.3.16)
_CDH = struct.Struct("<4s6H3L5H2L")  # central directory file header (4.3.12), 46 bytes


class _Unusual(Exception):
    """An archive feature the fast directory parser leaves to zipfile."""


class MemberTable:
    """Member name -> Member, stored compactly (a 25k-member wheel loads in a few ms)."""

    MAGIC = b"TFAZIP1\n"

    def __init__(self, names: list[str], nums: array.array[int]) -> None:
        self.names = names
        self.nums = nums
        self.pos = {n: i for i, n in enumerate(names)}

    @classmethod
    def from_members(cls, members: dict[str, Member]) -> MemberTable:
        nums: array.array[int] = array.array("q")
        for m in members.values():
            nums.extend((m.offset, m.csize, m.size, m.crc, m.method, m.end))
        return cls(list(members), nums)

    def get(self, name: str) -> Member | None:
        i = self.pos.get(name)
        if i is None:
            return None
        return Member(name, *self.nums[i * 6 : i * 6 + 6])

    def to_bytes(self) -> bytes:
        names = "\n".join(self.names).encode("utf-8")
        return self.MAGIC + struct.pack("<Q", len(self.names)) + self.nums.tobytes() + names

    @classmethod
    def from_bytes(cls, data: bytes) -> MemberTable | None:
        if not data.startswith(cls.MAGIC):
            return None
        off = len(cls.MAGIC)
        (n,) = struct.unpack_from("<Q", data, off)
        off += 8
        nums: array.array[int] = array.array("q")
        nums.frombytes(data[off : off + n * 48])
        names = data[off + n * 48 :].decode("utf-8").split("\n") if n else []
        if len(names) != n or len(nums) != n * 6:
            return None
        return cls(names, nums)


def parse_directory(cd: bytes, count: int, cd_off: int) -> MemberTable:
    """The member table of a plain central directory ``cd`` (``count`` records, at archive
    offset ``cd_off``), parsed with ``struct``; _Unusual for anything else (zipfile reads it)."""
    raw_names: list[bytes] = []
    nums: list[int] = []  # offset, csize, size, crc, method per member; end added below
    utf8 = []
    pos = 0
    unpack = _CDH.unpack_from
    for _ in range(count):
        (sig, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, _, _, _,
         off) = unpack(cd, pos)
        if sig != b"PK\x01\x02" or 0xFFFFFFFF in (csize, usize, off):
            raise _Unusual("zip64 entry or bad directory record")
        raw_names.append(cd[pos + 46 : pos + 46 + nlen])
        utf8.append(flags & 0x800)
        nums += (off, csize, usize, crc, method)
        pos += 46 + nlen + xlen + clen
    if pos != len(cd):
        raise _Unusual("directory size does not match its records")
    joined = b"\n".join(raw_names)
    if joined.isascii():  # one decode for all names (ASCII reads the same in both codecs)
        names = joined.decode("ascii").split("\n") if raw_names else []
    else:
        names = [r.decode("utf-8" if u else "cp437") for r, u in zip(raw_names, utf8,
                                                                      strict=True)]
    offsets = sorted(set(nums[0::5])) + [cd_off]
    nxt = dict(zip(offsets, offsets[1:], strict=False))
    keep_names: list[str] = []
    table: array.array[int] = array.array("q")
    for i, name in enumerate(names):
        if name.endswith("/"):
            continue
        row = nums[i * 5 : i * 5 + 5]
        keep_names.append(name)
        table.extend(row)
        table.append(nxt.get(row[0], cd_off))
    return MemberTable(keep_names, table)


def member_data(m: Member, raw: bytes, where: str) -> bytes:
    """The stored data of ``m`` (its deflate stream, as in the wheel) from the bytes starting
    at its local header."""
    if len(raw) < _LOCAL_HEADER.size:
        raise CorruptMember(f"{m.name} in {where}: short local header")
    fields = _LOCAL_HEADER.unpack_from(raw)
    if fields[0] != b"PK\x03\x04":
        raise CorruptMember(f"{m.name} in {where}: bad local header signature")
    start = _LOCAL_HEADER.size + fields[10] + fields[11]  # + file name + extra field lengths
    data = raw[start : start + m.csize]
    if len(data) != m.csize:
        raise CorruptMember(f"{m.name} in {where}: member data cut short")
    return data


def inflate_member(m: Member, data: bytes, where: str) -> bytes:
    """Payload of ``m`` from its stored data; checks size and CRC."""
    if m.method == zipfile.ZIP_STORED:
        out = data
    elif m.method == zipfile.ZIP_DEFLATED:
        # streamed inflate that stops one byte past the declared size (itself within the member
        # bound): a member that inflates further (a zip bomb with a false size) never fills memory
        try:
            d = zlib.decompressobj(-15)
            out = d.decompress(data, m.size + 1)
            if len(out) <= m.size and not d.unconsumed_tail:
                out += d.flush(m.size + 1 - len(out))
        except zlib.error as exc:
            raise CorruptMember(f"{m.name} in {where}: cannot inflate ({exc})") from exc
        if len(out) > m.size or d.unconsumed_tail:
            raise OverBound(f"{where}: member {m.name} inflates beyond its declared "
                            f"{m.size} bytes (a zip bomb?)")
    else:
        raise FetchError(f"{m.name} in {where}: unsupported compression method {m.method}")
    if len(out) != m.size or zlib.crc32(out) != m.crc:
        raise CorruptMember(f"{m.name} in {where}: CRC-32 mismatch")
    return out


def decode_member(m: Member, raw: bytes, where: str) -> bytes:
    """Payload of ``m`` from the bytes starting at its local header; checks size and CRC."""
    return inflate_member(m, member_data(m, raw, where), where)


def read_zip_member(zf: zipfile.ZipFile, name: str, where: str) -> bytes:
    """``zf.read(name)`` within the member bound: the declared size is checked first and the
    inflate stops one byte past it (a member whose data inflates further is refused)."""
    info = zf.getinfo(name)
    cap = int(limits.MEMBER.value)
    if info.file_size > cap or info.compress_size > cap:
        raise OverBound(f"{where}: member {name} inflates to {info.file_size:,} bytes, over the "
                        f"{limits.human(cap)} bound per file ({limits.MEMBER.env})")
    with zf.open(info) as fh:
        data = fh.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise OverBound(f"{where}: member {name} inflates beyond its declared "
                        f"{info.file_size} bytes (a zip bomb?)")
    return data


def check_member(m: Member, where: str) -> None:
    """OverBound when ``m`` declares more than ``limits.MEMBER`` bytes (inflated or compressed)
    or its stretch of the archive is longer than its data needs; checked before any byte of it
    is fetched."""
    cap = int(limits.MEMBER.value)
    for size, what in ((m.size, "inflates to"), (m.csize, "is compressed to")):
        if size > cap:
            raise OverBound(f"{where}: member {m.name} {what} {size:,} bytes, over the "
                            f"{limits.human(cap)} bound per file ({limits.MEMBER.env})")
    if m.end - m.offset > m.csize + MEMBER_SLACK + len(m.name.encode()):
        raise OverBound(f"{where}: member {m.name} spans {m.end - m.offset:,} bytes of the "
                        f"archive for {m.csize:,} bytes of data (a crafted directory?)")


def coalesce(members: list[Member], gap: int = COALESCE_GAP,
             span: int = COALESCE_SPAN) -> list[list[Member]]:
    """Group members whose stretches lie within ``gap`` bytes of each other (one request)."""
    groups: list[list[Member]] = []
    for m in sorted(members, key=lambda m: m.offset):
        if groups:
            g = groups[-1]
            if m.offset - g[-1].end <= gap and m.end - g[0].offset <= span:
                g.append(m)
                continue
        groups.append([m])
    return groups


class CorruptMember(FetchError):
    """A member's bytes do not match the CRC or size its zip directory records."""


# --------------------------------------------------------------------------------------------
# The remote wheel
# --------------------------------------------------------------------------------------------
class _Ranges:
    """Byte ranges of the wheel's file, through its session and counter (explicit ranges
    only); keeps the last range fetched (the tail)."""

    def __init__(self, url: str, wheel: RemoteWheel) -> None:
        self._url = url
        self._wheel = wheel
        self._have: tuple[int, bytes] | None = None  # the last range fetched (the tail)

    def _get(self, start: int, end: int) -> bytes:
        """Bytes start..end; reuses the bytes already fetched so a directory larger than the
        first tail read costs one request for the missing front part only. Never more than the
        directory bound at once (zipfile asks for what the end record claims)."""
        cap = int(limits.DIRECTORY.value) + TAIL_BYTES
        if end - start + 1 > cap:
            raise OverBound(f"{self._wheel.filename}: its zip directory claims "
                            f"{end - start + 1:,} bytes, over the "
                            f"{limits.human(int(limits.DIRECTORY.value))} bound "
                            f"({limits.DIRECTORY.env})")
        if self._have is not None:
            h0, hdata = self._have
            h1 = h0 + len(hdata) - 1
            if h0 <= start and end <= h1:
                return hdata[start - h0 : end - h0 + 1]
            if start < h0 <= end + 1 and end <= h1:
                front = self._wheel.http.get_range(
                    self._url, start, h0 - 1, counter=self._wheel.counter,
                    what=self._wheel.filename,
                )
                return front + hdata[: end - h0 + 1]
        return self._wheel.http.get_range(
            self._url, start, end, counter=self._wheel.counter, what=self._wheel.filename
        )



@functools.cache
def _remote_fetcher() -> type[Any]:
    """``remotezip``'s fetcher over ``_Ranges`` (remotezip, which imports ``requests``, is
    imported only when a zip directory needs it: zip64, prepended data)."""
    import remotezip

    class Fetcher(_Ranges, remotezip.RemoteFetcher):
        def __init__(self, url: str, session: Any = None, support_suffix_range: bool = False,
                     *, wheel: RemoteWheel) -> None:
            remotezip.RemoteFetcher.__init__(self, url, session, support_suffix_range=False)
            _Ranges.__init__(self, url, wheel)

        def fetch(self, data_range: tuple[int, int | None], stream: bool = False) -> Any:
            start, end = data_range
            size = self._wheel.size
            if start < 0:
                start = max(0, size + start)
            if end is None or end >= size:
                end = size - 1
            data = self._get(start, end)
            self._have = (start, data)
            return remotezip.PartialBuffer(io.BytesIO(data), start, len(data), stream=False)

    return Fetcher


def _remote_zip(wheel: RemoteWheel, fetcher: Callable[..., Any]) -> Any:
    """remotezip's reading of the wheel's zip directory; a failure is one FetchError line."""
    import remotezip

    try:
        return remotezip.RemoteZip(
            wheel.url, initial_buffer_size=TAIL_BYTES, session=wheel.http.session,
            fetcher=fetcher, support_suffix_range=False,
        )
    except remotezip.RemoteIOError as exc:
        raise FetchError(f"cannot read the zip directory of {wheel.filename}: {exc}") from exc
    except (zipfile.BadZipFile, remotezip.RemoteZipError, OSError, ValueError) as exc:
        if isinstance(exc, FetchError):
            raise
        raise FetchError(f"{wheel.filename} is not a readable zip: {exc}") from exc

class RemoteWheel:
    """One wheel on a file host; members read on demand, cached by (sha256, member name)."""

    def __init__(
        self,
        url: str,
        *,
        filename: str,
        sha256: str | None,
        size: int | None,
        http: Http,
        cache: Cache,
        offline: bool = False,
        counter: Counter | None = None,
        max_download: int = DEFAULT_MAX_DOWNLOAD,
        progress: ProgressFn | None = None,
    ) -> None:
        self.url = url
        self.filename = filename
        self.sha256 = sha256
        self._size = size
        self.http = http
        self.cache = cache
        self.offline = offline
        self.counter = counter or Counter()
        self.max_download = max_download
        self.progress = progress
        self.ident = sha256 or f"url:{url}"
        self.from_cache = 0  # member reads served from the cache
        self.dir_from_cache = False
        self.used_full_download = False
        self._members: MemberTable | None = None
        self._local: Path | None = None
        self._tail: tuple[int, bytes] | None = None  # bytes read at the end with the directory
        self._held: dict[str, tuple[Member, bytes]] = {}  # read ahead, not stored until used
        self._spans = Spans()  # fetched ahead by preload, let go of by forget
        self._lock = threading.RLock()

    @property
    def size(self) -> int:
        if self._size is None:
            self._size = self.http.head_size(self.url, counter=self.counter)
            if self._size is None:
                raise FetchError(f"cannot tell the size of {self.filename} (no Content-Length)")
        return self._size

    # -- member table -------------------------------------------------------------------------
    def members(self) -> MemberTable:
        with self._lock:
            if self._members is None:
                self._members = self._load_members()
            return self._members

    def names(self) -> list[str]:
        return self.members().names

    def _cached_table(self) -> MemberTable | None:
        data = self.cache.get("zipdir", self.ident, "members.bin")
        return MemberTable.from_bytes(data) if data is not None else None

    def _load_members(self) -> MemberTable:
        cached = self._cached_table()
        if cached is not None:
            self.dir_from_cache = True
            return cached
        if self.offline:
            raise FetchError(
                f"offline: the file list of {self.filename} is not in the cache "
                "(run once without --offline)"
            )
        with self.cache.lock("zipdir", self.ident):
            cached = self._cached_table()  # another run may have just fetched it
            if cached is not None:
                self.dir_from_cache = True
                return cached
            try:
                try:
                    table = self._read_directory_fast()
                except _Unusual:  # zip64, prepended data...: let zipfile (via remotezip) do it
                    table = MemberTable.from_members(self._read_directory_remote())
            except RangeNotHonoured:
                table = MemberTable.from_members(self._read_directory_local(self._download()))
            self.cache.put("zipdir", self.ident, "members.bin", table.to_bytes())
            return table

    def _read_directory_fast(self) -> MemberTable:
        """The common case (one disk, no zip64, nothing prepended) parsed with ``struct``:
        zipfile's pure-Python parser takes ~0.3 s for a 25k-member TensorFlow wheel, which
        is most of a cold run; anything unusual raises _Unusual and goes to zipfile."""
        fetcher = _Ranges(self.url, self)
        size = self.size
        tail_start = max(0, size - TAIL_BYTES)
        tail = fetcher._get(tail_start, size - 1)
        fetcher._have = (tail_start, tail)
        i = tail.rfind(b"PK\x05\x06")
        if i < 0 or i + _EOCD.size > len(tail) or (i >= 20 and tail[i - 20 : i - 16] ==
                                                    b"PK\x06\x07"):
            raise _Unusual("no plain end record")
        _, disk, cd_disk, _, count, cd_size, cd_off, _ = _EOCD.unpack_from(tail, i)
        if disk or cd_disk or 0xFFFF in (count,) or 0xFFFFFFFF in (cd_size, cd_off):
            raise _Unusual("zip64 or multi-disk")
        self._check_directory(cd_size, count)
        if tail_start + i != cd_off + cd_size:
            raise _Unusual("data before the archive or between directory and end record")
        cd = fetcher._get(cd_off, cd_off + cd_size - 1) if cd_size else b""
        table = parse_directory(cd, count, cd_off)
        self._tail = fetcher._have
        return table

    def _check_directory(self, cd_size: int, count: int) -> None:
        """OverBound for a directory larger than ``limits.DIRECTORY`` or with more entries than
        ``limits.MEMBERS``: checked from the end record, before the directory is fetched."""
        cap, most = int(limits.DIRECTORY.value), int(limits.MEMBERS.value)
        if cd_size > cap:
            raise OverBound(f"{self.filename}: its zip directory claims {cd_size:,} bytes, over "
                            f"the {limits.human(cap)} bound ({limits.DIRECTORY.env})")
        if count > most:
            raise OverBound(f"{self.filename}: its zip directory claims {count:,} members, over "
                            f"the bound of {most:,} ({limits.MEMBERS.env})")

    def _read_directory_remote(self) -> dict[str, Member]:
        rz_fetcher: list[_Ranges] = []

        def fetcher(url: str, session: Any = None, support_suffix_range: bool = False) -> Any:
            f = _remote_fetcher()(url, session, support_suffix_range, wheel=self)
            rz_fetcher.append(f)
            return f

        rz = _remote_zip(self, fetcher)
        try:
            self._check_directory(0, len(rz.infolist()))
            members = _members_from_infos(rz.infolist(), rz.start_dir)
        finally:
            rz.close()
        used = rz_fetcher[0] if rz_fetcher else None
        if used is not None and used._have is not None:
            self._tail = used._have  # dist-info members usually sit in it: no extra request
        return members

    # -- members ------------------------------------------------------------------------------
    def read(self, name: str) -> bytes:
        """Uncompressed bytes of member ``name`` (KeyError if the wheel has no such member)."""
        cached = self.cache.get("wheel", self.ident, name)
        if cached is not None:
            with self._lock:
                self.from_cache += 1
            return cached
        m = self.members().get(name)
        if m is None:
            raise KeyError(name)
        check_member(m, self.filename)
        if self.offline:
            raise FetchError(f"offline: {name} of {self.filename} is not in the cache")
        return self._fetch_member(m)

    def is_cached(self, name: str) -> bool:
        """True if reading ``name`` needs no request (its bytes are in the cache)."""
        return self.cache.has("wheel", self.ident, name)

    def stretch(self, name: str) -> int:
        """Bytes of the archive member ``name`` takes (local header to the next member): what
        fetching it alone costs; 0 for a name the wheel does not have."""
        m = self.members().get(name)
        return m.end - m.offset if m is not None else 0

    def plan(self, names: Iterable[str], gap: int = COALESCE_GAP,
             span: int = COALESCE_SPAN) -> list[tuple[list[str], int]]:
        """How ``names`` would be fetched: groups of members that share one range request,
        each with the bytes that request costs (in archive order); unknown names are left out."""
        ms = [m for m in (self.members().get(n) for n in dict.fromkeys(names)) if m is not None]
        return [([m.name for m in g], g[-1].end - g[0].offset) for g in coalesce(ms, gap, span)]

    def preload(self, names: Iterable[str], gap: int, span: int,
                cap: int) -> list[Callable[[], None]]:
        """Plan fetching the members ``names`` ahead of their reads, in range
        requests of members within ``gap`` bytes of each other (up to ``span`` bytes each):
        one callable per request, which fetches it. The bytes are kept as fetched until
        ``forget``: a member read meanwhile is inflated, checked and cached from them (a read
        of a member whose request has started waits for it; one not started yet is fetched on
        its own). Nothing is planned when the requests would take more than ``cap`` bytes or a
        quarter of what is left of the release's byte budget, or when the cache holds any of the
        members already: an earlier run read them (what it read is likely what this one reads).
        Members over the bounds of one file are left out (their reads fail as before)."""
        todo: list[Member] = []
        for m in (self.members().get(n) for n in dict.fromkeys(names)):
            if m is None:
                continue
            if self.is_cached(m.name):
                return []
            with contextlib.suppress(OverBound):
                check_member(m, self.filename)
                todo.append(m)
        budget = self.counter.budget
        if budget is not None:
            cap = min(cap, (budget - self.counter.asked) // 4)
        groups = coalesce(todo, gap, span)
        if not groups or sum(g[-1].end - g[0].offset for g in groups) > cap:
            return []
        return self._spans.add([(g[0].offset, g[-1].end) for g in groups], len(todo),
                               lambda a, b: self.http.get_range(
                                   self.url, a, b - 1, counter=self.counter, what=self.filename))

    @property
    def preloaded(self) -> list[int]:
        """Preloaded members, bytes of their requests, members then read, their bytes."""
        return self._spans.counts

    def read_many(self, names: Iterable[str], gap: int = COALESCE_GAP,
                  span: int = COALESCE_SPAN, *, store: bool = True) -> dict[str, bytes]:
        """Several members at once: cached ones from disk, the rest in coalesced range
        requests (members within ``gap`` bytes of each other share one request, up to ``span``
        bytes), concurrently. With ``store=False`` (reading ahead) what was fetched is kept
        back and stored in the cache only when ``commit`` says it was used."""
        names = list(dict.fromkeys(names))
        out: dict[str, bytes] = {}
        todo: list[Member] = []
        for n in names:
            cached = self.cache.get("wheel", self.ident, n)
            if cached is not None:
                with self._lock:
                    self.from_cache += 1
                out[n] = cached
                continue
            m = self.members().get(n)
            if m is None:
                raise KeyError(n)
            check_member(m, self.filename)
            if self.offline:
                raise FetchError(f"offline: {n} of {self.filename} is not in the cache")
            todo.append(m)
        groups = coalesce(todo, gap, span)
        if len(groups) == 1:
            out.update(self._fetch_group(groups[0], store))
        elif groups:
            with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(groups))) as pool:
                for got in pool.map(lambda g: self._fetch_group(g, store), groups):
                    out.update(got)
        return {n: out[n] for n in names}

    def commit(self, name: str) -> None:
        """Store member ``name``, fetched by ``read_many(store=False)``, in the cache."""
        with self._lock:
            held = self._held.pop(name, None)
        if held is not None:
            self._store(*held)

    def forget(self) -> None:
        """Let go of what ``read_many(store=False)`` fetched and nobody committed, and of what
        ``preload`` fetched (or would fetch)."""
        with self._lock:
            self._held.clear()
        self._spans.clear()

    def trim(self) -> None:
        """Let go of what can be had again: the member table once the cache holds it (loaded
        from there on demand, a few ms) and the bytes read with the directory. For a process
        that holds many wheels open and reads no member of them (one handing the analyses to
        workers): ~2 MB a TensorFlow wheel."""
        with self._lock:
            if self._members is not None and self.cache.has("zipdir", self.ident,
                                                            "members.bin"):
                self._members = None
            self._tail = None

    def _fetch_group(self, group: list[Member], store: bool = True) -> dict[str, bytes]:
        """The members of ``group`` (close together in the archive) in one range request; a
        member whose bytes do not check out is fetched again on its own. Each is cached (or
        held for ``commit``)."""
        out: dict[str, bytes] = {}
        for m in group:
            hit = self._from_tail(m, store)
            if hit is not None:
                out[m.name] = hit
        group_left = [m for m in group if m.name not in out]
        if len(group_left) > 1 and self._local is None:
            base, stop = group_left[0].offset, group_left[-1].end
            try:
                raw = self.http.get_range(
                    self.url, base, stop - 1, counter=self.counter, what=self.filename
                )
            except RangeNotHonoured:
                self._download()
                raw = b""
            for m in group_left if raw else []:
                with contextlib.suppress(CorruptMember):  # else fetched again on its own below
                    out[m.name] = self._take(m, raw[m.offset - base : m.end - base], store)
        for m in group_left:
            if m.name not in out:
                out[m.name] = self._fetch_member(m, store)
        return out

    def _take(self, m: Member, raw: bytes, store: bool = True) -> bytes:
        """Payload of ``m`` from the bytes at its local header (checked), stored in the cache
        as fetched: its deflate stream, not inflated and compressed again (or held back until
        ``commit``)."""
        data = member_data(m, raw, self.filename)
        out = inflate_member(m, data, self.filename)
        if m.method != zipfile.ZIP_DEFLATED:
            data = out
        if store:
            self._store(m, data)
        else:
            with self._lock:
                self._held[m.name] = (m, data)
        return out

    def _store(self, m: Member, data: bytes) -> None:
        if m.method == zipfile.ZIP_DEFLATED:
            self.cache.put_deflated("wheel", self.ident, m.name, data, m.size, m.crc)
        else:
            self.cache.put("wheel", self.ident, m.name, data)

    def _from_tail(self, m: Member, store: bool = True) -> bytes | None:
        """``m`` from bytes already fetched: those read with the directory, or a preloaded span
        (waiting for it when its request has started); None when neither holds it."""
        raw = self._spans.raw(m.offset, m.end, limits.DEADLINE.value)
        if raw is not None:
            with contextlib.suppress(CorruptMember):
                out = self._take(m, raw, store)
                self._spans.served(m.end - m.offset)
                return out
        if self._tail is None:
            return None
        t0, tdata = self._tail
        if t0 <= m.offset and m.end <= t0 + len(tdata):
            try:
                return self._take(m, tdata[m.offset - t0 : m.end - t0], store)
            except CorruptMember:
                return None
        return None

    def _fetch_member(self, m: Member, store: bool = True) -> bytes:
        hit = self._from_tail(m, store)
        if hit is not None:
            return hit
        last: CorruptMember | None = None
        for _attempt in range(2):  # one re-fetch: a proxy or a broken connection may garble bytes
            if self._local is None:
                try:
                    raw = self.http.get_range(
                        self.url, m.offset, m.end - 1, counter=self.counter, what=self.filename
                    )
                except RangeNotHonoured:
                    self._download()
                    continue
                try:
                    return self._take(m, raw, store)
                except CorruptMember as exc:
                    last = exc
                    continue
            data = self._read_local(m)
            if store:
                self.cache.put("wheel", self.ident, m.name, data)
            return data
        assert last is not None
        raise last

    # -- full-download fallback (sources/download.py) --------------------------------------------
    def _download(self) -> Path:
        """One streamed download of the whole wheel (server ignores Range), sha256-checked."""
        with self._lock:
            if self._local is not None:
                return self._local
            if self.offline:
                raise FetchError(f"offline: cannot download {self.filename}")
            path = download_whole(self.http, self.url, self.cache.tempdir(), what=self.filename,
                                  sha256=self.sha256, size=self._size,
                                  max_bytes=self.max_download, counter=self.counter,
                                  progress=self.progress)
            self._local = path
            self.used_full_download = True
            weakref.finalize(self, shutil.rmtree, str(path.parent), True)
            return path

    def _read_directory_local(self, path: Path) -> dict[str, Member]:
        try:
            with zipfile.ZipFile(path) as zf:
                return _members_from_infos(zf.infolist(), zf.start_dir)
        except zipfile.BadZipFile as exc:
            raise FetchError(f"{self.filename} is not a readable zip: {exc}") from exc

    def _read_local(self, m: Member) -> bytes:
        assert self._local is not None
        try:
            with zipfile.ZipFile(self._local) as zf:
                return read_zip_member(zf, m.name, self.filename)
        except zipfile.BadZipFile as exc:
            raise CorruptMember(f"{m.name} in {self.filename}: {exc}") from exc

    def close(self) -> None:
        if self._local is not None:
            shutil.rmtree(self._local.parent, ignore_errors=True)
            self._local = None
