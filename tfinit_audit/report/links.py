"""Map a file inside a distribution to the same file on GitHub at the matching release tag.

One rule, in ``source_link``; the report shows a link only when it is confident the repository
holds the file under the computed path, and says "generated" for files that exist only in wheels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tfinit_audit.sources.base import PackageFile

TF_DISTS = {
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-gpu",
    "tensorflow-intel",
    "tensorflow-macos",
    "tensorflow-aarch64",
    "tensorflow-cpu-aws",
}

# Wheel-only files produced by API generators at build time: no file in the repository.
_TF_GENERATED = (
    re.compile(r"^tensorflow/_api/"),
    re.compile(r"^tensorflow/tools/api/generator/api/"),  # 1.8-1.9 generated API modules
    re.compile(r"^tensorflow/python/keras/api/"),
    re.compile(r"^tensorflow/__init__\.py$"),  # built from api_template*.__init__.py
    re.compile(r"(^|/)gen_[a-z0-9_]+\.py$"),  # generated op wrappers
    re.compile(r"_pb2\.py$"),
)


@dataclass(frozen=True)
class SourceLink:
    """Where a hop points: a URL, or a reason why there is none (``generated`` / ``unknown``)."""

    url: str | None
    repo: str | None = None
    repo_path: str | None = None
    reason: str | None = None  # "generated" | "no release tag" | "unknown distribution"


def dist_key(name: str) -> str:
    """Normalise a distribution name (``tf_keras`` == ``tf-keras``)."""
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def infer_package(path: str) -> str:
    """Distribution that ships an import path when a hop did not say."""
    top = path.split("/", 1)[0]
    if top in ("tensorflow", "tensorflow_core"):
        return "tensorflow"
    if top == "tf_keras":
        return "tf-keras"
    return top


def release_tag(version: str) -> str | None:
    """Git tag of a PEP 440 release: ``2.15.0`` -> ``v2.15.0``, ``2.15.0rc1`` -> ``v2.15.0-rc1``."""
    m = re.fullmatch(r"(\d+\.\d+\.\d+)(?:(rc)(\d+))?", version.strip())
    if not m:
        return None  # dev / nightly / local builds have no tag
    return f"v{m.group(1)}" + (f"-rc{m.group(3)}" if m.group(2) else "")


def _vtuple(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:3])


def package_version(
    package: str, packages: list[PackageFile], tensorflow: str | None
) -> str | None:
    key = dist_key(package)
    for p in packages:
        if dist_key(p.name) == key:
            return p.version
    if key in TF_DISTS:
        for p in packages:
            if dist_key(p.name) in TF_DISTS:
                return p.version
        return tensorflow
    return None


def repo_path(package: str, path: str, version: str) -> tuple[str, str | None]:
    """(GitHub repo, path in the repo) for a file of ``package`` at ``version``; path None if
    the file exists only in the wheel (generated at build time).

    Rules, checked against the projects' build scripts:
    - tensorflow: ``tensorflow_core/`` (1.15, 2.0-2.1 wheels) is ``tensorflow/`` in the repo;
      generated API modules (``tensorflow/_api``, 1.8's ``tools/api/generator/api``,
      ``python/keras/api``, top-level ``__init__``, ``gen_*`` op wrappers) have no repo file.
    - keras 2.x: the wheel layout equals the repo layout (``keras/...`` up to 2.12,
      ``keras/src/...`` from 2.13); ``keras/api/`` is generated (and so is the top-level
      ``keras/__init__.py`` once the code moved under ``src``).
    - keras 3 before 3.2: ``pip_build.py`` copied the repo's ``keras/`` into the wheel's
      ``keras/src/``; the wheel's other files are the generated API.
    - keras 3.2+: the repo holds ``keras/src/`` and a committed ``keras/api/``; the wheel's
      ``keras/_tf_keras/`` is the repo's ``keras/api/_tf_keras/``.
    - tf-keras: the repo's ``tf_keras/`` is the wheel's ``tf_keras/src/``; the rest is generated.
    """
    key = dist_key(package)
    if key in TF_DISTS:
        p = re.sub(r"^tensorflow_core/", "tensorflow/", path)
        if any(rx.search(p) for rx in _TF_GENERATED):
            return "tensorflow/tensorflow", None
        return "tensorflow/tensorflow", p
    if key == "keras":
        v = _vtuple(version)
        if v and v[0] >= 3:
            if v < (3, 2):
                if path.startswith("keras/src/"):
                    return "keras-team/keras", "keras/" + path[len("keras/src/") :]
                return "keras-team/keras", None
            if path.startswith("keras/_tf_keras/"):
                return "keras-team/keras", "keras/api/" + path[len("keras/") :]
            return "keras-team/keras", path
        if path.startswith("keras/api/") or (v >= (2, 13) and path == "keras/__init__.py"):
            return "keras-team/keras", None
        return "keras-team/keras", path
    if key == "tf-keras":
        if path.startswith("tf_keras/src/"):
            return "keras-team/tf-keras", "tf_keras/" + path[len("tf_keras/src/") :]
        return "keras-team/tf-keras", None
    return "", None


def source_link(
    package: str | None,
    path: str,
    line: int | None,
    packages: list[PackageFile],
    tensorflow: str | None,
) -> SourceLink:
    """GitHub URL of ``path:line`` at the release the report read, or why there is none."""
    pkg = package or infer_package(path)
    version = package_version(pkg, packages, tensorflow)
    repo, rpath = repo_path(pkg, path, version or "")
    if not repo:
        return SourceLink(None, reason="unknown distribution")
    if rpath is None:
        return SourceLink(None, repo=repo, reason="generated")
    tag = release_tag(version) if version else None
    if tag is None:
        return SourceLink(None, repo=repo, repo_path=rpath, reason="no release tag")
    anchor = f"#L{line}" if line and line > 0 else ""
    return SourceLink(f"https://github.com/{repo}/blob/{tag}/{rpath}{anchor}", repo, rpath)
