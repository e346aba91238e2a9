"""``port`` without network or frameworks: layouts recognised from static answers, code for every
layout and target that compiles, the known numbers and steps in it, the NumPy target run for
real, the checkpoint-name matching of ``convert``, clear errors, no framework imported, and the
command's argument errors.

The frameworks themselves run in tests/test_port_frameworks.py (PyTorch, JAX) and
tests/test_port_live.py (TensorFlow and Keras in the test virtualenvs).
"""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import port_fixtures as fx
import pytest

import tfinit_audit
from tfinit_audit.analysis.model import Dims, Initializer
from tfinit_audit.port.generate import generate, snippet
from tfinit_audit.port.layout import recognise
from tfinit_audit.port.model import TARGETS, PortError, port_targets, target_name

ROOT = Path(__file__).resolve().parents[1]

# fixture -> (kind, input_dim, units, hidden, sequence)
LAYOUTS = {
    "tf1_lstm": ("lstm_fused", 32, 64, 64, False),
    "tf1_lstm_peep_proj": ("lstm_fused", 32, 64, 16, False),
    "tf1_lstm_proj": ("lstm_fused", 32, 64, 16, False),
    "tf1_gru": ("gru_fused", 32, 64, 64, False),
    "tf1_rnn": ("rnn_fused", 32, 64, 64, False),
    "keras_lstm": ("lstm", 32, 64, 64, True),
    "keras_lstm_cell": ("lstm", 32, 64, 64, False),
    "keras_lstm_hard": ("lstm", 32, 64, 64, True),
    "keras_gru": ("gru", 32, 64, 64, True),
    "keras_gru_before": ("gru", 32, 64, 64, True),
    "keras_gru_cell": ("gru", 32, 64, 64, False),
    "simple_rnn": ("rnn", 32, 64, 64, True),
    "dense": ("dense", 32, 64, 0, False),
    "conv2d": ("conv", 32, 8, 0, False),
    "embedding": ("embedding", 32, 0, 0, False),
    "batchnorm": ("batchnorm", 32, 0, 0, False),
    "layernorm": ("layernorm", 32, 0, 0, False),
    "get_variable": ("variable", 32, 0, 0, False),
}

# (fixture, target) pairs whose target has no equivalent module (the TF-layout recipe instead)
NO_EQUIVALENT = {
    ("tf1_lstm_peep_proj", "pytorch"), ("tf1_lstm_peep_proj", "jax"),
    ("tf1_lstm_peep_proj", "keras"), ("tf1_lstm_proj", "jax"), ("tf1_lstm_proj", "keras"),
    ("tf1_gru", "pytorch"), ("tf1_gru", "jax"), ("keras_lstm_hard", "pytorch"),
    ("keras_gru_before", "pytorch"), ("keras_gru_before", "jax"),
    ("get_variable", "pytorch"), ("get_variable", "jax"), ("get_variable", "keras"),
}

# what build() returns, where an equivalent module exists
BUILDS = {
    ("tf1_lstm", "pytorch"): "torch.nn.LSTMCell", ("tf1_lstm_proj", "pytorch"): "torch.nn.LSTM",
    ("keras_lstm", "pytorch"): "torch.nn.LSTM", ("keras_gru", "pytorch"): "torch.nn.GRU",
    ("keras_gru_cell", "pytorch"): "torch.nn.GRUCell", ("tf1_rnn", "pytorch"): "torch.nn.RNNCell",
    ("simple_rnn", "pytorch"): "torch.nn.RNN", ("dense", "pytorch"): "torch.nn.Linear",
    ("conv2d", "pytorch"): "torch.nn.Conv2d", ("embedding", "pytorch"): "torch.nn.Embedding",
    ("batchnorm", "pytorch"): "torch.nn.BatchNorm1d",
    ("layernorm", "pytorch"): "torch.nn.LayerNorm",
    ("tf1_lstm", "jax"): "Flax variables for nn.LSTMCell",
    ("keras_lstm", "jax"): "Flax variables for nn.RNN(nn.LSTMCell)",
    ("keras_gru_cell", "jax"): "Flax variables for nn.GRUCell",
    ("tf1_lstm", "keras"): "keras.layers.LSTMCell", ("tf1_gru", "keras"): "keras.layers.GRUCell",
    ("tf1_rnn", "keras"): "keras.layers.SimpleRNNCell",
    ("keras_lstm", "keras"): "keras.layers.LSTM",
}


