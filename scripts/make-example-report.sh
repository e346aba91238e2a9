#!/usr/bin/env bash
# Regenerate the example report in reports/ and the README screenshot (docs/report-screenshot.png):
# the main job for 1.8 1.10 2.15, verified live against the TensorFlow that the README's set-up
# installs into .venv. Needs .venv (README quick start) and Debian's chromium for the screenshot.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/tfinit-audit --versions 1.8 1.10 2.15 --out reports
.venv/bin/python scripts/screenshot.py reports/index.html docs/report-screenshot.png
