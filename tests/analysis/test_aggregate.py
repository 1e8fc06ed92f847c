"""Tests for rlv.analysis.aggregate against brute-force enumeration of every k-subset."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from rlv.analysis.aggregate import (
    answer_clusters,
    auroc,
    best_of_n,
    bootstrap_ci,
    encode_answers,
    pass_at_k,
    subset_indices,
    sweep,
    verifier_metrics,
    vote,
    within_problem_auroc,
)

# ---------------------------------------------------------------------------------------------
# brute-force references: plain Python, one subset at a time


def brute_pass(correct, k):
    subsets = list(itertools.combinations(range(len(correct)), k))
    return sum(any(correct[i] for i in s) for s in subsets) / len(subsets)


def brute_best_of_n(scores, correct, k):
    values = []
    for s in itertools.combinations(range(len(scores)), k):
        top = max(scores[i] for i in s)
        tied = [i for i in s if scores[i] == top]
        values.append(sum(correct[i] for i in tied) / len(tied))
    return sum(values) / len(values)


def brute_vote_subset(answers, weights, correct, subset):
    totals = {}
    for i in subset:
        if answers[i] is not None:
            totals[answers[i]] = totals.get(answers[i], 0.0) + weights[i]
    if not totals:
        return 0.0
    top = max(totals.values())
    winners = [a for a, t in totals.items() if t == top]
    answer_correct = {answers[i]: correct[i] for i in range(len(answers))}
    return sum(answer_correct[a] for a in winners) / len(winners)


def brute_vote(answers, weights, correct, k):
    subsets = list(itertools.combinations(range(len(answers)), k))
    return sum(brute_vote_subset(answers, weights, correct, s) for s in subsets) / len(subsets)


# ---------------------------------------------------------------------------------------------
# random pools with ties, missing answers, all-right and all-wrong problems


def random_pool(rng, num_problems, n):
    """One row per sample. Answers from a tiny alphabet (lots of ties), scores on a coarse grid."""
    rows = []
    for p in range(num_problems):
        gold = rng.choice(["a", "b", "c", "z"])  # "z" is never sampled: an all-wrong problem
        if p == 0:
            answers = [gold] * n  # all right
        elif p == 1:
            answers = [None] * n  # nothing answered
        else:
            answers = [rng.choice(["a", "b", "c", "NONE"]) for _ in range(n)]
            answers = [None if a == "NONE" else str(a) for a in answers]
        grid = rng.choice([0.0, 0.25, 0.5, 1.0], size=n) if p % 2 else rng.random(n)
        for i, answer in enumerate(answers):
            rows.append(
                {
                    "problem_id": f"p{p:02d}",
                    "sample": i,
                    "answer": answer,
                    "correct": answer == gold,
                    "p_yes": float(grid[i]),
                    "mean_logprob": float(-rng.random()),
                }
            )
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31)))  # shuffled: order must not matter


def per_problem_lists(frame, column):
    ordered = frame.sort_values(["problem_id", "sample"])
    return [list(g[column]) for _, g in ordered.groupby("problem_id", sort=True)]


CASES = [(seed, n) for seed in range(3) for n in range(4, 8)]


@pytest.mark.parametrize("seed,n", CASES)
def test_pass_at_k_matches_brute_force(seed, n):
    frame = random_pool(np.random.default_rng(seed), 6, n)
    corrects = per_problem_lists(frame, "correct")
    num_correct = np.array([sum(c) for c in corrects])
    for k in range(1, n + 1):
        expected = [brute_pass(c, k) for c in corrects]
        np.testing.assert_allclose(pass_at_k(num_correct, n, k), expected, atol=1e-12)


@pytest.mark.parametrize("seed,n", CASES)
def test_best_of_n_matches_brute_force_with_ties(seed, n):
    frame = random_pool(np.random.default_rng(100 + seed), 6, n)
    scores, corrects = per_problem_lists(frame, "p_yes"), per_problem_lists(frame, "correct")
    for k in range(1, n + 1):
        expected = [brute_best_of_n(s, c, k) for s, c in zip(scores, corrects)]
        np.testing.assert_allclose(best_of_n(np.array(scores), np.array(corrects), k), expected, atol=1e-12)


def brute_best_of_n_answered(scores, answers, correct, k):
    """The top-scoring answered sample of each subset (uniform among ties); 0 where the subset has no answer."""
    values = []
    for s in itertools.combinations(range(len(scores)), k):
        answered = [i for i in s if isinstance(answers[i], str)]  # None reads back from pandas as NaN
        if not answered:
            values.append(0.0)
            continue
        top = max(scores[i] for i in answered)
        tied = [i for i in answered if scores[i] == top]
        values.append(sum(correct[i] for i in tied) / len(tied))
    return sum(values) / len(values)


@pytest.mark.parametrize("seed,n", CASES)
def test_best_of_n_among_answered_samples_matches_brute_force(seed, n):
    frame = random_pool(np.random.default_rng(200 + seed), 6, n)
    scores, answers = per_problem_lists(frame, "p_yes"), per_problem_lists(frame, "answer")
    corrects = per_problem_lists(frame, "correct")
    result = sweep(frame, list(range(1, n + 1)), ["best_of_n_answered:p_yes", "best_of_n:p_yes"], num_bootstrap=10)
    for k in range(1, n + 1):
        expected = np.mean([brute_best_of_n_answered(s, a, c, k) for s, a, c in zip(scores, answers, corrects)])
        at_k = result[result["n"] == k].set_index("strategy")["accuracy"]
        assert at_k["best_of_n_answered"] == pytest.approx(expected, abs=1e-12)
        assert at_k["best_of_n_answered"] >= at_k["best_of_n"] - 1e-12  # an unanswered sample is never right


def test_best_of_n_all_tied_is_mean_correctness():
    correct = np.array([[True, False, False, True, False]])
    for k in range(1, 6):
        assert best_of_n(np.full((1, 5), 0.7), correct, k)[0] == pytest.approx(0.4, abs=1e-12)


@pytest.mark.parametrize("seed,n", CASES)
def test_vote_exhaustive_matches_brute_force(seed, n):
    frame = random_pool(np.random.default_rng(200 + seed), 6, n)
    codes, correct, problem_ids = encode_answers(frame)
    assert list(problem_ids) == sorted(frame["problem_id"].unique())
    answers = per_problem_lists(frame, "answer")
    answers = [[None if pd.isna(a) else a for a in row] for row in answers]
    weights = per_problem_lists(frame, "p_yes")  # grid values on odd problems: exact weighted ties
    corrects = per_problem_lists(frame, "correct")
    for k in range(1, n + 1):
        subsets = subset_indices(n, k, 10**6, np.random.default_rng(0))
        assert len(subsets) == math.comb(n, k)
        majority = vote(codes, np.ones(codes.shape), correct, subsets)
        weighted = vote(codes, np.array(weights), correct, subsets)
        expected_majority = [brute_vote(a, [1.0] * n, c, k) for a, c in zip(answers, corrects)]
        expected_weighted = [brute_vote(a, w, c, k) for a, w, c in zip(answers, weights, corrects)]
        np.testing.assert_allclose(majority, expected_majority, atol=1e-12)
        np.testing.assert_allclose(weighted, expected_weighted, atol=1e-12)


def test_vote_random_subsets_close_to_brute_force():
    n, k = 16, 6  # C(16, 6) = 8008 subsets, we sample 3000
    frame = random_pool(np.random.default_rng(7), 5, n)
    codes, correct, _ = encode_answers(frame)
    subsets = subset_indices(n, k, 3000, np.random.default_rng(1))
    assert subsets.shape == (3000, k)
    assert all(len(set(row)) == k for row in subsets.tolist())  # no repeats inside a subset
    answers = [[None if pd.isna(a) else a for a in row] for row in per_problem_lists(frame, "answer")]
    corrects = per_problem_lists(frame, "correct")
    expected = [brute_vote(a, [1.0] * n, c, k) for a, c in zip(answers, corrects)]
    np.testing.assert_allclose(vote(codes, np.ones(codes.shape), correct, subsets), expected, atol=0.04)


def test_hand_computed_votes():
    # answers a, a, b, c; the right answer is b; the verifier loves b
    codes = np.array([[0, 0, 1, 2]])
    correct = np.array([[False, False, True, False]])
    weights = np.array([[0.1, 0.1, 0.9, 0.2]])
    everything = subset_indices(4, 4, 200, np.random.default_rng(0))
    assert vote(codes, np.ones((1, 4)), correct, everything)[0] == 0.0  # a wins 2-1-1
    assert vote(codes, weights, correct, everything)[0] == 1.0  # b: 0.9 > a: 0.2, c: 0.2
    assert best_of_n(weights, correct, 4)[0] == 1.0
    # k=2 majority over the 6 pairs: aa -> 0, ab -> 1/2, ac -> 0, ab -> 1/2, ac -> 0, bc -> 1/2
    pairs = subset_indices(4, 2, 200, np.random.default_rng(0))
    assert vote(codes, np.ones((1, 4)), correct, pairs)[0] == pytest.approx(1.5 / 6)
    # a subset of only unanswered samples scores 0
    assert vote(np.array([[-1, -1, 0]]), np.ones((1, 3)), np.array([[False, False, True]]), np.array([[0, 1]]))[0] == 0


def test_encode_answers_codes_within_problem():
    frame = pd.DataFrame(
        {
            "problem_id": ["q", "q", "q", "r", "r", "r"],
            "sample": [2, 0, 1, 0, 1, 2],
            "answer": ["x", "y", None, "x", "x", None],
            "correct": [False, True, False, True, True, False],
        }
    )
    codes, correct, problem_ids = encode_answers(frame)
    assert list(problem_ids) == ["q", "r"]
    # q, by sample: y, None, x -> distinct codes, None -> -1; r: x, x, None
    assert codes[0, 1] == -1 and codes[0, 0] != codes[0, 2] and set(codes[0, [0, 2]]) <= {0, 1}
    assert list(codes[1]) == [0, 0, -1]
    assert correct.tolist() == [[True, False, False], [True, True, False]]


# ---------------------------------------------------------------------------------------------
# verifier metrics


def brute_auroc(scores, labels):
    pos = [s for s, l in zip(scores, labels) if l]
    neg = [s for s, l in zip(scores, labels) if not l]
    return sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))


def test_auroc_matches_pair_count_with_ties():
    rng = np.random.default_rng(3)
    for _ in range(20):
        scores = rng.choice([0.1, 0.2, 0.3, 0.5, 0.9], size=30)
        labels = rng.random(30) < 0.4
        assert auroc(scores, labels) == pytest.approx(brute_auroc(scores, labels), abs=1e-12)
    assert math.isnan(auroc(np.array([0.1, 0.2]), np.array([True, True])))


def difficulty_only_frame():
    """Each problem's samples share one score: the problem's solve rate. Knows difficulty, not which sample."""
    rows = []
    for p, num_correct in enumerate([0, 1, 2, 3, 4]):
        for i in range(4):
            rows.append(
                {"problem_id": f"p{p}", "sample": i, "correct": i < num_correct, "p_yes": num_correct / 4}
            )
    return pd.DataFrame(rows)


def test_within_problem_auroc_sees_through_difficulty():
    frame = difficulty_only_frame()
    assert auroc(frame["p_yes"], frame["correct"]) > 0.8
    assert within_problem_auroc(frame, "p_yes") == 0.5
    metrics = verifier_metrics(frame)
    assert metrics["num_mixed_problems"] == 3
    assert metrics["auroc_within"] == 0.5 and metrics["auroc_pooled"] > 0.8
    assert metrics["accuracy"] == pytest.approx(np.mean((frame["p_yes"] > 0.5) == frame["correct"]))


def test_verifier_metrics_logprob_has_no_threshold_accuracy():
    frame = difficulty_only_frame().assign(mean_logprob=lambda f: np.log(f["p_yes"] + 0.01) - 0.5)
    metrics = verifier_metrics(frame, score_col="mean_logprob")
    assert math.isnan(metrics["accuracy"]) and metrics["auroc_within"] == 0.5
    unmixed = frame[frame["problem_id"].isin(["p0", "p4"])]
    assert math.isnan(within_problem_auroc(unmixed, "p_yes"))


# ---------------------------------------------------------------------------------------------
# bootstrap and sweep


def test_bootstrap_ci_contains_mean_and_narrows():
    rng = np.random.default_rng(0)
    few, many = rng.random(20) < 0.6, rng.random(2000) < 0.6
    low_few, high_few = bootstrap_ci(few, 1000, 0.95, np.random.default_rng(1))
    low_many, high_many = bootstrap_ci(many, 1000, 0.95, np.random.default_rng(1))
    assert low_few <= few.mean() <= high_few and low_many <= many.mean() <= high_many
    assert high_many - low_many < (high_few - low_few) / 3


ALL_STRATEGIES = [
    "pass_at_n",
    "majority",
    "best_of_n:p_yes",
    "weighted_vote:p_yes",
    "best_of_n:mean_logprob",
    "weighted_vote:mean_logprob",
]


def test_sweep_shape_and_sanity():
    frame = random_pool(np.random.default_rng(11), 12, 6)
    result = sweep(frame, [1, 2, 4, 6], ALL_STRATEGIES, num_bootstrap=200)
    assert list(result.columns) == ["strategy", "score", "n", "accuracy", "ci_low", "ci_high", "num_problems"]
    assert len(result) == 4 * len(ALL_STRATEGIES) and (result["num_problems"] == 12).all()
    assert set(result["score"]) == {"", "p_yes", "mean_logprob"}
    assert (result["ci_low"] <= result["accuracy"] + 1e-12).all()
    assert (result["accuracy"] <= result["ci_high"] + 1e-12).all()
    # at n = 1 every strategy is "take one random sample"
    mean_correct = frame.groupby("problem_id")["correct"].mean().mean()
    np.testing.assert_allclose(result[result["n"] == 1]["accuracy"], mean_correct, atol=1e-12)
    # pass@n is an upper bound on anything that picks a sample from the subset (exhaustive subsets here)
    for n, at_n in result.groupby("n"):
        best = at_n.loc[at_n["strategy"] == "pass_at_n", "accuracy"].item()
        assert (at_n["accuracy"] <= best + 1e-12).all()


def test_sweep_deterministic_and_independent_of_other_strategies():
    frame = random_pool(np.random.default_rng(12), 8, 14)  # C(14, 5) = 2002 > 50 subsets: sampled
    kwargs = dict(num_subsets=50, num_bootstrap=100, seed=3)
    full = sweep(frame, [5, 9], ALL_STRATEGIES, **kwargs)
    pd.testing.assert_frame_equal(full, sweep(frame, [5, 9], ALL_STRATEGIES, **kwargs))
    alone = sweep(frame, [9], ["weighted_vote:mean_logprob"], **kwargs)
    row = full[(full["n"] == 9) & (full["strategy"] == "weighted_vote") & (full["score"] == "mean_logprob")]
    np.testing.assert_allclose(row[["accuracy", "ci_low", "ci_high"]].to_numpy(), alone[["accuracy", "ci_low", "ci_high"]].to_numpy())


def test_weighted_vote_by_logprob_uses_geometric_mean_probability():
    frame = random_pool(np.random.default_rng(13), 5, 5)
    result = sweep(frame, [3], ["weighted_vote:mean_logprob"], num_bootstrap=10)
    codes, correct, _ = encode_answers(frame)
    weights = np.exp(np.array(per_problem_lists(frame, "mean_logprob")))
    expected = vote(codes, weights, correct, subset_indices(5, 3, 200, None)).mean()
    assert result["accuracy"].item() == pytest.approx(expected, abs=1e-12)


def test_sweep_rejects_ragged_pools_and_large_n():
    frame = random_pool(np.random.default_rng(14), 4, 5)
    ragged = frame[~((frame["problem_id"] == "p02") & (frame["sample"] == 4))]
    with pytest.raises(ValueError, match=r"'p02' has 4"):
        sweep(ragged, [1], ["majority"])
    with pytest.raises(ValueError, match="p02"):
        encode_answers(ragged)
    with pytest.raises(ValueError, match="outside"):
        sweep(frame, [2, 6], ["majority"])
    with pytest.raises(ValueError, match="unknown strategy"):
        sweep(frame, [2], ["best_of_n"])


def test_sweep_rows_equal_the_public_estimators_and_a_bootstrap_seeded_by_n():
    """Every sweep row is the per-problem estimator with bootstrap_ci on the (seed, n, 1) stream, exactly."""
    frame = random_pool(np.random.default_rng(15), 9, 12)  # C(12, k) > 40 for 2 <= k <= 10: sampled subsets
    seed, subsets_per_n = 4, 40
    result = sweep(frame, [1, 3, 7, 12], ALL_STRATEGIES, num_subsets=subsets_per_n, num_bootstrap=300, seed=seed)
    codes, correct, _ = encode_answers(frame)
    scores = {c: np.array(per_problem_lists(frame, c)) for c in ("p_yes", "mean_logprob")}
    for row in result.itertuples():
        subsets = subset_indices(12, row.n, subsets_per_n, np.random.default_rng((seed, row.n, 0)))
        if row.strategy == "pass_at_n":
            expected = pass_at_k(correct.sum(axis=1), 12, row.n)
        elif row.strategy == "majority":
            expected = vote(codes, np.ones(codes.shape), correct, subsets)
        elif row.strategy == "best_of_n":
            expected = best_of_n(scores[row.score], correct, row.n)
        else:
            weights = np.exp(scores[row.score]) if row.score == "mean_logprob" else scores[row.score]
            expected = vote(codes, weights, correct, subsets)
        low, high = bootstrap_ci(expected, 300, 0.95, np.random.default_rng((seed, row.n, 1)))
        assert (row.accuracy, row.ci_low, row.ci_high) == (expected.mean(), low, high)


# ---------------------------------------------------------------------------------------------
# answer equivalence: answers the grader judges equal are one candidate in every vote


def _pool(answers_by_problem, gold_by_problem, equal):
    """Rows from {problem: [answers]}; correct = the grader's verdict against the problem's gold."""
    return pd.DataFrame([{"problem_id": p, "sample": i, "answer": a,
                          "correct": a is not None and equal(gold_by_problem[p], a),
                          "p_yes": 0.5, "mean_logprob": -1.0}
                         for p, answers in answers_by_problem.items() for i, a in enumerate(answers)])


def _partition(frame, equivalent):
    """Per problem, the set of frozensets of answers sharing a code."""
    codes, _, problem_ids = encode_answers(frame, equivalent)
    answers = per_problem_lists(frame, "answer")
    result = {}
    for pid, row_codes, row_answers in zip(problem_ids, codes, answers):
        groups = {}
        for code, answer in zip(row_codes, row_answers):
            if code >= 0:
                groups.setdefault(code, set()).add(answer)
        result[pid] = {frozenset(g) for g in groups.values()}
    return result


def test_grader_equal_answers_vote_together_by_hand():
    from rlv.tasks.grading import answers_equal
    frame = _pool({"half": [r"\frac{1}{2}", r"\dfrac12", "0.5", r"\frac13", "0.3", None],
                   "twelve": [" 12", "12", "012", "13", "12", None]},
                  {"half": r"\frac12", "twelve": "12"}, answers_equal)
    assert _partition(frame, answers_equal) == {
        "half": {frozenset({r"\frac{1}{2}", r"\dfrac12", "0.5"}), frozenset({r"\frac13"}), frozenset({"0.3"})},
        "twelve": {frozenset({" 12", "12", "012"}), frozenset({"13"})}}
    # exact strings without the equivalence, as before
    assert _partition(frame, None)["half"] == {frozenset({a}) for a in [r"\frac{1}{2}", r"\dfrac12", "0.5", r"\frac13", "0.3"]}
    codes, _, _ = encode_answers(frame, answers_equal)
    assert (codes[:, -1] == -1).all()  # no answer stays no answer


def test_sweep_majority_counts_equal_answers_as_one_candidate():
    """Right answer 1/2 written three ways against a wrong 3 written twice: by strings 3 wins 2-1-1-1, by
    equivalence 1/2 wins 3-2. Best-of-N and pass@N do not depend on it."""
    from rlv.tasks.grading import answers_equal
    frame = _pool({"p": [r"\frac{1}{2}", r"\dfrac12", "0.5", "3", "3"]}, {"p": "0.5"}, answers_equal)
    frame["p_yes"] = [0.2, 0.3, 0.1, 0.5, 0.4]
    strategies = ["pass_at_n", "majority", "best_of_n:p_yes", "weighted_vote:p_yes"]
    exact = sweep(frame, [3, 5], strategies, num_bootstrap=10).set_index(["strategy", "n"])["accuracy"]
    equal = sweep(frame, [3, 5], strategies, num_bootstrap=10, equivalent=answers_equal
                  ).set_index(["strategy", "n"])["accuracy"]
    assert exact[("majority", 5)] == 0.0 and equal[("majority", 5)] == 1.0
    # weighted: right 0.2 + 0.3 + 0.1 = 0.6 < wrong 0.9 either way; per string the best right form has 0.3
    assert exact[("weighted_vote", 5)] == 0.0 and equal[("weighted_vote", 5)] == 0.0
    # n = 3 by hand over the 10 triples: the right answer wins a triple iff it holds >= 2 of its members, and
    # loses only to a 2-1 of "3"s (3 triples hold both 3s); 1 triple is all right; 6 are 2 right + 1 wrong
    assert equal[("majority", 3)] == pytest.approx(7 / 10)
    for key in [("pass_at_n", 3), ("pass_at_n", 5), ("best_of_n", 3), ("best_of_n", 5)]:
        assert exact[key] == equal[key]
    labels = [0, 0, 0, 1, 1]  # the clustered answers, by brute force
    assert equal[("majority", 3)] == pytest.approx(brute_vote(labels, [1.0] * 5, [True] * 3 + [False] * 2, 3))


def _toy_equal(gold, answer):
    """Case-insensitive letters: a transitive, symmetric toy equivalence."""
    return gold.lower() == answer.lower()


@pytest.mark.parametrize("seed,n", CASES)
def test_clustered_votes_match_brute_force_on_the_clustered_answers(seed, n):
    rng = np.random.default_rng(300 + seed)
    answers = {f"p{p}": [rng.choice(["a", "A", "b", "B", "c", None]) for _ in range(n)] for p in range(6)}
    golds = {p: str(rng.choice(["a", "b"])) for p in answers}
    frame = _pool(answers, golds, _toy_equal)
    codes, correct, _ = encode_answers(frame.sample(frac=1.0, random_state=seed), _toy_equal)
    lowered = [[a.lower() if isinstance(a, str) else None for a in row] for row in per_problem_lists(frame, "answer")]
    corrects = per_problem_lists(frame, "correct")
    weights = [list(rng.choice([0.0, 0.25, 0.5, 1.0], size=n)) for _ in answers]
    for k in range(1, n + 1):
        subsets = subset_indices(n, k, 10**6, np.random.default_rng(0))
        majority = vote(codes, np.ones(codes.shape), correct, subsets)
        weighted = vote(codes, np.array(weights), correct, subsets)
        np.testing.assert_allclose(majority, [brute_vote(a, [1.0] * n, c, k) for a, c in zip(lowered, corrects)],
                                   atol=1e-12)
        np.testing.assert_allclose(weighted, [brute_vote(a, w, c, k) for a, w, c in zip(lowered, weights, corrects)],
                                   atol=1e-12)


def test_clusters_compare_with_representatives_only_and_do_not_depend_on_row_order():
    """A non-transitive equivalence (|i - j| <= 1 between x_i): x1 x1 x1 x2 x2 x3 -> {x1, x2}, {x3}: x3 is
    equivalent to x2 but not to the representative x1, so the chain x3 ~ x2 ~ x1 does not merge x3 and x1."""
    def near(gold, answer):
        return abs(int(gold[1:]) - int(answer[1:])) <= 1

    frame = _pool({"p": ["x1", "x1", "x1", "x2", "x2", "x3"], "q": ["x2", "x1", "x3", "x2", "x4", "x4"]},
                  {"p": "x1", "q": "x2"}, near)
    expected = {"p": {frozenset({"x1", "x2"}), frozenset({"x3"})},
                # q: x2 and x4 twice, x1 and x3 once; order x2, x4, x1, x3 -> {x2, x1, x3}, {x4}
                "q": {frozenset({"x2", "x1", "x3"}), frozenset({"x4"})}}
    for state in range(5):
        assert _partition(frame.sample(frac=1.0, random_state=state), near) == expected
    clusters = answer_clusters(frame, near)
    assert clusters[frame["problem_id"] == "p"].tolist() == ["x1", "x1", "x1", "x1", "x1", "x3"]


@pytest.mark.parametrize("seed", range(4))
def test_unequal_answers_never_merge(seed):
    """Every member of a cluster is equivalent to its representative, and no answer founds a cluster while being
    equivalent to an earlier representative, under an arbitrary (asymmetric, non-transitive) equivalence."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"v{i}" for i in range(8)]
    related = {(a, b) for a in vocabulary for b in vocabulary if a == b or rng.random() < 0.3}

    def equivalent(gold, answer):
        return (gold, answer) in related

    frame = pd.DataFrame([{"problem_id": f"p{p}", "sample": i, "answer": str(a), "correct": False}
                          for p in range(5) for i, a in enumerate(rng.choice(vocabulary, size=12))])
    representative = answer_clusters(frame, equivalent)
    for answer, rep in zip(frame["answer"], representative):
        assert equivalent(rep, answer)
    for _, problem in frame.assign(rep=representative).groupby("problem_id"):
        counts = problem["answer"].value_counts()
        order = sorted(counts.index, key=lambda a: (-counts[a], a))
        reps = [a for a in order if a in set(problem["rep"])]
        for i, rep in enumerate(reps):  # a representative is equivalent to no earlier one
            assert not any(equivalent(earlier, rep) for earlier in reps[:i])


def test_plain_integer_problems_cluster_by_value_without_calling_the_equivalence():
    def never(*_):
        raise AssertionError("the integer fast path calls no equivalence")

    frame = pd.DataFrame({"problem_id": ["p"] * 6, "sample": range(6), "answer": [" 12", "012", "12", "-3", None, "12"],
                          "correct": [True, True, True, False, False, True]})
    assert _partition(frame, never) == {"p": {frozenset({" 12", "012", "12"}), frozenset({"-3"})}}
    clusters = answer_clusters(frame, never)  # the most frequent form represents
    assert [None if pd.isna(a) else a for a in clusters] == ["12", "12", "12", "-3", None, "12"]
