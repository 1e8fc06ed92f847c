"""Benchmark: time per training step of GRPO^V against GRPO on identical rollouts, in one process.

Each repetition generates one batch of rollouts (16 prompts x 8 rollouts, up to 160 tokens) with TRL's own
`_generate_and_score_completions`, then runs the update (loss, backward, AdamW step) on that same batch from
the same weights and optimizer state for four variants, in rotating order, --repeats times each with the
fastest kept (against load spikes): GRPO (lambda = 0); GRPO^V fused, the verification question run on the RL
forward's key/value cache (the default); GRPO^V in the widened layout (the question written into the RL batch:
what gradient checkpointing takes); GRPO^V with its own separate pass. A training step is generation + update
(medians over steps), so the step ratio is (gen + update^V) / (gen + update); the update ratio alone is printed
too. The fused update's floor is the share of row-columns the question adds: on the cache, its tokens over the
loss batch's row-columns; in the layout, the batch's widening plus the separate pass over the few longest rows
left out of it (compute is about linear in rows x columns). The share of question tokens in each sequence is
printed beside them. Every update runs as training runs it, in length chunks (`rl.length_chunks`, 4), and the
floors count the row-columns of those chunks. Threads default to 1: stabler on a loaded machine.
On a GPU (`--device cuda --precision bf16`) it reports the peak memory too (scripts/gpu-check.sh runs it at
Qwen2.5-1.5B's shape).
Usage:
    python bench/rlv_overhead.py --base results/models/base --data results/data/train.parquet [--steps 6]
"""

import argparse
import copy
import json
import statistics
import tempfile
import time

import pandas as pd
import torch

from rlv.models import load_model, resolve_device
from rlv.training.params import RLParams
from rlv.training.length_chunks import trimmed
from rlv.training.run import make_trainer
from rlv.verifier import fused_layout

VARIANTS = {"grpo": (0.0, True, True), "grpo_v_fused": (1.0, True, True), "grpo_v_layout": (1.0, True, False),
            "grpo_v_separate": (1.0, False, False)}  # (lambda, fused, on the cache)


def update_seconds(trainer, optimizer, inputs, coef, fuse, on_cache, cuda=False):
    trainer.verify_coef, trainer.fuse_verification, trainer.fused_on_cache = coef, fuse, on_cache
    return timed_update(trainer, optimizer, inputs, cuda)


def timed_update(trainer, optimizer, inputs, cuda=False) -> float:
    """Seconds of one update as training runs it: loss, backward, optimizer step (bench/rl_step.py times it too)."""
    start = time.perf_counter()
    with trainer.accelerator.autocast():  # TRL's bf16, as its training step runs the loss
        loss = trainer._compute_loss(trainer.model, inputs)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start


def suffix_shares(trainer, inputs):
    """(mean share of the suffix in each prompt + completion + suffix, the fused update's floor on the cache: the
    suffix's tokens over the loss batch's row-columns, and the floor of the widened layout that gradient
    checkpointing takes: the extra row-columns of the widened batch and of the separate pass over the rows left
    out, over the loss batch's). Row-columns are counted in the passes the update runs (its length chunks)."""
    groups = trainer._length_chunks(inputs)
    parts = [inputs] if groups is None else [trimmed(inputs, rows) for rows in groups]
    suffix, cells, cache, layout_extra, shares = trainer.verification_suffix, 0, 0, 0, []
    for part in parts:
        ids = torch.cat([part["prompt_ids"], part["completion_ids"]], 1)
        mask = torch.cat([part["prompt_mask"], part["completion_mask"]], 1)
        layout = fused_layout(ids, mask, part["completion_ids"].size(1), suffix, trainer._drop_ids)
        lengths = mask.sum(1).float() + len(suffix) - 1  # the suffix re-opens with the EOS a finished row ends with
        left_out = lengths[~layout["fused"]]
        layout_extra += ids.size(0) * (layout["input_ids"].size(1) - ids.size(1)) + len(left_out) * (
            left_out.max().item() if len(left_out) else 0)
        cells, cache = cells + ids.numel(), cache + ids.size(0) * len(suffix)
        shares += ((len(suffix) - 1) / lengths).tolist()
    return sum(shares) / len(shares), cache / cells, layout_extra / cells


