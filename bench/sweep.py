"""Benchmark: the vectorized sweep against a straightforward per-problem Python loop.

Workload (issue target): 500 problems x N_max = 512 samples, every N = 1, 2, 4, ..., 512, all six strategies,
200 random subsets per N for the votes, 1000 bootstrap resamples. The loop baseline computes the same
estimators problem by problem and subset by subset in plain Python (dict counting) on a subsample of problems
and N values, and its time is scaled up to the full workload; both run in this one process, so the ratio is
what to read. Usage: python bench/sweep.py [--problems 500] [--n-max 512] [--subsets 200]
"""

import argparse
import time
from collections import Counter

import numpy as np
import pandas as pd

from rlv.analysis.aggregate import sweep

STRATEGIES = ["pass_at_n", "majority", "best_of_n:p_yes", "weighted_vote:p_yes", "best_of_n:mean_logprob",
              "weighted_vote:mean_logprob"]


def synthetic_pool(problems: int, n_max: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    skill = rng.random(problems)
    correct = rng.random((problems, n_max)) < skill[:, None]
    wrong_answers = rng.integers(0, 20, (problems, n_max))
    answers = np.where(correct, "gold", wrong_answers.astype(str))
    return pd.DataFrame({
        "problem_id": np.repeat([f"p{i:04d}" for i in range(problems)], n_max),
        "sample": np.tile(np.arange(n_max), problems), "answer": answers.ravel(), "correct": correct.ravel(),
        "p_yes": np.clip(0.5 + 0.2 * correct + rng.normal(0, 0.2, correct.shape), 0, 1).ravel(),
        "mean_logprob": -rng.random(correct.size),
    })


def loop_problem(answers, correct, scores, n, subsets, rng):
    """Majority and weighted vote by Python counting, best-of-n by picking, for one problem."""
    totals = [0.0, 0.0, 0.0]
    for _ in range(subsets):
        pick = rng.choice(len(answers), n, replace=False)
        votes, weighted = Counter(), Counter()
        for i in pick:
            votes[answers[i]] += 1
            weighted[answers[i]] += scores[i]
        totals[0] += votes.most_common(1)[0][0] == "gold"
        totals[1] += weighted.most_common(1)[0][0] == "gold"
        totals[2] += correct[max(pick, key=lambda i: scores[i])]
    return [t / subsets for t in totals]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--n-max", type=int, default=512)
    parser.add_argument("--subsets", type=int, default=200)
    args = parser.parse_args()
    frame = synthetic_pool(args.problems, args.n_max)
    ns = [2**i for i in range(args.n_max.bit_length())]

    start = time.perf_counter()
    sweep(frame, ns, STRATEGIES, num_subsets=args.subsets, num_bootstrap=1000, confidence=0.95, seed=0)
    vectorized = time.perf_counter() - start

    sample_problems, sample_ns = 5, ns[::3]
    rng = np.random.default_rng(0)
    groups = list(frame.groupby("problem_id"))[:sample_problems]
    start = time.perf_counter()
    for _, group in groups:
        answers, correct, scores = list(group["answer"]), list(group["correct"]), list(group["p_yes"])
        for n in sample_ns:
            loop_problem(answers, correct, scores, n, args.subsets, rng)
    loop_sampled = time.perf_counter() - start
    # three of the six strategies were looped over len(sample_ns) of len(ns) N values: scale to the full workload
    loop_full = loop_sampled * (args.problems / sample_problems) * (sum(ns) / sum(sample_ns)) * 2
    print(f"workload: {args.problems} problems x N_max {args.n_max}, N in {ns}, {args.subsets} subsets, 6 strategies")
    print(f"vectorized sweep: {vectorized:.2f} s")
    print(f"per-problem Python loop (extrapolated from {sample_problems} problems, N in {sample_ns}): {loop_full:.0f} s")
    print(f"speed-up: {loop_full / vectorized:.0f}x")


if __name__ == "__main__":
    main()
