"""Benchmark: self-scoring against sampling of the same solutions, in one process.

Samples N solutions per problem in the default's shapes (up to 160 new tokens, 32 samples per problem,
batches of 256, temperature 1, `generate` called as `rlv.sampling` calls it), then scores them three ways:
- in the sampling job: `rlv.verifier.score_generation` on each batch's own key/value cache and logits (only
  the last token and the suffix are run);
- as a separate job, now: `rlv.verifier.score_solutions` (each prompt run once, its cache reused by its N
  solutions, one prefill of completion + suffix per solution, only read positions projected);
- as a separate job, before: one left-padded prefill of prompt + completion + suffix per solution, every
  position projected (the scorer `score_solutions` replaced; kept here as the baseline).
It checks they agree and prints each time over the sampling time. A separate prefill cannot go below its
token count over sampling's token steps (about the same compute per token); that floor is printed too.
The model is a freshly built default-size one (config/config.yaml's architecture, untrained: its
solutions run to the token limit) unless --model names a trained directory. Usage:
    python bench/scoring.py [--problems 20] [--model results/models/base] [--threads 1]
"""

import argparse
import json
import time

import torch
import yaml

from rlv.models import build_model, build_tokenizer, load_model, tokenizer_corpus, warmup_pairs
from rlv.sampling import _left_pad, prompt_ids
from rlv.tasks.arithmetic import generate
from rlv.verifier import (answer_token_ids, forward_logits, score_generation, score_solutions, verification_batch,
                          verification_suffix_ids)


@torch.no_grad()
def previous_scores(model, prompts, completions, suffix, yes_id, no_id, drop_ids, pad_id, batch_size):
    """The scorer this benchmark replaced: full prefill per solution, sorted by length, all positions projected."""
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]) + len(completions[i]))
    p_yes, mean_logprob = [0.0] * len(order), [0.0] * len(order)
    for begin in range(0, len(order), batch_size):
        chunk = order[begin:begin + batch_size]
        batch = verification_batch([prompts[i] for i in chunk], [completions[i] for i in chunk], suffix, drop_ids,
                                   pad_id)
        logits = forward_logits(model, batch).float()
        probs = logits[:, -1].softmax(-1)
        token_logprobs = logits[:, :-1].log_softmax(-1).gather(-1, batch["input_ids"][:, 1:, None]).squeeze(-1)
        for row, i in enumerate(chunk):
            start, end = batch["completion_start"][row].item(), batch["completion_end"][row].item()
            end += bool(completions[i]) and completions[i][-1] == suffix[0]
            mean_logprob[i] = token_logprobs[row, start - 1:end - 1].mean().item() if end > start else 0.0
            p_yes[i] = probs[row, yes_id].item()
    return {"p_yes": p_yes, "mean_logprob": mean_logprob}


def default_model(problems, config_path="config/config.yaml"):
    config = yaml.safe_load(open(config_path))["base_model"]
    tokenizer = build_tokenizer(tokenizer_corpus(warmup_pairs(problems, "")), config["vocab_size"])
    return build_model(tokenizer, seed=0, **config["architecture"]), tokenizer


def sample_and_score_in_cache(model, tokenizer, prompts, args, suffix, yes_id, no_id):
    """Batches of `generate` (timed) each followed by `score_generation` on its cache (timed)."""
    sampling = scoring = 0.0
    completions, scores = [], {"p_yes": [], "mean_logprob": [], "rescore": []}
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    for index, begin in enumerate(range(0, len(prompts), args.sample_batch)):
        ids, mask = _left_pad(prompts[begin:begin + args.sample_batch], pad)
        torch.manual_seed(index)
        start = time.perf_counter()
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, temperature=1.0, top_k=0,
                                 top_p=1.0, max_new_tokens=args.max_new_tokens, pad_token_id=pad, eos_token_id=eos,
                                 return_dict_in_generate=True, output_logits=True)
        sampling += time.perf_counter() - start
        start = time.perf_counter()
        batch = score_generation(model, out.sequences, mask, out.past_key_values, out.logits, suffix, yes_id, no_id,
                                 eos, pad)
        scoring += time.perf_counter() - start
        for row in out.sequences[:, ids.shape[1]:].tolist():
            end = row.index(eos) + 1 if eos in row else len(row)
            completions.append([t for t in row[:end] if t != pad])
        scores["p_yes"] += batch["p_yes"]
        scores["mean_logprob"] += batch["mean_logprob"]
        scores["rescore"] += [begin + r for r in batch["rescore"]]
    return completions, scores, sampling, scoring


def agree(a, b, rows):
    return all(abs(a[key][i] - b[key][i]) <= 1e-4 * max(1.0, abs(b[key][i])) for key in ("p_yes", "mean_logprob")
               for i in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=20)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--sample-batch", type=int, default=256)
    parser.add_argument("--score-batch", type=int, default=128)
    parser.add_argument("--model", help="a trained model directory (default: a fresh default-size model)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    problems = generate("test", args.problems, [1, 2, 3, 4, 5], seed=0, test_fraction=1.0)
    if args.model:
        model, tokenizer = load_model(args.model)
    else:
        model, tokenizer = default_model(generate("train", 2000, [1, 2, 3, 4, 5], seed=0))
    model.eval()
    encoded = sorted((prompt_ids(tokenizer, text, "") for text in problems["problem"]), key=len)
    prompts = [p for p in encoded for _ in range(args.samples)]  # as rlv.sampling: a problem's samples together
    yes_id, no_id = answer_token_ids(tokenizer)
    suffix = verification_suffix_ids(tokenizer)
    completions, in_cache, sampling, scoring_in_cache = sample_and_score_in_cache(model, tokenizer, prompts, args,
                                                                                  suffix, yes_id, no_id)
    common = (suffix, yes_id, no_id, {tokenizer.eos_token_id, tokenizer.pad_token_id}, tokenizer.pad_token_id,
              args.score_batch)
    start = time.perf_counter()
    scores = score_solutions(model, prompts, completions, *common)
    scoring = time.perf_counter() - start
    start = time.perf_counter()
    previous = previous_scores(model, prompts, completions, *common)
    scoring_previous = time.perf_counter() - start

    everyone = range(len(prompts))
    own_tokens = sum(len(c) + len(suffix) - 1 for c in completions) + len(encoded)
    steps = sum(map(len, prompts)) + len(prompts) * args.max_new_tokens  # upper bound: batches stop early
    print(json.dumps({
        "solutions": len(prompts), "mean_completion_tokens": round(sum(map(len, completions)) / len(prompts), 1),
        "sampling_s": round(sampling, 2), "scoring_in_sampling_s": round(scoring_in_cache, 2),
        "scoring_s": round(scoring, 2), "previous_scoring_s": round(scoring_previous, 2),
        "ratio_in_sampling": round(scoring_in_cache / sampling, 3), "ratio": round(scoring / sampling, 3),
        "previous_ratio": round(scoring_previous / sampling, 3), "prefill_floor_ratio": round(own_tokens / steps, 3),
        "scores_agree": agree(scores, previous, everyone),
        "in_sampling_agree": agree(in_cache, scores, set(everyone) - set(in_cache["rescore"])),
        "rescored_in_sampling": len(in_cache["rescore"]), "threads": args.threads,
    }, indent=1))


if __name__ == "__main__":
    main()