def port(name: str, target: str, convert: bool = True) -> tfinit_audit.port.Port:
    return generate(fx.ALL[name](), target, Dims(), "1.8.0", convert=convert,
                    command="tfinit-audit port ...")


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_is_recognised_from_the_static_answer(name: str) -> None:
    layout = recognise(fx.ALL[name](), Dims())
    kind, input_dim, units, hidden, sequence = LAYOUTS[name]
    assert layout.kind == kind
    assert layout.input_dim == input_dim
    if units:
        assert layout.units == units
    if hidden:
        assert layout.hidden == hidden
    assert layout.sequence == sequence


def test_lookalikes_are_not_mistaken_for_known_layouts() -> None:
    transposed = fx.conv2d()  # Conv2DTranspose keeps [*window, out, in]
    transposed.weights[0].shape = [3, 3, 8, 32]
    assert recognise(transposed, Dims()).kind == "variable"
    same = fx.conv2d()
    same.weights[0].shape = [3, 3, 32, 32]
    assert recognise(same, Dims()).kind == "conv"
    assert same.defined_in is not None
    same.defined_in.qualname = "Conv2DTranspose"
    assert recognise(same, Dims()).kind == "variable"
    conv_lstm = fx.keras_lstm()  # ConvLSTM2D: four gates, but convolution kernels
    conv_lstm.weights[0].shape, conv_lstm.weights[1].shape = [3, 3, 32, 256], [3, 3, 64, 256]
    assert recognise(conv_lstm, Dims()).kind == "variable"
    p = generate(conv_lstm, "pytorch", Dims(), "2.15")
    assert not p.equivalent and "does not know what these weights are (kernel [3, 3, 32, 256]" \
        in p.notes[0]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_layout_and_target_writes_a_module(name: str, target: str) -> None:
    p = port(name, target)
    tree = ast.parse(p.code)  # valid Python
    defs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"tf_weights", "to_target", "build", "convert", "_pick"} <= defs
    if LAYOUTS[name][0] != "variable":
        assert "step" in defs
    assert p.equivalent == ((name, target) not in NO_EQUIVALENT)
    if not p.equivalent:
        assert p.notes and "equivalent" in p.notes[0]
    if (name, target) in BUILDS:
        assert p.builds == BUILDS[(name, target)]
    assert p.code.startswith('"""') and "Generated by tfinit-audit" in p.code
    compile(snippet(fx.ALL[name](), target, Dims(), "1.8.0").code, "<snippet>", "exec")


def test_tf1_lstm_to_pytorch_spells_out_numbers_order_and_forget_bias() -> None:
    code = port("tf1_lstm", "pytorch").code
    limit = math.sqrt(6 / 352)
    assert f"uniform_({-limit!r}, {limit!r}, generator=g)" in code
    assert "fans of TF's shape [96, 256]" in code and "fan_avg (96 + 256) / 2 = 176" in code
    assert "order = (0, 2, 1, 3)" in code  # torch i, f, g, o <- TF blocks i, f, j, o
    assert "TF (i, j, f, o) (tensorflow/python/ops/rnn_cell_impl.py:836)" in code
    assert "bias[..., 128:192] += 1.0" in code  # TF's forget block, before the reordering
    assert "rnn_cell_impl.py:843" in code  # where call() adds it
    assert "m.weight_ih.copy_(_t(_gates(w[\"kernel\"][:32], order, 64).T))" in code
    assert "m.weight_hh.copy_(_t(_gates(w[\"kernel\"][32:], order, 64).T))" in code
    assert "m.bias_hh.zero_()" in code
    assert "from tensorflow/python/ops/rnn_cell_impl.py:763" in code  # provenance per weight
    assert "[None-fallback]" in code


def test_keras_lstm_composite_bias_is_drawn_per_slice() -> None:
    code = port("keras_lstm", "jax").code
    assert "bias [256]: composite: zeros [0:64], ones [64:128], zeros [128:256]" in code
    assert "jnp.zeros((64,))" in code and "jnp.ones((64,))" in code
    assert "jax.nn.initializers.orthogonal(scale=1.0)(next(keys), (64, 256))" in code


