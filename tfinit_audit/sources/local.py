"""Local sources: ``dir:PATH`` (site-packages or a checkout), ``wheel:PATH``, ``installed[:PY]``.

The release is read from the tree itself: ``*.dist-info/METADATA`` of the tensorflow
distribution if present, else the version constant in the source (``_VERSION = '1.8.0'`` in
``tensorflow/tools/pip_package/setup.py``, ``TF_VERSION`` in ``tensorflow/tf_version.bzl``,
or the ``TF_*_VERSION`` macros of ``tensorflow/core/public/version.h``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name

from tfinit_audit.errors import FetchError, UsageError
from tfinit_audit.sources.base import PackageFile
from tfinit_audit.sources.composite import CompositeTree
from tfinit_audit.sources.pypi import member_to_path, parse_metadata

TOP_PACKAGES = ("tensorflow", "tensorflow_core", "keras", "tf_keras")
TF_DISTS = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly", "tf-nightly-cpu",
            "tensorflow-intel", "tensorflow-macos", "tensorflow-cpu-aws"}
_SKIP_DIRS = {"__pycache__", ".git", "bazel-bin", "bazel-out", "node_modules"}


class DirPart:
    """Files below one top-level package (or dist-info) directory of a local tree."""

    def __init__(self, root: Path, tops: list[str], package: PackageFile) -> None:
        self.root = root
        self.package = package
        self._paths: dict[str, str] = {}
        for top in tops:
            base = root / top
            if base.is_file():
                self._paths[top] = str(base)
                continue
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
                rel = Path(dirpath).relative_to(root).as_posix()
                for f in filenames:
                    if f.endswith((".pyc", ".so", ".o", ".a")):
                        continue
                    self._paths[f"{rel}/{f}"] = os.path.join(dirpath, f)

    def paths(self) -> dict[str, str]:
        return self._paths

    def read(self, key: str) -> bytes:
        try:
            return Path(key).read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {key}: {exc.strerror}") from exc

    def read_many(self, keys: list[str]) -> dict[str, bytes]:
        return {k: self.read(k) for k in keys}

    def cache_hits(self) -> int:
        return 0

    def close(self) -> None:
        return None


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
                return parse_metadata(self.zf.read(member).decode("utf-8", "replace"))
        return {}

    def paths(self) -> dict[str, str]:
        return self._paths

    def read(self, key: str) -> bytes:
        try:
            return self.zf.read(key)
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
    return CompositeTree(release, kind, list(parts))


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
