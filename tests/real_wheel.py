"""The real TensorFlow 1.8.0 sources as a wheel a loopback index can serve, and ways to spoil it.

``RealSources.fetch`` audits symbols of the real 1.8.0 release from the package index (range
requests, as the tool does) and records every file the analysis read, every path it checked and
every listing it made. ``wheel()`` packs exactly those files, with their real bytes and real
member names (``tensorflow-1.8.0.data/purelib/...``) and the real ``METADATA``, into a wheel; a
path the analysis only checked or listed gets a one-line placeholder (its text was never read,
so it cannot change the answer: the same rule the result cache relies on). A control test
checks that the local copy gives the index's answer, hop for hop. Fault tests then replace one
member, relabel the release (1.9.0) or damage the archive.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.sources import SourceContext, open_tree

VERSION = "1.8.0"
FILENAME = "tensorflow-{v}-cp36-cp36m-manylinux1_x86_64.whl"
RNN = "tensorflow/python/ops/rnn_cell_impl.py"
PLACEHOLDER = b"# not read by the audit of these symbols\n"
GiB = 1024**3


class _Recorder:
    """A SourceTree that notes what the analysis asked of it."""

    def __init__(self, tree: Any) -> None:
        self.tree = tree
        self.read: set[str] = set()
        self.seen: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tree, name)

    def read_text(self, path: str) -> str | None:
        text = self.tree.read_text(path)
        if text is not None:
            self.read.add(path)
        return text

    def exists(self, path: str) -> bool:
        found = bool(self.tree.exists(path))
        if found:
            p = path.strip("/")
            self.seen.add(p if self.tree.owner_key(p) else self.tree.list(p)[0])
        return found

    def list(self, prefix: str) -> list[str]:
        out = list(self.tree.list(prefix))
        self.seen.update(out)
        return out

    def package_of(self, path: str) -> str | None:
        return self.tree.package_of(path)


@dataclass
class RealSources:
    """The files of the real release the audit of ``symbols`` needs, member name -> bytes."""

    symbols: list[str]
    members: dict[str, bytes] = field(default_factory=dict)
    results: list[SymbolResult] = field(default_factory=list)  # the index's answer

    @classmethod
    def fetch(cls, ctx: SourceContext, symbols: list[str]) -> RealSources:
        tree = open_tree("pypi", VERSION, ctx=ctx)
        rec = _Recorder(tree)
        results = analyze(rec, [parse_symbol(s) for s in symbols], Dims(),  # type: ignore[arg-type]
                          cache_dir=None)
        out = cls(symbols, results=results)
        for path in sorted(rec.seen | rec.read):
            owner = tree.owner_key(path)
            assert owner is not None, path
            data = tree.read_bytes(path) if path in rec.read else PLACEHOLDER
            assert data is not None
            out.members[owner[1]] = data
        (wheel_part,) = tree.parts
        meta = f"tensorflow-{VERSION}.dist-info/METADATA"
        out.members[meta] = wheel_part.wheel.read(meta)  # type: ignore[attr-defined]
        return out

    def files(self, version: str = VERSION) -> Iterator[tuple[str, bytes]]:
        """(member name, bytes) relabelled as ``version``."""
        for name, data in self.members.items():
            name = name.replace(f"tensorflow-{VERSION}.", f"tensorflow-{version}.")
            if name.endswith(".dist-info/METADATA"):
                data = data.replace(f"Version: {VERSION}".encode(), f"Version: {version}".encode())
            yield name, data

    def member(self, path: str, version: str = VERSION) -> str:
        return f"tensorflow-{version}.data/purelib/{path}"

    def wheel(self, version: str = VERSION, *, replace: dict[str, bytes] | None = None,
              bomb: str | None = None, bomb_size: int = GiB,
              extra: dict[str, bytes] | None = None) -> tuple[str, bytes]:
        """(file name, wheel bytes). ``replace``: import path -> other bytes; ``bomb``: import
        path whose member becomes ``bomb_size`` zero bytes, deflated (about 1 MB per GiB) and
        declared with its true size; ``extra``: more members as named (e.g. ``../x.py``)."""
        replace = replace or {}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.files(version):
                path = name.split("/purelib/", 1)[-1]
                if path == bomb:
                    _write_zeros(zf, name, bomb_size)
                    continue
                zf.writestr(name, replace.get(path, data))
            for name, data in (extra or {}).items():
                zf.writestr(name, data)
        return FILENAME.format(v=version), buf.getvalue()


def _write_zeros(zf: zipfile.ZipFile, name: str, size: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size = size
    chunk = bytes(1 << 20)
    with zf.open(info, "w") as fh:
        for _ in range(size // len(chunk)):
            fh.write(chunk)


def lying_bomb(wheel: bytes, member: str, size: int = GiB) -> bytes:
    """``wheel`` with ``member`` replaced by ``size`` deflated zero bytes while its directory
    entry and local header keep declaring the original size and CRC (a zip bomb that lies)."""
    zf = zipfile.ZipFile(io.BytesIO(wheel))
    info = zf.getinfo(member)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    payload = b"".join(comp.compress(chunk) for _ in range(size // len(chunk))) + comp.flush()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for i in zf.infolist():
            if i.filename != member:
                new.writestr(i, zf.read(i.filename))
    # append the member by hand: local header + data, then rewrite the directory
    data = bytearray(out.getvalue())
    new_zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    cd_start = new_zf.start_dir
    head, directory = bytes(data[:cd_start]), bytes(data[cd_start:])
    name = member.encode()
    local = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0, info.CRC,
                        len(payload), info.file_size, len(name), 0) + name
    offset = len(head)
    central = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 8, 0, 0, info.CRC,
                          len(payload), info.file_size, len(name), 0, 0, 0, 0, 0, offset) + name
    eocd_at = directory.rfind(b"PK\x05\x06")
    records, eocd = directory[:eocd_at], bytearray(directory[eocd_at:])
    n = struct.unpack_from("<H", eocd, 10)[0] + 1
    new_cd_start = offset + len(local) + len(payload)
    struct.pack_into("<HHLL", eocd, 8, n, n, len(records) + len(central), new_cd_start)
    return head + local + payload + records + central + bytes(eocd)


def huge_directory(wheel: bytes, claimed: int = 3_900_000_000) -> bytes:
    """``wheel`` whose end record claims a central directory of ``claimed`` bytes."""
    data = bytearray(wheel)
    at = data.rfind(b"PK\x05\x06")
    struct.pack_into("<L", data, at + 12, claimed)
    return bytes(data)