def test_hard_sigmoid_has_no_torch_equivalent_but_flax_takes_it() -> None:
    torch_port = port("keras_lstm_hard", "pytorch")
    assert not torch_port.equivalent
    assert "hard_sigmoid" in torch_port.notes[0] and "class TFLayout" in torch_port.code
    flax = port("keras_lstm_hard", "jax")
    assert flax.equivalent and "gate_fn=lambda x: _hard_sigmoid(jnp, x)" in flax.code
    assert "xp.clip(0.2 * x + 0.5, 0.0, 1.0)" in flax.code


def _numpy_module(name: str):  # type: ignore[no-untyped-def]
    return port(name, "numpy").load(f"port_{name}")


def test_numpy_target_runs_and_keeps_tf_layout() -> None:
    m = _numpy_module("tf1_lstm")
    w = m.build(3)
    assert {k: v.shape for k, v in w.items()} == {"kernel": (96, 256), "bias": (256,)}
    assert all(v.dtype == np.float32 for v in w.values())
    assert np.all(w["bias"] == 0)  # the forget bias is not stored: step adds it, as TF does
    assert np.abs(w["kernel"]).max() <= math.sqrt(6 / 352)
    assert not np.array_equal(m.build(3)["kernel"], m.build(4)["kernel"])
    assert np.array_equal(m.build(3)["kernel"], w["kernel"])  # the seed decides the draw
    # all weights zero: f = sigmoid(0 + forget_bias 1.0), i = o = sigmoid(0), j = 0
    zero = {k: np.zeros_like(v) for k, v in w.items()}
    c0 = np.full((2, 64), 0.7, np.float32)
    y, (c, h) = m.step(zero, np.ones((2, 32), np.float32), (c0, np.zeros((2, 64), np.float32)))
    sig1 = 1 / (1 + math.exp(-1))
    np.testing.assert_allclose(c, sig1 * 0.7, rtol=1e-6)
    np.testing.assert_allclose(y, 0.5 * np.tanh(sig1 * 0.7), rtol=1e-6)
    assert y is h


def test_numpy_orthogonal_and_truncated_normal_helpers() -> None:
    m = _numpy_module("keras_gru")
    rk = m.build(0)["recurrent_kernel"].astype(np.float64)  # [64, 192]: rows orthonormal
    np.testing.assert_allclose(rk @ rk.T, np.eye(64), atol=1e-5)
    s = fx.dense()
    s.weights[0].initializer = Initializer("truncated_normal", {"mean": 0.5, "stddev": 0.1},
                                           stddev=0.1)
    k = generate(s, "numpy", Dims(), "2.15").load().build(1)["kernel"]
    assert np.abs(k - 0.5).max() <= 0.2 + 1e-6 and abs(float(k.mean()) - 0.5) < 0.01


def test_fans_over_named_axes_are_those_of_the_draw_and_its_formula() -> None:
    # Keras 3.15+ EinsumDense kernels: VarianceScaling(input_axes, output_axes); the limit the
    # analysis computed and the formula written beside it both use the fans over those axes
    init = Initializer("glorot_uniform", {"scale": 1.0, "mode": "fan_avg",
                                          "distribution": "uniform", "input_axes": (0,),
                                          "output_axes": (1, 2)}, limit=math.sqrt(3 / 24))
    s = fx.sym("tf.keras.layers.EinsumDense", [fx.w("kernel", [32, 2, 8], init)], {})
    p = generate(s, "numpy", Dims(), "2.21.0")
    assert ("fans of TF's shape [32, 2, 8] over input_axes (0,), output_axes (1, 2): fan_avg "
            "(32 + 16) / 2 = 24; limit = sqrt(3 * 1 / 24) = 0.353553") in " ".join(
                line.strip(" #") for line in p.code.splitlines())
    k = p.load("port_axes").build(0)["kernel"]
    assert k.shape == (32, 2, 8) and 0.33 < np.abs(k).max() <= math.sqrt(3 / 24)
    unknown = Initializer("glorot_uniform", {"scale": 1.0, "mode": "fan_avg",
                                             "distribution": "uniform", "input_axes": None,
                                             "output_axes": (1, 2)})
    s = fx.sym("tf.keras.layers.EinsumDense", [fx.w("kernel", [32, 2, 8], unknown)], {})
    with pytest.raises(PortError, match=r"fans over input_axes=None, output_axes=\(1, 2\) "
                                        r"of \[32, 2, 8\] are not known"):
        generate(s, "numpy", Dims(), "2.21.0")


