"""Local sources: ``dir:PATH`` (site-packages or a checkout), ``wheel:PATH``, ``installed[:PY]``.

The release is read from the tree itself: ``*.dist-info/METADATA`` of the tensorflow
distribution if present, else the version constant in the source (``_VERSION = '1.8.0'`` in
``tensorflow/tools/pip_package/setup.py``, ``TF_VERSION`` in ``tensorflow/tf_version.bzl``,
or the ``TF_*_VERSION`` macros of ``tensorflow/core/public/version.h``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name

from tfinit_audit.errors import FetchError, UsageError
from tfinit_audit.sources import limits
from tfinit_audit.sources.base import PackageFile, UnreadableFile
from tfinit_audit.sources.composite import CompositeTree
from tfinit_audit.sources.pypi import member_to_path, parse_metadata
from tfinit_audit.sources.wheel import read_zip_member

TOP_PACKAGES = ("tensorflow", "tensorflow_core", "keras", "tf_keras")
TF_DISTS = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly", "tf-nightly-cpu",
            "tensorflow-intel", "tensorflow-macos", "tensorflow-cpu-aws"}
_SKIP_DIRS = {"__pycache__", ".git", "bazel-bin", "bazel-out", "node_modules"}


class DirPart:
    """Files below one top-level package (or dist-info) directory of a local tree.

    The walk never follows a symlinked directory (no loops) and lists regular files only; a
    file it cannot use (a symlink loop or dangling link, a pipe or device, a name that is not
    text) is left out and noted in ``problems``, and so is a file that cannot be read later
    (``read`` raises UnreadableFile: the tree goes on without its text). At most
    ``limits.TREE_FILES`` files are listed (more is an error, not a silent cut)."""

    def __init__(self, root: Path, tops: list[str], package: PackageFile) -> None:
        self.root = root
        self.package = package
        self.problems: list[str] = []
        self._paths: dict[str, str] = {}
        self._most = int(limits.TREE_FILES.value)
        for top in tops:
            base = root / top
            if base.is_file():
                self._paths[top] = str(base)
                continue
            self._walk(base, top)

    def _walk(self, base: Path, rel: str) -> None:
        stack = [(str(base), rel)]
        while stack:
            dirpath, drel = stack.pop()
            try:
                with os.scandir(dirpath) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.problems.append(f"{drel}/: cannot list ({exc.strerror or exc})")
                continue
            subdirs = []
            for e in entries:
                if not _is_text(e.name):  # a name that is not valid text: no import path
                    shown = os.fsencode(e.name).decode("utf-8", "replace")
                    self.problems.append(f"{drel}/{shown}: file name is not valid UTF-8; "
                                         "skipped")
                    continue
                erel = f"{drel}/{e.name}"
                try:
                    if e.is_dir(follow_symlinks=False):
                        if e.name not in _SKIP_DIRS:
                            subdirs.append((e.path, erel))
                        continue
                    if e.is_symlink() and e.is_dir():  # linked directory: not followed
                        continue
                    regular = e.is_file()
                except OSError:
                    regular = False
                if e.name.endswith((".pyc", ".so", ".o", ".a")):
                    continue
                if not regular:
                    self.problems.append(f"{erel}: {_why_unusable(e.path)}; skipped")
                    continue
                if len(self._paths) >= self._most:
                    raise FetchError(f"{self.root} has more than {self._most:,} files below "
                                     f"{', '.join(sorted({p.split('/')[0] for p in self._paths}))}"
                                     f" (bound {limits.TREE_FILES.env})")
                self._paths[erel] = e.path
            stack.extend(reversed(subdirs))

    def paths(self) -> dict[str, str]:
        return self._paths

    def read(self, key: str) -> bytes:
        rel = os.path.relpath(key, self.root)
        cap = int(limits.MEMBER.value)
        try:
            with open(key, "rb") as fh:
                st = os.fstat(fh.fileno())
                if not stat.S_ISREG(st.st_mode):
                    raise UnreadableFile(f"{rel}: not a regular file; skipped")
                if st.st_size > cap:
                    raise UnreadableFile(f"{rel}: {st.st_size:,} bytes, over the "
                                         f"{limits.human(cap)} bound per file "
                                         f"({limits.MEMBER.env}); skipped")
                data = fh.read(cap + 1)
        except OSError as exc:
            raise UnreadableFile(f"{rel}: cannot read ({exc.strerror or exc}); skipped") from exc
        if len(data) > cap:
            raise UnreadableFile(f"{rel}: over the {limits.human(cap)} bound per file "
                                 f"({limits.MEMBER.env}); skipped")
        return data

    def read_many(self, keys: list[str]) -> dict[str, bytes]:
        out = {}
        for k in keys:
            with contextlib.suppress(UnreadableFile):  # noted when the reader asks for it
                out[k] = self.read(k)
        return out

    def cache_hits(self) -> int:
        return 0

    def close(self) -> None:
        return None


def _is_text(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes come back as lone surrogates
        return False
    return True


def _why_unusable(path: str) -> str:
    """Why a directory entry is not a regular file we can read (for the problem line)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if exc.errno == errno.ENOENT:
            return "dangling symlink"
        return f"cannot stat ({exc.strerror or exc})"
    if stat.S_ISFIFO(st.st_mode):
        return "a named pipe, not a file"
    if stat.S_ISSOCK(st.st_mode):
        return "a socket, not a file"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "a device, not a file"
    return "not a regular file"


