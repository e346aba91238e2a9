"""``port --convert`` against real TensorFlow: the same outputs from the same weights.

In the TF 1.15 and 2.15 test virtualenvs (scripts/setup-test-envs.sh) each layer is built, every
variable gets random values (a zero bias could hide a wrong mapping), and one forward step runs
(cells: one step from a random state; RNN layers: a 4-step sequence from a random initial
state). The variables, by TF name, go through the generated ``convert``, and the generated
``step`` runs on the same input and state in PyTorch, JAX/Flax and NumPy (in this interpreter)
and in Keras (tf.keras 2 in the 2.15 venv, Keras 3 in the newest one): outputs and states must
equal TF's to 1e-5.

tensorflow#29622: a TF 1.15 ``tf.nn.rnn_cell.LSTMCell`` checkpoint written by ``tf.train.Saver``
in graph mode, converted by the Keras port and run as ``tf.keras.layers.LSTMCell`` in TF 2.15
(and Keras 3), gives TF 1.15's outputs.

The static answers come from each venv's installed TensorFlow (``--source installed:PYTHON``).
The largest differences are written to ``test-artifacts/port-forward.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from port_tf import as_arrays, run_tf, venv_python

import tfinit_audit
from tfinit_audit.analysis.model import Dims
from tfinit_audit.port.generate import generate

pytestmark = [pytest.mark.live, pytest.mark.slow]

B, T, TOL = 3, 4, 1e-5
ARTIFACT = Path(__file__).resolve().parents[1] / "test-artifacts" / "port-forward.json"
HERE = ("pytorch", "jax", "numpy")
RESULTS: list[dict[str, Any]] = []


@dataclass
class Case:
    id: str
    symbol: str  # as the static analysis is asked
    ctor: str
    args: list[Any]
    call: str  # tf1_cell | keras_cell | keras_rnn | layer
    state: list[int] = field(default_factory=list)  # widths of the state tensors
    kwargs: dict[str, Any] = field(default_factory=dict)
    keras: tuple[str, ...] = ()  # venvs that run the Keras port on these weights
    x: tuple[int, ...] = (B, 32)
    ids: bool = False

    def request(self, rng: np.random.Generator) -> dict[str, Any]:
        kwargs = dict(self.kwargs)
        if self.call == "keras_rnn":
            kwargs.update(return_sequences=True, return_state=True)
        x = (rng.integers(0, 100, self.x) if self.ids
             else rng.uniform(-1, 1, self.x).astype(np.float32))
        return {"id": self.id, "ctor": self.ctor, "args": self.args, "kwargs": kwargs,
                "call": self.call, "ids": self.ids, "x": x.tolist(),
                "state": [rng.uniform(-1, 1, (B, n)).astype(np.float32).tolist()
                          for n in self.state]}


SEQ = (B, T, 32)
LAYERS = [
    Case("dense", "tf.keras.layers.Dense", "tf.keras.layers.Dense", [64], "layer"),
    Case("conv2d", "tf.keras.layers.Conv2D", "tf.keras.layers.Conv2D", [8, 3], "layer",
         x=(B, 5, 5, 32)),  # the table's 32 input channels (the static side's kernel)
    Case("embedding", "tf.keras.layers.Embedding", "tf.keras.layers.Embedding", [100, 16],
         "layer", x=(B, 7), ids=True),
]
TF115 = [
    Case("lstm", "tf.nn.rnn_cell.LSTMCell", "tf.nn.rnn_cell.LSTMCell", [64], "tf1_cell",
         [64, 64], keras=("tf215", "tf221")),
    Case("lstm_peepholes", "tf.nn.rnn_cell.LSTMCell[use_peepholes=True]",
         "tf.nn.rnn_cell.LSTMCell", [64], "tf1_cell", [64, 64], {"use_peepholes": True}),
    Case("lstm_projection", "tf.nn.rnn_cell.LSTMCell[num_proj=16]", "tf.nn.rnn_cell.LSTMCell",
         [64], "tf1_cell", [64, 16], {"num_proj": 16}),
    Case("lstm_peepholes_projection", "tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]",
         "tf.nn.rnn_cell.LSTMCell", [64], "tf1_cell", [64, 16],
         {"use_peepholes": True, "num_proj": 16}),
    Case("basic_lstm", "tf.nn.rnn_cell.BasicLSTMCell", "tf.nn.rnn_cell.BasicLSTMCell", [64],
         "tf1_cell", [64, 64], keras=("tf215",)),
    Case("gru", "tf.nn.rnn_cell.GRUCell", "tf.nn.rnn_cell.GRUCell", [64], "tf1_cell", [64],
         keras=("tf215", "tf221")),
    Case("basic_rnn", "tf.nn.rnn_cell.BasicRNNCell", "tf.nn.rnn_cell.BasicRNNCell", [64],
         "tf1_cell", [64], keras=("tf215",)),
    Case("keras_lstm", "tf.keras.layers.LSTM", "tf.keras.layers.LSTM", [64], "keras_rnn",
         [64, 64], x=SEQ),
    Case("keras_gru", "tf.keras.layers.GRU", "tf.keras.layers.GRU", [64], "keras_rnn", [64],
         x=SEQ),
    Case("keras_gru_reset_after", "tf.keras.layers.GRU[reset_after=True]",
         "tf.keras.layers.GRU", [64], "keras_rnn", [64], {"reset_after": True}, x=SEQ),
    *LAYERS,
]
V1 = "tf.compat.v1.nn.rnn_cell"
TF215 = [
    Case("lstm", f"{V1}.LSTMCell", f"{V1}.LSTMCell", [64], "tf1_cell", [64, 64],
         keras=("tf215", "tf221")),
    Case("lstm_peepholes_projection", f"{V1}.LSTMCell[use_peepholes=True,num_proj=16]",
         f"{V1}.LSTMCell", [64], "tf1_cell", [64, 16], {"use_peepholes": True, "num_proj": 16}),
    Case("gru", f"{V1}.GRUCell", f"{V1}.GRUCell", [64], "tf1_cell", [64],
         keras=("tf215", "tf221")),
    Case("keras_lstm", "tf.keras.layers.LSTM", "tf.keras.layers.LSTM", [64], "keras_rnn",
         [64, 64], x=SEQ, keras=("tf221",)),
    Case("keras_lstm_cell", "tf.keras.layers.LSTMCell", "tf.keras.layers.LSTMCell", [64],
         "keras_cell", [64, 64]),
    Case("keras_gru", "tf.keras.layers.GRU", "tf.keras.layers.GRU", [64], "keras_rnn", [64],
         x=SEQ, keras=("tf221",)),
    Case("keras_gru_reset_before", "tf.keras.layers.GRU[reset_after=False]",
         "tf.keras.layers.GRU", [64], "keras_rnn", [64], {"reset_after": False}, x=SEQ,
         keras=("tf221",)),
    Case("keras_gru_cell", "tf.keras.layers.GRUCell", "tf.keras.layers.GRUCell", [64],
         "keras_cell", [64]),
    Case("simple_rnn", "tf.keras.layers.SimpleRNN", "tf.keras.layers.SimpleRNN", [64],
         "keras_rnn", [64], x=SEQ),
    *[Case(c.id, c.symbol, c.ctor, c.args, c.call, c.state, c.kwargs, ("tf221",), c.x, c.ids)
      for c in LAYERS],
]
VENV_CASES = {"tf115": TF115, "tf215": TF215}


@dataclass
class Run:
    """One venv's TF forward answers and the static answers of its installed release."""

    release: str
    answers: dict[str, dict[str, Any]]
    symbols: dict[str, Any]


