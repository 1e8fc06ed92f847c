"""The iso-accuracy compute ratio against hand computations, and every undefined case with its reason."""

import math

import pandas as pd
import pytest

from rlv.analysis.efficiency import best_strategy_at_n_max, compute_ratios, samples_to_reach

NS = [1, 2, 4, 8]


def test_interpolates_log2_n_linearly_in_accuracy():
    # 0.475 lies halfway between 0.45 (N=2) and 0.50 (N=4): log2 N = 1.5
    assert samples_to_reach(NS, [0.40, 0.45, 0.50, 0.55], 0.475).n == pytest.approx(2 ** 1.5)
    # three quarters of the way from 0.40 (N=1) to 0.50 (N=2): log2 N = 0.75
    assert samples_to_reach(NS, [0.40, 0.50, 0.56, 0.60], 0.475).n == pytest.approx(2 ** 0.75)


def test_a_measured_point_on_the_level_is_its_own_n():
    assert samples_to_reach(NS, [0.40, 0.45, 0.50, 0.55], 0.50).n == 4
    assert samples_to_reach(NS, [0.40, 0.45, 0.50, 0.55], 0.40).n == 1


def test_never_reaching_the_level_is_undefined_and_says_so():
    crossing = samples_to_reach(NS, [0.40, 0.45, 0.50, 0.55], 0.60)
    assert math.isnan(crossing.n) and crossing.side == "below" and "never reaches 0.600" in crossing.why


def test_above_the_level_from_the_smallest_n_is_undefined():
    crossing = samples_to_reach(NS, [0.40, 0.45, 0.50, 0.55], 0.30)
    assert math.isnan(crossing.n) and crossing.side == "above" and "at N=1" in crossing.why


def test_a_level_crossed_twice_is_undefined_but_one_crossed_once_is_not():
    curve = [0.30, 0.50, 0.40, 0.60]  # up, down, up
    crossing = samples_to_reach(NS, curve, 0.45)
    assert math.isnan(crossing.n) and crossing.side == "non-monotone"
    assert "reaches it at N=2, below again at N=4" in crossing.why
    # 0.55 is crossed once, between N=4 (0.40) and N=8 (0.60): log2 N = 2 + 0.75
    assert samples_to_reach(NS, curve, 0.55).n == pytest.approx(2 ** 2.75)
    # a dip that stays below the level does not matter
    assert samples_to_reach(NS, [0.30, 0.20, 0.40, 0.60], 0.50).n == pytest.approx(2 ** 2.5)


def sweep_of(curves: dict) -> pd.DataFrame:
    rows = []
    for (run, strategy, score), accuracies in curves.items():
        rows += [{"dataset": "test", "run": run, "strategy": strategy, "score": score, "n": n, "accuracy": a,
                  "ci_low": a - 0.05, "ci_high": a + 0.05} for n, a in zip(NS, accuracies)]
    return pd.DataFrame(rows)


def test_compute_ratios_by_hand():
    sweep = sweep_of({("grpo", "majority", ""): [0.40, 0.45, 0.50, 0.55],
                      ("grpo_v", "weighted_vote", "p_yes"): [0.40, 0.50, 0.56, 0.60],
                      ("grpo_v", "best_of_n", "p_yes"): [0.40, 0.38, 0.36, 0.34]})
    ratios = compute_ratios(sweep, "test", "grpo", "grpo_v").set_index(["verifier_strategy", "level_n"])
    weighted = ratios.loc["weighted_vote:p_yes"]
    assert weighted.loc[1, "ratio"] == 1  # both at 0.40 with one sample
    assert weighted.loc[2, "ratio"] == pytest.approx(4 / 2)  # the base reaches 0.50 at N=4, RL^V at N=2
    assert math.isnan(weighted.loc[4, "ratio"]) and weighted.loc[4, "ratio_at_least"] == pytest.approx(8 / 4)
    assert "base: never reaches 0.560" in weighted.loc[4, "reason"]
    best = ratios.loc["best_of_n:p_yes"]
    # the declining best-of-N curve is on 0.40 at N=1 and below it afterwards: not monotone there
    assert math.isnan(best.loc[1, "ratio"]) and "RL^V: not monotone" in best.loc[1, "reason"]
    # at 0.38 (its N=2) the curve is above it at N=1 as well: undefined, and the base is above it from N=1
    assert math.isnan(best.loc[2, "n_verifier"]) and "base: already 0.400 > 0.380 at N=1" in best.loc[2, "reason"]
    assert best_strategy_at_n_max(sweep, "test", "grpo_v", ["best_of_n:p_yes", "weighted_vote:p_yes"]) == \
        "weighted_vote:p_yes"


def test_missing_curve_is_named():
    sweep = sweep_of({("grpo", "majority", ""): [0.4, 0.5, 0.6, 0.7]})
    with pytest.raises(ValueError, match="run='grpo_v' strategy='weighted_vote:p_yes'"):
        compute_ratios(sweep, "test", "grpo", "grpo_v", verifier_strategies=("weighted_vote:p_yes",))


# --- per-problem curves and the ratio's bootstrap interval

