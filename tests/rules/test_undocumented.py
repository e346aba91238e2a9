"""RemoveUndocumentedRule: a public name a TF 1.x module deletes with ``remove_undocumented``
at the end of its import is absent -- by attribute and through star imports -- with the call
as the reason; the listing (tests/rules/test_listing.py) leaves such names out too."""

from __future__ import annotations

from rule_fixtures import interp, make_tree

from tfinit_audit.analysis.names import Resolver
from tfinit_audit.sources.base import MemoryTree

FILES = {
    "tensorflow/__init__.py": '''
        from tensorflow.python import *
        from tensorflow import contrib
        ''',
    "tensorflow/python/__init__.py": '''
        from tensorflow.python.ops import *
        from tensorflow.python import ops
        from tensorflow.python.ops import variable_scope as vs
        from tensorflow.python.all_util import remove_undocumented
        _allowed_symbols = ["Allowed"]
        remove_undocumented(__name__, _allowed_symbols, [ops])
        ''',
    "tensorflow/python/ops/__init__.py": '''
        """Ops.

        @@Documented
        """
        class Documented(object):
            pass


        class Allowed(object):
            pass


        class Undocumented(object):
            pass
        ''',
    "tensorflow/python/ops/variable_scope.py": '''
        def get_local_variable(name):
            pass
        ''',
    "tensorflow/contrib/__init__.py": '''
        """Contrib: documents itself (no doc_string_modules).

        @@Kept
        """
        from tensorflow.python.ops import Documented as Kept, Undocumented as Gone
        from tensorflow.python.all_util import remove_undocumented
        remove_undocumented(__name__)
        ''',
    "tensorflow/python/all_util.py": '''
        def remove_undocumented(module_name, allowed_exception_list=None,
                                doc_string_modules=None):
            pass
        ''',
}


def resolve(name: str, files: dict[str, str] | None = None) -> tuple[str, str | None]:
    t: MemoryTree = make_tree(files or FILES)
    r = Resolver(t, engine=interp(t)).resolve_public(name)
    return r.status, r.message


def test_documented_and_allowed_names_stay() -> None:
    assert resolve("tf.Documented")[0] == "found"
    assert resolve("tf.Allowed")[0] == "found"  # in allowed_exception_list
    assert resolve("tf.contrib.Kept")[0] == "found"  # @@ in the module's own docstring


def test_a_deleted_name_is_absent_also_through_a_star_import() -> None:
    status, message = resolve("tf.Undocumented")  # tf gets it by `from tensorflow.python import *`
    assert status == "absent"
    assert message == ("tf has no attribute 'Undocumented' (remove_undocumented deletes every "
                       "public name of tensorflow.python not referenced as @@name in its "
                       "docstring or allowed: tensorflow/python/__init__.py:7)")
    assert resolve("tf.contrib.Gone")[0] == "absent"


def test_an_edit_of_the_docstring_or_the_call_changes_the_answer() -> None:
    ops = FILES["tensorflow/python/ops/__init__.py"]
    documented = {**FILES, "tensorflow/python/ops/__init__.py": ops.replace(
        "@@Documented", "@@Documented\n        @@Undocumented")}
    assert resolve("tf.Undocumented", documented)[0] == "found"
    no_call = {**FILES, "tensorflow/python/__init__.py": FILES[
        "tensorflow/python/__init__.py"].replace("remove_undocumented(__name__", "print(__name__")}
    assert resolve("tf.Undocumented", no_call)[0] == "found"


def test_arguments_it_cannot_read_keep_every_name() -> None:
    missing_module = {**FILES, "tensorflow/python/__init__.py": FILES[
        "tensorflow/python/__init__.py"].replace("from tensorflow.python import ops",
                                                 "from tensorflow.python.ops import nope")}
    assert resolve("tf.Documented", missing_module)[0] == "found"  # not a guess of fewer docs
    unreadable = {**FILES, "tensorflow/python/__init__.py": FILES[
        "tensorflow/python/__init__.py"].replace("_allowed_symbols, [ops]",
                                                 "_allowed_symbols, make_modules()")}
    assert resolve("tf.Undocumented", unreadable)[0] == "found"


def test_a_module_alias_is_deleted_like_any_name_its_own_submodule_is_not() -> None:
    """TF 0.12.1: ``tensorflow.python`` gets ``vs`` (``variable_scope``) through a star import
    of an ops module, and ``remove_undocumented`` deletes it -- ``tf.vs`` raises AttributeError
    in TF 0.12.1 (tf012), where 0.12.1's ``--symbols all`` listed ``tf.vs.get_local_variable``.
    ``from tensorflow.python import ops`` (its own submodule) still finds the module."""
    status, message = resolve("tf.vs.get_local_variable")
    assert status == "absent"
    assert message is not None and message.startswith("tf has no attribute 'vs' (remove_undoc")
    documented = {**FILES, "tensorflow/python/ops/__init__.py": FILES[
        "tensorflow/python/ops/__init__.py"].replace("@@Documented", "@@Documented\n        @@vs")}
    assert resolve("tf.vs.get_local_variable", documented)[0] == "found"
    assert resolve("tf.python.ops.Documented")[0] == "found"


def test_the_allowed_list_as_extended_before_the_call() -> None:
    """TF 0.12.1 ``tensorflow/python/__init__.py``: ``_allowed_symbols.extend([... 'nn' ...])``
    before ``remove_undocumented``; read without the extends, ``tf.nn`` was deleted."""
    extended = {**FILES, "tensorflow/python/__init__.py": FILES[
        "tensorflow/python/__init__.py"].replace(
            '_allowed_symbols = ["Allowed"]',
            '_allowed_symbols = ["Allowed"]\n        _allowed_symbols.extend(["Undocumented"])')}
    assert resolve("tf.Undocumented", extended)[0] == "found"
    assert resolve("tf.Undocumented")[0] == "absent"


def test_a_call_that_cleans_another_module_is_not_the_modules_own() -> None:
    """TF 1.15 ``tf.contrib.framework``: ``remove_undocumented(nest.__name__, ...)`` first,
    then ``remove_undocumented(__name__, allowed_exception_list=['nest'])``: ``nest`` stays."""
    two_calls = {**FILES, "tensorflow/contrib/__init__.py": FILES[
        "tensorflow/contrib/__init__.py"].replace(
            "remove_undocumented(__name__)",
            'from tensorflow.python import ops as helper\n'
            '        remove_undocumented(helper.__name__, allowed_exception_list=[])\n'
            '        remove_undocumented(__name__, allowed_exception_list=["Gone"])')}
    assert resolve("tf.contrib.Gone", two_calls)[0] == "found"  # the own call's list
    assert resolve("tf.contrib.Kept", two_calls)[0] == "found"  # @@ in its docstring