class LocalWheelPart:
    """A wheel file on disk (members mapped like the PyPI wheels)."""

    def __init__(self, path: Path) -> None:
        try:
            self.zf = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise UsageError(f"cannot open wheel {path}: {exc}") from exc
        self._paths: dict[str, str] = {}
        for member in self.zf.namelist():
            p = member_to_path(member)
            if p is not None and not member.endswith("/"):
                self._paths.setdefault(p, member)
        meta = self._metadata()
        name = (meta.get("name") or [path.name.split("-")[0]])[0]
        version = (meta.get("version") or ["0"])[0]
        self.package = PackageFile(name=name, version=version, file=str(path),
                                   size=path.stat().st_size)

    def _metadata(self) -> dict[str, list[str]]:
        for p, member in self._paths.items():
            if re.match(r"^[^/]+\.dist-info/METADATA$", p):
                data = read_zip_member(self.zf, member, str(self.zf.filename))
                return parse_metadata(data.decode("utf-8", "replace"))
        return {}

    def paths(self) -> dict[str, str]:
        return self._paths

    def read(self, key: str) -> bytes:
        try:
            return read_zip_member(self.zf, key, self.package.file)
        except zipfile.BadZipFile as exc:
            raise FetchError(f"{self.package.file}: {key}: {exc}") from exc

    def read_many(self, keys: list[str]) -> dict[str, bytes]:
        return {k: self.read(k) for k in keys}

    def cache_hits(self) -> int:
        return 0

    def close(self) -> None:
        self.zf.close()


def _dist_infos(root: Path) -> list[tuple[Path, dict[str, list[str]]]]:
    out = []
    for d in sorted(root.glob("*.dist-info")):
        if not d.name.lower().startswith(("tensorflow", "tf_", "tf-", "keras")):
            continue  # site-packages holds hundreds; only these can own the packages we read
        meta = d / "METADATA"
        if meta.is_file():
            out.append((d, parse_metadata(meta.read_text("utf-8", "replace"))))
    return out


def _top_levels(dist_info: Path) -> list[str]:
    """Top-level packages a dist-info installs (top_level.txt, else its RECORD)."""
    tl = dist_info / "top_level.txt"
    if tl.is_file():
        return [line.strip() for line in tl.read_text().splitlines() if line.strip()]
    record = dist_info / "RECORD"
    tops: set[str] = set()
    if record.is_file():
        for line in record.read_text("utf-8", "replace").splitlines():
            first = line.split(",", 1)[0].split("/", 1)[0]
            if first and not first.endswith((".dist-info", ".data")) and "/" in line.split(",")[0]:
                tops.add(first)
    return sorted(tops)


