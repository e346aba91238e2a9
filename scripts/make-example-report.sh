#!/usr/bin/env bash
# Regenerate the example report in reports/example/ and the README screenshot
# (docs/report-screenshot.png): the main job for 1.8 1.10 2.15, verified live against the
# TensorFlow that the README's set-up installs into .venv. Needs .venv (README quick start) and
# Debian's chromium for the screenshot.
#
# The example has its own directory: the main job and verify write to reports/ by default,
# which git ignores, so running the README's commands never changes the committed example.
# The interpreter is named relative to the checkout (.venv/bin/python), so the report names no
# directory of the machine that made it.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/tfinit-audit --versions 1.8 1.10 2.15 --python .venv/bin/python --out reports/example
.venv/bin/python scripts/screenshot.py reports/example/index.html docs/report-screenshot.png
