"""A variable-creating function written as a ``@contextmanager`` (TF 1.x
``tf.contrib.summary.record_summaries_every_n_global_steps``: ``with f(n):`` makes the global
step) is entered as its documented use does: its body runs up to the ``yield``."""

from __future__ import annotations

from rule_fixtures import assert_real_lines, interp
from test_call_time import tree

from tfinit_audit.analysis.engine.values import FunctionV
from tfinit_audit.analysis.layers import analyze_function
from tfinit_audit.analysis.model import Dims, SymbolResult

M = "mylib/recording.py"

RECORDING = '''
    """A context manager that makes a step counter when none is given, then records."""
    import contextlib

    from tensorflow.python.ops import init_ops
    from tensorflow.python.ops import variable_scope as vs


    @contextlib.contextmanager
    def record_every(n, step=None):
        if step is None:
            step = vs.get_variable("step", [], initializer=init_ops.Zeros())
        yield step


    def record_plain(n, step=None):
        if step is None:
            step = vs.get_variable("step", [], initializer=init_ops.Zeros())
        return step
    '''


def _weights(text: str, name: str) -> list[tuple[str, str]]:
    t = tree({M: text})
    it = interp(t)
    f = it.value_at(M, name)
    assert isinstance(f, FunctionV)
    result = SymbolResult(symbol=name, status="resolved")
    analyze_function(it, f, {}, Dims(units=4, input_dim=3), result)
    for w in result.weights:
        assert_real_lines(t, w.provenance)
    return [(w.name, w.initializer.kind) for w in result.weights]


def test_a_context_manager_function_is_entered() -> None:
    assert _weights(RECORDING, "record_every") == [("step", "zeros")]


def test_a_plain_function_is_called_as_before() -> None:
    assert _weights(RECORDING, "record_plain") == [("step", "zeros")]


def test_a_step_given_by_default_makes_none() -> None:
    edited = RECORDING.replace("def record_every(n, step=None):",
                               "def record_every(n, step=0):")
    assert _weights(edited, "record_every") == []


CONVERTER = '''
    """Mimics TF 1.12 model_to_estimator: either of two optional parameters must be given,
    then the function makes a step counter."""
    from tensorflow.python.ops import init_ops
    from tensorflow.python.ops import variable_scope as vs


    def convert(model=None, model_path=None, config=None):
        if not (model or model_path):
            raise ValueError("Either model or model_path needs to be provided.")
        return vs.get_variable("step", [], initializer=init_ops.Zeros())
    '''


def _result(text: str, name: str, **kwargs: object) -> SymbolResult:
    it = interp(tree({M: text}))
    f = it.value_at(M, name)
    assert isinstance(f, FunctionV)
    result = SymbolResult(symbol=name, status="resolved")
    analyze_function(it, f, dict(kwargs), Dims(units=4, input_dim=3), result)
    return result


def test_a_function_that_raises_under_a_test_of_its_parameters_needs_them() -> None:
    r = _result(CONVERTER, "convert")
    assert r.status == "needs-args" and r.missing_arguments == ["model", "model_path"]
    assert "its code raises ValueError: Either model or model_path needs to be provided. " \
           f"({M}:" in (r.message or "")


def test_given_the_parameter_the_function_creates_its_variable() -> None:
    r = _result(CONVERTER, "convert", model_path="m.h5")
    assert [w.name for w in r.weights] == ["step"]


def test_a_raise_under_a_test_of_no_parameter_is_left_alone() -> None:
    # a state the module holds, not a parameter: nothing to ask for
    edited = CONVERTER.replace("if not (model or model_path):", "if not _READY:").replace(
        "def convert(", "_READY = False\n\n\n    def convert(")
    r = _result(edited, "convert")
    assert r.status == "resolved" and not r.weights
