#!/usr/bin/env bash
# Creates .venv with the project's exact pins. torch 2.13.0 (CPU wheel) goes in first: with it in place
# the other packages keep it instead of pulling a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip_install() {  # quiet, minus the notices about local package mirrors that do not hold a package
  .venv/bin/pip install --quiet --disable-pip-version-check "$@" 2> >(grep -v "is ignored: it is neither" >&2)
}
pip_install "torch==2.13.0"
pip_install -e ".[dev]"
.venv/bin/pip check
echo "rlv installed in .venv; activate it with: . .venv/bin/activate"