def test_convert_finds_each_weight_by_its_tf_name() -> None:
    m = port("tf1_lstm_peep_proj", "numpy").load()
    w = m.tf_weights(0)
    ckpt = {f"rnn/lstm_cell/{k}": v for k, v in w.items()}
    ckpt["rnn/lstm_cell/kernel/Adam"] = np.zeros((48, 256))  # optimizer slots are not weights
    ckpt["global_step"] = np.array(3)
    got = m.convert(ckpt)
    assert all(np.array_equal(got[k], w[k]) for k in w)  # kernel did not take projection/kernel
    keras_names = {f"lstm/lstm_cell/{k}:0": v for k, v in w.items()}
    assert np.array_equal(m.convert(keras_names)["kernel"], w["kernel"])
    object_graph = {f"layer/{k}/.ATTRIBUTES/VARIABLE_VALUE": v for k, v in w.items()}
    assert np.array_equal(m.convert(object_graph)["w_f_diag"], w["w_f_diag"])
    with pytest.raises(ValueError, match=r"2 keys end with 'bias'"):
        m.convert({**ckpt, "other/lstm_cell/bias": w["bias"]})
    with pytest.raises(ValueError, match=r"has shape \(96, 256\), this port was generated for "
                                         r"\(48, 256\)"):
        m.convert({**ckpt, "rnn/lstm_cell/kernel": np.zeros((96, 256))})


def test_unresolved_absent_and_shapeless_symbols_are_refused() -> None:
    s = fx.dense()
    s.weights[0].initializer = Initializer("unresolved", {"expression": "make()",
                                                          "path": "a.py", "line": 3})
    with pytest.raises(PortError, match=r"TF 2.15: .*'kernel' is unresolved \(`make\(\)` at "
                                        r"a.py:3\)"):
        generate(s, "pytorch", Dims(), "2.15")
    absent = fx.dense()
    absent.status, absent.message, absent.weights = "absent", "no such name", []
    with pytest.raises(PortError, match="is absent: no such name; nothing to port"):
        generate(absent, "numpy", Dims(), "2.15")
    unbuilt = fx.dense()
    unbuilt.status, unbuilt.missing_arguments, unbuilt.weights = "needs-args", ["function"], []
    with pytest.raises(PortError, match=r"was not built: it needs function \(give "
                                        r"SYMBOL\[name=value\] or --dim name=value\)"):
        generate(unbuilt, "pytorch", Dims(), "2.15")
    shapeless = fx.conv2d()
    shapeless.weights[0].shape = None
    with pytest.raises(PortError, match=r"no concrete shape .*\[kernel_size=3\]"):
        generate(shapeless, "jax", Dims(), "2.15")
    with pytest.raises(PortError, match="unknown port target 'tensorflow'"):
        generate(fx.dense(), "tensorflow", Dims(), "2.15")


def test_an_activation_outside_the_vocabulary_is_a_note_not_a_guess() -> None:
    p = generate(fx.dense("gelu"), "numpy", Dims(), "2.15")
    assert any("'gelu' is not in the port's vocabulary" in n for n in p.notes)
    m = p.load()
    with pytest.raises(NotImplementedError, match="activation gelu"):
        m.step(m.build(0), np.ones((1, 32), np.float32))


def test_target_names_and_port_lists() -> None:
    assert target_name("torch") == "pytorch" and target_name("Flax") == "jax"
    assert port_targets("all") == TARGETS
    assert port_targets("none") == () and port_targets(None) == ()
    assert port_targets("torch,numpy") == ("pytorch", "numpy")
    with pytest.raises(PortError):
        port_targets(["pytorch", "mxnet"])


