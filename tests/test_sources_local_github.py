"""Local sources (dir:, wheel:, installed:) and the GitHub source against a loopback server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import fast_http
from httpserver import FakeIndex, LoopbackServer, build_wheel
from test_versions import fake_python

from tfinit_audit.errors import FetchError, UsageError
from tfinit_audit.sources import SourceContext, find_module, open_tree, parse_source
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.github import GitHubClient, GitHubSource, git_blob_sha

INIT = "def glorot_uniform_initializer():\n    pass\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for p, text in files.items():
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_text(text)
    return root


def test_dir_site_packages_reads_release_from_dist_info(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "tensorflow/python/ops/init_ops.py": INIT,
        "tensorflow-1.8.0.dist-info/METADATA": "Name: tensorflow\nVersion: 1.8.0\n",
        "tensorflow-1.8.0.dist-info/top_level.txt": "tensorflow\n",
        "keras/src/layers/rnn/lstm.py": "class LSTM: pass\n",
        "keras-2.15.0.dist-info/METADATA": "Name: keras\nVersion: 2.15.0\n",
        "keras-2.15.0.dist-info/top_level.txt": "keras\n",
        "numpy/__init__.py": "",
    })
    tree = open_tree(f"dir:{root}", None, ctx=SourceContext.create(cache_dir=tmp_path / "c"))
    assert tree.release == "1.8.0" and tree.kind == "dir"
    assert tree.read_text("tensorflow/python/ops/init_ops.py") == INIT
    assert tree.package_of("keras/src/layers/rnn/lstm.py") == "keras"
    assert [(p.name, p.version) for p in tree.packages] == [("tensorflow", "1.8.0"),
                                                            ("keras", "2.15.0")]
    assert not tree.exists("numpy")
    assert find_module(tree, "keras.src.layers.rnn.lstm") == "keras/src/layers/rnn/lstm.py"
    assert find_module(tree, "tensorflow.python.ops") is None


def test_dir_checkout_reads_version_constant(tmp_path: Path) -> None:
    root = write(tmp_path / "a", {
        "tensorflow/python/ops/init_ops.py": INIT,
        "tensorflow/tools/pip_package/setup.py": "_VERSION = '1.10.0'\nREQUIRED = []\n",
    })
    ctx = SourceContext.create(cache_dir=tmp_path / "c")
    assert open_tree(f"dir:{root}", "1.10", ctx=ctx).release == "1.10.0"
    with pytest.raises(UsageError, match="does not match .* tensorflow 1.10.0"):
        open_tree(f"dir:{root}", "1.8", ctx=ctx)
    root2 = write(tmp_path / "b", {
        "tensorflow/core/public/version.h": "#define TF_MAJOR_VERSION 2\n#define TF_MINOR_VERSION"
        " 4\n#define TF_PATCH_VERSION 1\n#define TF_VERSION_SUFFIX \"\"\n",
        "tensorflow/python/ops/init_ops.py": INIT,
    })
    assert open_tree(f"dir:{root2}", None, ctx=ctx).release == "2.4.1"
    with pytest.raises(UsageError, match="cannot tell which TensorFlow release"):
        open_tree(f"dir:{write(tmp_path / 'c2', {'tensorflow/x.py': ''})}", None, ctx=ctx)


def test_wheel_file_source(tmp_path: Path) -> None:
    name, data = build_wheel("tensorflow", "1.8.0",
                             {"tensorflow/python/ops/init_ops.py": INIT}, purelib=True)
    (tmp_path / name).write_bytes(data)
    tree = open_tree(f"wheel:{tmp_path / name}", None,
                     ctx=SourceContext.create(cache_dir=tmp_path / "c"))
    assert tree.release == "1.8.0" and tree.kind == "wheel"
    assert tree.read_text("tensorflow/python/ops/init_ops.py") == INIT


def test_installed_source(tmp_path: Path) -> None:
    site = write(tmp_path / "site", {
        "tensorflow/__init__.py": "raise ImportError('not imported by the tool')\n",
        "tensorflow/python/ops/init_ops.py": INIT,
        "tensorflow-2.15.0.dist-info/METADATA": "Name: tensorflow\nVersion: 2.15.0\n",
        "tensorflow-2.15.0.dist-info/top_level.txt": "tensorflow\n",
    })
    py = fake_python(tmp_path, site)
    tree = open_tree(f"installed:{py}", None, ctx=SourceContext.create(cache_dir=tmp_path / "c"))
    assert tree.kind == "installed" and tree.release == "2.15.0"
    assert tree.read_text("tensorflow/python/ops/init_ops.py") == INIT


def test_bad_source_spec() -> None:
    with pytest.raises(UsageError, match="bad --source"):
        parse_source("ftp:x")
    with pytest.raises(UsageError, match="needs a path"):
        parse_source("dir:")


# -- GitHub layout on loopback ---------------------------------------------------------------
def serve_repo(server: LoopbackServer, repo: str, tag: str, files: dict[str, bytes]) -> None:
    tree = [{"path": p, "type": "blob", "sha": git_blob_sha(b), "size": len(b)}
            for p, b in files.items()]
    server.put(f"/api/repos/{repo}/git/trees/{tag}",
               json.dumps({"sha": "0" * 40, "tree": tree, "truncated": False}).encode(),
               "application/json")
    for p, b in files.items():
        server.put(f"/raw/{repo}/{tag}/{p}", b, "text/plain")


def github_source(server: LoopbackServer, cache: Path, index_url: str | None = None,
                  offline: bool = False) -> GitHubSource:
    http = fast_http()
    client = GitHubClient(http, Cache(cache), api=server.url + "/api", raw=server.url + "/raw",
                          offline=offline, token="t0ken")
    if index_url is None:
        return GitHubSource(client)
    ctx = SourceContext.create(cache_dir=cache, index_url=index_url, http=http)
    return GitHubSource(client, pypi=ctx.pypi(), index=ctx.index)


def test_github_companions_from_setup_py_and_tags(server: LoopbackServer, tmp_path: Path) -> None:
    serve_repo(server, "tensorflow/tensorflow", "v2.15.0", {
        "tensorflow/python/ops/init_ops.py": INIT.encode(),
        "tensorflow/tools/pip_package/setup.py":
            b"REQUIRED_PACKAGES = [\n    'keras >= 2.15.0, < 2.16',\n]\n",
        "README.md": b"not a package file",
    })
    serve_repo(server, "keras-team/keras", "v2.15.0",
               {"keras/src/layers/rnn/lstm.py": b"class LSTM:\n    pass\n"})
    server.put("/api/repos/keras-team/keras/git/matching-refs/tags/v", json.dumps(
        [{"ref": f"refs/tags/v{v}"} for v in ("2.14.0", "2.15.0", "2.16.0", "3.0.0")]).encode(),
        "application/json")
    tree = github_source(server, tmp_path).open("2.15.0")
    assert tree.kind == "github" and tree.release == "2.15.0"
    assert tree.read_text("tensorflow/python/ops/init_ops.py") == INIT
    assert tree.read_text("keras/src/layers/rnn/lstm.py") == "class LSTM:\n    pass\n"
    assert [(p.name, p.version, p.file) for p in tree.packages] == [
        ("tensorflow", "2.15.0", "tensorflow/tensorflow@v2.15.0"),
        ("keras", "2.15.0", "keras-team/keras@v2.15.0")]
    assert not tree.exists("README.md")
    raw = [e for e in server.state.log if e.path.startswith("/raw/")]
    assert raw, "files come from the raw endpoint"
    # warm + offline: everything from the cache, nothing over the wire
    n = len(server.state.log)
    again = github_source(server, tmp_path, offline=True).open("2.15.0")
    assert again.read_text("keras/src/layers/rnn/lstm.py") == "class LSTM:\n    pass\n"
    assert [p.version for p in again.packages] == ["2.15.0", "2.15.0"]
    assert len(server.state.log) == n


def test_github_bad_blob_is_rejected(server: LoopbackServer, tmp_path: Path) -> None:
    serve_repo(server, "tensorflow/tensorflow", "v1.8.0",
               {"tensorflow/python/ops/init_ops.py": INIT.encode()})
    server.put("/raw/tensorflow/tensorflow/v1.8.0/tensorflow/python/ops/init_ops.py", b"evil")
    tree = github_source(server, tmp_path).open("1.8.0")
    from tfinit_audit.errors import FetchError

    with pytest.raises(FetchError, match="git blob sha"):
        tree.read_text("tensorflow/python/ops/init_ops.py")


def test_github_same_bytes_as_pypi(index: FakeIndex, server: LoopbackServer,
                                   tmp_path: Path) -> None:
    """The GitHub layout served from the files of the index's wheels gives identical bytes."""
    files = {"tensorflow/python/ops/init_ops.py": INIT,
             "tensorflow/python/ops/rnn_cell_impl.py": "class LSTMCell: pass\n"}
    index.add("tensorflow", "2.15.0", files, requires=["keras<2.16,>=2.15.0"])
    index.add("keras", "2.15.0", {"keras/src/layers/rnn/lstm.py": "class LSTM: pass\n"},
              tag="py3-none-any")
    ctx = SourceContext.create(cache_dir=tmp_path / "p", index_url=index.url, http=fast_http())
    pypi = open_tree("pypi", "2.15.0", ctx=ctx)
    tf_files = {p: pypi.read_bytes(p) or b"" for p in pypi.list("tensorflow")}
    serve_repo(server, "tensorflow/tensorflow", "v2.15.0", tf_files)
    serve_repo(server, "keras-team/keras", "v2.15.0",
               {p: pypi.read_bytes(p) or b"" for p in pypi.list("keras")})
    gh = github_source(server, tmp_path / "g", index_url=index.url).open("2.15.0")
    for p in [*files, "keras/src/layers/rnn/lstm.py"]:
        assert gh.read_bytes(p) == pypi.read_bytes(p), p
    assert [p.version for p in gh.packages] == ["2.15.0", "2.15.0"]
    api = [e for e in server.state.log if e.path.startswith(("/api/", "/raw/"))]
    assert api and all(e.auth == "Bearer t0ken" for e in api)  # GITHUB_TOKEN is sent


def test_github_raw_file_over_the_member_bound(server: LoopbackServer, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A raw file larger than the member bound fails the read, and nothing of it is cached."""
    big = b"# padding\n" * 20_000  # 200 KB
    serve_repo(server, "tensorflow/tensorflow", "v2.15.0", {
        "tensorflow/python/ops/init_ops.py": INIT.encode(),
        "tensorflow/python/ops/big.py": big,
    })
    monkeypatch.setenv("TFINIT_AUDIT_MAX_MEMBER", "100000")
    tree = github_source(server, tmp_path).open("2.15.0")
    assert tree.read_text("tensorflow/python/ops/init_ops.py") == INIT
    with pytest.raises(FetchError, match=r"big\.py: answer of 200000 bytes is over the 97\.7 KiB"):
        tree.read_text("tensorflow/python/ops/big.py")
    monkeypatch.delenv("TFINIT_AUDIT_MAX_MEMBER")
    assert tree.read_text("tensorflow/python/ops/big.py") == big.decode()  # fetched anew
