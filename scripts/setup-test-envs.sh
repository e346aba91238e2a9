#!/usr/bin/env bash
# Create the four TensorFlow virtualenvs the live tests verify against (idempotent).
#
#   tf14   Python 3.6   tensorflow==1.4.1 numpy==1.19.5 "protobuf<3.20"  (pip 21.3.1 first;
#                                                            RNN cells create variables when
#                                                            called, through _Linear/scopes)
#   tf115  Python 3.7   tensorflow==1.15.5 "protobuf<3.20"   (pip 24.0 first: older pips pick
#                                                            wheels the interpreter cannot run)
#   tf215  Python 3.11  tensorflow-cpu==2.15.*               (Keras 2; compat.v1 cells live)
#   tf221  Python 3.11  tensorflow-cpu==2.21.*               (newest; Keras 3, no tf_keras)
#
# Location: ${TFINIT_AUDIT_VENVS:-$HOME/.cache/tfinit-audit/venvs}. A venv that already imports
# tensorflow at the right version is left alone; a broken one is rebuilt from scratch.
# Interpreters: $TFINIT_AUDIT_PY36 / $TFINIT_AUDIT_PY37 / $TFINIT_AUDIT_PY311, else pyenv's
# 3.6.x / 3.7.x / 3.11.x, else python3.6 / python3.7 / python3.11 on PATH. Each install logs to <venvs>/<name>.log.
set -euo pipefail

VENVS=${TFINIT_AUDIT_VENVS:-$HOME/.cache/tfinit-audit/venvs}
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

# one setup at a time (CI may start several test jobs on one machine)
if command -v flock >/dev/null 2>&1; then
  exec 9>"$VENVS/.setup.lock"
  flock 9
fi

PY36=$(find_python 3.6 "${TFINIT_AUDIT_PY36:-}")
PY37=$(find_python 3.7 "${TFINIT_AUDIT_PY37:-}")
PY311=$(find_python 3.11 "${TFINIT_AUDIT_PY311:-}")

make_env tf14 "$PY36" "pip==21.3.1" "1.4." "tensorflow==1.4.1" "numpy==1.19.5" "protobuf<3.20"
make_env tf115 "$PY37" "pip==24.0" "1.15." "tensorflow==1.15.5" "protobuf<3.20"
make_env tf215 "$PY311" "pip" "2.15." "tensorflow-cpu==2.15.*"
make_env tf221 "$PY311" "pip" "2.21." "tensorflow-cpu==2.21.*"
log "all test virtualenvs ready in $VENVS"
