"""Benchmark: the vectorized sweep against a straightforward per-problem Python loop.

Workload (issue target): 500 problems x N_max = 512 samples, every N = 1, 2, 4, ..., 512, all six strategies,
200 random subsets per N for the votes, 1000 bootstrap resamples. The loop baseline computes the same
estimators problem by problem and subset by subset in plain Python (dict counting) on a subsample of problems
and N values, and its time is scaled up to the full workload; both run in this one process, so the ratio is
what to read. Usage: python bench/sweep.py [--problems 500] [--n-max 512] [--subsets 200]

--equivalence: the same sweep with answer equivalence (votes count answers the grader judges equal as one
candidate, `equivalent=rlv.tasks.grading.answers_equal`, what the pipeline's sweep stage passes) against exact
strings, in this one process: on the integer pool above (every problem plain integers: the clustering's fast
path) and on a MATH-like pool of LaTeX answers (per problem the right value in 3-5 written forms, 12 wrong
values in 1-3 forms each: integers 50%, fractions and decimals 15%, radicals 10%, multiples of pi 8%, tuples 8%,
intervals 4%, text 5%, roughly MATH's mix). The grader's caches are emptied before each timing: each sweep stage
is a fresh process. Usage: python bench/sweep.py --equivalence [--problems 500] [--n-max 512]

Both print their lines on stderr and one JSON object on stdout.
"""

import argparse
import json
import sys
import time
from collections import Counter
from fractions import Fraction

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


def _forms(value) -> list[str]:
    """Equivalent LaTeX spellings of one value; value = (kind, a, b)."""
    kind, a, b = value
    if kind == "int":
        return [str(a), f" {a}", f"{a}.", f"{a}.0", f"\\text{{{a}}}"]
    if kind == "frac":
        forms = [f"\\frac{{{a}}}{{{b}}}", f"\\dfrac{{{a}}}{{{b}}}", f"{a}/{b}", f"\\frac{{{a}}}{{{b}}}."]
        if 10**6 % b == 0:
            forms.append(f"{a / b:g}")
        return forms
    if kind == "sqrt":
        return [f"{a}\\sqrt{{{b}}}", f"{a} \\sqrt{{ {b} }}", f"\\sqrt{{{a * a * b}}}"]
    if kind == "pi":
        return [f"\\frac{{{a}\\pi}}{{{b}}}", f"\\frac{{{a}}}{{{b}}}\\pi", f"{a}\\pi/{b}"]
    if kind == "tuple":
        return [f"({a}, {a + b})", f"({a},{a + b})", f"\\left( {a}, {a + b} \\right)"]
    if kind == "interval":
        return [f"[{a}, {a + b})", f"[{a},{a + b})", f"\\left[{a}, {a + b}\\right)"]
    return [f"\\text{{{['Monday', 'Tuesday', 'Friday', 'Evelyn', 'yes', 'no'][a % 6]}}}"]


def _random_value(rng):
    kind = rng.choice(["int", "frac", "sqrt", "pi", "tuple", "interval", "text"], p=[.5, .15, .1, .08, .08, .04, .05])
    a, b = int(rng.integers(1, 40)), int(rng.choice([2, 3, 5, 7, 8, 11] if kind != "sqrt" else [2, 3, 5, 7, 11]))
    if kind == "frac":
        a = a if a % b else a + 1
    return (kind, a, b)


def _identity(value):
    """What a value is, whatever its spelling: two values with one identity are the same answer."""
    kind, a, b = value
    if kind == "int":
        return kind, a
    if kind in ("frac", "pi"):
        return kind, Fraction(a, b)
    return (kind, a % 6) if kind == "text" else value


def latex_pool(problems: int, n_max: int, seed: int = 0) -> pd.DataFrame:
    """A MATH-like pool: the right value in 3-5 spellings, 12 wrong values in 1-3 spellings each."""
    rng = np.random.default_rng(seed)
    pool = synthetic_pool(problems, n_max, seed)
    correct = pool["correct"].to_numpy().reshape(problems, n_max)
    answers = np.empty((problems, n_max), dtype=object)
    for p in range(problems):
        right = _random_value(rng)
        wrong = []
        while len(wrong) < 12:
            value = _random_value(rng)
            if _identity(value) not in {_identity(v) for v in [right, *wrong]}:
                wrong.append(value)
        right_forms = _forms(right)[: int(rng.integers(3, 6))]
        wrong_forms = [_forms(v)[: int(rng.integers(1, 4))] for v in wrong]
        for i in range(n_max):
            if correct[p, i]:
                answers[p, i] = right_forms[rng.integers(len(right_forms))]
            else:
                forms = wrong_forms[rng.integers(len(wrong_forms))]
                answers[p, i] = forms[rng.integers(len(forms))]
    return pool.assign(answer=answers.ravel())


