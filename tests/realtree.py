"""Test helper: real release trees from real PyPI wheels (``pip download --no-deps``).

Until ``tfinit_audit.sources`` offers ``open_tree``, tests build trees themselves: download the
wheel into a temp/cache dir, extract its ``.py`` files (``*.data/purelib/`` prefix stripped) and
serve them as a SourceTree. Downloads fail loudly when PyPI is unreachable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tfinit_audit.sources.base import FetchStats, PackageFile

CACHE = Path(os.environ.get("TFINIT_TEST_WHEELS", "/tmp/tfinit-audit-test-wheels"))


@dataclass
class DirTree:
    """A SourceTree over directories of extracted distributions (first root wins)."""

    roots: list[tuple[str, Path]]  # (distribution name, directory holding import paths)
    release: str = "0.0.0"
    kind: str = "wheel"
    packages: list[PackageFile] = field(default_factory=list)
    stats: FetchStats = field(default_factory=FetchStats)

    def _find(self, path: str) -> tuple[str, Path] | None:
        for dist, root in self.roots:
            p = root / path
            if p.exists():
                return dist, p
        return None

    def read_text(self, path: str) -> str | None:
        hit = self._find(path)
        if hit is None or not hit[1].is_file():
            return None
        return hit[1].read_text(encoding="utf-8", errors="surrogateescape")

    def exists(self, path: str) -> bool:
        return self._find(path.rstrip("/")) is not None

    def list(self, prefix: str) -> list[str]:
        out: set[str] = set()
        for _, root in self.roots:
            d = root / prefix.rstrip("/")
            if d.is_dir():
                for p in d.rglob("*"):
                    if p.is_file():
                        out.add(p.relative_to(root).as_posix())
        return sorted(out)

    def package_of(self, path: str) -> str | None:
        hit = self._find(path.rstrip("/"))
        return hit[0] if hit else None


def _download(spec: str, python_version: str, platforms: list[str]) -> Path:
    """Wheel file for ``spec`` (e.g. ``tensorflow==1.8.0``), downloaded once into CACHE."""
    name, version = spec.split("==")
    dest = CACHE / "wheels" / f"{name}-{version}"
    dest.mkdir(parents=True, exist_ok=True)
    found = [p for p in dest.glob("*.whl")]
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "-d", str(dest), "--python-version", python_version]
    for plat in platforms:
        cmd += ["--platform", plat]
    cmd.append(spec)
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=1800)
    found = [p for p in dest.glob("*.whl")]
    if not found:
        raise RuntimeError(f"pip download produced no wheel for {spec}")
    return found[0]


def _extract(wheel: Path) -> Path:
    out = CACHE / "src" / wheel.stem
    done = out / ".complete"
    if done.exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            name = info.filename
            if not name.endswith(".py"):
                continue
            parts = name.split("/")
            if len(parts) > 2 and parts[0].endswith(".data") and parts[1] in ("purelib", "platlib"):
                name = "/".join(parts[2:])
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
    done.write_text("ok")
    return out


PLATFORMS = {
    "3.6": ["manylinux1_x86_64"],
    "3.7": ["manylinux2010_x86_64", "manylinux1_x86_64"],
    "3.11": ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_27_x86_64",
             "manylinux_2_28_x86_64", "any"],
}


def real_tree(release: str, companions: list[str] = (), dist: str = "tensorflow",  # type: ignore[assignment]
              python_version: str = "3.6") -> DirTree:
    """A tree for ``dist==release`` plus companion distributions (``keras==2.15.0``)."""
    roots: list[tuple[str, Path]] = []
    packages: list[PackageFile] = []
    for spec in [f"{dist}=={release}", *companions]:
        whl = _download(spec, python_version, PLATFORMS[python_version])
        roots.append((spec.split("==")[0].replace("-cpu", ""), _extract(whl)))
        packages.append(PackageFile(spec.split("==")[0], spec.split("==")[1], whl.name))
    return DirTree(roots, release=release, packages=packages)
