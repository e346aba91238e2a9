"""Symbol specs: twin namespaces."""

from __future__ import annotations

from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS, twin_names


def test_twin_names_longest_prefix_wins() -> None:
    assert twin_names("tf.nn.rnn_cell.LSTMCell") == [
        "tf.compat.v1.nn.rnn_cell.LSTMCell", "tf.contrib.rnn.LSTMCell"]
    assert twin_names("tf.contrib.rnn.GRUCell") == [
        "tf.nn.rnn_cell.GRUCell", "tf.compat.v1.nn.rnn_cell.GRUCell"]
    assert twin_names("tf.compat.v1.layers.Dense") == ["tf.layers.Dense"]
    assert twin_names("tf.keras.layers.LSTM") == [
        "tf.compat.v1.keras.layers.LSTM", "tf.contrib.keras.layers.LSTM"]
    assert twin_names("keras.layers.LSTM") == []


def test_default_tf1_names_carry_their_twins() -> None:
    by_name = {s.display(): s for s in DEFAULT_SYMBOLS}
    assert by_name["tf.nn.rnn_cell.GRUCell"].candidates() == [
        "tf.nn.rnn_cell.GRUCell", "tf.compat.v1.nn.rnn_cell.GRUCell", "tf.contrib.rnn.GRUCell"]
    assert by_name["tf.get_variable"].candidates() == [
        "tf.get_variable", "tf.compat.v1.get_variable"]
    assert by_name["tf.keras.layers.LSTM"].candidates() == ["tf.keras.layers.LSTM"]
