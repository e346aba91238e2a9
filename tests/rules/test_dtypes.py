"""DTypeRule (rules/dtypes.py): dtypes are known by name."""

from __future__ import annotations

from typing import Any

from rule_fixtures import evaluate, interp, make_tree

from tfinit_audit.analysis.engine.values import Const, Instance, Unknown
from tfinit_audit.analysis.rules.dtypes import DTypeRule
from tfinit_audit.analysis.rules.values import DType

DTYPES = '''
    """Mimics tensorflow/python/framework/dtypes.py: module-level dtype objects and
    ``as_dtype``, which looks a name up in a table the analysis cannot evaluate."""


    class DType(object):
        def __init__(self, type_enum):
            self._type_enum = type_enum


    float32 = DType(1)
    int32 = DType(3)
    qint8 = DType(11)


    def as_dtype(type_value):
        return _NAME_TO_DTYPE[type_value]
    '''

OTHER = '''
    """A module that is not a dtypes module but has names like one."""
    float32 = "not a dtype"
    '''

VARIABLES = '''
    """Mimics how TF 1.x ``get_variable`` picks its default initializer from the dtype:
    glorot_uniform for floats, zeros for integers and bools."""
    from mylib.framework import dtypes
    from mylib.framework import other


    def default_initializer(dtype=dtypes.float32):
        if dtype.is_floating:
            init = "glorot_uniform"
        elif dtype.is_integer or dtype.is_bool:
            init = "zeros"
        else:
            init = "required"
        return init
    '''


def tree(variables: str = VARIABLES) -> Any:
    return make_tree({"mylib/framework/dtypes.py": DTYPES, "mylib/framework/other.py": OTHER,
                      "mylib/ops/variables.py": variables})


def ev(expr: str, rules: Any = None, variables: str = VARIABLES) -> Any:
    return evaluate(interp(tree(variables), rules), "mylib/ops/variables.py", expr)


def value(expr: str, **kw: Any) -> Any:
    v = ev(expr, **kw)
    assert isinstance(v, Const), (expr, v)
    return v.value


# ------------------------------------------------------------------ decided
def test_module_constants_of_a_dtypes_module_are_dtypes() -> None:
    for rules in (None, [DTypeRule()]):
        v = ev("dtypes.float32", rules)
        assert isinstance(v, DType) and v.name == "float32"
    assert isinstance(ev("dtypes.float32", []), Instance)  # without the rule: the object


def test_as_dtype_of_a_known_name_or_a_dtype() -> None:
    v = ev("dtypes.as_dtype('float64')", [DTypeRule()])
    assert isinstance(v, DType) and v.name == "float64"
    v = ev("dtypes.as_dtype(dtypes.int32)", [DTypeRule()])
    assert isinstance(v, DType) and v.name == "int32"


def test_predicates_follow_from_the_name() -> None:
    assert value("dtypes.float32.is_floating") is True
    assert value("dtypes.float32.is_integer") is False
    assert value("dtypes.int32.is_integer") is True
    assert value("dtypes.as_dtype('bfloat16').is_floating") is True
    assert value("dtypes.as_dtype('half').is_floating") is True
    assert value("dtypes.as_dtype('uint8').is_unsigned") is True
    assert value("dtypes.as_dtype('complex64').is_complex") is True
    assert value("'bool'.is_bool") is True  # a dtype name given as a string
    assert value("dtypes.int32.name") == "int32"
    v = ev("dtypes.float32.base_dtype")
    assert isinstance(v, DType) and v.name == "float32"


def test_default_initializer_branch_is_decided_by_the_dtype() -> None:
    assert value("default_initializer()") == "glorot_uniform"
    assert value("default_initializer(dtypes.int32)") == "zeros"
    assert value("default_initializer('bool')") == "zeros"
    assert value("default_initializer(dtypes.as_dtype('string'))") == "required"


def test_the_answer_follows_the_source() -> None:
    changed = VARIABLES.replace("dtype=dtypes.float32", "dtype=dtypes.int32")
    assert value("default_initializer()", variables=changed) == "zeros"


# ------------------------------------------------------------------ left alone
def test_as_dtype_of_an_unknown_name_is_left_to_the_library() -> None:
    for expr in ("dtypes.as_dtype('nosuch')", "dtypes.as_dtype(3)"):
        v = ev(expr)
        # the library's own body ran (its table lookup is not evaluable): no dtype invented
        assert isinstance(v, Unknown) and v.text == "_NAME_TO_DTYPE[type_value]", expr
        assert v.path == "mylib/framework/dtypes.py"


def test_names_the_rule_does_not_know_are_the_modules_own() -> None:
    v = ev("dtypes.qint8")
    assert isinstance(v, Instance) and v.cls.name == "DType"


def test_a_module_that_is_not_a_dtypes_module_keeps_its_names() -> None:
    assert value("other.float32") == "not a dtype"


def test_strings_that_are_not_dtype_names_have_no_predicates() -> None:
    assert isinstance(ev("'tanh'.is_floating"), Unknown)


def test_unknown_dtype_attributes_are_unknown_not_guessed() -> None:
    v = ev("dtypes.float32.size")
    assert isinstance(v, Unknown) and v.text == "dtype.size"


def test_a_dtype_the_rule_cannot_name_does_not_decide_a_two_way_default() -> None:
    lines = VARIABLES.splitlines(keepends=True)
    two_way = "".join(x for x in lines if "is_integer" not in x and '"zeros"' not in x)
    assert "elif" not in two_way
    v = ev("default_initializer(dtypes.as_dtype(something))", variables=two_way)
    assert isinstance(v, Unknown)


def test_a_dtype_the_rule_cannot_name_does_not_decide_a_three_way_default() -> None:
    v = ev("default_initializer(dtypes.as_dtype(something))")
    assert isinstance(v, Unknown)
