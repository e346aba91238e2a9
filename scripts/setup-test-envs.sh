#!/usr/bin/env bash
# Create the TensorFlow virtualenvs the live tests verify against (idempotent).
#
#   tf012  Python 3.6   tensorflow==0.12.1 numpy==1.19.5 "protobuf<3.20" (pip 21.3.1 first, as
#                                                            for every Python 3.6 env; cells
#                                                            create variables when called;
#                                                            get_variable's default is
#                                                            uniform_unit_scaling)
#   tf12   Python 3.6   tensorflow==1.2.1 numpy==1.19.5 "protobuf<3.20"  (cells create
#                                                            variables when called)
#   tf14   Python 3.6   tensorflow==1.4.1 numpy==1.19.5 "protobuf<3.20"  (RNN cells create
#                                                            variables when called, through
#                                                            _Linear/scopes)
#   tf18   Python 3.6   tensorflow==1.8.0 numpy==1.19.5 "protobuf<3.20"  (cells build)
#   tf112  Python 3.6   tensorflow==1.12.3 numpy==1.19.5 "protobuf<3.20"
#   tf115  Python 3.7   tensorflow==1.15.5 "protobuf<3.20"   (pip 24.0 first: older pips pick
#                                                            wheels the interpreter cannot run)
#   tf24   Python 3.8   tensorflow-cpu==2.4.4 "protobuf<3.20" (tf.keras inside TF: its v2
#                                                            cell wrappers check the cell's class)
#   tf210  Python 3.10  tensorflow-cpu==2.10.1 "protobuf<3.20" "numpy<2" (Keras 2.10, its own
#                                                            package before keras/src)
#   tf215  Python 3.11  tensorflow-cpu==2.15.*               (Keras 2; compat.v1 cells live)
#   tf221  Python 3.11  tensorflow-cpu==2.21.* scipy         (newest; Keras 3, no tf_keras;
#                                                            scipy: STFTSpectrogram's window)
#
# Location: $TFINIT_AUDIT_VENVS, else venvs/ in the cache directory the tool uses
# ($TFINIT_AUDIT_CACHE, else the user cache dir: ~/.cache/tfinit-audit on Linux), as
# tfinit_audit.sources.cache.venvs_dir() says; `--print-dir` prints it and exits. The tests read
# the same place. `tfinit-audit cache info` shows them; `cache clear` keeps them unless asked
# (`--what venvs`). A venv that already imports tensorflow at the right version is left alone;
# a broken one is rebuilt from scratch.
#
# The port tests also run the code `tfinit-audit port` writes in PyTorch and JAX/Flax, in the
# interpreter that runs pytest: ${TFINIT_AUDIT_PORT_PYTHON:-<repo>/.venv/bin/python} gets
#   torch==2.13.0 (the CPU build: PyTorch's CPU index is asked too; never a CUDA build)
#   jax==0.10.2 flax==0.12.8 (CPU jaxlib from PyPI)
# unless it already imports them (a CUDA torch is replaced). Log: <venvs>/port-frameworks.log.
# Interpreters: $TFINIT_AUDIT_PY36 / $TFINIT_AUDIT_PY37 / $TFINIT_AUDIT_PY38 /
# $TFINIT_AUDIT_PY310 / $TFINIT_AUDIT_PY311, else pyenv's 3.6.x / 3.7.x / 3.8.x / 3.10.x / 3.11.x,
# else python3.6 / python3.7 / python3.8 / python3.10 / python3.11 on PATH. Each install logs to
# <venvs>/<name>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

venvs_dir() {  # the tool's own answer when it is installed, else the same rule in shell
  if [ -n "${TFINIT_AUDIT_VENVS:-}" ]; then echo "$TFINIT_AUDIT_VENVS"; return; fi
  if [ -x .venv/bin/python ] && .venv/bin/python -c \
      'from tfinit_audit.sources.cache import venvs_dir; print(venvs_dir())' 2>/dev/null; then
    return
  fi
  echo "${TFINIT_AUDIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tfinit-audit}/venvs"
}
VENVS=$(venvs_dir)
if [ "${1:-}" = "--print-dir" ]; then echo "$VENVS"; exit 0; fi
mkdir -p "$VENVS"

log() { printf '[setup-test-envs] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_python() {  # find_python 3.7 -> path of an interpreter of that minor version
  local minor=$1 override=$2 root cand
  if [ -n "$override" ]; then
    [ -x "$override" ] || die "$override is not executable"
    echo "$override"; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for cand in $(ls -d "$root/versions/$minor".* 2>/dev/null | sort -V -r); do
      if [ -x "$cand/bin/python" ]; then echo "$cand/bin/python"; return; fi
    done
  fi
  if command -v "python$minor" >/dev/null 2>&1; then command -v "python$minor"; return; fi
  die "no Python $minor found (install it with pyenv, or set TFINIT_AUDIT_PY${minor/./})"
}

has_tf() {  # has_tf <venv dir> <version prefix>
  local py=$1/bin/python
  [ -x "$py" ] || return 1
  TF_CPP_MIN_LOG_LEVEL=3 "$py" - "$2" >/dev/null 2>&1 <<'EOF'
import sys
import tensorflow as tf
sys.exit(0 if tf.__version__.startswith(sys.argv[1]) else 1)
EOF
}

