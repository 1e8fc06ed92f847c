#!/usr/bin/env bash
# The GPU check: on a machine with one CUDA GPU and the project's Python packages importable by $PYTHON (installed,
# or wheels unpacked on PYTHONPATH), in about 8 minutes:
#   1. the device tests on cuda (each test parametrised by device runs on cuda where one is visible);
#   2. the test DAG (.test/config) with device: cuda and precision: bf16, through its summary;
#   3. the benchmarks at a random Qwen2 of Qwen2.5-1.5B's shape (hidden 1536, 28 layers, 12 heads, 2 key/value
#      heads, MLP 8960; the test DAG's tokenizer, so 1.3 B parameters without Qwen's 151,936-word embeddings):
#      the project's decoder against transformers' generate (tokens/s, peak memory) and one RL^V training step
#      against GRPO's (update and step ratios, peak memory) in bf16.
# Prints one JSON summary on stdout (also written to $OUT/gpu-check.json when OUT is set); logs go to $WORK.
# `--smoke` runs the same steps with a tiny shape on whatever device there is (CPU included): a check of the script.
# Usage: bash scripts/gpu-check.sh [--smoke]
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')   # absolute: jobs run elsewhere
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
WORK=$(mktemp -d -t rlv-gpu-check.XXXXXX)
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nexec %s -m rlv.cli "$@"\n' "$PYTHON" > "$WORK/bin/rlv"   # the rules call `rlv`
chmod +x "$WORK/bin/rlv"
export PATH="$WORK/bin:$PATH" HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
if [ "$SMOKE" = 1 ]; then
  DEVICE=auto PRECISION=auto SHAPE="64 2 2 1 128" BATCH="--problems 4 --samples 4 --max-new-tokens 32"
  RL="--prompts-per-step 2 --num-generations 4 --max-completion-length 32 --steps 2"
else
  DEVICE=cuda PRECISION=bf16 SHAPE="1536 28 12 2 8960" BATCH="--problems 16 --samples 8 --max-new-tokens 128"
  RL="--prompts-per-step 4 --num-generations 8 --max-completion-length 160 --steps 4"
fi
seconds() { echo $(( $(date +%s) - $1 )); }

start=$(date +%s)
$PYTHON -m pytest -q -p no:cacheprovider tests/inference/test_decoding.py tests/test_verifier.py \
  tests/training/test_fused_loss.py tests/training/test_rl_params.py tests/training/test_rollout_decoding.py > "$WORK/tests.log" 2>&1
tests_rc=$?
tests_line=$(grep -E "passed|failed" "$WORK/tests.log" | tail -n 1)
tests_s=$(seconds "$start")

start=$(date +%s)
mkdir -p "$WORK/dag"
cp -r .test/config "$WORK/dag/config"
$PYTHON -m snakemake --snakefile "$PWD/Snakefile" --directory "$WORK/dag" --cores 4 \
  --config device="$DEVICE" precision="$PRECISION" > "$WORK/dag.log" 2>&1
dag_rc=$?
dag_s=$(seconds "$start")

start=$(date +%s)
$PYTHON - "$WORK/dag/results/models/base" "$WORK/model" $SHAPE > "$WORK/model.log" 2>&1 <<'EOF'
import sys

import torch
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

tokenizer_dir, out, hidden, layers, heads, kv_heads, mlp = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
torch.manual_seed(0)
config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=mlp, num_hidden_layers=layers,
                     num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=4096,
                     tie_word_embeddings=True, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
model = Qwen2ForCausalLM(config).to(torch.bfloat16)
model.save_pretrained(out, safe_serialization=True)
tokenizer.save_pretrained(out)
print(sum(p.numel() for p in model.parameters()))
EOF
model_rc=$?
$PYTHON bench/decoder_throughput.py --model "$WORK/model" --data "$WORK/dag/results/data/test.parquet" \
  --device "$DEVICE" --precision "$PRECISION" $BATCH > "$WORK/decoder.json" 2> "$WORK/decoder.log"
decoder_rc=$?
$PYTHON bench/rlv_overhead.py --base "$WORK/model" --data "$WORK/dag/results/data/train.parquet" \
  --device "$DEVICE" --precision "$PRECISION" $RL > "$WORK/overhead.json" 2> "$WORK/overhead.log"
overhead_rc=$?
$PYTHON bench/rl_step.py --base "$WORK/model" --data "$WORK/dag/results/data/train.parquet" \
  --device "$DEVICE" --precision "$PRECISION" $RL > "$WORK/rl_step.json" 2> "$WORK/rl_step.log"
rl_step_rc=$?
bench_s=$(seconds "$start")

$PYTHON - "$WORK" "$tests_rc" "$tests_line" "$tests_s" "$dag_rc" "$dag_s" "$model_rc" "$decoder_rc" "$overhead_rc" \
  "$rl_step_rc" "$bench_s" "$SMOKE" <<'EOF' | tee "${OUT:-$WORK}/gpu-check.json"
import json
import sys
from pathlib import Path

(work, tests_rc, tests_line, tests_s, dag_rc, dag_s, model_rc, decoder_rc, overhead_rc, rl_step_rc, bench_s,
 smoke) = sys.argv[1:]
work = Path(work)


def read_json(name):
    try:
        return json.loads((work / name).read_text())
    except (OSError, ValueError):
        return None


try:
    import torch
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
    versions = {"torch": torch.__version__}
except ImportError:
    device, versions = "torch missing", {}
summary = {
    "device": device, "smoke": smoke == "1", **versions, "work": str(work),
    "tests": {"ok": tests_rc == "0", "result": tests_line, "seconds": int(tests_s)},
    "test_dag": {"ok": dag_rc == "0" and (work / "dag" / "results" / "summary.md").exists(), "seconds": int(dag_s)},
    "bench": {"model_ok": model_rc == "0", "decoder": read_json("decoder.json"), "rlv_overhead": read_json("overhead.json"),
              "rl_step": read_json("rl_step.json"),
              "ok": decoder_rc == "0" and overhead_rc == "0" and rl_step_rc == "0", "seconds": int(bench_s)},
}
print(json.dumps(summary, indent=1))
EOF