def test_per_problem_curves_average_to_the_sweep_for_every_strategy():
    from helpers import STRATEGIES, scored_samples
    from rlv.analysis.aggregate import sweep
    from rlv.analysis.efficiency import per_problem_curves
    scored = scored_samples("grpo_v", 0.4, 3)
    scored.loc[scored.index % 5 == 0, "answer"] = None  # some samples without an answer
    scored["correct"] = scored["correct"] & scored["answer"].notna()
    ns = [1, 2, 4, 8]
    strategies = STRATEGIES + ["best_of_n_answered:p_yes"]
    table = sweep(scored, ns, strategies, 30, 10, 0.95, 7).set_index(["strategy", "score", "n"])["accuracy"]
    for spec in strategies:
        values, problem_ids = per_problem_curves(scored, spec, ns, num_subsets=30, seed=7)
        strategy, _, score = spec.partition(":")
        assert list(problem_ids) == sorted(scored["problem_id"].unique())
        assert values.mean(axis=0) == pytest.approx([table[(strategy, score, n)] for n in ns]), spec


def _ratio_by_hand(ns, base_curve, verifier_curve, j):
    """compute_ratios on two curves, as the interval orders it: a bound below +inf, above 0, undefined NaN."""
    table = pd.DataFrame([{"dataset": "test", "run": run, "strategy": strategy, "score": score, "n": n, "accuracy": a}
                          for run, strategy, score, curve in (("b", "majority", "", base_curve),
                                                              ("v", "weighted_vote", "p_yes", verifier_curve))
                          for n, a in zip(ns, curve)])
    row = compute_ratios(table, "test", "b", "v", verifier_strategies=("weighted_vote:p_yes",)).iloc[j]
    if not math.isnan(row["ratio"]):
        return row["ratio"]
    if not math.isnan(row["ratio_at_least"]):
        return math.inf
    return 0.0 if not math.isnan(row["ratio_at_most"]) else math.nan


def test_ratio_intervals_against_a_brute_force_bootstrap():
    """16 problems with values in quarters (sums exact in any order): every resample's two curves, level and ratio
    recomputed by compute_ratios; the interval is the Bonferroni-adjusted percentile interval of those ratios."""
    import numpy as np

    from rlv.analysis.efficiency import ratio_intervals
    rng = np.random.default_rng(5)
    base = np.sort(rng.integers(0, 5, size=(16, 4)) / 4, axis=1)  # non-decreasing in N per problem
    verifier = np.minimum(base + rng.integers(0, 2, size=(16, 4)) / 4, 1.0)
    verifier = np.maximum.accumulate(verifier, axis=1)
    ns, num_bootstrap = [1, 2, 4, 8], 100
    levels = ratio_intervals(ns, base, verifier, num_bootstrap, 0.9, seed=3)
    # the points: compute_ratios on the mean curves
    for j, row in levels.iterrows():
        expected = _ratio_by_hand(ns, base.mean(axis=0), verifier.mean(axis=0), j)
        if math.isfinite(expected) and expected > 0:
            assert row["ratio"] == pytest.approx(expected)
        assert row["target_accuracy"] == pytest.approx(verifier.mean(axis=0)[j])
    draws = np.random.default_rng(3).integers(0, 16, size=(num_bootstrap, 16))
    confidence = 1 - 0.1 / 4  # simultaneous over 4 levels
    for j, row in levels.iterrows():
        ratios = np.array([_ratio_by_hand(ns, base[d].mean(axis=0), verifier[d].mean(axis=0), j) for d in draws])
        kept = ratios[~np.isnan(ratios)]
        low, high = np.quantile(kept, [(1 - confidence) / 2, (1 + confidence) / 2], method="inverted_cdf")
        assert row["ci_confidence"] == pytest.approx(confidence) and row["resamples_defined"] == len(kept)
        assert (row["ci_low"], row["ci_high"]) == (low, high)


def test_ratio_intervals_by_hand_on_identical_problems():
    """Every problem alike: every resample is the sample itself, so the interval is the point (or the bound's
    infinity where the base never reaches the level)."""
    import numpy as np

    from rlv.analysis.efficiency import ratio_intervals
    base = np.tile([0.25, 0.5, 0.5, 0.75], (8, 1))
    verifier = np.tile([0.25, 0.75, 1.0, 1.0], (8, 1))
    levels = ratio_intervals([1, 2, 4, 8], base, verifier, 50, 0.95, 0).set_index("level_n")
    assert levels.loc[1, "ratio"] == 1 and (levels.loc[1, "ci_low"], levels.loc[1, "ci_high"]) == (1, 1)
    # 0.75 at N=2 for RL^V, at N=8 for the base: 4x
    assert levels.loc[2, "ratio"] == 4 and (levels.loc[2, "ci_low"], levels.loc[2, "ci_high"]) == (4, 4)
    # 1.0: the base never reaches it; a bound, and every resample +inf
    assert math.isnan(levels.loc[4, "ratio"]) and levels.loc[4, "ratio_at_least"] == 2
    assert levels.loc[4, "ci_low"] == math.inf and "base: never reaches 1.000" in levels.loc[4, "reason"]
    # RL^V's own curve is on 1.0 from N=4: at N=8 the level is reached at N=4 already (a ratio of one crossing)
    assert levels.loc[8, "n_verifier"] == 4
    with pytest.raises(ValueError, match="same shape"):
        ratio_intervals([1, 2, 4, 8], base, verifier[:, :3], 10, 0.95, 0)
