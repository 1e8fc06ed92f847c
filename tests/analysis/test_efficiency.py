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
