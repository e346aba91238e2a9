"""Drive tests/port_tf_script.py in a TensorFlow test virtualenv (scripts/setup-test-envs.sh).

TensorFlow runs only there, as a subprocess with a timeout (like the live probe,
``tfinit_audit/live/runner.py``); requests and answers are JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

VENVS = Path(os.environ.get("TFINIT_AUDIT_VENVS", Path.home() / ".cache/tfinit-audit/venvs"))
SCRIPT = Path(__file__).with_name("port_tf_script.py")


def venv_python(name: str) -> str:
    py = VENVS / name / "bin" / "python"
    assert py.is_file(), f"{py} missing: run scripts/setup-test-envs.sh"
    return str(py)


def run_tf(venv: str, request: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    """The script's JSON answer; a failure raises with the last lines of its stderr."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1",
           "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory(prefix="tfinit-port-") as tmp:
        proc = subprocess.run([venv_python(venv), str(SCRIPT)], input=json.dumps(request),
                              capture_output=True, text=True, timeout=timeout, cwd=tmp, env=env)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise AssertionError(f"{venv}: port_tf_script.py failed ({proc.returncode}):\n{tail}")
    answer = json.loads(proc.stdout)
    assert isinstance(answer, dict)
    return answer


def as_arrays(tree: Any) -> Any:
    """JSON lists back to float32 arrays (``state`` / ``new_state``: lists of arrays)."""
    if isinstance(tree, dict):
        return {k: [np.asarray(s, dtype=np.float32) for s in v]
                if k in ("state", "new_state") else as_arrays(v) for k, v in tree.items()}
    if isinstance(tree, list) and tree and isinstance(tree[0], list | float | int):
        return np.asarray(tree, dtype=np.float32)
    return tree
