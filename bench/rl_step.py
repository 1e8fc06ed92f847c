"""Benchmark: one RL step as rlv runs it against the same step as TRL runs it.

A GRPO^V trainer on the default's base model and training data (the default's RL shape: 16 prompts x 8 rollouts,
up to 160 tokens). Each step draws one batch of prompts and generates its rollouts twice from the same weights,
once per decoder (`rl.rollout_decoder`: rlv, TRL's own path replaced by rlv.inference.decoding; transformers,
TRL's `generate`), in alternating order, with TRL's `_generate_and_score_completions` (rewards, log-probs, the
rollout tensors); then the update (loss, backward, AdamW step) on the rlv batch twice from the same weights and
optimizer state, in alternating order: in chunks of rollouts of similar length (`rl.length_chunks`, 4:
rlv.training.length_chunks) and in TRL's one pass; the last one's weights are kept, as training moves them.
Reported: median seconds of each (the first step left out: warm-up), the generation ratio rlv / transformers, the
update ratio chunks / one pass, the step ratio (gen_rlv + update) / (gen_transformers + update_one_pass), i.e. rlv's
step over TRL's own, and each decoder's mean completion length and reward (the same law: they agree within
noise). On a GPU
(`--device cuda --precision bf16`) also each decoder's peak memory (scripts/gpu-check.sh runs it at
Qwen2.5-1.5B's shape).
Usage:
    python bench/rl_step.py --base results/models/base --data results/data/train.parquet [--steps 5]
"""

import argparse
import copy
import json
import statistics
import time

import torch

from rlv_overhead import grpo_v_trainer, rl_arguments, timed_update  # bench/, beside this script

DECODERS = ("rlv", "transformers")


def generate(trainer, batch, decoder, cuda):
    trainer.rollout_decoder = decoder
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    inputs = trainer._generate_and_score_completions(batch)
    if cuda:
        torch.cuda.synchronize()
    lengths = inputs["completion_mask"].sum(1).float()
    return inputs, time.perf_counter() - start, {
        "length": lengths.mean().item(), "reward": trainer._batch_rewards.float().mean().item(),
        "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else None}


UPDATES = {"update": 4, "update_one_pass": 1}  # length chunks


def update(trainer, optimizer, inputs, chunks, cuda):
    trainer.length_chunks = chunks
    return timed_update(trainer, optimizer, inputs, cuda)


def main():
    args = rl_arguments(argparse.ArgumentParser(description=__doc__,
                                                formatter_class=argparse.RawDescriptionHelpFormatter), steps=5).parse_args()
    model, trainer, optimizer = grpo_v_trainer(args)
    cuda = next(model.parameters()).device.type == "cuda"
    batches = iter(trainer.get_train_dataloader())
    seconds = {name: [] for name in (*DECODERS, "update", "update_one_pass")}
    seen = {name: [] for name in DECODERS}
    for step in range(args.steps):
        model.train()
        trainer.state.global_step = step
        batch = next(batches)
        kept = None
        for decoder in (DECODERS if step % 2 == 0 else DECODERS[::-1]):
            inputs, elapsed, facts = generate(trainer, batch, decoder, cuda)
            seconds[decoder].append(elapsed)
            seen[decoder].append(facts)
            kept = inputs if decoder == "rlv" else kept
        weights, state = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
        for name in (list(UPDATES) if step % 2 == 0 else list(UPDATES)[::-1]):
            model.load_state_dict(weights)
            optimizer.load_state_dict(state)
            seconds[name].append(update(trainer, optimizer, kept, UPDATES[name], cuda))
    skip = 1 if args.steps > 1 else 0
    median = {name: statistics.median(values[skip:]) for name, values in seconds.items()}
    mean = lambda decoder, key: round(statistics.mean(f[key] for f in seen[decoder]), 3)  # noqa: E731
    report = {
        "median_s": {name: round(value, 3) for name, value in median.items()},
        "generation_ratio": round(median["rlv"] / median["transformers"], 3),
        "update_ratio": round(median["update"] / median["update_one_pass"], 3),
        "step_ratio": round((median["rlv"] + median["update"]) / (median["transformers"] + median["update_one_pass"]),
                            3),
        "mean_length": {decoder: mean(decoder, "length") for decoder in DECODERS},
        "mean_reward": {decoder: mean(decoder, "reward") for decoder in DECODERS},
        "peak_gib": {decoder: round(max(f["peak_gib"] for f in seen[decoder]), 2) for decoder in DECODERS}
        if cuda else None,
        "steps": args.steps, "threads": args.threads, "sequences": args.prompts_per_step * args.num_generations,
        "device": args.device, "precision": args.precision,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