@pytest.fixture(scope="module")
def runs(real_cache: Path) -> dict[str, Run]:
    for module in ("torch", "jax", "flax"):
        __import__(module)  # installed by scripts/test.sh
    out = {}
    rng = np.random.default_rng(20260)
    for venv, cases in VENV_CASES.items():
        python = venv_python(venv)
        answer = run_tf(venv, {"mode": "forward", "seed": 7,
                               "cases": [c.request(rng) for c in cases]})
        symbols = {}
        for c in cases:
            ex = tfinit_audit.explain(c.symbol, source=f"installed:{python}",
                                      cache_dir=real_cache, ports=None)
            symbols[c.id] = ex.symbol
            release = ex.release.label
        out[venv] = Run(release, {k: as_arrays(v) for k, v in answer["cases"].items()},
                        symbols)
    yield out
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(RESULTS, indent=1))


def step_all(module: Any, arrays: dict[str, np.ndarray], case: Case,
             answer: dict[str, Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """convert(), then step() over the input as the TF script's port mode does."""
    target = module.convert(arrays)
    x = answer["x"] if not case.ids else np.asarray(answer["x"], dtype=np.int32)
    if not case.state:
        return np.asarray(module.step(target, x)), []
    state: Any = tuple(answer["state"]) if len(case.state) > 1 else answer["state"][0]
    steps = [x[:, t] for t in range(x.shape[1])] if case.call == "keras_rnn" else [x]
    outputs = []
    for xt in steps:
        y, state = module.step(target, xt, state)
        outputs.append(np.asarray(y))
    y = np.stack(outputs, 1) if case.call == "keras_rnn" else outputs[0]
    return y, [np.asarray(s) for s in (state if isinstance(state, tuple | list) else [state])]


def compare(venv: str, case: Case, target: str, where: str, answer: dict[str, Any],
            y: np.ndarray, new: list[np.ndarray], equivalent: bool) -> None:
    diffs = [float(np.abs(y - answer["output"]).max())]
    for got, want in zip(new, answer.get("new_state", []), strict=True):
        diffs.append(float(np.abs(got - want).max()))
    RESULTS.append({"tf": venv, "layer": case.id, "symbol": case.symbol, "target": target,
                    "ran_in": where, "equivalent_module": equivalent,
                    "max_abs_diff": max(diffs)})
    assert y.shape == answer["output"].shape
    assert max(diffs) <= TOL, (venv, case.id, target, diffs)


PAIRS = [(venv, c, t) for venv, cases in VENV_CASES.items() for c in cases for t in HERE]


@pytest.mark.parametrize("venv, case, target", PAIRS,
                         ids=[f"{v}-{c.id}-{t}" for v, c, t in PAIRS])
def test_converted_weights_give_tfs_outputs(runs: dict[str, Run], venv: str, case: Case,
                                            target: str) -> None:
    run = runs[venv]
    answer = run.answers[case.id]
    port = generate(run.symbols[case.id], target, Dims(), run.release, convert=True)
    module = port.load(f"port_{case.id}_{target}")
    y, new = step_all(module, answer["weights"], case, answer)
    compare(venv, case, target, "this interpreter", answer, y, new, port.equivalent)


KERAS_JOBS = [(venv, c, k) for venv, cases in VENV_CASES.items() for c in cases for k in c.keras]


@pytest.mark.parametrize("venv, case, keras_venv", KERAS_JOBS,
                         ids=[f"{v}-{c.id}-keras-in-{k}" for v, c, k in KERAS_JOBS])
def test_keras_port_gives_tfs_outputs(runs: dict[str, Run], venv: str, case: Case,
                                      keras_venv: str) -> None:
    """The upgrade path: weights of a TF 1.x cell (or a Keras 2 layer) into tf.keras 2 / Keras
    3, run there."""
    run = runs[venv]
    answer = run.answers[case.id]
    port = generate(run.symbols[case.id], "keras", Dims(), run.release, convert=True)
    assert port.equivalent, port.notes
    job = {"code": port.code, "arrays": {k: v.tolist() for k, v in answer["weights"].items()},
           "x": answer["x"].tolist() if hasattr(answer["x"], "tolist") else answer["x"],
           "ids": case.ids, "sequence": case.call == "keras_rnn"}
    if case.state:
        job["state"] = [s.tolist() for s in answer["state"]]
    (got,) = run_tf(keras_venv, {"mode": "port", "jobs": [job]})["jobs"]
    got = as_arrays(got)
    compare(venv, case, "keras", keras_venv, answer, got["output"], got.get("new_state", []),
            port.equivalent)


@pytest.mark.parametrize("keras_venv", ["tf215", "tf221"])
def test_tf1_lstmcell_checkpoint_runs_as_keras_lstmcell(real_cache: Path, tmp_path: Path,
                                                        keras_venv: str) -> None:
    """tensorflow#29622: the TF 1.x kernel is not just kernel + recurrent_kernel stacked -- the
    gate order differs and forget_bias is not in the stored bias. The port says both."""
    rng = np.random.default_rng(29622)
    x = rng.uniform(-1, 1, (B, 32)).astype(np.float32)
    state = [rng.uniform(-1, 1, (B, 64)).astype(np.float32) for _ in range(2)]
    saved = run_tf("tf115", {"mode": "checkpoint", "seed": 3, "dir": str(tmp_path),
                             "ctor": "tf.nn.rnn_cell.LSTMCell", "args": [64],
                             "x": x.tolist(), "state": [s.tolist() for s in state]})
    assert "rnn/lstm_cell/kernel:0" in saved["variables"]
    python = venv_python("tf115")
    ex = tfinit_audit.explain("tf.nn.rnn_cell.LSTMCell", source=f"installed:{python}",
                              cache_dir=real_cache, ports=None)
    port = generate(ex.symbol, "keras", Dims(), ex.release.label, convert=True)
    assert "c<-j" in port.code and "forget_bias=1.0" in port.code
    (got,) = run_tf(keras_venv, {"mode": "port", "jobs": [{
        "code": port.code, "checkpoint": saved["checkpoint"], "x": x.tolist(),
        "state": [s.tolist() for s in state]}]})["jobs"]
    assert "rnn/lstm_cell/kernel" in got["keys"]  # the checkpoint's own names
    y, new = np.asarray(got["output"]), [np.asarray(s) for s in got["new_state"]]
    diffs = [float(np.abs(y - np.asarray(saved["output"])).max())] + [
        float(np.abs(a - np.asarray(b)).max()) for a, b in zip(new, saved["new_state"],
                                                               strict=True)]
    RESULTS.append({"tf": "tf115 checkpoint", "layer": "lstm (tensorflow#29622)",
                    "symbol": "tf.nn.rnn_cell.LSTMCell", "target": "keras", "ran_in": keras_venv,
                    "equivalent_module": True, "max_abs_diff": max(diffs)})
    assert max(diffs) <= TOL, diffs


@pytest.mark.parametrize("keras_venv", ["tf215", "tf221"])
def test_keras_port_draws_tfs_distributions(real_cache: Path, keras_venv: str) -> None:
    """build(seed) of the Keras port, run in tf.keras 2 and Keras 3: the limit of TF 1.x's
    concatenated kernel on both Keras kernels, the forget bias folded into Keras' f slice."""
    from tfinit_audit.live.stats import distribution_checks, predicted_distribution

    python = venv_python("tf115")
    ex = tfinit_audit.explain("tf.nn.rnn_cell.LSTMCell", source=f"installed:{python}",
                              cache_dir=real_cache, ports=None)
    port = generate(ex.symbol, "keras", Dims(), ex.release.label)
    draws = run_tf(keras_venv, {"mode": "draws", "code": port.code, "seeds": list(range(6))})
    built = [as_arrays(d) for d in draws["draws"]]
    dist, _ = predicted_distribution(ex.symbol.weights[0].initializer, [96, 256])
    assert dist is not None
    for name in ("kernel", "recurrent_kernel"):
        checks = distribution_checks([b[name] for b in built], dist)
        assert all(c.passed for c in checks), [c.as_dict() for c in checks]
    for b in built:
        assert np.all(b["bias"][64:128] == 1.0)  # Keras (i, f, c, o)
        assert np.all(b["bias"][:64] == 0.0) and np.all(b["bias"][128:] == 0.0)
