"""tfinit-audit live probe: builds layers in THIS interpreter and reports their real weights.

Run by tfinit_audit/live/runner.py as a throw-away subprocess of the target interpreter:

    python probe.py < request.json > result.json      # full probe
    python probe.py --info > info.json                # versions and site-packages, no TF import

Written to run unchanged on Python 3.6+ with only TensorFlow and numpy installed (no
dataclasses, no walrus, no postponed annotations, no third-party helpers): TF 1.x users run old
interpreters. It only observes and reports; every judgement is made by compare.py in the tool.
Anything printed to fd 1 by TensorFlow is diverted to stderr so stdout carries only the JSON.
"""

import base64
import contextlib
import inspect
import json
import math
import os
import random
import re
import sys
import time
import warnings

PROBE_VERSION = 1
DIST_NAMES = {
    "tensorflow": "tensorflow",
    "tensorflow-cpu": "tensorflow",
    "tensorflow-gpu": "tensorflow",
    "tensorflow-intel": "tensorflow",
    "tensorflow-macos": "tensorflow",
    "tf-nightly": "tensorflow",
    "tf-nightly-cpu": "tensorflow",
    "keras": "keras",
    "tf-keras": "tf_keras",
    "tf-keras-nightly": "tf_keras",
}
INIT_ATTRS = ("scale", "mode", "distribution", "gain", "value", "minval", "maxval", "mean",
              "stddev")
KERAS_RNN_LAYERS = ("LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU", "LSTMV1", "GRUV1")
KERAS_RNN_CELLS = ("LSTMCell", "GRUCell", "SimpleRNNCell", "LSTMCellV1", "GRUCellV1")
KERAS_FAMILIES = ("keras", "keras_rnn", "keras_cell")


# --------------------------------------------------------------------------- environment facts

def site_dirs():
    """Directories on sys.path that hold installed distributions (site-packages and friends)."""
    out = []
    for p in sys.path:
        if p and os.path.isdir(p) and ("site-packages" in p or "dist-packages" in p):
            rp = os.path.realpath(p)
            if rp not in out:
                out.append(rp)
    return out