def test_port_imports_no_framework() -> None:
    code = (
        "import sys, json\n"
        "sys.path.insert(0, 'tests')\n"
        "import port_fixtures as fx\n"
        "from tfinit_audit.analysis.model import Dims\n"
        "from tfinit_audit.port.generate import generate\n"
        "for f in fx.ALL.values():\n"
        "    for t in ('pytorch', 'jax', 'keras', 'numpy'):\n"
        "        generate(f(), t, Dims(), '1.8', convert=True)\n"
        "print(json.dumps([m for m in ('torch', 'jax', 'flax', 'keras', 'tensorflow', 'scipy')"
        " if m in sys.modules]))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == []


def test_api_port_is_the_callable_package() -> None:
    import inspect

    from tfinit_audit import pipeline

    assert callable(tfinit_audit.port)
    assert inspect.signature(tfinit_audit.port) == inspect.signature(pipeline.port)
    assert tfinit_audit.port.Port is tfinit_audit.port.model.Port  # still the package
    with pytest.raises(tfinit_audit.UsageError, match="unknown port target"):
        tfinit_audit.port("tf.keras.layers.Dense", "2.15", to="mxnet")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tfinit_audit", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["port", "tf.keras.layers.Dense", "--version", "2.15", "--to", "mxnet"],
     "invalid choice: 'mxnet'"),
    (["port", "tf.keras.layers.Dense", "--version", "2.15"],
     "the following arguments are required: --to"),
    (["port", "tf.keras.layers.Dense[units=", "--version", "2.15", "--to", "numpy"],
     "bad symbol"),
    (["port", "tf.keras.layers.Dense", "--version", "2.15", "--to", "numpy", "--units", "0"],
     "'0' must be > 0"),
    (["port", "tf.keras.layers.Dense", "--to", "numpy"],
     "port needs the release: --version SPEC"),
    (["explain", "tf.keras.layers.Dense", "--version", "2.15", "--port", "mxnet"],
     "unknown port target 'mxnet'"),
])
def test_port_argument_errors_are_one_line(args: list[str], message: str) -> None:
    res = _cli(*args)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert res.stdout == ""


def test_port_help_explains_every_option() -> None:
    res = _cli("port", "--help")
    assert res.returncode == 0
    for option in ("--to", "--convert", "--out", "--version", "--units", "--input-dim",
                   "Example:", "pytorch, jax, keras, numpy"):
        assert option in res.stdout
    assert "explain" in _cli("--help").stdout and "port" in _cli("--help").stdout