def version_from_source(root: Path) -> str | None:
    """The release constant a source tree carries (checkouts have no dist-info)."""
    setup = root / "tensorflow/tools/pip_package/setup.py"
    if setup.is_file():
        m = re.search(r"""^_VERSION\s*=\s*['"]([^'"]+)['"]""", setup.read_text(), re.M)
        if m and "$" not in m.group(1):
            return m.group(1)
    bzl = root / "tensorflow/tf_version.bzl"
    if bzl.is_file():
        m = re.search(r"""^TF_VERSION\s*=\s*['"]([^'"]+)['"]""", bzl.read_text(), re.M)
        if m:
            return m.group(1)
    for header in ("tensorflow/core/public/version.h", "tensorflow_core/core/public/version.h",
                   "tensorflow/include/tensorflow/core/public/version.h"):
        h = root / header
        if h.is_file():
            text = h.read_text()
            parts = [re.search(rf"#define\s+TF_{k}_VERSION\s+(\d+)", text) for k in
                     ("MAJOR", "MINOR", "PATCH")]
            if all(parts):
                suffix = re.search(r'#define\s+TF_VERSION_SUFFIX\s+"([^"]*)"', text)
                base = ".".join(p.group(1) for p in parts if p)
                return base + (suffix.group(1) if suffix else "")
    versions = root / "tensorflow/python/framework/versions.py"
    if versions.is_file():
        m = re.search(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", versions.read_text(), re.M)
        if m:
            return m.group(1)
    return None


def open_dir(path: str, *, kind: str = "dir") -> CompositeTree:
    root = Path(path).expanduser()
    if not root.is_dir():
        raise UsageError(f"{kind} source {path!r} is not a directory")
    parts: list[DirPart] = []
    claimed: set[str] = set()
    release: str | None = None
    for d, meta in _dist_infos(root):
        name = (meta.get("name") or [""])[0]
        tops = [t for t in _top_levels(d) if t in TOP_PACKAGES and (root / t).exists()]
        if not tops:
            continue
        version = (meta.get("version") or ["0"])[0]
        if canonicalize_name(name) in TF_DISTS and release is None:
            release = version
        parts.append(DirPart(root, [*tops, d.name], PackageFile(name, version, str(d))))
        claimed.update(tops)
    rest = [t for t in TOP_PACKAGES if t not in claimed and (root / t).is_dir()]
    if release is None:
        release = version_from_source(root)
    if rest:
        parts.append(DirPart(root, rest, PackageFile("tensorflow" if "tensorflow" in rest or
                                                     "tensorflow_core" in rest else rest[0],
                                                     release or "unknown", str(root))))
    if not parts:
        raise UsageError(f"{path!r} has none of {', '.join(TOP_PACKAGES)} in it")
    if release is None:
        raise UsageError(f"cannot tell which TensorFlow release {path!r} is (no dist-info, no "
                         "version constant)")
    # tensorflow first, so it wins paths two distributions both ship
    parts.sort(key=lambda p: canonicalize_name(p.package.name) not in TF_DISTS)
    tree = CompositeTree(release, kind, list(parts))
    for part in parts:
        for line in part.problems:
            tree.problem(line)
    return tree


def open_wheel(path: str) -> CompositeTree:
    p = Path(path).expanduser()
    if not p.is_file():
        raise UsageError(f"wheel source {path!r} is not a file")
    part = LocalWheelPart(p)
    return CompositeTree(part.package.version, "wheel", [part])


_PROBE = r"""
import json, os, sys
try:
    import importlib.util as u
    spec = u.find_spec("tensorflow")
except Exception:
    spec = None
loc = None
if spec is not None and spec.submodule_search_locations:
    loc = os.path.dirname(list(spec.submodule_search_locations)[0])
print(json.dumps({"site": loc, "python": sys.version.split()[0], "exe": sys.executable}))
"""


def installed_site(python: str | None = None) -> tuple[Path, str]:
    """(site-packages dir holding tensorflow, interpreter) without importing tensorflow."""
    exe = python or sys.executable
    try:
        out = subprocess.run([exe, "-c", _PROBE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"cannot run interpreter {exe!r}: {exc}") from exc
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["failed"])[-1]
        raise UsageError(f"interpreter {exe!r} failed: {last}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    if not info.get("site"):
        raise UsageError(f"no tensorflow installed for {exe}")
    return Path(info["site"]), exe


def dir_release(root: Path) -> str | None:
    """Release of a local tree without walking it: dist-info first, else the source constant."""
    for _d, meta in _dist_infos(root):
        if canonicalize_name((meta.get("name") or [""])[0]) in TF_DISTS:
            versions = meta.get("version")
            return versions[0] if versions else None
    return version_from_source(root)


def installed_release(python: str | None = None) -> str:
    site, exe = installed_site(python)
    release = dir_release(site)
    if release is None:
        raise UsageError(f"cannot tell the tensorflow release installed for {exe}")
    return release


def open_installed(python: str | None = None) -> CompositeTree:
    site, _ = installed_site(python)
    return open_dir(str(site), kind="installed")