def rl_arguments(parser: argparse.ArgumentParser, steps: int) -> argparse.ArgumentParser:
    """The arguments of a benchmark of RL steps on the default's shape (bench/rl_step.py takes them too)."""
    parser.add_argument("--base", default="results/models/base")
    parser.add_argument("--data", default="results/data/train.parquet")
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--prompts-per-step", type=int, default=16)
    parser.add_argument("--num-generations", type=int, default=8)
    parser.add_argument("--max-completion-length", type=int, default=160)
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (rlv.models.resolve_device)")
    parser.add_argument("--precision", default="auto", help="auto, fp32 or bf16: TRL's bf16 autocast on fp32 weights")
    return parser


def grpo_v_trainer(args):
    """(model, GRPO^V trainer on the training data, AdamW) for stepping by hand, as `train()` would."""
    torch.set_num_threads(args.threads)
    params = RLParams(trainer="grpo", verify_coef=1.0, steps=args.steps, learning_rate=1e-4,
                      prompts_per_step=args.prompts_per_step, num_generations=args.num_generations,
                      max_completion_length=args.max_completion_length, temperature=1.0, beta=0.0, seed=0,
                      checkpoint_every=10_000, device=args.device, precision=args.precision)
    model, tokenizer = load_model(args.base, device=resolve_device(args.device))
    trainer = make_trainer(model, tokenizer, pd.read_parquet(args.data), params, tempfile.mkdtemp(prefix="rlv-bench-"))
    trainer.current_gradient_accumulation_steps = 1  # set by `train()`, which this loop stands in for
    return model, trainer, torch.optim.AdamW(model.parameters(), lr=1e-4)


def main():
    parser = rl_arguments(argparse.ArgumentParser(description=__doc__,
                                                  formatter_class=argparse.RawDescriptionHelpFormatter), steps=6)
    parser.add_argument("--repeats", type=int, default=2, help="updates per variant and step; the fastest counts")
    args = parser.parse_args()
    model, trainer, optimizer = grpo_v_trainer(args)
    batches = iter(trainer.get_train_dataloader())
    times = {"generation": [], **{name: [] for name in VARIANTS}}
    shares = []
    cuda = next(model.parameters()).device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    for step in range(args.steps):
        model.train()
        start = time.perf_counter()
        inputs = trainer._generate_and_score_completions(next(batches))
        times["generation"].append(time.perf_counter() - start)
        shares.append(suffix_shares(trainer, inputs))
        weights, state = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
        names, best = list(VARIANTS), {}
        for repeat in range(args.repeats):
            turn = (step + repeat) % len(names)
            for name in names[turn:] + names[:turn]:
                model.load_state_dict(weights)
                optimizer.load_state_dict(state)
                seconds = update_seconds(trainer, optimizer, inputs, *VARIANTS[name], cuda)
                best[name] = min(best.get(name, seconds), seconds)
        for name, seconds in best.items():
            times[name].append(seconds)
    skip = 1 if args.steps > 1 else 0  # the first step warms up allocators and kernels
    mean = {name: statistics.median(values[skip:]) for name, values in times.items()}
    gen = mean["generation"]
    report = {
        "median_s": {name: round(value, 3) for name, value in mean.items()},
        **{f"step_ratio_{name[7:]}": round((gen + mean[name]) / (gen + mean["grpo"]), 3)
           for name in VARIANTS if name != "grpo"},
        **{f"update_ratio_{name[7:]}": round(mean[name] / mean["grpo"], 3) for name in VARIANTS if name != "grpo"},
        "floor_update_ratio": round(1 + sum(c for _, c, _ in shares) / len(shares), 3),
        "floor_update_ratio_layout": round(1 + sum(c for _, _, c in shares) / len(shares), 3),
        "suffix_token_share": round(sum(t for t, _, _ in shares) / len(shares), 3),
        "steps": args.steps, "threads": args.threads, "sequences": args.prompts_per_step * args.num_generations,
        "device": args.device, "precision": args.precision,
        "parameters": sum(p.numel() for p in model.parameters()),
        "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
