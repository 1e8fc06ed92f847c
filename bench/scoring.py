"""Benchmark: self-scoring against sampling of the same solutions, in one process.

Samples N solutions per problem in the default's shapes (up to 160 new tokens, 32 samples per problem,
batches of 256 samples, temperature 1) with the hf decoder (`rlv.inference.decoding.sample_and_score`), twice with the
same seeds, so both passes draw the same solutions:
- sampling alone (no suffix);
- sampling with the in-pass self-scores (what rule `sample` runs): the extra time is the cost of scoring;
then scores the same solutions as a separate job would (`rlv.verifier.score_solutions`: each prompt run once,
one prefill of completion + question per solution). It checks the two scorings agree and prints each cost
over the sampling time, beside the tokens each runs per sampled token: in the pass, the question's; apart,
the solution's and the question's (a prefill runs a token for less than a decoding step does, so a time
ratio sits below its token ratio). Scoring cannot cost less than running the question through the model, so
short solutions (the default's ~80 tokens against the 21-token question) cost relatively more than long ones
(`--max-new-tokens 512` with the untrained model, whose solutions run to the limit, is the regime of the
paper's long solutions).
The model is a freshly built default-size one (config/config.yaml's architecture, untrained) unless --model
names a trained directory. Usage:
    python bench/scoring.py [--problems 8] [--model results/models/base] [--max-new-tokens 160] [--threads 1]
"""

import argparse
import json
import time

import torch
import yaml

from rlv.inference.decoding import sample_and_score
from rlv.models import build_model, build_tokenizer, load_model, tokenizer_corpus, warmup_pairs
from rlv.tasks.chat import prompt_ids
from rlv.tasks.synthetic import generate
from rlv.verifier import answer_token_ids, score_solutions, verification_suffix_ids


def default_model(problems, config_path="config/config.yaml"):
    config = yaml.safe_load(open(config_path))["base_model"]
    tokenizer = build_tokenizer(tokenizer_corpus(warmup_pairs(problems, "")), config["vocab_size"])
    return build_model(tokenizer, seed=0, **config["architecture"]), tokenizer


def timed_sampling(model, tokenizer, encoded, args, scoring):
    """All batches (sample_batch // samples problems each, seeded by batch index); seconds and results."""
    per_batch = max(1, args.sample_batch // args.samples)
    results, seconds = [], 0.0
    for index, begin in enumerate(range(0, len(encoded), per_batch)):
        prompts = encoded[begin:begin + per_batch]
        start = time.perf_counter()
        results += sample_and_score(model, prompts, [args.samples] * len(prompts), 1.0, args.max_new_tokens, index,
                                    tokenizer.eos_token_id, tokenizer.pad_token_id, **scoring)
        seconds += time.perf_counter() - start
    return results, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=8)
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=160)
    parser.add_argument("--sample-batch", type=int, default=256)
    parser.add_argument("--score-batch", type=int, default=128)
    parser.add_argument("--model", help="a trained model directory (default: a fresh default-size model)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2, help="the fastest of this many runs of each")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    problems = generate("test", args.problems, [1, 2, 3, 4, 5], seed=0, test_fraction=1.0)
    if args.model:
        model, tokenizer = load_model(args.model)
    else:
        model, tokenizer = default_model(generate("train", 2000, [1, 2, 3, 4, 5], seed=0))
    model.eval()
    encoded = sorted((prompt_ids(tokenizer, text, "") for text in problems["problem"]), key=len)
    yes_id, no_id = answer_token_ids(tokenizer)
    suffix = verification_suffix_ids(tokenizer)
    scoring = {"suffix": suffix, "yes_id": yes_id, "no_id": no_id}
    sampling = in_pass = separate = float("inf")
    for _ in range(args.repeats):  # alternated, so a change in the machine's load hits all three
        plain, seconds = timed_sampling(model, tokenizer, encoded, args, {})
        sampling = min(sampling, seconds)
        scored, seconds = timed_sampling(model, tokenizer, encoded, args, scoring)
        in_pass = min(in_pass, seconds)
        completions = [r["completion_ids"] for r in scored]
        prompts = [p for p in encoded for _ in range(args.samples)]
        start = time.perf_counter()
        apart = score_solutions(model, prompts, completions, suffix, yes_id, no_id,
                                {tokenizer.eos_token_id, tokenizer.pad_token_id}, tokenizer.pad_token_id,
                                args.score_batch)
        separate = min(separate, time.perf_counter() - start)
    same_samples = [r["completion_ids"] for r in plain] == completions
    checked = [i for i, r in enumerate(scored) if not r["rescore"]]
    agree = all(abs(scored[i][key] - apart[key][i]) <= 1e-4 * max(1.0, abs(apart[key][i]))
                for key in ("p_yes", "p_no", "mean_logprob") for i in checked)
    sampled = sum(map(len, completions))
    print(json.dumps({
        "problems": args.problems, "samples": args.samples, "max_new_tokens": args.max_new_tokens,
        "model": args.model or "untrained default-size",
        "solutions": len(completions), "mean_completion_tokens": round(sampled / len(completions), 1),
        "question_tokens": len(suffix), "sampling_s": round(sampling, 2),
        "scoring_in_pass_s": round(in_pass - sampling, 3), "scoring_apart_s": round(separate, 2),
        "ratio_in_pass": round((in_pass - sampling) / sampling, 3), "ratio_apart": round(separate / sampling, 3),
        "tokens_in_pass_per_sampled_token": round(len(suffix) * len(completions) / sampled, 3),
        "tokens_apart_per_sampled_token": round((sampled + len(suffix) * len(completions)) / sampled, 3),
        "same_samples_with_and_without_scoring": same_samples, "scores_agree": agree, "threads": args.threads,
    }, indent=1))


if __name__ == "__main__":
    main()
