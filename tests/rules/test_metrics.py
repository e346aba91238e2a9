"""rules/metrics.py (with rules/call_time.py): a Keras metric whose constructor is not told
its shape makes its state on the first ``update_state``, reached through ``Metric.__call__(
*args, **kwargs)``, from the values' whole shape -- the batch axis is the table's ``batch``."""

from __future__ import annotations

from keras_fixture import answer, tree

from tfinit_audit.analysis.model import Dims

METRICS = '''
    """Mimics Keras metrics: ``Metric.__call__`` hands its arguments to ``update_state`` through
    a replica-local helper, then returns ``result()``; ``MeanTensor`` makes its state on the
    first update; ``Sum`` is a plain layer that makes a weight in its call (not a metric)."""
    from kl import base


    def call_replica_local_fn(fn, *args, **kwargs):
        return fn(*args, **kwargs)


    class Metric(base.Layer):
        def __call__(self, *args, **kwargs):
            def replica_local_fn(*args, **kwargs):
                self.update_state(*args, **kwargs)
                return self.result()

            return call_replica_local_fn(replica_local_fn, *args, **kwargs)

        def update_state(self, *args, **kwargs):
            raise NotImplementedError

        def result(self):
            raise NotImplementedError


    class MeanTensor(Metric):
        def __init__(self, name="mean_tensor", shape=None):
            super().__init__(name=name)
            self._built = False
            if shape is not None:
                self._build(shape)

        def _build(self, shape):
            self._total = self.add_weight(name="total", shape=shape, initializer="zeros")
            self._built = True

        def update_state(self, values, sample_weight=None):
            if not self._built:
                self._build(values.shape)
            return values

        def result(self):
            if not self._built:
                raise ValueError("no value yet")
            return self._total


    class Sum(base.Layer):
        def call(self, inputs):
            self.total = self.add_weight(name="total", shape=inputs.shape, initializer="zeros")
            return inputs
    '''


def test_a_metric_makes_its_state_from_its_first_update() -> None:
    r = answer(tree(METRICS, "MeanTensor, Sum"), "tf.MeanTensor")
    assert r.status == "resolved", r.message
    assert r.input_shape == [1, 3]  # one batch of the table's size: the probe builds on it
    [w] = r.weights
    assert (w.name, w.shape, w.initializer.kind) == ("total", [1, 3], "zeros")
    assert w.provenance[0].code == ('self._total = self.add_weight(name="total", shape=shape, '
                                    'initializer="zeros")')


def test_a_layer_that_is_no_metric_keeps_its_batch_open() -> None:
    r = answer(tree(METRICS, "MeanTensor, Sum"), "tf.Sum")
    assert r.input_shape == [None, 3]
    [w] = r.weights
    assert (w.name, w.shape, w.shape_expr) == ("total", None, "inputs.shape")


def test_the_batch_and_the_state_shape_change_the_answer() -> None:
    t = tree(METRICS, "MeanTensor, Sum")
    r = answer(t, "tf.MeanTensor", Dims(units=4, input_dim=3, given={"batch": 4}))
    assert [w.shape for w in r.weights] == [[4, 3]]
    per_feature = tree(METRICS.replace("self._build(values.shape)",
                                       "self._build(values.shape[1:])"), "MeanTensor, Sum")
    assert [w.shape for w in answer(per_feature, "tf.MeanTensor").weights] == [[3]]