def _timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def equivalence_main(args):
    from rlv.analysis.aggregate import encode_answers
    from rlv.tasks import grading
    ns = [2**i for i in range(args.n_max.bit_length())]
    run = {"num_subsets": args.subsets, "num_bootstrap": 1000, "confidence": 0.95, "seed": 0}
    say(f"workload: {args.problems} problems x N_max {args.n_max}, N in {ns}, {args.subsets} subsets, 6 strategies")
    report = {"problems": args.problems, "n_max": args.n_max, "subsets": args.subsets, "pools": {}}
    integers = synthetic_pool(args.problems, args.n_max)
    integers["answer"] = integers["answer"].where(integers["answer"] != "gold", "42")  # the right answer: 42
    for key, name, frame in (("integer", "integer", integers),
                             ("latex", "MATH-like LaTeX", latex_pool(args.problems, args.n_max))):
        distinct = frame.groupby("problem_id")["answer"].nunique()
        exact, exact_s = _timed(lambda: sweep(frame, ns, STRATEGIES, **run))
        _clear_caches(grading)
        (codes, _, _), cluster_s = _timed(lambda: encode_answers(frame, grading.answers_equal))
        _clear_caches(grading)
        equal, equal_s = _timed(lambda: sweep(frame, ns, STRATEGIES, **run, equivalent=grading.answers_equal))
        candidates = (codes.max(axis=1) + 1).mean()
        majority = lambda table: table[(table["strategy"] == "majority") & (table["n"] == ns[-1])]["accuracy"].item()  # noqa: E731
        say(f"{name} pool: {distinct.mean():.1f} distinct answers per problem, {candidates:.1f} candidates")
        say(f"  sweep, exact strings:        {exact_s:6.2f} s   majority at N={ns[-1]}: {majority(exact):.3f}")
        say(f"  sweep, grader's equivalence: {equal_s:6.2f} s   majority at N={ns[-1]}: {majority(equal):.3f}   "
            f"ratio {equal_s / exact_s:.2f}")
        say(f"  the clustering alone (encode_answers): {cluster_s:.2f} s")
        report["pools"][key] = {
            "distinct_answers": round(float(distinct.mean()), 1), "candidates": round(float(candidates), 1),
            "exact_s": round(exact_s, 2), "equivalent_s": round(equal_s, 2), "clustering_s": round(cluster_s, 2),
            "ratio": round(equal_s / exact_s, 2), "majority_exact": round(majority(exact), 3),
            "majority_equivalent": round(majority(equal), 3)}
    print(json.dumps(report, indent=1))


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _clear_caches(grading):
    """Each sweep stage is a fresh process: time the clustering with the grader's caches empty."""
    for cache in (grading._math_verify_equal, grading._parse_cached, grading._has_bare_unit, grading._clean,
                  grading._normalized, grading._values):
        cache.cache_clear()


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=500)
    parser.add_argument("--n-max", type=int, default=512)
    parser.add_argument("--subsets", type=int, default=200)
    parser.add_argument("--equivalence", action="store_true",
                        help="time the sweep with the grader's answer equivalence against exact strings instead")
    args = parser.parse_args()
    if args.equivalence:
        equivalence_main(args)
        return
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
    say(f"workload: {args.problems} problems x N_max {args.n_max}, N in {ns}, {args.subsets} subsets, 6 strategies")
    say(f"vectorized sweep: {vectorized:.2f} s")
    say(f"per-problem Python loop (extrapolated from {sample_problems} problems, N in {sample_ns}): {loop_full:.0f} s")
    say(f"speed-up: {loop_full / vectorized:.0f}x")
    print(json.dumps({"problems": args.problems, "n_max": args.n_max, "subsets": args.subsets,
                      "vectorized_s": round(vectorized, 2), "loop_extrapolated_s": round(loop_full, 1),
                      "speedup": round(loop_full / vectorized, 1)}, indent=1))


if __name__ == "__main__":
    main()
