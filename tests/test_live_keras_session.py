"""The probe builds each symbol in a graph of its own; Keras's backend runs its own ops in
``get_session()``: the default session if there is one, else a global session it made for
the graph of the first symbol that asked. TF 1.2 ``ConvLSTM2D.build`` (``tensorflow/contrib/
keras/python/keras/layers/convolutional_recurrent.py``) calls ``K.set_value(self.bias, ...)``
(``unit_forget_bias``), which feeds a placeholder of the symbol's graph to that session: the
second such symbol probed failed with "... is not an element of this graph" (``verify
--symbols all`` on 1.2.1: 3 inconclusive). The probe now builds with a session of the
symbol's graph as the default one (live/probe.py ``build_graph``), and reads the values in
that same session, running only the initializers of the variables not initialized yet: the
ones ``set_value`` wrote into the forget gate's slice are what Keras' user gets (the probe
used to re-run every initializer in a fresh session and read zeros)."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]


def test_a_second_keras_build_that_runs_ops_in_the_keras_session_is_probed() -> None:
    python = venv_python("tf12")
    statics = analyze(open_installed(python), [parse_symbol("tf.contrib.keras.layers.LSTM"),
                                               parse_symbol("tf.contrib.keras.layers.ConvLSTM2D")],
                      Dims())
    for static in statics:
        assert static.status == "resolved", static.message
        assert {w.name for w in static.weights} == {"kernel", "recurrent_kernel", "bias"}
        [bias] = [w for w in static.weights if w.name == "bias"]
        n = bias.shape[-1] // 4
        # rules/set_value.py: the value K.set_value writes, not the zeros it overwrites
        assert [(p["initializer"].kind, p["start"], p["stop"]) for p in
                bias.initializer.params["parts"]] == [("zeros", 0, n), ("ones", n, 2 * n),
                                                      ("zeros", 2 * n, 4 * n)]
    run = verify_interpreter(python, statics, Dims(), timeout=600)
    assert run.error is None, run.error
    # a composite agrees only when each part's values are exactly its constant: the live
    # bias has the ones
    assert run.summary == {"agree": 6, "disagree": 0, "inconclusive": 0}, describe(run)
    for s in run.symbols:
        [live_bias] = [w for w in s.weights if w.name == "bias"]
        assert live_bias.verdict == "agree", (s.symbol, live_bias.evidence)
