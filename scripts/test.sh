#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; .ci/run calls exactly this).
# Installs everything the tests need on a fresh machine, then runs the whole suite:
#   - Debian chromium (browser tests), if missing
#   - .venv with the package, its dev tools and TensorFlow (newest, Keras 3)
#   - the TensorFlow test virtualenvs (0.12.1, 1.2.1, 1.4.1, 1.8.0, 1.12.3 on Python 3.6,
#     1.15.5 on Python 3.7, 2.15 with Keras 2, newest)
#   - PyTorch (CPU) and JAX/Flax (CPU) in .venv, which run the code `tfinit-audit port` writes
#   - ruff, mypy, and pytest with every marker (network, live, browser, slow)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }

if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian chromium (browser tests)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
log "installing tfinit-audit with [dev,live] into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev,live]"

log "creating the TensorFlow test virtualenvs; PyTorch and JAX/Flax (CPU) into .venv"
TFINIT_AUDIT_PORT_PYTHON="$PWD/.venv/bin/python" bash scripts/setup-test-envs.sh

log "ruff"
.venv/bin/ruff check tfinit_audit tests benchmarks
log "mypy"
.venv/bin/mypy tfinit_audit

log "pytest (all markers: network, live, browser, slow)"
exec .venv/bin/python -m pytest "$@"
