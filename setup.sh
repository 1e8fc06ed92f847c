#!/usr/bin/env bash
# Creates .venv with the project's exact pins. torch 2.13.0 (CPU wheel) goes in first: with it in place
# the other packages keep it instead of pulling a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet "torch==2.13.0"
.venv/bin/pip install --quiet -e ".[dev]"
.venv/bin/pip check
echo "rlv installed in .venv; activate it with: . .venv/bin/activate"
