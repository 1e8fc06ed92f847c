"""Benchmark: time per training step of GRPO^V against GRPO, same model, config and seed, one after the other.

Both runs start from the same base model and draw the same first rollouts; the ratio of their mean step times
(TRL's `step_time`: generation + loss + backward + optimizer step) is what to read, together with the share of
the step spent in the verification loss alone. Usage:
    python bench/rlv_overhead.py --base results/models/base --data results/data/train.parquet [--steps 8]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from rlv.train import run_training


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="results/models/base")
    parser.add_argument("--data", default="results/data/train.parquet")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    problems = pd.read_parquet(args.data)
    params = {"trainer": "grpo", "steps": args.steps, "learning_rate": 1e-4, "prompts_per_step": 16,
              "num_generations": 8, "max_completion_length": 160, "temperature": 1.0, "beta": 0.0, "seed": 0,
              "checkpoint_every": 10_000, "threads": args.threads}
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for run, coef in (("grpo", 0.0), ("grpo_v", 1.0)):
            out = Path(tmp) / run
            start = time.perf_counter()
            metrics = run_training(args.base, problems, {**params, "verify_coef": coef}, run, out / "model",
                                   out / "rollouts.parquet", out / "checkpoints", log=lambda _: None)
            times[run] = {"mean_step_s": float(metrics["step_time"].iloc[1:].mean()),
                          "wall_s": time.perf_counter() - start}
    ratio = times["grpo_v"]["mean_step_s"] / times["grpo"]["mean_step_s"]
    print(json.dumps({**times, "step_time_ratio": round(ratio, 3), "steps": args.steps}, indent=1))


if __name__ == "__main__":
    main()
