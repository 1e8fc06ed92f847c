"""Benchmark: the project's decoder (rlv.inference.decoding) against transformers' `model.generate`, same model,
same prompts, same batch, one run.

Both sample `--samples` completions of each of `--problems` prompts at temperature 1, up to `--max-new-tokens`
tokens, stopping at the tokenizer's stop tokens; the decoder prefills each prompt once for its samples, `generate`
gets every sample as its own row (its usual use). Throughput is generated tokens per second of wall time, the
fastest of `--repeats` alternating repetitions. On a GPU the model runs in `--precision` (bf16 by default there)
and the peak memory of each is reported. The prompts are the test split's problems when `--data` exists, else
synthetic ones, so a bare model directory is enough (scripts/gpu-check.sh uses a random Qwen2 at Qwen2.5-1.5B's
shape). Prints one JSON object.
Usage:
    python bench/decoder_throughput.py --model results/models/base [--device cuda] [--problems 16 --samples 8]
"""

import argparse
import json
import time
from pathlib import Path

import pandas as pd
import torch

from rlv.inference.decoding import sample_and_score
from rlv.models import load_model, resolve_device, resolve_dtype
from rlv.tasks.chat import prompt_ids
from rlv.tasks.synthetic import generate as synthetic_problems
from rlv.verifier import stop_ids


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="results/models/base")
    parser.add_argument("--data", default="results/data/test.parquet")
    parser.add_argument("--problems", type=int, default=16)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    dtype = resolve_dtype(args.precision, device)
    model, tokenizer = load_model(args.model, dtype, device)
    problems = (pd.read_parquet(args.data) if Path(args.data).exists()
                else synthetic_problems("test", args.problems, [1, 2, 3], seed=0))["problem"].head(args.problems)
    prompts = [prompt_ids(tokenizer, text, "") for text in problems]
    stops = stop_ids(tokenizer)
    rows = [prompt for prompt in prompts for _ in range(args.samples)]
    width = max(map(len, rows))
    padded = torch.tensor([[tokenizer.pad_token_id] * (width - len(r)) + r for r in rows], device=device)
    mask = (torch.arange(width, device=device)[None] >= torch.tensor([width - len(r) for r in rows], device=device)[:, None]).long()

    def decoder(seed):
        results = sample_and_score(model, prompts, [args.samples] * len(prompts), 1.0, args.max_new_tokens, seed,
                                   stops, tokenizer.pad_token_id)
        return sum(len(r["completion_ids"]) for r in results)

    @torch.inference_mode()
    def transformers_generate(seed):
        torch.manual_seed(seed)
        out = model.generate(input_ids=padded, attention_mask=mask, do_sample=True, temperature=1.0, top_k=0,
                             top_p=1.0, max_new_tokens=args.max_new_tokens, eos_token_id=stops,
                             pad_token_id=tokenizer.pad_token_id)[:, width:]
        ended = torch.isin(out, torch.tensor(stops, device=device))
        lengths = torch.where(ended.any(1), ended.int().argmax(1) + 1, torch.full_like(ended[:, 0], out.size(1),
                                                                                      dtype=torch.long))
        return int(lengths.sum())

    best, memory = {}, {}
    for repeat in range(args.repeats):
        for name, run in (("decoder", decoder), ("generate", transformers_generate)):
            if device.type == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            tokens = run(repeat)
            if device.type == "cuda":
                torch.cuda.synchronize()
                memory[name] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
            best[name] = max(best.get(name, 0.0), tokens / (time.perf_counter() - start))
    print(json.dumps({"decoder_tokens_per_s": round(best["decoder"]), "generate_tokens_per_s": round(best["generate"]),
                      "decoder_over_generate": round(best["decoder"] / best["generate"], 2),
                      "peak_gib": memory, "device": str(device), "dtype": str(dtype).removeprefix("torch."),
                      "sequences": len(rows), "max_new_tokens": args.max_new_tokens,
                      "parameters": sum(p.numel() for p in model.parameters())}, indent=1))


if __name__ == "__main__":
    main()