def installed_versions():
    """Versions of TF / Keras / tf_keras read from *.dist-info metadata (no import needed)."""
    found = {}
    for d in site_dirs():
        try:
            entries = sorted(os.listdir(d))
        except OSError:
            continue
        for e in entries:
            if not e.endswith(".dist-info"):
                continue
            meta = os.path.join(d, e, "METADATA")
            name = version = None
            try:
                with open(meta, encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        if line.startswith("Name:"):
                            name = line.split(":", 1)[1].strip()
                        elif line.startswith("Version:"):
                            version = line.split(":", 1)[1].strip()
                        if name and version:
                            break
                        if not line.strip():
                            break
            except (IOError, OSError):
                continue
            if not name:
                continue
            norm = re.sub(r"[-_.]+", "-", name).lower()
            key = DIST_NAMES.get(norm)
            if key and key not in found:
                found[key] = {"distribution": name, "version": version, "site_packages": d}
    return found


def info():
    vers = installed_versions()
    return {
        "probe_version": PROBE_VERSION,
        "executable": sys.executable,
        "python": "%d.%d.%d" % tuple(sys.version_info[:3]),
        "tensorflow": (vers.get("tensorflow") or {}).get("version"),
        "keras": (vers.get("keras") or {}).get("version"),
        "tf_keras": (vers.get("tf_keras") or {}).get("version"),
        "distributions": vers,
        "site_packages": site_dirs(),
    }


def relative_to_site(path):
    """Path of a source file relative to the site-packages dir that holds it (or None)."""
    if not path:
        return None
    rp = os.path.realpath(path)
    best = None
    for d in site_dirs() + [os.path.realpath(p) for p in sys.path if p and os.path.isdir(p)]:
        if rp.startswith(d.rstrip(os.sep) + os.sep) and (best is None or len(d) > len(best)):
            best = d
    if best is None:
        return None
    return os.path.relpath(rp, best).replace(os.sep, "/")


# --------------------------------------------------------------------------- TF helpers

def quiet_tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore")
    try:
        import absl.logging
        absl.logging.set_verbosity(absl.logging.ERROR)
    except Exception:
        pass


def eager(tf):
    """Eager execution on? (releases before 1.7 have no tf.executing_eagerly: graph mode)"""
    fn = getattr(tf, "executing_eagerly", None)
    return bool(fn()) if fn is not None else False


def v1api(tf):
    """The TF1-style API: tf.compat.v1 where it exists (1.13+), else tf itself (1.8-1.12)."""
    compat = getattr(tf, "compat", None)
    return getattr(compat, "v1", None) or tf


def silence_after_import(tf):
    try:
        tf.get_logger().setLevel("ERROR")
    except Exception:
        pass
    try:
        v1api(tf).logging.set_verbosity(v1api(tf).logging.ERROR)
    except Exception:
        pass
    try:
        from tensorflow.python.util import deprecation
        deprecation._PRINT_DEPRECATION_WARNINGS = False
    except Exception:
        pass


def jsonable(obj, depth=0):
    if depth > 6:
        return repr(obj)
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else repr(obj)
    if isinstance(obj, dict):
        return dict((str(k), jsonable(v, depth + 1)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return [jsonable(v, depth + 1) for v in obj]
    try:
        import numpy as np
        if isinstance(obj, np.generic):
            return jsonable(obj.item(), depth + 1)
        if isinstance(obj, np.ndarray) and obj.size <= 64:
            return jsonable(obj.tolist(), depth + 1)
    except Exception:
        pass
    name = getattr(obj, "name", None)
    if isinstance(name, str):  # tf.DType and similar
        return name
    return repr(obj)


def describe_initializer(obj):
    """Class, module, get_config() and the distribution attributes of an initializer object."""
    if obj is None:
        return None
    if isinstance(obj, str):
        return {"class": "str", "identifier": obj}
    cls = type(obj)
    out = {"class": cls.__name__, "module": cls.__module__}
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        out["class"] = "function"
        out["name"] = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
        out["module"] = getattr(obj, "__module__", None)
        return out
    try:
        out["config"] = jsonable(obj.get_config())
    except Exception as e:
        out["config_error"] = "%s: %s" % (type(e).__name__, e)
    attrs = {}
    for a in INIT_ATTRS:
        try:
            if a in getattr(obj, "__dict__", {}) or hasattr(type(obj), a):
                v = getattr(obj, a)
                if not callable(v):
                    attrs[a] = jsonable(v)
        except Exception:
            pass
    out["attrs"] = attrs
    mro = []
    for k in cls.__mro__:
        if k is object:
            break
        mro.append(k.__name__)
    out["mro"] = mro
    return out


def collect_initializers(obj):
    """Every attribute named *initializer on the layer (and its .cell), public or private."""
    out = {}
    targets = [("", obj)]
    cell = getattr(obj, "cell", None) if not inspect.isfunction(obj) else None
    if cell is not None and not isinstance(cell, (list, tuple)):
        targets.append(("cell.", cell))
    for prefix, target in targets:
        d = getattr(target, "__dict__", {})
        for k in sorted(d):
            if k.endswith("initializer"):
                try:
                    out[prefix + k] = describe_initializer(d[k])
                except Exception as e:
                    out[prefix + k] = {"error": "%s: %s" % (type(e).__name__, e)}
    return out


def resolve(tf, name):
    """Attribute access from the imported tensorflow module, as user code would do it."""
    parts = name.split(".")
    if parts[0] in ("tf", "tensorflow"):
        obj, rest = tf, parts[1:]
    else:
        obj, rest = __import__(parts[0]), parts[1:]
    walked = [parts[0]]
    for p in rest:
        try:
            obj = getattr(obj, p)
        except AttributeError as e:
            msg = str(e)
            if ("has no attribute" in msg and p in msg) or not msg:
                return None, "absent", "%s has no attribute %r (%s)" % (".".join(walked), p, msg)
            return None, "unavailable", "%s: %s" % (type(e).__name__, msg)
        except Exception as e:
            return None, "unavailable", "%s: %s" % (type(e).__name__, e)
        walked.append(p)
    return obj, "ok", None


def source_of(obj):
    target = obj if inspect.isclass(obj) else type(obj) if not callable(obj) else obj
    try:
        target = inspect.unwrap(target)
    except Exception:
        pass
    path = None
    try:
        path = inspect.getsourcefile(target)
    except Exception:
        try:
            path = inspect.getfile(target)
        except Exception:
            path = None
    line = None
    code = getattr(target, "__code__", None)
    if code is not None:
        line = code.co_firstlineno
    elif path and inspect.isclass(target):
        # cheap: inspect.getsourcelines parses the whole module (seconds for big TF files)
        pat = re.compile(r"^\s*class\s+%s\b" % re.escape(target.__name__))
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                for n, text in enumerate(fh, 1):
                    if pat.match(text):
                        line = n
                        break
        except (IOError, OSError):
            pass
    return {
        "module": getattr(target, "__module__", None),
        "qualname": getattr(target, "__qualname__", getattr(target, "__name__", None)),
        "source_file_abs": path,
        "source_file": relative_to_site(path),
        "line": line,
    }


# TF 2.x cell wrappers built around a Keras cell: their weights are the trainable variables
# the build makes (a Keras 3 cell's random-seed state, a non-trainable int64 variable, is not
# a weight: Layer.weights leaves it out, and so does the static answer)
KERAS_WRAPPED = set()


def initial_state(tf, cell):
    """A batch of one zero state of a TF 1.x-style cell: ``zero_state``; a TF 2.x cell
    wrapper (tf.nn.RNNCellDropoutWrapper) around a Keras cell, whose ``zero_state`` asks the
    Keras cell for one it lacks, through ``get_initial_state``."""
    try:
        return cell.zero_state(1, tf.float32)
    except AttributeError:
        if not hasattr(cell, "get_initial_state"):
            raise
        KERAS_WRAPPED.add(id(cell))
        return cell.get_initial_state(batch_size=1, dtype=tf.float32)


def family(name, obj, kind_hint, call=None):
    last = name.split(".")[-1]
    if kind_hint == "function" or not inspect.isclass(obj):
        if call == "apply":
            return "apply"
        return "get_variable" if last == "get_variable" or call == "name_shape" else "function"
    module = getattr(obj, "__module__", "") or ""
    if ".rnn_cell." in name or "rnn_cell_impl" in module or "legacy_cells" in module \
            or hasattr(obj, "zero_state"):
        return "v1_cell"
    if ".layers." in name and ".keras." not in name and not name.startswith("keras."):
        return "v1_layer"
    if last in KERAS_RNN_LAYERS:
        return "keras_rnn"
    if last in KERAS_RNN_CELLS:
        return "keras_cell"
    return "keras"


def layer_ctor(last, dims, args, spec=None):
    """Positional args, keyword args, the input shape and dtype a layer is built with.

    The static analysis sends every constructor argument it used (the table's included, an
    inner layer as {"__layer__": name, "args": {...}}) and the input shape it built on; the
    probe builds with exactly those. Requests without them (older callers) fall back on the
    default dims of DESIGN.md section 5."""
    if spec is not None and spec.get("input_shape") is not None:
        shape = tuple(1 if d is None else int(d) for d in spec["input_shape"])
        return [], dict(args), shape, "float32"
    units = dims.get("units", 64)
    input_dim = dims.get("input_dim", 32)
    kwargs = dict(args)
    if last == "Embedding":
        return ([dims.get("embedding_input_dim", 100), dims.get("embedding_output_dim", 16)],
                kwargs, (1, 1), "int32")
    if last.startswith("Conv") and last[-2:] in ("1D", "2D", "3D"):
        nd = int(last[-2])
        k = list(dims.get("conv_kernel", [3, 3]))
        kernel = tuple((k + k * 3)[:nd])
        shape = (1,) + tuple([5] * nd) + (dims.get("conv_channels", 3),)
        return [dims.get("conv_filters", 8), kernel], kwargs, shape, "float32"
    if last in ("BatchNormalization", "LayerNormalization"):
        return [], kwargs, (1, dims.get("batchnorm_features", 32)), "float32"
    if last in KERAS_RNN_LAYERS:
        return [units], kwargs, (1, 2, input_dim), "float32"
    return [units], kwargs, (1, input_dim), "float32"


def materialize_all(tf, kwargs):
    return dict((k, materialize(tf, v)) for k, v in kwargs.items())


def materialize(tf, value):
    """Constructor argument values: an inner layer spec becomes that layer, built from its
    own arguments (recursively); lists of them become lists of layers."""
    if isinstance(value, dict) and "__layer__" in value:
        obj, status, msg = resolve(tf, value["__layer__"])
        if status != "ok":
            raise RuntimeError("inner layer %s: %s" % (value["__layer__"], msg))
        kwargs = dict((k, materialize(tf, v)) for k, v in (value.get("args") or {}).items())
        return obj(**kwargs)
    if isinstance(value, list):
        return [materialize(tf, v) for v in value]
    return value


# --------------------------------------------------------------------------- variables

def var_name(v):
    for attr in ("path", "name"):
        try:
            n = getattr(v, attr)
        except Exception:
            continue
        if isinstance(n, str) and n:
            return n
    return repr(v)


def short_name(full, scopes):
    """Strip scope prefixes and ':0' to the weight name the static analysis uses."""
    n = full.split(":")[0]
    parts = n.split("/")
    cut = -1
    for i, p in enumerate(parts[:-1]):
        if p in scopes:
            cut = i
    return "/".join(parts[cut + 1:])


def scope_names(obj):
    out = set()
    for o in (obj, getattr(obj, "cell", None)):
        if o is None or inspect.isfunction(o):
            continue
        for attr in ("name", "_name", "scope_name"):
            try:
                v = getattr(o, attr)
            except Exception:
                continue
            if isinstance(v, str) and v:
                out.add(v.split("/")[-1])
    return out


RECURRENT_CELL_ATTRS = ("cell", "_cell")  # as analysis/layers.py: a layer's cell is the layer


def _layer_like(v):
    if inspect.isclass(v) or inspect.isfunction(v) or inspect.ismethod(v):
        return False
    try:
        return hasattr(v, "weights") or hasattr(v, "variables")
    except Exception:
        return False


def _children(obj, public_only):
    """(attribute, index or key, layer) of the layers ``obj`` holds: attributes holding one
    first, then lists and dicts, each group in sorted order (as rules/sublayers.py
    ``_children``)."""
    try:
        d = vars(obj)
    except TypeError:
        return []
    out = []
    for k in sorted(d, key=lambda a: (isinstance(d[a], (list, tuple, dict)), a)):
        if k.startswith("__") or (public_only and k.startswith("_")):
            continue
        v = d[k]
        if isinstance(v, (list, tuple)):
            items = [(str(i), x) for i, x in enumerate(v)]
        elif isinstance(v, dict):
            items = [(str(key), x) for key, x in v.items()]
        else:
            items = [(None, v)]
        for index, x in items:
            if _layer_like(x):
                out.append((k, index, x))
    return out


def sub_layers(top, depth=4):
    """(steps, object) of every layer-like object reachable from ``top`` through its
    attributes, each once at its first path -- breadth first over public attributes, then
    over all for the ones not found yet -- as rules/sublayers.py ``sublayer_paths`` walks the
    static side. A step is (attribute, index or None, object)."""
    found = []
    got = set([id(top)])
    for public_only in (True, False):
        seen = set([id(top)])
        frontier = [(top, [])]
        for _ in range(depth):
            nxt = []
            for obj, steps in frontier:
                for attr, index, val in _children(obj, public_only):
                    if id(val) in seen:
                        continue
                    seen.add(id(val))
                    here = steps + [(attr, index, val)]
                    if id(val) not in got:
                        got.add(id(val))
                        found.append((here, val))
                    nxt.append((val, here))
            frontier = nxt
    return found


def weight_ids(obj):
    for attr in ("weights", "variables"):
        try:
            ws = getattr(obj, attr)
        except Exception:
            continue
        try:
            return set(id(w) for w in ws)
        except TypeError:
            continue
    return set()


def step_names(step):
    """The names the static side may give one step: the attribute (leading underscores
    dropped, a list item with its index) and the layer's own name."""
    attr, index, obj = step
    a = attr.lstrip("_") or attr
    out = [a + "/" + index if index is not None else a]
    try:
        n = getattr(obj, "name", None)
    except Exception:
        n = None
    if isinstance(n, str) and n and n.split("/")[-1] not in out:
        out.append(n.split("/")[-1])
    return out


def owner_of(var, subs):
    """The deepest sub-layer holding ``var`` in its weights: its steps, or None."""
    best = None
    for steps, ids in subs:
        if id(var) in ids and (best is None or len(steps) > len(best)):
            best = steps
    return best


MAX_ALIASES = 16


def named(var, full, instance, subs, scopes):
    """The weight's name as the static analysis gives it, and the other names it may give
    it: the steps to the sub-layer that owns it (a recurrent layer's cell left out), each by
    its attribute or by the layer's name, and the variable's name inside its owner (every
    name scope of the objects on the way stripped)."""
    steps = owner_of(var, subs) if subs else None
    if steps is None:
        short = short_name(full, scopes)
        # a wrapped cell's scope kept (lstm_cell/kernel, as a TF 1.x wrapper's call names it)
        cell = getattr(instance, "cell", None)
        kept = short_name(full, scopes - scope_names(cell)) if cell is not None else short
        return short, ([kept] if kept != short else [])
    for step in steps:
        scopes = scopes | scope_names(step[2])
    short = short_name(full, scopes)
    leaves = [short]
    # the owner's attribute holding the variable (self.kernel = add_weight("kernel")): its
    # name when the graph made the variable's own unique (kernel_1 beside another kernel)
    try:
        held = [k.lstrip("_") for k, v in sorted(vars(steps[-1][2]).items()) if v is var]
    except TypeError:
        held = []
    leaves += [h for h in held[:1] if h and h not in leaves]
    names = [[]]
    for step in steps:
        if step[0] in RECURRENT_CELL_ATTRS:
            continue
        names = [n + [c] for n in names for c in step_names(step)][:MAX_ALIASES]
    full_names = ["/".join(n + [leaf]) for leaf in leaves for n in names]
    return full_names[0], full_names[1:]


def sub_layer_weights(instance):
    try:
        return [(steps, weight_ids(obj)) for steps, obj in sub_layers(instance)]
    except Exception:
        return []


def encode(arr, cap, rng):
    import numpy as np
    flat = np.asarray(arr).reshape(-1)
    sub = False
    if flat.size > cap:
        idx = np.sort(rng.choice(flat.size, cap, replace=False))
        flat = flat[idx]
        sub = True
    if flat.dtype == np.float64:
        enc, data = "b64-f8", flat.astype("<f8").tobytes()
    else:
        enc, data = "b64-f4", flat.astype("<f4").tobytes()
    return {"encoding": enc, "n": int(flat.size), "subsampled": sub,
            "data": base64.b64encode(data).decode("ascii")}


def summary(arr):
    import numpy as np
    a = np.asarray(arr, dtype=np.float64).reshape(-1)
    if a.size == 0:
        return {"n": 0}
    return {"n": int(a.size), "min": float(a.min()), "max": float(a.max()),
            "mean": float(a.mean()), "std": float(a.std())}


def var_shape(v):
    s = getattr(v, "shape", None)
    if s is None and hasattr(v, "get_shape"):  # TF < 1.0 tensors, < 1.1 variables: no .shape
        s = v.get_shape()
    try:
        return [int(d) for d in (s.as_list() if hasattr(s, "as_list") else s)]
    except Exception:
        return None


def made_shape(v, value):
    """The variable's shape; for one declared with a dimension left open (Keras 2
    ``Discretization``'s ``summary``, ``shape=(2, None)``), the shape of the value it was
    created with, as the static side reports it (rules/weights.py ``open_shape``)."""
    import numpy as np
    shape = var_shape(v)
    if shape is None and value is not None:
        shape = [int(d) for d in np.shape(value)]
    return shape


def var_dtype(v):
    d = getattr(v, "dtype", None)
    n = getattr(d, "name", None)
    if isinstance(n, str):
        return n.replace("_ref", "")
    return str(d)


# --------------------------------------------------------------------------- builders

def seed_all(tf, seed, graph_mode):
    import numpy as np
    random.seed(seed)
    np.random.seed(seed)
    if graph_mode:
        v1api(tf).set_random_seed(seed)
        return
    try:
        tf.random.set_seed(seed)
    except Exception:
        pass
    try:
        tf.keras.utils.set_random_seed(seed)
    except Exception:
        pass


def graph_variables(tf):
    """Global and local variables of the default graph (get_local_variable makes the latter)."""
    v1 = v1api(tf)
    out = list(v1.global_variables())
    seen = set(id(v) for v in out)
    local = getattr(v1, "local_variables", None)
    for v in local() if local is not None else []:
        if id(v) not in seen:
            out.append(v)
    return out


def initialize_rest(tf, sess, all_vars):
    """Run, in ``sess``, the initializers of the variables not initialized yet: the graph's
    global ones, then its local ones, then the others among ``all_vars`` (a Keras metric's
    state is in no collection). A variable the build already initialized in this session
    keeps its value: Keras' backend ``get_session()`` initializes the graph's variables when
    the build runs in a session, and ``set_value`` then writes into them (TF 1.2/1.3
    ``LSTM.build``'s ``unit_forget_bias``); running their initializers again would lose what
    Keras' user gets."""
    v1 = v1api(tf)
    global_vars = list(v1.global_variables())
    local = getattr(v1, "local_variables", None)
    local_vars = list(local()) if local is not None else []
    phases, seen = [], set()
    for group in (global_vars, local_vars, all_vars):
        phase = [v for v in group if id(v) not in seen]
        seen.update(id(v) for v in phase)
        phases.append(phase)
    todo = [v for phase in phases for v in phase]
    checks = []
    for v in todo:
        try:
            checks.append((v, v1.is_variable_initialized(v)))
        except Exception:
            pass  # no such test for this variable: initialized below, as before
    try:
        flags = sess.run([c for _, c in checks]) if checks else []
    except Exception:
        flags = []  # not answerable: every initializer runs, as before
    done = set(id(v) for (v, _), f in zip(checks, flags) if f)
    for phase in phases:
        ops = [v.initializer for v in phase if id(v) not in done]
        if ops:
            sess.run(ops)


def build_graph(tf, fam, obj, name, dims, args, seeds, want_forward, spec=None):
    """Graph mode (TF1 everywhere; v1 cells, tf.layers and get_variable in TF2).

    One graph and one session per symbol: instance i is built in variable scope "seed<i>"; the
    graph-level seed is seeds[0] and every instance's ops get their own op-level seeds, so the
    instances are independent draws. Returns one (instance, records, scopes) per seed.
    """
    import numpy as np
    g = tf.Graph()
    built = []
    with g.as_default():
        v1api(tf).set_random_seed(seeds[0])
        random.seed(seeds[0])
        np.random.seed(seeds[0])
        last = name.split(".")[-1]
        units = dims.get("units", 64)
        input_dim = dims.get("input_dim", 32)
        forward = None
        if fam == "apply" and (spec or {}).get("input_shape") is None:
            seeds = seeds[:1]  # a function of no input makes graph-wide state (a global step)
        # the build runs with a session of this graph as the default one: Keras' backend
        # get_session() gives the default session, else its global one, made for the graph
        # of the first symbol probed (TF 1.2 ConvLSTM2D.build's K.set_value fed a
        # placeholder of this graph to it: 'not an element of this graph'). The values are
        # read in that same session: what Keras initialized or wrote there while building
        # (TF 1.2 LSTM.build's K.set_value of the forget-gate ones) is what its user gets
        sess = v1api(tf).Session(graph=g)
        with sess.as_default():
            for i, _seed in enumerate(seeds):
                before = set(id(v) for v in graph_variables(tf))
                with v1api(tf).variable_scope("seed%d" % i):
                    if fam == "get_variable":
                        obj("v", shape=[input_dim, units], **args)
                        instance = obj
                    elif fam == "apply":  # a function applied to an input (tf.layers.dense)
                        if spec.get("input_shape") is None:
                            made = obj(**materialize_all(tf, args))
                        else:
                            _, kwargs, shape, dtype = layer_ctor(last, dims, args, spec)
                            made = obj(tf.zeros(shape, getattr(tf, dtype)),
                                       **materialize_all(tf, kwargs))
                        enter_generator(made)
                        instance = obj
                    elif fam == "v1_cell":
                        if spec is not None and spec.get("input_shape") is not None:
                            _, kwargs, shape, _ = layer_ctor(last, dims, args, spec)
                            instance = obj(**materialize_all(tf, kwargs))
                            inputs = tf.zeros([1, shape[-1]], tf.float32)
                            if spec.get("input_parts"):
                                # a cell whose call unpacks a tuple of inputs: zeros of each
                                # part's shape (a size no weight depends on: 1)
                                inputs = tuple(tf.zeros([1 if d is None else int(d) for d in p],
                                                        tf.float32) for p in spec["input_parts"])
                        else:
                            instance = obj(units, **dict(args))
                            inputs = tf.zeros([1, input_dim], tf.float32)
                        state = initial_state(tf, instance)
                        try:
                            out = instance(inputs, state)
                        except Exception as e:
                            # the call failed after it made (some of) its variables (a
                            # ResidualWrapper whose cell's output is not its input's size): what
                            # it made is compared, the rest is said not to be built
                            BUILD_ERRORS[id(instance)] = one_line(e)
                            out = None
                        if i == 0 and out is not None:
                            forward = (state, out)
                    elif fam == "v1_layer":
                        pos, kwargs, shape, dtype = layer_ctor(last, dims, args, spec)
                        instance = obj(*pos, **materialize_all(tf, kwargs))
                        instance(tf.zeros(shape, getattr(tf, dtype)))
                    else:
                        pos, kwargs, shape, dtype = layer_ctor(last, dims, args, spec)
                        instance = obj(*pos, **materialize_all(tf, kwargs))
                        keras_build(tf, fam, instance, shape, input_dim, spec)
                new = [v for v in graph_variables(tf) if id(v) not in before]
                if id(instance) in KERAS_WRAPPED:
                    new = [v for v in new if getattr(v, "trainable", True)]
                if fam in KERAS_FAMILIES:  # a Keras metric's state is in no graph collection
                    seen = set(id(v) for v in new)
                    new += [v for v in current_weights(instance)
                            if id(v) not in seen and getattr(v, "graph", None) is g]
                built.append((instance, new))
        all_vars = [v for _, vs in built for v in vs]
        with sess:  # closed after
            initialize_rest(tf, sess, all_vars)
            values = sess.run(all_vars)
            adjust = None
            if want_forward and forward is not None:
                adjust = forget_step(tf, sess, built[0][0], built[0][1], forward)
    out_list = []
    k = 0
    for instance, vs in built:
        scopes = scope_names(instance) | set("seed%d" % i for i in range(len(seeds)))
        # graph-mode TF 1.x cells and layers: variable scopes name the variables, as in the
        # static answer; Keras objects: the attribute path of the sub-layer that owns them
        subs = sub_layer_weights(instance) if fam in KERAS_FAMILIES else []
        recs = []
        for v in vs:
            full = var_name(v)
            recs.append((full, made_shape(v, values[k]), var_dtype(v), np.asarray(values[k]),
                         bool(getattr(v, "trainable", True)),
                         named(v, full, instance, subs, scopes)))
            k += 1
        out_list.append((instance, recs, scopes))
    return out_list, adjust


def keras_build(tf, fam, instance, shape, input_dim, spec=None):
    """Create the weights by build() with the input shape: no forward graph needed. An
    object whose constructor made its weights already (a metric's state) may take other
    arguments in build(): what it made stands."""
    made = current_weights(instance)
    as_shape = build_shape(tf, instance, (spec or {}).get("build_input"))
    try:
        if not hasattr(instance, "build"):
            pass  # not a layer (a TF 1.x FusedRNNCell): its call makes the variables, below
        elif fam == "keras_cell" and (spec is None or spec.get("input_shape") is None):
            instance.build(as_shape((None, input_dim)))
        else:
            # one shape per required parameter, as the static side builds (a metric's
            # build(y_true_shape, y_pred_shape), Keras 3 build(query_shape, value_shape))
            # a layer called on a list of inputs (Attention) builds on a list of shapes
            one = as_shape(tuple([None] + list(shape[1:])))
            count = int((spec or {}).get("input_count") or 1)
            if count > 1:
                one = [one] * count
            instance.build(*([one] * required_positional(instance.build)))
    except TypeError:
        if not made:
            raise
    except ValueError:  # a model builds by being called: done below
        pass
    if not current_weights(instance) and spec is not None \
            and spec.get("input_shape") is not None and fam != "keras_cell":
        # weights made on the first call (a model, attention sub-layers): call it once on
        # zeros, as the static analysis does when build makes none -- the input for each
        # required parameter of call (MultiHeadAttention.call(query, value)); a layer this
        # input does not fit is left as built
        x = tf.zeros(shape, tf.float32)
        count = int(spec.get("input_count") or 1)
        call = getattr(instance, "call", None)
        n = required_positional(call) if call is not None else 1
        try:
            with values_as_created(tf):
                if count > 1:
                    instance([x] * count)
                else:
                    instance(*([x] * n))
        except Exception as e:
            BUILD_ERRORS[id(instance)] = one_line(e)


def build_shape(tf, instance, handed=None):
    """What the layer's own ``__call__`` hands ``build`` for an input shape, as the static
    side built it (``handed``: the static answer's ``build_input``, read from the release's
    ``__call__`` by rules/build_call.py: "TensorShape" -- TF 1.x ``tf.layers`` passes
    ``x.get_shape()``, Keras 2 ``_maybe_build`` the inputs' ``.shape``; a TF 1.x fused cell's
    ``build`` reads ``input_shape[2].value`` -- or "tuple"). Without it (a static answer
    that ran no build): a TensorShape when a module of the class's bases sees a ``tf_utils``
    defining ``shape_type_conversion``, the tuple otherwise (Keras 3)."""
    if handed == "tuple":
        return lambda dims: dims
    ts = shape_class(tf, instance)
    if ts is None and handed == "TensorShape":
        ts = getattr(tf, "TensorShape", None) or getattr(v1api(tf), "TensorShape", None)
    if ts is None:
        return lambda dims: dims
    return lambda dims: ts(list(dims))


def shape_class(tf, instance):
    """The TensorShape class the layer's Keras hands ``build`` (None: tuples)."""
    for c in type(instance).__mro__:
        mod = sys.modules.get(getattr(c, "__module__", None) or "")
        utils = getattr(mod, "tf_utils", None)
        if utils is None or not hasattr(utils, "shape_type_conversion"):
            continue
        for where in (utils, mod):
            for first in ("tensor_shape", "tf"):
                ts = getattr(getattr(where, first, None), "TensorShape", None)
                if inspect.isclass(ts):
                    return ts
        return getattr(tf, "TensorShape", None)
    return None


BUILD_ERRORS = {}  # id(instance) -> why its building call failed (what it made stands)
AS_CREATED = {}  # id(tf variable) -> (it, its value when created (eager), before the call used it)


@contextlib.contextmanager
def values_as_created(tf):
    """Record each variable's value as it is created, in eager mode: a call that makes its
    weights may change them before it returns (a Keras metric's first ``update_state``
    creates ``count`` and adds 1 to it); what is compared is the value the initializer
    gave."""
    scope = getattr(tf, "variable_creator_scope", None)
    if scope is None or not eager(tf):
        yield
        return

    def creator(next_creator, **kwargs):
        v = next_creator(**kwargs)
        try:
            AS_CREATED[id(v)] = (v, v.numpy())  # the variable kept: its id is not reused
        except Exception:
            pass
        return v

    with scope(creator):
        yield


def created_value(v):
    """The value ``v`` had when created, if recorded (a Keras 3 variable wraps the TF
    variable the creator saw in ``_value``)."""
    for x in (v, getattr(v, "_value", None)):
        hit = AS_CREATED.get(id(x)) if x is not None else None
        if hit is not None and hit[0] is x:
            return hit[1]
    return None


def enter_generator(made):
    """A @contextmanager function is used as ``with f(...):``: what it returned is entered
    and left (its body runs up to its ``yield``), as the static side does."""
    if inspect.isgenerator(getattr(made, "gen", None)) and hasattr(made, "__enter__"):
        with made:
            pass


def one_line(e):
    text = " ".join(str(e).split())
    return "%s: %s" % (type(e).__name__, text[:300])


def required_positional(method):
    """How many positional parameters of a bound method have no default (at least 1)."""
    try:
        params = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return 1
    n = sum(1 for p in params if p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    return max(1, n)


def current_weights(instance):
    """The weights an object has now ([] when it has none yet, or says so by raising)."""
    try:
        return list(getattr(instance, "weights", None) or [])
    except Exception:
        return []


def forget_step(tf, sess, cell, variables, forward):
    """All weights zero, c_prev = 1: new c = sigmoid(forget pre-activation) * 1 exposes it."""
    import numpy as np
    state, out = forward
    c_prev = getattr(state, "c", None)
    new_state = out[1] if isinstance(out, (tuple, list)) and len(out) == 2 else None
    new_c = getattr(new_state, "c", None)
    if c_prev is None or new_c is None:
        return {"observed": None, "note": "state is not an (c, h) tuple; step not observable"}
    sess.run([v1api(tf).assign(v, tf.zeros_like(v)) for v in variables])
    val = sess.run(new_c, feed_dict={c_prev: np.ones(var_shape(c_prev), np.float32)})
    c = float(np.mean(val))
    spread = float(np.max(val) - np.min(val))
    fb = None
    if 0.0 < c < 1.0:
        fb = math.log(c / (1.0 - c))
    return {"observed": fb, "new_c_mean": c, "new_c_spread": spread,
            "method": "all variables zero, inputs zero, c_prev = 1, h_prev = 0: "
                      "new_c = sigmoid(forget pre-activation); observed = logit(new_c)"}


def build_eager(tf, fam, obj, name, dims, args, seed, spec=None):
    import numpy as np
    seed_all(tf, seed, False)
    last = name.split(".")[-1]
    input_dim = dims.get("input_dim", 32)
    pos, kwargs, shape, dtype = layer_ctor(last, dims, args, spec)
    instance = obj(*pos, **materialize_all(tf, kwargs))
    keras_build(tf, fam, instance, shape, input_dim, spec)
    recs = []
    seen = set()
    scopes = scope_names(instance)
    subs = sub_layer_weights(instance) if fam in KERAS_FAMILIES else []
    for v in instance.weights:
        if id(v) in seen:
            continue
        seen.add(id(v))
        val = created_value(v)
        if val is None:
            val = v.numpy() if hasattr(v, "numpy") else np.asarray(v)
        full = var_name(v)
        recs.append((full, made_shape(v, val), var_dtype(v), np.asarray(val),
                     bool(getattr(v, "trainable", True)), named(v, full, instance, subs, scopes)))
    return instance, recs, scopes


def probe_symbol(tf, spec, dims, seeds, cap):
    import numpy as np
    name = spec["name"]
    args = spec.get("args") or {}
    res = {"key": spec.get("key", name), "name": name, "args": args}
    obj, status, msg = resolve(tf, name)
    res["status"], res["message"] = status, msg
    if status != "ok":
        return res
    res["source"] = source_of(obj)
    fam = family(name, obj, spec.get("kind_hint", ""), spec.get("call"))
    res["family"] = fam
    if spec.get("build") is False:
        res["status"], res["message"] = "not built", spec.get("reason") or "not built"
        return res
    if fam == "function":
        res["status"], res["message"] = "error", "probe does not know how to build function %s" % name
        return res
    graph_mode = fam in ("get_variable", "apply", "v1_cell", "v1_layer") or not eager(tf)
    res["mode"] = "graph" if graph_mode else "eager"
    # graph mode: one graph seeded with seeds[0]; the other labels name independent instances
    res["seeding"] = "graph" if graph_mode else "global seed per build"
    rng = np.random.RandomState(12345)
    weights = {}
    order = []
    want_forward = fam == "v1_cell" and "LSTM" in name.split(".")[-1]
    adjust = None
    try:
        if graph_mode:
            runs, adjust = build_graph(tf, fam, obj, name, dims, args, seeds, want_forward, spec)
        else:
            runs = [build_eager(tf, fam, obj, name, dims, args, seed, spec) for seed in seeds]
    except Exception as e:
        # the name resolved, but building it with these arguments and this input failed
        res["status"] = "unavailable"
        res["build_failed"] = True
        res["message"] = one_line(e)[:500]
        return res
    for i, (seed, (inst, recs, scopes)) in enumerate(zip(seeds, runs)):
        if i == 0:
            function = fam in ("get_variable", "apply")
            res["class"] = type(inst).__name__ if not function else name
            if not function and type(inst) is not obj:
                res["runtime_source"] = source_of(type(inst))
            res["initializers"] = collect_initializers(inst) if not function else {}
            if adjust is not None:
                res["adjustments"] = {"forget_bias": adjust}
            if id(inst) in BUILD_ERRORS:
                res["build_error"] = BUILD_ERRORS[id(inst)]
        same_layout = i > 0 and len(recs) == len(order)
        for j, (full, shape, dtype, val, trainable, (short, aliases)) in enumerate(recs):
            if same_layout and short not in weights:
                short = order[j]  # same creation order, scope named differently
            w = weights.get(short)
            if w is None:
                if i > 0:
                    res.setdefault("notes", []).append(
                        "instance %d created %s, unlike instance 0" % (i, full))
                    continue
                w = {"name": short, "full_name": full, "shape": shape, "dtype": dtype,
                     "trainable": trainable, "summary": summary(val), "values": []}
                if aliases:
                    w["aliases"] = aliases
                weights[short] = w
                order.append(short)
            else:
                s = summary(val)
                w.setdefault("seed_summaries", []).append(s)
            if val.dtype.kind == "f":
                enc = encode(val, cap, rng)
            else:
                enc = encode(val.astype(np.float64), cap, rng)
            enc["seed"] = seed
            w["values"].append(enc)
    res["weights"] = [weights[k] for k in order]
    return res


# --------------------------------------------------------------------------- main

def run(request):
    t0 = time.time()
    quiet_tf()
    out = info()
    import numpy  # noqa: F401  (fail early and clearly if numpy is missing)
    import tensorflow as tf
    silence_after_import(tf)
    out["import_seconds"] = time.time() - t0
    out["tensorflow_runtime"] = getattr(tf, "__version__", None)
    keras_v = None
    try:
        keras_v = getattr(tf.keras, "__version__", None)
    except Exception as e:
        keras_v = "unavailable: %s" % e
    out["tf_keras_attr_version"] = keras_v
    out["executing_eagerly"] = eager(tf)
    for plugin in request.get("plugins") or []:
        code = compile(open(plugin).read(), plugin, "exec")
        exec(code, {"__name__": "tfinit_audit_probe_plugin", "__file__": plugin})
    out["plugins"] = list(request.get("plugins") or [])
    dims = request.get("dims") or {}
    seeds = request.get("seeds") or [1, 2, 3]
    cap = int(request.get("max_values") or 200000)
    symbols = []
    for spec in request.get("symbols") or []:
        t1 = time.time()
        try:
            r = probe_symbol(tf, spec, dims, spec.get("seeds") or seeds,
                             int(spec.get("max_values") or cap))
        except Exception as e:
            r = {"key": spec.get("key", spec.get("name")), "name": spec.get("name"),
                 "status": "error", "message": ("%s: %s" % (type(e).__name__, e))[:500]}
        r["seconds"] = time.time() - t1
        symbols.append(r)
    out["symbols"] = symbols
    out["seconds"] = time.time() - t0
    return out


def main(argv):
    # Keep fd 1 for the JSON only: anything TF or C++ prints goes to stderr instead.
    json_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if "--info" in argv:
        result = info()
    else:
        request = json.load(sys.stdin)
        result = run(request)
    json.dump(result, json_out)
    json_out.write("\n")
    json_out.flush()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    # A throw-away process: skip interpreter teardown (TF's atexit hooks and thread joins
    # take a second or more and can hang); the JSON is already flushed.
    os._exit(code)
