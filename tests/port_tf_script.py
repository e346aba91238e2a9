"""Run in a TensorFlow test virtualenv (Python 3.7+, TF and NumPy only) by tests/port_tf.py.

Reads one JSON request on stdin, writes one JSON answer on stdout. Modes:

- ``forward``: for each case, construct the layer, build it, give *every* variable random
  values (so a zero bias cannot hide a wrong mapping), run a forward step (cells: one step from a
  random state; RNN layers: a short sequence from a random initial state) and return the
  variables by TF name with the input, state and outputs;
- ``checkpoint``: TF 1.x graph mode: a cell under a variable scope, random variables, one step,
  saved with ``tf.train.Saver`` (what a TF 1.x user has on disk);
- ``port``: for each job, exec a generated port module, ``convert`` the arrays of a checkpoint
  (read with ``tf.train.load_checkpoint``) or of the job, run its ``step`` and return the
  outputs;
- ``draws``: exec a generated port module and return ``build(seed)``'s weights for each seed.
"""

import json
import os
import sys
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_stdout = sys.stdout
sys.stdout = sys.stderr  # TF and Keras print; only the answer goes to stdout

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

TF1 = tf.__version__.startswith("1.")
if TF1:
    tf.enable_eager_execution()


def arr(a):
    return np.asarray(a, dtype=np.float32)


def lst(a):
    if isinstance(a, (list, tuple)):
        return [lst(x) for x in a]
    return np.asarray(a).tolist()


def resolve(name):
    obj = tf
    for part in name.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def randomize(variables, rng):
    for v in variables:
        v.assign(rng.uniform(-0.5, 0.5, size=v.shape.as_list()).astype(np.float32))


def lstm_tuple():
    try:
        return tf.nn.rnn_cell.LSTMStateTuple
    except AttributeError:
        return tf.compat.v1.nn.rnn_cell.LSTMStateTuple


def forward(case, rng):
    layer = resolve(case["ctor"])(*case.get("args", []), **case.get("kwargs", {}))
    call = case["call"]
    x = arr(case["x"])
    out = {"x": lst(x)}  # the input as given (before it becomes a tensor below)
    if call in ("tf1_cell", "keras_cell"):
        state = [arr(s) for s in case["state"]]
        tensors = [tf.constant(s) for s in state]
        if call == "tf1_cell":
            st = lstm_tuple()(*tensors) if len(tensors) == 2 else tensors[0]
        else:
            st = tensors
        x = tf.constant(x)
        layer(x, st)  # builds the variables
        randomize(layer.weights, rng)
        y, new = layer(x, st)
        new = list(new) if isinstance(new, (list, tuple)) else [new]
        out.update(state=lst(state), output=lst(y), new_state=lst(new))
    elif call == "keras_rnn":
        state = [arr(s) for s in case["state"]]
        layer.build((None, None, x.shape[-1]))
        randomize(layer.weights, rng)
        res = layer(tf.constant(x), initial_state=[tf.constant(s) for s in state])
        out.update(state=lst(state), output=lst(res[0]), new_state=lst(list(res[1:])))
    else:  # a plain layer: layer(x)
        if case.get("ids"):
            x = np.asarray(case["x"], dtype=np.int32)
            out["x"] = lst(x)
        layer(x)
        randomize(layer.weights, rng)
        out["output"] = lst(layer(x))
    out["weights"] = {v.name: lst(v.numpy()) for v in layer.weights}
    return out


def checkpoint(req, rng):
    g = tf.Graph()
    with g.as_default():
        cell = resolve(req["ctor"])(*req.get("args", []), **req.get("kwargs", {}))
        x = tf.constant(arr(req["x"]))
        c, h = (tf.constant(arr(s)) for s in req["state"])
        with tf.variable_scope("rnn"):
            y, new = cell(x, lstm_tuple()(c, h))
        init = tf.global_variables_initializer()
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(init)
            for v in tf.global_variables():
                sess.run(v.assign(rng.uniform(-0.5, 0.5, size=v.shape.as_list())
                                  .astype(np.float32)))
            y_v, new_v = sess.run([y, new])
            path = saver.save(sess, os.path.join(req["dir"], "model.ckpt"))
    return {"checkpoint": path, "output": lst(y_v), "new_state": lst(list(new_v)),
            "variables": sorted(v.name for v in g.get_collection("variables"))}


def load_module(code):
    module = types.ModuleType("tfinit_port")
    exec(compile(code, "<port>", "exec"), module.__dict__)
    return module


def run_port(job):
    """convert() a checkpoint's (or the job's) arrays, then step() over x: one step, or each
    time step of a sequence [batch, time, features] (``sequence``)."""
    module = load_module(job["code"])
    if job.get("checkpoint"):
        reader = tf.train.load_checkpoint(job["checkpoint"])
        arrays = {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}
    else:
        arrays = {k: arr(v) for k, v in job["arrays"].items()}
    target = module.convert(arrays)
    x = np.asarray(job["x"], dtype=np.int32 if job.get("ids") else np.float32)
    if "state" not in job:
        return {"output": lst(module.step(target, x)), "keys": sorted(arrays)}
    state = [arr(s) for s in job["state"]]
    state = tuple(state) if len(state) > 1 else state[0]
    steps = [x[:, t] for t in range(x.shape[1])] if job.get("sequence") else [x]
    outputs = []
    for xt in steps:
        y, state = module.step(target, xt, state)
        outputs.append(np.asarray(y))
    y = np.stack(outputs, 1) if job.get("sequence") else outputs[0]
    new = list(state) if isinstance(state, (list, tuple)) else [state]
    return {"output": lst(y), "new_state": lst(new), "keys": sorted(arrays)}


def draws(req):
    module = load_module(req["code"])
    out = []
    for seed in req["seeds"]:
        layer = module.build(seed)
        cell = getattr(layer, "cell", layer)
        out.append({w.name.split("/")[-1].split(":")[0]: lst(np.asarray(w))
                    for w in cell.weights})
    return {"draws": out, "keras": getattr(sys.modules.get("keras"), "__version__", None)}


def main():
    req = json.load(sys.stdin)
    rng = np.random.RandomState(req.get("seed", 0))
    mode = req["mode"]
    if mode == "forward":
        answer = {"cases": {c["id"]: forward(c, rng) for c in req["cases"]}}
    elif mode == "checkpoint":
        answer = checkpoint(req, rng)
    elif mode == "port":
        answer = {"jobs": [run_port(job) for job in req["jobs"]]}
    else:
        answer = draws(req)
    answer["tensorflow"] = tf.__version__
    _stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
