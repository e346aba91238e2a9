"""A namespace listed from a release's installed files (``--symbols 'tf.nn.*'``; ``all`` walks
the same listings) names exactly what ``dir()`` of that namespace gives in the real TensorFlow
of the virtualenv: no name the release lacks at run time (TF 0.12.1's ``tf.vs``,
``tf.math_ops``: module aliases ``remove_undocumented`` deletes) and none it has missing (0.12.1's
``tf.VERSION``, ``tf.arg_max``: names ``_allowed_symbols.extend([...])`` keeps; 1.4.1's
``tf.keras``, which a memoized lookup made inside an import cycle had lost) -- except the
namespace's own submodules, which the import machinery binds on their package and the listing
leaves out (modules are not layers; README "Every layer of a release")."""

from __future__ import annotations

import json
import subprocess

import pytest
from test_live_e2e import venv_python

from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.listing import expand
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

PROBE = """
import json, sys, types, warnings
warnings.filterwarnings("ignore")
import tensorflow as tf
out = {}
for prefix in sys.argv[1:]:
    obj = tf
    for p in prefix.split(".")[1:]:
        obj = getattr(obj, p)
    out[prefix] = {n: isinstance(getattr(obj, n), types.ModuleType)
                   and getattr(obj, n).__name__.rpartition(".")[2] == n
                   for n in dir(obj) if not n.startswith("_")}
print(json.dumps(out))
"""

# (venv, namespaces, modules that must be listed): a module named as itself (``tf.platform``
# is ``tensorflow.python.platform``) may be left out when the import machinery bound it on the
# module a star import copies from, which the listing does not see (engine/namespaces.py
# ``dir_module``); 1.4.1's ``tf.keras`` and ``tf.data`` are bound by import statements
CASES = [
    ("tf012", ["tf", "tf.nn", "tf.contrib.rnn", "tf.contrib.layers"], set()),
    ("tf14", ["tf", "tf.keras.layers", "tf.layers"], {"keras", "data"}),
    ("tf115", ["tf", "tf.nn", "tf.contrib.rnn", "tf.contrib.framework"], set()),
    ("tf210", ["tf", "tf.keras.layers", "tf.keras.initializers"], set()),
    ("tf215", ["tf.keras.layers", "tf.compat.v1", "tf.compat.v1.nn.rnn_cell"], set()),
]


def listed(python: str, prefix: str) -> set[str]:
    """The names ``prefix.*`` lists (members and their aliases), without those it says
    ``remove_undocumented`` deleted."""
    it = Interpreter(open_installed(python), ENGINE_RULES)
    out: set[str] = set()
    for m in expand(it, f"{prefix}.*").members:
        if m.reason.startswith("deleted at import"):
            continue
        out.update(n.rpartition(".")[2] for n in [m.symbol, *m.aliases]
                   if n.rpartition(".")[0] == prefix)
    return out


@pytest.mark.parametrize(("venv", "prefixes", "must"), CASES, ids=[c[0] for c in CASES])
def test_listing_is_dir_of_the_live_namespace(venv: str, prefixes: list[str],
                                              must: set[str]) -> None:
    python = venv_python(venv)
    run = subprocess.run([python, "-c", PROBE, *prefixes], capture_output=True, text=True,
                         timeout=600, check=True)
    live = json.loads(run.stdout.strip().splitlines()[-1])
    for prefix in prefixes:
        names = listed(python, prefix)
        assert names - set(live[prefix]) == set(), prefix  # nothing the release lacks
        missing = {n for n in set(live[prefix]) - names if not live[prefix][n]}
        assert missing == set(), prefix  # only modules named as themselves may be left out
        if prefix == "tf":
            assert must <= set(live[prefix]) and must <= names, must - names
        assert len(names) > 0.9 * len(live[prefix]), prefix
