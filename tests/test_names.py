"""Public name -> defining class, on synthetic trees (each pattern) and real releases (network)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from engine_modules import imported

from tfinit_audit.analysis.engine.summaries import ClassInfo
from tfinit_audit.analysis.names import PublicResolution, Resolver
from tfinit_audit.sources.base import MemoryTree, SourceTree


def _tree(files: dict[str, str], owners: dict[str, str] | None = None) -> MemoryTree:
    return MemoryTree({k: textwrap.dedent(v) for k, v in files.items()}, owners=owners or {})


def _check_hops(tree: SourceTree, res: PublicResolution) -> None:
    """Every hop names a real line of the file it points at."""
    for h in res.hops:
        text = tree.read_text(h.path)
        assert text is not None, h
        assert text.splitlines()[h.line - 1].strip() == h.code, h


def _line_of(tree: SourceTree, path: str, needle: str) -> int:
    lines = (tree.read_text(path) or "").splitlines()
    return next(i for i, t in enumerate(lines, 1) if needle in t)


# --------------------------------------------------------------------------- synthetic

STAR = {
    "tensorflow/__init__.py": """
        from tensorflow.api import *
        from tensorflow.api import nn
        """,
    "tensorflow/api/__init__.py": """
        from tensorflow.python.first import *
        from tensorflow.python.second import *
        from tensorflow.python.hidden import *
        """,
    "tensorflow/api/nn/__init__.py": """
        from tensorflow.python.ops import cells as _cells
        LSTMCell = _cells.LSTMCell
        from tensorflow.python.ops.cells import GRUCell as GRU
        from . import rnn_cell
        """,
    "tensorflow/api/nn/rnn_cell/__init__.py": """
        from ...nn import LSTMCell
        from tensorflow.python.ops.cells import *
        """,
    "tensorflow/python/__init__.py": "",
    "tensorflow/python/ops/__init__.py": "",
    "tensorflow/python/ops/cells.py": """
        __all__ = ["LSTMCell", "GRUCell"]

        class LSTMCell(object):
          pass

        class GRUCell(object):
          pass

        class NotExported(object):
          pass
        """,
    "tensorflow/python/first.py": """
        def thing():
          pass

        def _private():
          pass
        """,
    "tensorflow/python/second.py": """
        class thing(object):
          '''Later star import wins.'''
        """,
    "tensorflow/python/hidden.py": """
        __all__ = ["visible"]
        thing = None
        visible = 1
        """,
}


def test_star_imports_all_aliases_relative_imports() -> None:
    tree = _tree(STAR)
    r = Resolver(tree)
    res = r.resolve_public("tf.thing")
    assert res.status == "found" and res.definition is not None
    # second.py's class wins over first.py's function; hidden.py's __all__ hides its `thing`
    assert res.definition.kind == "class"
    assert res.definition.location is not None
    assert res.definition.location.path == "tensorflow/python/second.py"
    assert res.definition.location.line == _line_of(tree, "tensorflow/python/second.py",
                                                    "class thing")
    _check_hops(tree, res)
    assert r.resolve_public("tf._private").status == "absent"  # no __all__: no underscores

    alias = r.resolve_public("tf.nn.LSTMCell")
    assert alias.definition and alias.definition.location
    assert alias.definition.location.path == "tensorflow/python/ops/cells.py"
    assert alias.definition.qualname == "LSTMCell"
    _check_hops(tree, alias)

    gru = r.resolve_public("tf.nn.GRU")
    assert gru.definition and gru.definition.qualname == "GRUCell"

    rel = r.resolve_public("tf.nn.rnn_cell.LSTMCell")  # `from ...nn import LSTMCell`
    assert rel.definition and rel.definition.location
    assert rel.definition.location.path == "tensorflow/python/ops/cells.py"
    assert r.resolve_public("tf.nn.rnn_cell.GRUCell").status == "found"  # star with __all__
    assert r.resolve_public("tf.nn.rnn_cell.NotExported").status == "absent"
    missing = r.resolve_public("tf.nn.NoSuchCell")
    assert missing.status == "absent" and "NoSuchCell" in (missing.message or "")

    # resolve(): a name as seen inside a module's namespace
    d = r.resolve("tensorflow.api.nn", "_cells.GRUCell")
    assert d is not None and d.kind == "class" and d.location
    assert d.location.path == "tensorflow/python/ops/cells.py"
    assert r.module("tensorflow.api.nn") is not None
    assert r.module("tensorflow.nope") is None


LAZY = {
    "tensorflow/__init__.py": """
        import sys as _sys
        from tensorflow.python.util.lazy import Loader as _Loader
        from tensorflow.api import compat
        _current_module = _sys.modules[__name__]
        setattr(_current_module, "keras", _Loader(globals()))
        """,
    "tensorflow/api/__init__.py": "",
    "tensorflow/api/compat/__init__.py": "from tensorflow.api.compat import v1\n",
    "tensorflow/api/compat/v1/__init__.py": """
        import sys as _sys
        from tensorflow.api.compat.v1 import nn
        from tensorflow.python.util.lazy import Loader as _Loader
        _current_module = _sys.modules[__name__]
        _current_module.nn.rnn_cell = _Loader(globals(), submodule="legacy.rnn_cell", mode="v1")
        """,
    "tensorflow/api/compat/v1/nn/__init__.py": "from . import rnn_cell\n",
    "tensorflow/api/compat/v1/nn/rnn_cell/__init__.py":
        "from tensorflow.python.ops.cells import LSTMCell\n",
    "tensorflow/python/__init__.py": "",
    "tensorflow/python/ops/__init__.py": "",
    "tensorflow/python/ops/cells.py": "class LSTMCell(object):\n  pass\n",
    "tensorflow/python/util/__init__.py": "",
    "tensorflow/python/util/lazy.py": """
        import importlib
        import os
        import types


        class LazyLoader(types.ModuleType):
          def __init__(self, local_name, parent_globals, name):
            self._local_name = local_name
            super().__init__(name)

          def _load(self):
            module = importlib.import_module(self.__name__)
            self.__dict__.update(module.__dict__)
            return module

          def __getattr__(self, item):
            return getattr(self._load(), item)


        class Loader(LazyLoader):
          def __init__(self, parent_globals, mode="v2", submodule=None, name="keras"):
            self._mode = mode
            self._submodule = submodule
            self._name = name
            self._initialized = False

          def _initialize(self):
            self._initialized = True
            if os.environ.get("USE_OLD", None) in ("1", "true"):
              package = "old_keras.api"
            else:
              try:
                import keras
              except ImportError:
                raise ImportError("Keras cannot be imported here.")
              if keras.__version__.startswith("3."):
                self._flavour = "k3"
                package = "keras.tf_api"
              else:
                self._flavour = "k2"
                package = f"keras.api._{self._mode}"
            if self._submodule is not None:
              package += "." + self._submodule
            super().__init__(self._name, None, package)

          def __getattr__(self, item):
            if not self._initialized:
              self._initialize()
            if self._flavour == "k3" and self._submodule:
              raise AttributeError(f"`{item}` is not served by Keras 3 here.")
            return getattr(self._load(), item)
        """,
}

KERAS2 = {
    "keras/__init__.py": '__version__ = "2.9.0"\n',
    "keras/api/__init__.py": "",
    "keras/api/_v2/__init__.py": "from keras.api._v2 import layers\n",
    "keras/api/_v2/layers/__init__.py": "from keras.src.lstm import LSTM\n",
    "keras/api/_v1/__init__.py": "",
    "keras/api/_v1/legacy/__init__.py": "",
    "keras/api/_v1/legacy/rnn_cell/__init__.py": "from keras.src.legacy_cells import LSTMCell\n",
    "keras/src/__init__.py": "",
    "keras/src/lstm.py": "class LSTM(object):\n  pass\n",
    "keras/src/legacy_cells.py": "\n\nclass LSTMCell(object):\n  pass\n",
}

KERAS3 = {
    "keras/__init__.py": "from keras.src.version import __version__\n",
    "keras/src/__init__.py": "",
    "keras/src/version.py": '__version__ = "3.1.0"\n',
    "keras/tf_api/__init__.py": "from keras.tf_api import layers\n",
    "keras/tf_api/layers/__init__.py": "from keras.src.layers.lstm import LSTM as LSTM\n",
    "keras/src/layers/__init__.py": "",
    "keras/src/layers/lstm.py": "class LSTM:\n  pass\n",
}


def test_a_star_import_of_a_package_the_release_does_not_ship_is_unknown_not_absent() -> None:
    """TF's platform/flags.py: ``from absl.flags import *`` (absl is a dependency, not in the
    wheel), then ``DEFINE_string = _wrap(DEFINE_string)``. What absl binds cannot be read: a
    name from it is unresolved at the star import's line -- never "absent" or a NameError.
    A star import of a module of the tree that lacks the name still leaves it absent."""
    files = {
        "tensorflow/__init__.py": """
            from tensorflow.python.platform import flags
            from tensorflow.python.platform.ours import *
            """,
        "tensorflow/python/__init__.py": "",
        "tensorflow/python/platform/__init__.py": "",
        "tensorflow/python/platform/ours.py": "mine = 1\n",
        "tensorflow/python/platform/flags.py": """
            from absl.flags import *

            def _wrap(f):
                return f

            DEFINE_string = _wrap(DEFINE_string)
            """,
    }
    tree = _tree(files)
    r = Resolver(tree)
    line = _line_of(tree, "tensorflow/python/platform/flags.py", "from absl.flags import *")
    for name in ("tf.flags.DEFINE_string", "tf.flags.DEFINE_anything"):
        res = r.resolve_public(name)
        assert res.status == "unresolved", (name, res.status, res.message)
        assert res.message is not None and "from absl.flags import *" in res.message
        assert f"tensorflow/python/platform/flags.py:{line}" in res.message
    assert r.resolve_public("tf.flags._private").status == "absent"
    assert r.resolve_public("tf.nothing_here").status == "absent"
    assert r.resolve_public("tf.mine").status == "found"


def test_lazy_loader_keras2_replaces_generated_module() -> None:
    tree = _tree({**LAZY, **KERAS2}, owners={"keras": "keras"})
    r = Resolver(tree)
    res = r.resolve_public("tf.compat.v1.nn.rnn_cell.LSTMCell")
    assert res.status == "found" and res.definition and res.definition.location
    # the loader installed at import time wins over the generated rnn_cell/__init__.py
    assert res.definition.location.path == "keras/src/legacy_cells.py"
    assert res.definition.location.package == "keras"
    assert res.definition.location.line == 3
    _check_hops(tree, res)
    notes = " | ".join(h.note for h in res.hops)
    assert "keras.api._v1.legacy.rnn_cell" in notes  # the f-string the loader built
    k = r.resolve_public("tf.keras.layers.LSTM")
    assert k.definition and k.definition.location
    assert k.definition.location.path == "keras/src/lstm.py"


def test_lazy_loader_keras3_refuses_with_its_own_message() -> None:
    tree = _tree({**LAZY, **KERAS3})
    r = Resolver(tree)
    res = r.resolve_public("tf.compat.v1.nn.rnn_cell.LSTMCell")
    assert res.status == "unavailable"
    assert res.message == "AttributeError: `LSTMCell` is not served by Keras 3 here."
    _check_hops(tree, res)
    assert any(h.code.startswith("raise AttributeError(") for h in res.hops)
    ok = r.resolve_public("tf.keras.layers.LSTM")
    assert ok.definition and ok.definition.location
    assert ok.definition.location.path == "keras/src/layers/lstm.py"


def test_lazy_loader_without_keras_is_unavailable() -> None:
    res = Resolver(_tree(LAZY)).resolve_public("tf.keras.layers.LSTM")
    assert res.status == "unavailable"
    assert res.message == "ImportError: Keras cannot be imported here."


def test_changing_the_loader_source_changes_the_answer() -> None:
    files = {**LAZY, **KERAS2}
    files["tensorflow/python/util/lazy.py"] = files["tensorflow/python/util/lazy.py"].replace(
        'package = f"keras.api._{self._mode}"', 'package = "keras.api._v2"')
    files["keras/api/_v2/legacy/__init__.py"] = ""
    files["keras/api/_v2/legacy/rnn_cell/__init__.py"] = (
        "from keras.src.lstm import LSTM as LSTMCell\n")
    res = Resolver(_tree(files)).resolve_public("tf.compat.v1.nn.rnn_cell.LSTMCell")
    assert res.definition and res.definition.location
    assert res.definition.location.path == "keras/src/lstm.py"


SHIM = {
    "tensorflow/__init__.py": """
        import sys as _sys
        import importlib as _importlib
        import types as _types


        class _LazyLoader(_types.ModuleType):
          def __init__(self, local_name, parent_module_globals, name):
            self._local_name = local_name
            super(_LazyLoader, self).__init__(name)

          def _load(self):
            module = _importlib.import_module(self.__name__)
            self.__dict__.update(module.__dict__)
            return module

          def __getattr__(self, item):
            module = self._load()
            return getattr(module, item)


        def _forward_module(old_name):
          parts = old_name.split(".")
          parts[0] = parts[0] + "_core"
          local_name = parts[-1]
          existing_name = ".".join(parts)
          _module = _LazyLoader(local_name, globals(), existing_name)
          return _sys.modules.setdefault(old_name, _module)


        _top_level_modules = ["tensorflow._api", "tensorflow.python"]
        for _m in _top_level_modules:
          _forward_module(_m)

        from tensorflow_core import *

        try:
          del python
        except NameError:
          pass
        """,
    "tensorflow_core/__init__.py": """
        from tensorflow._api.v1 import nn
        from tensorflow.python.ops.vs import get_variable
        """,
    "tensorflow_core/_api/v1/__init__.py": "",
    "tensorflow_core/_api/v1/nn/__init__.py": "from tensorflow.python.ops.cells import LSTMCell\n",
    "tensorflow_core/python/__init__.py": "",
    "tensorflow_core/python/ops/__init__.py": "",
    "tensorflow_core/python/ops/cells.py": "class LSTMCell(object):\n  pass\n",
    "tensorflow_core/python/ops/vs.py": "def get_variable(name, initializer=None):\n  pass\n",
}


def test_core_shim_forwarding_by_sys_modules() -> None:
    tree = _tree(SHIM)
    r = Resolver(tree)
    res = r.resolve_public("tf.nn.LSTMCell")
    assert res.status == "found" and res.definition and res.definition.location
    assert res.definition.location.path == "tensorflow_core/python/ops/cells.py"
    _check_hops(tree, res)
    gv = r.resolve_public("tf.get_variable")
    assert gv.definition and gv.definition.kind == "function" and gv.definition.location
    assert gv.definition.location.path == "tensorflow_core/python/ops/vs.py"
    assert gv.definition.location.line == 1
    assert r.resolve_public("tf.python").status == "absent"  # `del python` in the shim
    assert r.module_path("tensorflow.python.ops.cells") == "tensorflow_core/python/ops/cells.py"


# 2.0-style: the package extends its own ``__path__`` at import time, so ``tensorflow_core.keras``
# is found in a directory that is not ``tensorflow_core/keras`` (that one does not exist).
PATH_SHIM = {
    **SHIM,
    "tensorflow/__init__.py": SHIM["tensorflow/__init__.py"].replace(
        '["tensorflow._api", "tensorflow.python"]',
        '["tensorflow._api", "tensorflow.python", "tensorflow.keras"]',
    ) + """
        keras = _sys.modules["tensorflow.keras"]
        """,
    "tensorflow_core/__init__.py": """
        import os as _os
        import sys as _sys
        from tensorflow.python.tools import module_util as _module_util
        from tensorflow._api.v1 import nn

        _API_MODULE = _sys.modules[__name__].nn
        _tf_api_dir = _os.path.dirname(_os.path.dirname(_API_MODULE.__file__))
        _current_module = _sys.modules[__name__]

        if not hasattr(_current_module, '__path__'):
          __path__ = [_tf_api_dir]
        elif _tf_api_dir not in __path__:
          __path__.append(_tf_api_dir)

        try:
          from tensorboard.summary._tf import summary
          _current_module.__path__ = (
              [_module_util.get_parent_dir(summary)] + _current_module.__path__)
        except ImportError:
          pass

        try:
          from .python.keras.api._v2 import keras
          _current_module.__path__ = (
              [_module_util.get_parent_dir(keras)] + _current_module.__path__)
          setattr(_current_module, "keras", keras)
        except ImportError:
          pass
        """,
    "tensorflow_core/python/tools/__init__.py": "",
    "tensorflow_core/python/tools/module_util.py": """
        import os


        def get_parent_dir(module):
          return os.path.abspath(os.path.join(os.path.dirname(module.__file__), ".."))
        """,
    "tensorflow_core/python/keras/__init__.py": "",
    "tensorflow_core/python/keras/api/__init__.py": "",
    "tensorflow_core/python/keras/api/_v2/__init__.py": "",
    "tensorflow_core/python/keras/api/_v2/keras/__init__.py": "from . import layers\n",
    "tensorflow_core/python/keras/api/_v2/keras/layers/__init__.py": (
        "from tensorflow.python.keras.layers.recurrent_v2 import LSTM\n"),
    "tensorflow_core/python/keras/layers/__init__.py": "",
    "tensorflow_core/python/keras/layers/recurrent_v2.py": "\n\nclass LSTM(object):\n  pass\n",
}


def test_package_path_extended_at_import_time() -> None:
    tree = _tree(PATH_SHIM)
    r = Resolver(tree)
    core = r.it.import_module("tensorflow_core")
    path = r.it.imports.module_dirs(core)
    assert path is not None
    # the keras parent dir is prepended last; tensorboard's is outside the tree (opaque)
    assert path == [
        "tensorflow_core/python/keras/api/_v2", "tensorflow_core", "tensorflow_core/_api/v1"]
    assert r.module_path("tensorflow_core.keras") == (
        "tensorflow_core/python/keras/api/_v2/keras/__init__.py")
    res = r.resolve_public("tf.keras.layers.LSTM")
    assert res.status == "found", res.message
    assert res.definition and res.definition.location
    assert res.definition.location.path == "tensorflow_core/python/keras/layers/recurrent_v2.py"
    assert res.definition.location.line == 3
    _check_hops(tree, res)
    assert any("import_module" in h.code for h in res.hops)  # through the lazy loader


def test_package_path_edit_changes_the_answer() -> None:
    files = dict(PATH_SHIM)
    # the extension now names tensorflow_core/python: tensorflow_core.keras is then the
    # implementation package python/keras/, whose (empty) layers package has no LSTM
    files["tensorflow_core/__init__.py"] = files["tensorflow_core/__init__.py"].replace(
        "[_module_util.get_parent_dir(keras)]", "[_module_util.get_parent_dir(_module_util)]")
    r = Resolver(_tree(files))
    assert r.module_path("tensorflow_core.keras") == "tensorflow_core/python/keras/__init__.py"
    res = r.resolve_public("tf.keras.layers.LSTM")
    assert res.status == "absent", (res.status, res.message)


# C3: the classic example of the Python MRO docs, spread over modules, imported under aliases.
C3_FILES = {
    "pkg/__init__.py": "",
    "pkg/base.py": """
        class O(object):
          def build(self):
            return "O"


        class A(O):
          pass


        class B(O):
          def build(self):
            return "B"


        class C(O):
          pass
        """,
    "pkg/more.py": """
        from pkg import base as _b


        class D(_b.O):
          pass


        class E(_b.O):
          def build(self):
            return "E"
        """,
    "pkg/mid.py": """
        from pkg.base import A, B, C
        from pkg.more import D, E as Ee


        class K1(A, B, C):
          pass


        class K2(D, B, Ee):
          pass


        class K3(D, A):
          pass
        """,
    "pkg/top.py": """
        from pkg import mid


        class Z(mid.K1, mid.K2, mid.K3):
          pass


        class Diamond(mid.K3, mid.K1):
          pass
        """,
}


def _real_mro(tmp_path: Path, files: dict[str, str], module: str, name: str) -> list[str]:
    """``__mro__`` qualnames as real CPython computes them for the same files."""
    with imported(files, tmp_path) as get:
        cls = getattr(get(module), name)
        return [c.__qualname__ for c in cls.__mro__]


@pytest.mark.parametrize("name", ["Z", "Diamond"])
def test_mro_is_c3_across_modules(tmp_path: Path, name: str) -> None:
    r = Resolver(_tree(C3_FILES))
    d = r.resolve("pkg.top", name)
    assert d is not None and d.kind == "class"
    order = r.mro(d)
    assert [x.qualname for x in order] == _real_mro(tmp_path, C3_FILES, "pkg.top", name)
    assert order[-1].kind == "builtin" and order[-1].module == "builtins"
    assert all(x.location and x.location.path.startswith("pkg/") for x in order[:-1])


def test_attribute_lookup_follows_c3_not_depth_first() -> None:
    from tfinit_audit.analysis.engine.values import ClassV, FunctionV

    r = Resolver(_tree(C3_FILES))
    z = r.resolve("pkg.top", "Z")
    assert z is not None and z.location is not None and z.info is not None
    src = r.it.sources.module(z.location.path)
    assert src is not None and isinstance(z.info, ClassInfo)
    # depth-first would reach O.build through K1 -> A -> O before B; Python finds B.build
    build = r.it.getattr(ClassV(src=src, info=z.info), "build")
    assert isinstance(build, FunctionV) and build.qualname == "B.build"


def test_mro_unresolvable_base_and_inconsistent_order() -> None:
    files = {
        **C3_FILES,
        "pkg/odd.py": """
            from pkg.base import A, B
            from somewhere_else import Mixin


            class Uses(Mixin, A):
              pass


            class X(A, B):
              pass


            class Y(B, A):
              pass


            class Bad(X, Y):
              pass
            """,
    }
    r = Resolver(_tree(files))
    u = r.resolve("pkg.odd", "Uses")
    assert u is not None
    order = r.mro(u)
    assert [x.kind for x in order] == ["class", "unresolved", "class", "class", "builtin"]
    assert order[1].expr == "Mixin" and order[1].location is not None
    assert order[1].location.path == "pkg/odd.py" and order[1].location.line == 6
    bad = r.resolve("pkg.odd", "Bad")
    assert bad is not None
    b = r.mro(bad)
    assert len(b) == 2 and b[1].kind == "unresolved" and "consistent" in (b[1].expr or "")
    fn = r.resolve("pkg.base", "O.build")
    assert fn is not None and fn.kind == "function"
    with pytest.raises(ValueError):
        r.mro(fn)


EXPORT_ONLY = {
    "tensorflow/__init__.py": "from tensorflow.python import *\n",
    "tensorflow/python/__init__.py": "",
    "tensorflow/python/ops/__init__.py": "",
    "tensorflow/python/ops/cells.py": """
        from tensorflow.python.util.tf_export import tf_export


        @tf_export(v1=["nn.rnn_cell.LSTMCell"])
        class LSTMCell(object):
          pass


        @tf_export("keras.layers.LSTMCell", v1=[])
        class KerasCell(object):
          pass


        def get_variable():
          pass


        tf_export(v1=["get_variable"])(get_variable)
        """,
    "tensorflow/python/util/__init__.py": "",
    "tensorflow/python/util/tf_export.py": "def tf_export(*a, **k):\n  return lambda f: f\n",
}


def test_tf_export_fallback_without_generated_api() -> None:
    tree = _tree(EXPORT_ONLY)
    r = Resolver(tree)
    for name in ("tf.nn.rnn_cell.LSTMCell", "tf.compat.v1.nn.rnn_cell.LSTMCell"):
        res = r.resolve_public(name)
        assert res.status == "found", (name, res.message)
        assert res.definition and res.definition.location
        assert res.definition.location.path == "tensorflow/python/ops/cells.py"
        assert res.definition.qualname == "LSTMCell"
        assert res.hops[0].code.startswith("@tf_export(")
        _check_hops(tree, res)
    k = r.resolve_public("tf.keras.layers.LSTMCell")
    assert k.definition and k.definition.qualname == "KerasCell"
    assert r.resolve_public("tf.compat.v1.keras.layers.LSTMCell").status == "absent"  # v1=[]
    gv = r.resolve_public("tf.compat.v1.get_variable")
    assert gv.definition and gv.definition.kind == "function"
    assert r.resolve_public("tf.nn.rnn_cell.GRUCell").status == "absent"


def test_warm_resolver_parses_no_module(tmp_path: Path) -> None:
    """Summaries come from the disk cache: a warm run parses no module whole, only the
    bodies of the functions it runs (the lazy loader's)."""
    tree = _tree({**LAZY, **KERAS2})
    cold_r = Resolver(tree, tmp_path)
    cold = cold_r.resolve_public("tf.compat.v1.nn.rnn_cell.LSTMCell")
    assert cold_r.it.sources.asts.parsed > 0
    warm_r = Resolver(tree, tmp_path)
    warm = warm_r.resolve_public("tf.compat.v1.nn.rnn_cell.LSTMCell")
    assert warm.definition and cold.definition
    assert warm.definition.location == cold.definition.location
    assert warm.hops == cold.hops
    assert warm_r.it.sources.asts.parsed == 0


# --------------------------------------------------------------------------- real releases

network = pytest.mark.network


def _real(version: str, real_ctx: object) -> SourceTree:
    from tfinit_audit.sources import SourceContext, open_tree

    assert isinstance(real_ctx, SourceContext)
    return open_tree("pypi", version, ctx=real_ctx)


class _HideTop:
    """A SourceTree view without one top-level package (empty: hides nothing); records reads."""

    def __init__(self, tree: SourceTree, top: str) -> None:
        self.tree = tree
        self.top = top
        self.seen: list[str] = []

    def _hidden(self, path: str) -> bool:
        self.seen.append(path)
        return bool(self.top) and (path == self.top or path.startswith(self.top + "/"))

    def read_text(self, path: str) -> str | None:
        return None if self._hidden(path) else self.tree.read_text(path)

    def exists(self, path: str) -> bool:
        return False if self._hidden(path) else self.tree.exists(path)

    def list(self, prefix: str) -> list[str]:
        return [] if self._hidden(prefix) else self.tree.list(prefix)

    def package_of(self, path: str) -> str | None:
        return None if self._hidden(path) else self.tree.package_of(path)


def _found(tree: SourceTree, name: str, path: str, first: str, package: str,
           cache: Path | None = None) -> PublicResolution:
    res = Resolver(tree, cache).resolve_public(name)
    assert res.status == "found", (name, res.status, res.message)
    loc = res.definition.location if res.definition else None
    assert loc is not None and loc.path == path and loc.package == package, (name, loc)
    text = tree.read_text(path)
    assert text is not None
    assert text.splitlines()[loc.line - 1].startswith(first), (name, loc.line)
    _check_hops(tree, res)
    return res


@network
@pytest.mark.slow
def test_real_1_8_0(real_ctx: object, tmp_path: Path) -> None:
    tree = _real("1.8.0", real_ctx)
    res = _found(tree, "tf.nn.rnn_cell.LSTMCell", "tensorflow/python/ops/rnn_cell_impl.py",
                 "class LSTMCell(", "tensorflow", tmp_path)
    assert any("tools/api/generator/api" in h.path for h in res.hops)  # 1.8's generated API
    gv = _found(tree, "tf.get_variable", "tensorflow/python/ops/variable_scope.py",
                "def get_variable(", "tensorflow", tmp_path)
    assert gv.definition and gv.definition.kind == "function"
    _found(tree, "tf.layers.Dense", "tensorflow/python/layers/core.py", "class Dense(",
           "tensorflow", tmp_path)


@network
@pytest.mark.slow
def test_real_1_10_0(real_ctx: object) -> None:
    tree = _real("1.10.0", real_ctx)
    _found(tree, "tf.nn.rnn_cell.LSTMCell", "tensorflow/python/ops/rnn_cell_impl.py",
           "class LSTMCell(", "tensorflow")
    _found(tree, "tf.nn.rnn_cell.GRUCell", "tensorflow/python/ops/rnn_cell_impl.py",
           "class GRUCell(", "tensorflow")


@network
@pytest.mark.slow
def test_real_1_15_5_core_shim(real_ctx: object) -> None:
    tree = _real("1.15.5", real_ctx)
    res = _found(tree, "tf.nn.rnn_cell.LSTMCell", "tensorflow_core/python/ops/rnn_cell_impl.py",
                 "class LSTMCell(", "tensorflow")
    assert res.hops[0].path == "tensorflow/__init__.py"  # through the shim's star import
    _found(tree, "tf.compat.v1.nn.rnn_cell.LSTMCell",
           "tensorflow_core/python/ops/rnn_cell_impl.py", "class LSTMCell(", "tensorflow")
    _found(tree, "tf.get_variable", "tensorflow_core/python/ops/variable_scope.py",
           "def get_variable(", "tensorflow")


@network
@pytest.mark.slow
def test_real_2_15_0_keras_lazy_loaders(real_ctx: object) -> None:
    tree = _real("2.15.0", real_ctx)
    res = _found(tree, "tf.compat.v1.nn.rnn_cell.LSTMCell", "keras/src/layers/rnn/legacy_cells.py",
                 "class LSTMCell(", "keras")
    assert any(h.path == "tensorflow/python/util/lazy_loader.py" for h in res.hops)
    _found(tree, "tf.keras.layers.LSTM", "keras/src/layers/rnn/lstm.py", "class LSTM(", "keras")
    _found(tree, "tf.compat.v1.layers.Dense", "keras/src/legacy_tf_layers/core.py",
           "class Dense(", "keras")
    r = Resolver(tree)
    assert r.resolve_public("tf.nn.rnn_cell.LSTMCell").status == "absent"
    assert r.resolve_public("tf.keras.layers.NoSuchLayer").status == "absent"
    # LSTMCell.__mro__ as the installed TF 2.15.1 / Keras 2.15.0 prints it (C3 across the
    # keras and tensorflow distributions)
    assert res.definition is not None
    assert [f"{d.module}.{d.qualname}" for d in r.mro(res.definition)] == [
        "keras.src.layers.rnn.legacy_cells.LSTMCell",
        "keras.src.layers.rnn.legacy_cells.LayerRNNCell",
        "keras.src.layers.rnn.legacy_cells.RNNCell",
        "keras.src.legacy_tf_layers.base.Layer",
        "keras.src.engine.base_layer_v1.Layer",
        "keras.src.engine.base_layer.Layer",
        "tensorflow.python.module.module.Module",
        "tensorflow.python.trackable.autotrackable.AutoTrackable",
        "tensorflow.python.trackable.base.Trackable",
        "keras.src.utils.version_utils.LayerVersionSelector",
        "builtins.object",
    ]


@network
@pytest.mark.slow
@pytest.mark.parametrize("release", ["2.16.1", "2.21.0"])
def test_real_keras3_compat_v1_cells_unavailable(real_ctx: object, release: str) -> None:
    """2.16+ with Keras 3 and no ``tf_keras`` (TF does not require it; no TF_USE_LEGACY_KERAS
    set): the compat.v1 cells and layers raise the release's own message at use."""
    real = _real(release, real_ctx)
    tree = _HideTop(real, "tf_keras")  # a default install: tf_keras is not a requirement
    _found(tree, "tf.keras.layers.LSTM", "keras/src/layers/rnn/lstm.py", "class LSTM(", "keras")
    _found(tree, "tf.compat.v1.get_variable", "tensorflow/python/ops/variable_scope.py",
           "def get_variable(", "tensorflow")
    # the same answer when tf_keras could be installed: without TF_USE_LEGACY_KERAS the
    # release's loader never imports it
    spy = _HideTop(real, "")
    res = Resolver(spy).resolve_public("tf.compat.v1.nn.rnn_cell.LSTMCell")
    assert res.status == "unavailable", res.message
    assert not [p for p in spy.seen if p.startswith("tf_keras")]
    r = Resolver(tree)
    for name, item in (("tf.compat.v1.nn.rnn_cell.LSTMCell", "LSTMCell"),
                       ("tf.compat.v1.layers.Dense", "Dense")):
        res = r.resolve_public(name)
        assert res.status == "unavailable", (name, res.status, res.message)
        # the release's own text (tensorflow/python/util/lazy_loader.py), as TF 2.21 raises it
        assert res.message == f"AttributeError: `{item}` is not available with Keras 3."
        raise_hop = res.hops[-1]
        assert raise_hop.path == "tensorflow/python/util/lazy_loader.py"
        assert raise_hop.code.startswith("raise AttributeError(")
        _check_hops(tree, res)


@network
@pytest.mark.slow
def test_real_2_0_0_core_path_extension(real_ctx: object) -> None:
    tree = _real("2.0.0", real_ctx)
    res = _found(tree, "tf.keras.layers.LSTM",
                 "tensorflow_core/python/keras/layers/recurrent_v2.py", "class LSTM(", "tensorflow")
    assert any(h.path == "tensorflow_core/python/keras/api/_v2/keras/layers/__init__.py"
               for h in res.hops)
    _found(tree, "tf.keras.layers.Dense", "tensorflow_core/python/keras/layers/core.py",
           "class Dense(", "tensorflow")
    _found(tree, "tf.keras.layers.BatchNormalization",
           "tensorflow_core/python/keras/layers/normalization_v2.py",
           "class BatchNormalization(", "tensorflow")
    _found(tree, "tf.compat.v1.nn.rnn_cell.LSTMCell",
           "tensorflow_core/python/ops/rnn_cell_impl.py", "class LSTMCell(", "tensorflow")
    r = Resolver(tree)
    path = r.it.imports.module_dirs(r.it.import_module("tensorflow_core"))
    assert path is not None and path[0] == "tensorflow_core/python/keras/api/_v2"
    assert r.resolve_public("tf.nn.rnn_cell.LSTMCell").status == "absent"
