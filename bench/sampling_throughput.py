"""Benchmark: sampling throughput of the `hf` backend against the `vllm` backend, same model, same prompts, one run.

Both backends sample `--samples` solutions for each of the first `--problems` problems of `--data` at
temperature 1 and up to `--max-new-tokens` tokens through rlv.inference.sampling.sample_solutions (so both times include
prompt building, decoding and grading), with the same number of threads. Throughput is generated tokens (the
`num_tokens` column) per second of wall time; the vLLM engine's start-up is timed apart and left out of its
throughput, since a job starts it once. Repetitions alternate the backends so that a change in the machine's
load hits both; the ratio is of the means over repetitions. The `hf` backend is the project's decoder
(rlv.inference.decoding); its comparison with transformers' `model.generate` is bench/decoder_throughput.py's.
The default sizes are the default config's (200 problems x 32 samples x 160 tokens, `hf` in batches of 256);
`--problems` takes a subset on a loaded machine.
Prints its progress on stderr and one JSON object on stdout.
Usage (needs results/models/base and results/data/test.parquet from `snakemake`, and .venv-vllm):
    python bench/sampling_throughput.py [--problems 200] [--samples 32] [--threads 1] [--repeats 1]
"""

import argparse
import json
import sys
import time

import pandas as pd
import torch

from rlv.inference.sampling import sample_solutions
from rlv.inference.vllm_engine import VllmEngine
from rlv.models import load_model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="results/models/base")
    parser.add_argument("--data", default="results/data/test.parquet")
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=256, help="hf backend: sequences per decoder batch")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--vllm-python", default=".venv-vllm/bin/python")
    parser.add_argument("--engine-args", default="{}", help="JSON: extra vllm.LLM arguments")
    parser.add_argument("--log", default="/tmp/rlv-bench-vllm.log", help="the vLLM worker's output")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model, tokenizer = load_model(args.model)
    problems = pd.read_parquet(args.data).head(args.problems)
    common = dict(num_samples=args.samples, temperature=1.0, max_new_tokens=args.max_new_tokens,
                  batch_size=args.batch_size, seed=0, shard_problems=len(problems))
    results = {"hf": [], "vllm": []}
    accuracy = {}
    with VllmEngine(args.model, args.vllm_python, threads=args.threads, engine_args=json.loads(args.engine_args),
                    log=args.log) as engine:
        start = time.perf_counter()
        ready = engine.start()
        engine_start = time.perf_counter() - start
        print(f"vllm {ready['vllm']}: engine start {engine_start:.1f} s (worker's own count {ready['seconds']:.1f} s)",
              file=sys.stderr, flush=True)
        for repeat in range(args.repeats):
            for backend in ("hf", "vllm"):
                start = time.perf_counter()
                frame = sample_solutions(model if backend == "hf" else None, tokenizer, problems,
                                         engine=engine if backend == "vllm" else None, **common)
                seconds = time.perf_counter() - start
                tokens = int(frame["num_tokens"].sum())
                results[backend].append(tokens / seconds)
                accuracy[backend] = float(frame["correct"].mean())
                print(f"repeat {repeat} {backend:4s}: {tokens} tokens in {seconds:.1f} s = {tokens / seconds:.0f} "
                      f"tokens/s (accuracy {frame['correct'].mean():.3f}, truncated {frame['truncated'].mean():.3f})",
                      file=sys.stderr, flush=True)
    hf, vl = (sum(v) / len(v) for v in (results["hf"], results["vllm"]))
    print(json.dumps({
        "hf_tokens_per_s": [round(v) for v in results["hf"]], "vllm_tokens_per_s": [round(v) for v in results["vllm"]],
        "hf_over_vllm": round(hf / vl, 3), "engine_start_s": round(engine_start, 1), "vllm": ready["vllm"],
        "accuracy": {k: round(v, 3) for k, v in accuracy.items()}, "problems": len(problems), "samples": args.samples,
        "max_new_tokens": args.max_new_tokens, "repeats": args.repeats, "threads": args.threads,
    }, indent=1))


if __name__ == "__main__":
    main()