make_env() {  # make_env <name> <python> <pip spec> <tf version prefix> <packages...>
  local name=$1 python=$2 pip_spec=$3 prefix=$4
  shift 4
  local dir=$VENVS/$name logf=$VENVS/$name.log
  if has_tf "$dir" "$prefix"; then
    log "$name: tensorflow $prefix* already importable, skipping"
    return
  fi
  log "$name: creating with $python ($*), log: $logf"
  rm -rf "$dir"
  {
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --upgrade "$pip_spec"
    "$dir/bin/python" -m pip install "$@"
  } >"$logf" 2>&1 || { tail -n 20 "$logf" >&2; die "$name: install failed (see $logf)"; }
  has_tf "$dir" "$prefix" || die "$name: tensorflow $prefix* does not import after install"
  log "$name: done"
}

with_module() {  # with_module <name> <module> <pip spec>: install it into that venv if missing
  local name=$1 module=$2 spec=$3 dir=$VENVS/$1 logf=$VENVS/$1.log
  if "$dir/bin/python" -c "import $module" >/dev/null 2>&1; then
    return
  fi
  log "$name: installing $spec, log: $logf"
  "$dir/bin/python" -m pip install "$spec" >>"$logf" 2>&1 \
    || { tail -n 20 "$logf" >&2; die "$name: installing $spec failed (see $logf)"; }
}

# one setup at a time (CI may start several test jobs on one machine)
if command -v flock >/dev/null 2>&1; then
  exec 9>"$VENVS/.setup.lock"
  flock 9
fi

PY36=$(find_python 3.6 "${TFINIT_AUDIT_PY36:-}")
PY37=$(find_python 3.7 "${TFINIT_AUDIT_PY37:-}")
PY38=$(find_python 3.8 "${TFINIT_AUDIT_PY38:-}")
PY310=$(find_python 3.10 "${TFINIT_AUDIT_PY310:-}")
PY311=$(find_python 3.11 "${TFINIT_AUDIT_PY311:-}")

PY36_PINS=("numpy==1.19.5" "protobuf<3.20")
make_env tf012 "$PY36" "pip==21.3.1" "0.12." "tensorflow==0.12.1" "${PY36_PINS[@]}"
make_env tf12 "$PY36" "pip==21.3.1" "1.2." "tensorflow==1.2.1" "${PY36_PINS[@]}"
make_env tf14 "$PY36" "pip==21.3.1" "1.4." "tensorflow==1.4.1" "${PY36_PINS[@]}"
make_env tf18 "$PY36" "pip==21.3.1" "1.8." "tensorflow==1.8.0" "${PY36_PINS[@]}"
make_env tf112 "$PY36" "pip==21.3.1" "1.12." "tensorflow==1.12.3" "${PY36_PINS[@]}"
make_env tf115 "$PY37" "pip==24.0" "1.15." "tensorflow==1.15.5" "protobuf<3.20"
make_env tf24 "$PY38" "pip" "2.4." "tensorflow-cpu==2.4.4" "protobuf<3.20"
make_env tf210 "$PY310" "pip" "2.10." "tensorflow-cpu==2.10.1" "protobuf<3.20" "numpy<2"
make_env tf215 "$PY311" "pip" "2.15." "tensorflow-cpu==2.15.*"
make_env tf221 "$PY311" "pip" "2.21." "tensorflow-cpu==2.21.*" "scipy"
# also into a tf221 made before scipy was asked for: Keras 3 STFTSpectrogram (and its STFT
# initializer) needs scipy.signal to be built at all
with_module tf221 scipy scipy

TORCH_SPEC=${TFINIT_AUDIT_TORCH:-torch==2.13.0}
TORCH_CPU_INDEX=${TFINIT_AUDIT_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
JAX_SPECS=${TFINIT_AUDIT_JAX:-"jax==0.10.2 flax==0.12.8"}

has_port_frameworks() {  # has_port_frameworks <python>: CPU torch, jax and flax import
  "$1" - >/dev/null 2>&1 <<'EOF'
import sys
import flax.linen  # noqa: F401
import jax
import torch
sys.exit(0 if torch.version.cuda is None and jax.default_backend() == "cpu" else 1)
EOF
}

port_frameworks() {  # port_frameworks <python>
  local py=$1 logf=$VENVS/port-frameworks.log
  if has_port_frameworks "$py"; then
    log "port tests: CPU torch, jax and flax already importable by $py, skipping"
    return
  fi
  log "port tests: installing $TORCH_SPEC (CPU) and $JAX_SPECS into $py, log: $logf"
  {
    # with the CPU index: its +cpu builds sort above PyPI's CUDA builds of the same version
    "$py" -m pip install "$TORCH_SPEC" --extra-index-url "$TORCH_CPU_INDEX"
    # shellcheck disable=SC2086  # JAX_SPECS is a list of requirement specs
    "$py" -m pip install $JAX_SPECS
  } >"$logf" 2>&1 || { tail -n 20 "$logf" >&2; die "port frameworks: install failed (see $logf)"; }
  has_port_frameworks "$py" || die "port frameworks: CPU torch/jax/flax do not import in $py"
}

PORT_PY=${TFINIT_AUDIT_PORT_PYTHON:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python}
if [ -x "$PORT_PY" ]; then
  port_frameworks "$PORT_PY"
else
  log "port tests: no interpreter at $PORT_PY (set TFINIT_AUDIT_PORT_PYTHON); skipping torch/jax"
fi
log "all test virtualenvs ready in $VENVS"