# ------------------------------------------------------------------ on a real release (PyPI)
def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from tfinit_audit.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.network
def test_port_command_writes_the_module_and_the_api_returns_it(
    real_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["port", "tf.nn.rnn_cell.LSTMCell", "--version", "1.8", "--to", "pytorch",
            "--convert", "--cache-dir", str(real_cache)]
    code, out, err = _main(argv, capsys)
    assert code == 0, err
    assert out.startswith('"""tf.nn.rnn_cell.LSTMCell (TensorFlow 1.8.0) -> torch.nn.LSTMCell.')
    assert "def convert(arrays):" in out and "Traceback" not in err
    ast.parse(out)
    api = tfinit_audit.port("tf.nn.rnn_cell.LSTMCell", "1.8", to="pytorch", convert=True,
                            cache_dir=real_cache, command="X")
    assert api.release is not None and api.release.tensorflow == "1.8.0"
    body = out.split("\nimport numpy", 1)[1]
    assert api.code.split("\nimport numpy", 1)[1] == body  # the same module, the CLI's header
    target = tmp_path / "lstm_port.py"
    code, out, err = _main([*argv, "--out", str(target)], capsys)
    assert code == 0 and out == "" and target.read_text().split("\nimport numpy", 1)[1] == body
    assert f"wrote {target}: build(seed) -> torch.nn.LSTMCell" in err
    # no equivalent: a note on stderr, the recipe on stdout
    code, out, err = _main(["port", "tf.nn.rnn_cell.GRUCell", "--version", "1.8", "--to",
                            "pytorch", "--cache-dir", str(real_cache)], capsys)
    assert code == 0 and "class TFLayout(torch.nn.Module)" in out
    assert err.startswith("tfinit-audit: note: no torch.nn equivalent: torch.nn.GRUCell applies")


@pytest.mark.network
def test_port_refusals_on_a_real_release_are_one_line(
    real_cache: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    for argv, message in [
        (["port", "tf.keras.layers.Nope", "--version", "2.15", "--to", "jax"],
         "tf.keras.layers.Nope: no such public name in TensorFlow 2.15.1"),
        (["port", "tf.nn.rnn_cell.LSTMCell", "--version", "2.21", "--to", "keras"],
         "tf.compat.v1.nn.rnn_cell.LSTMCell is unavailable"),
    ]:
        code, out, err = _main([*argv, "--cache-dir", str(real_cache)], capsys)
        assert code == 2 and out == "", err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # every weight of Keras 2 MultiHeadAttention has a concrete shape (built on the rank its
    # docstring documents for the query; the output projection on the attention's output):
    # no PyTorch module is the same thing, so the NumPy recipe with a one-line note
    code, out, err = _main(["port", "tf.keras.layers.MultiHeadAttention[num_heads=2,key_dim=8]",
                            "--version", "2.15", "--to", "pytorch", "--cache-dir",
                            str(real_cache)], capsys)
    assert code == 0 and out, err
    assert err.startswith("tfinit-audit: note: no PyTorch equivalent") and "attention_output/" \
        "kernel [2, 8, 32]" in err and len(err.strip().splitlines()) == 1


@pytest.mark.network
def test_port_of_a_keras3_einsum_kernel_uses_its_axes_fans(
    real_cache: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # TF 2.21 (Keras 3): MultiHeadAttention's EinsumDense kernels carry input/output axes
    code, out, err = _main(["port", "tf.keras.layers.MultiHeadAttention[num_heads=2,key_dim=8]",
                            "--version", "2.21", "--to", "numpy", "--cache-dir",
                            str(real_cache)], capsys)
    assert code == 0 and out, err
    text = " ".join(line.strip(" #") for line in out.splitlines())
    assert ("query/kernel [32, 2, 8]: glorot_uniform" in text and "fans of TF's shape "
            "[32, 2, 8] over input_axes (0,), output_axes (1, 2): fan_avg (32 + 16) / 2 = 24; "
            "limit = sqrt(3 * 1 / 24) = 0.353553") in text
    assert ("fans of TF's shape [2, 8, 32] over input_axes (0, 1), output_axes (2,): fan_avg "
            "(16 + 32) / 2 = 24") in text
    assert "(64 + 256) / 2" not in text  # the usual fans of [32, 2, 8] are not TF's here


@pytest.mark.network
def test_explain_shows_the_port_snippets(real_cache: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explain", "tf.nn.rnn_cell.LSTMCell", "--version", "1.8", "--cache-dir",
            str(real_cache)]
    code, out, _ = _main(argv, capsys)
    assert code == 0
    for head in ("-> torch.nn.LSTMCell", "-> Flax variables for nn.LSTMCell",
                 "-> keras.layers.LSTMCell", "-> dict of NumPy arrays"):
        assert f"# tf.nn.rnn_cell.LSTMCell (TF 1.8.0) {head}" in out
    snippet_text = out[out.index("# tf.nn.rnn_cell.LSTMCell (TF 1.8.0) -> torch"):]
    snippet_text = snippet_text[:snippet_text.index("\n# tf.nn.rnn_cell.LSTMCell (TF 1.8.0) ->")]
    compile(snippet_text, "<copied from explain>", "exec")  # copyable as printed
    code, out, _ = _main([*argv, "--port", "numpy"], capsys)
    assert "-> dict of NumPy arrays" in out and "torch" not in out
    code, out, _ = _main([*argv, "--port", "none"], capsys)
    assert "port snippets" not in out and "porting facts" in out


@pytest.mark.parametrize("target", TARGETS)
def test_a_scalar_weight_is_ported(target: str) -> None:
    # a metric's or a step counter's state has shape []: one number, no rows and columns
    s = fx.sym("tf.keras.metrics.Mean", [fx.w("total", [], fx.zeros()),
                                         fx.w("count", [], fx.ones())], {})
    code = generate(s, target, Dims(), "2.15").code
    compile(code, "<port>", "exec")
    compile(snippet(s, target, Dims(), "2.15").code, "<snippet>", "exec")
    if target == "numpy":
        got = generate(s, "numpy", Dims(), "2.15").load().build(1)
        assert float(got["total"]) == 0.0 and float(got["count"]) == 1.0
