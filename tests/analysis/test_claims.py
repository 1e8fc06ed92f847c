"""The paper's claims and their verdicts (rlv/analysis/claims.py): per-problem values, the paired-bootstrap gains
against a brute-force bootstrap, every verdict rule by hand, the four readings of ">20%", the compute ratio with
its bounds, the sequential claim per budget, and the claim rows (with the summary) from hand-built samples whose
numbers are worked out by hand, including the generalization claims between the runs each comparison names."""

import math

import numpy as np
import pandas as pd
import pytest

from helpers import STRATEGIES, generalization_inputs, hand_scored, scored_samples
from rlv.analysis.aggregate import sweep
from rlv.analysis.claims import (budget_verdict, claim_rows, efficiency_row, gain_verdict, level_verdict,
                                 paired_gain, parallel_row, per_problem_at_n_max, relative_gain, sequential_row, weakest)
from rlv.analysis.efficiency import compute_ratios
from rlv.analysis.summary import render_summary

ANSWERS = [["42", "42", "1", "2"], ["1", "1", "42", "2"], ["42", "42", "42", "1"], ["1", "1", "2", "2"]]
# majority per problem: right, wrong, right, a tie of two wrong answers -> 0.5 on average
# p(Yes) high exactly on the right answers: the weighted vote and best-of-N get p0, p1, p2 -> 0.75
P_YES = [[0.9 if a == "42" else 0.1 for a in row] for row in ANSWERS]
FLAT = [[0.5] * 4] * 4


def test_per_problem_values_at_n_max_by_hand():
    scored = hand_scored("grpo_v", ANSWERS, P_YES)
    assert per_problem_at_n_max(scored, "majority").tolist() == [1, 0, 1, 0]
    assert per_problem_at_n_max(scored, "weighted_vote:p_yes").tolist() == [1, 1, 1, 0]
    assert per_problem_at_n_max(scored, "best_of_n:p_yes").tolist() == [1, 1, 1, 0]


def test_best_of_n_among_answered_samples_by_hand():
    """p0: the highest p(Yes) is on a sample without an answer, so plain best-of-N scores 0 there; among answered
    samples it picks 42 (0.7 over 0.6). p1: no sample has an answer: 0 either way."""
    scored = hand_scored("grpo_v", [[None, "42", "1", None], [None] * 4], [[0.95, 0.7, 0.6, 0.2], [0.5] * 4])
    assert per_problem_at_n_max(scored, "best_of_n:p_yes").tolist() == [0, 0]
    assert per_problem_at_n_max(scored, "best_of_n_answered:p_yes").tolist() == [1, 0]


def test_per_problem_values_average_to_the_sweep_at_n_max():
    scored = scored_samples("grpo_v", 0.4, 2)
    table = sweep(scored, [8], STRATEGIES, 50, 10, 0.95, 0).set_index(["strategy", "score"])["accuracy"]
    for spec, key in [("majority", ("majority", "")), ("weighted_vote:p_yes", ("weighted_vote", "p_yes")),
                      ("best_of_n:p_yes", ("best_of_n", "p_yes"))]:
        assert per_problem_at_n_max(scored, spec).mean() == pytest.approx(table[key])


def test_relative_gain_is_a_ratio_of_means_with_a_paired_bootstrap():
    base = pd.Series([1, 0, 1, 0], index=["a", "b", "c", "d"], dtype=float)
    gain = relative_gain(pd.Series([1, 1, 1, 0], index=["a", "b", "c", "d"], dtype=float), base, 2000, 0.95, 0)
    assert gain["gain"] == pytest.approx(0.75 / 0.5 - 1) and gain["ci_low"] <= 0.5 <= gain["ci_high"]
    # identical per-problem values: every paired resample gives a gain of exactly 0 (an unpaired one would not)
    same = relative_gain(base.iloc[::-1], base, 500, 0.95, 0)
    assert (same["gain"], same["ci_low"], same["ci_high"]) == (0, 0, 0)
    with pytest.raises(ValueError, match="different problems"):
        relative_gain(base.rename(index={"a": "z"}), base, 10, 0.95, 0)


def test_paired_gains_against_a_brute_force_bootstrap():
    """Relative and absolute gains and their CIs: one loop over the same resamples, problem by problem."""
    rng = np.random.default_rng(1)
    index = [f"q{i}" for i in range(30)]
    base = pd.Series(rng.integers(0, 2, 30), index=index, dtype=float)
    verifier = pd.Series(rng.integers(0, 2, 30), index=index, dtype=float).iloc[::-1]  # order does not matter
    result = paired_gain(verifier, base, 400, 0.9, 4)
    draws = np.random.default_rng(4).integers(0, 30, size=(400, 30))
    relative, absolute = [], []
    for draw in draws:
        b = np.mean([base.iloc[i] for i in draw])
        v = np.mean([verifier[index[i]] for i in draw])
        relative.append(v / b - 1 if b else (0.0 if v == 0 else math.inf))
        absolute.append(v - b)
    assert result["gain"] == pytest.approx(verifier.mean() / base.mean() - 1)
    assert result["difference"] == pytest.approx(verifier.mean() - base.mean())
    assert (result["ci_low"], result["ci_high"]) == pytest.approx(
        tuple(np.quantile(relative, [0.05, 0.95], method="inverted_cdf")))
    assert (result["difference_low"], result["difference_high"]) == pytest.approx(
        tuple(np.quantile(absolute, [0.05, 0.95], method="inverted_cdf")))


@pytest.mark.parametrize("gain, low, verdict", [(0.25, 0.05, "reproduced"), (0.10, 0.02, "partly"),
                                                 (0.25, -0.01, "partly"), (0.05, -0.10, "not reproduced"),
                                                 (math.nan, math.nan, "not measured yet")])
def test_gain_verdict(gain, low, verdict):
    assert gain_verdict(gain, low, 0.20) == verdict


@pytest.mark.parametrize("gain, low, verdict", [(0.05, 0.01, "reproduced"), (0.019, -0.13, "not reproduced"),
                                                (0.0, -1.0, "not reproduced"), (-0.1, -0.2, "not reproduced")])
def test_qualitative_claims_need_a_significant_gain(gain, low, verdict):
    assert gain_verdict(gain, low, 0.0) == verdict


def test_weakest_verdict():
    assert weakest(["reproduced", "partly", "reproduced"]) == "partly"
    assert weakest(["reproduced", "not reproduced"]) == "not reproduced"
    assert weakest(["reproduced"]) == "reproduced" and weakest([]) == "not reproduced"


@pytest.mark.parametrize("ratio, low, verdict", [(10.0, 1.5, "reproduced"), (10.0, 0.9, "partly"),
                                                 (2.0, 1.2, "partly"), (2.0, 0.8, "not reproduced"),
                                                 (0.5, 0.3, "not reproduced"), (math.nan, math.nan, None),
                                                 (math.inf, math.inf, None)])
def test_level_verdict_needs_a_two_sided_ratio(ratio, low, verdict):
    assert level_verdict(ratio, low) == verdict


def test_a_gain_resting_on_one_solved_problem_is_not_significant():
    """One problem of 200 right for RL^V (1) and half right for the base (0.5): gain +100%, but resamples without
    that problem show no difference (0/0 counts as gain 0), so the CI reaches 0 and the qualitative claim fails."""
    index = pd.RangeIndex(200)
    verifier = pd.Series(np.r_[1.0, np.zeros(199)], index=index)
    base = pd.Series(np.r_[0.5, np.zeros(199)], index=index)
    gain = relative_gain(verifier, base, num_bootstrap=1000, confidence=0.95, seed=0)
    assert gain["gain"] == pytest.approx(1.0) and gain["ci_low"] == 0.0 and gain["ci_high"] == pytest.approx(1.0)
    assert gain_verdict(gain["gain"], gain["ci_low"], 0.0) == "not reproduced"


# --- ">20%": four readings, the weakest relative one decides

RIGHT_ON_MAJORITY = ["42", "42", "1", "2"]  # majority right
WRONG_ON_MAJORITY = ["1", "1", "42", "2"]  # majority wrong, a weighted vote with p(Yes) 0.9 on 42 right
NOTHING_RIGHT = ["1", "1", "2", "2"]


def grid_scored(run: str, rows: list[list[str]], p_yes_right: float, dataset: str = "test") -> pd.DataFrame:
    """hand_scored over many problems, p(Yes) `p_yes_right` on 42 and 1 - it elsewhere."""
    return hand_scored(run, rows, [[p_yes_right if a == "42" else 1 - p_yes_right for a in row] for row in rows],
                       dataset)


def parallel_inputs(counts: dict, judge_p_yes: float | None):
    """Scored samples of grpo (majority), grpo_v (p(Yes) 0.9 on 42) and optionally grpo+judge (grpo's samples
    weighted by `judge_p_yes` on 42) on problems of the three kinds in `counts`, with the sweep of the three."""
    rows = sum(([kind] * n for kind, n in counts.items()), [])
    scored = {("grpo", "test"): grid_scored("grpo", rows, 0.5), ("grpo_v", "test"): grid_scored("grpo_v", rows, 0.9)}
    if judge_p_yes is not None:
        scored[("grpo+judge", "test")] = grid_scored("grpo+judge", rows, judge_p_yes)
    table = pd.concat([sweep(frame, [1, 2, 4], STRATEGIES, 20, 20, 0.95, 0).assign(run=run, dataset="test")
                       for (run, _), frame in scored.items()])
    return scored, table


PARAMS = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "judge_run": "grpo+judge",
          "num_bootstrap": 2000, "num_subsets": 20}


def test_four_readings_by_hand_and_the_weakest_relative_one_decides():
    """10 problems with the majority right, 5 with it wrong (RL^V's weighted vote right on both), 30 with nothing
    right: majority 10/45, RL^V 15/45: +50% relative (CI above 0: reproduced) but +11.1 points absolute (partly).
    The judge weights grpo's own samples by p(Yes) 0.9 on 42, so it is as right as RL^V: +0% (not reproduced).
    Without the judge the verdict is the majority reading's; with it, the weaker of the two relative readings."""
    scored, table = parallel_inputs({tuple(RIGHT_ON_MAJORITY): 10, tuple(WRONG_ON_MAJORITY): 5,
                                     tuple(NOTHING_RIGHT): 30}, judge_p_yes=0.9)
    without_judge = parallel_row("test", table, {k: v for k, v in scored.items() if k[0] != "grpo+judge"},
                                 {**PARAMS, "judge_run": None}, {"grpo": "GRPO"})
    readings = {(r["baseline"], r["unit"]): r for r in without_judge["readings"]}
    assert set(readings) == {("majority", "relative"), ("majority", "absolute")}
    relative, absolute = readings[("majority", "relative")], readings[("majority", "absolute")]
    assert relative["base_accuracy"] == pytest.approx(10 / 45) and relative["verifier_accuracy"] == pytest.approx(15 / 45)
    assert relative["value"] == pytest.approx(0.5) and relative["low"] > 0 and relative["verdict"] == "reproduced"
    assert absolute["value"] == pytest.approx(5 / 45) and absolute["verdict"] == "partly" and not absolute["in_verdict"]
    assert without_judge["verdict"] == "reproduced"  # the absolute reading never enters the verdict
    assert "+50.0% [" in without_judge["measured"] and "+11.1 [" in without_judge["measured"]
    assert "prompted-judge readings not measured" in without_judge["measured"]
    with_judge = parallel_row("test", table, scored, PARAMS, {"grpo": "GRPO", "grpo+judge": "GRPO + judge"})
    readings = {(r["baseline"], r["unit"]): r for r in with_judge["readings"]}
    assert len(readings) == 4
    judge = readings[("prompted judge", "relative")]
    assert judge["base_accuracy"] == pytest.approx(15 / 45) and judge["value"] == 0 and judge["verdict"] == "not reproduced"
    assert readings[("prompted judge", "absolute")]["value"] == 0
    assert with_judge["verdict"] == "not reproduced"  # the weaker relative reading
    assert "vs GRPO + judge weighted vote 0.333: +0.0% [" in with_judge["measured"]
    assert "| relative | GRPO + judge weighted_vote:p_yes | 0.333 | 0.333 | +0.0% [" in "\n".join(with_judge["details"])
    # best-of-N in both forms at N_max, and the baselines, in the details
    details = "\n".join(with_judge["details"])
    for line in ("| grpo_v | best_of_n:p_yes |", "| grpo_v | best_of_n_answered:p_yes |", "| GRPO | majority |",
                 "| GRPO + judge | weighted_vote:p_yes |"):
        assert line in details


def test_a_judge_no_better_than_majority_reads_as_majority():
    """A judge whose p(Yes) is 0.5 everywhere weights every sample alike: its weighted vote is grpo's majority
    vote, so its two readings equal the majority ones and the verdict is theirs."""
    scored, table = parallel_inputs({tuple(RIGHT_ON_MAJORITY): 10, tuple(WRONG_ON_MAJORITY): 5,
                                     tuple(NOTHING_RIGHT): 30}, judge_p_yes=0.5)
    row = parallel_row("test", table, scored, PARAMS, {})
    readings = {(r["baseline"], r["unit"]): r for r in row["readings"]}
    for unit in ("relative", "absolute"):
        judge, majority = readings[("prompted judge", unit)], readings[("majority", unit)]
        assert (judge["value"], judge["low"], judge["high"]) == (majority["value"], majority["low"], majority["high"])
    assert row["verdict"] == readings[("majority", "relative")]["verdict"] == "reproduced"


# --- 8-32x: levels with simultaneous intervals, bounds never evidence

def test_a_bound_is_never_evidence():
    """8 samples per problem. Base: half the problems always right, half never: majority 0.5 at every N. RL^V:
    right on 8 of 8 or 2 of 8 (p(Yes) 0.9 on 42): 0.625 at N=1, rising. The base never reaches any of RL^V's levels,
    so every level is a bound ("> 8.00x" at N=1 among them), and the claim is not reproduced."""
    half = 10
    base_rows = [["42"] * 8] * half + [["1"] * 8] * half
    verifier_rows = [["42"] * 8] * half + [["42", "42"] + ["1", "2", "3", "4", "5", "6"]] * half
    scored = {("grpo", "test"): grid_scored("grpo", base_rows, 0.5),
              ("grpo_v", "test"): grid_scored("grpo_v", verifier_rows, 0.9)}
    table = pd.concat([sweep(frame, [1, 2, 4, 8], STRATEGIES, 20, 20, 0.95, 0).assign(run=run, dataset="test")
                       for (run, _), frame in scored.items()])
    row = efficiency_row("test", table, scored, {**PARAMS, "num_bootstrap": 200}, {})
    assert row["verdict"] == "not reproduced"
    assert "0.625 (N=1): > 8.00x (a bound" in row["measured"] and "no two-sided ratio" in row["measured"]
    assert row["levels"]["ratio"].isna().all()
    # the points are the efficiency rule's (the sweep's curves, the same subsets)
    points = compute_ratios(table, "test", "grpo", "grpo_v", verifier_strategies=("weighted_vote:p_yes",))
    assert row["levels"]["target_accuracy"].tolist() == pytest.approx(points["target_accuracy"].tolist())
    assert row["levels"]["ratio_at_least"].tolist() == pytest.approx(points["ratio_at_least"].tolist())


def efficiency_of(base_rows, verifier_rows, copies=6):
    """The 8-32x row on `copies` identical problems (every resample is the sample itself: CI = the point), the votes
    over every subset (num_subsets 13000 >= C(16, 8))."""
    scored = {("grpo", "test"): grid_scored("grpo", [base_rows] * copies, 0.5),
              ("grpo_v", "test"): grid_scored("grpo_v", [verifier_rows] * copies, 0.9)}
    ns = [n for n in (1, 2, 4, 8, 16) if n <= len(base_rows)]
    table = pd.concat([sweep(frame, ns, STRATEGIES, 13000, 20, 0.95, 0).assign(run=run, dataset="test")
                       for (run, _), frame in scored.items()])
    return efficiency_row("test", table, scored, {**PARAMS, "num_bootstrap": 50, "num_subsets": 13000}, {})


def test_efficiency_takes_the_best_two_sided_level():
    """16x: RL^V is right on all 16 samples (1.0 from N=1); the base's majority (6 right, 5 and 5 of two wrong
    answers) is 1.0 only with all 16 samples (some 8-subsets hold fewer 42s than 1s): 16 / 1 at every level,
    CI [16, 16]: reproduced. 4x at most: 8 samples, 4 right for both runs; the base is 0.5 at N=1 and N=2 and 1.0
    at N=8, RL^V's weighted vote 0.5 at N=1 (there the base is 0.5 too: 1x) and above it only from N=2 on, so no
    level can exceed 8 / 2 = 4x: the levels above 1x are significant but small, partly."""
    wrong = ["1"] * 5 + ["2"] * 5
    row = efficiency_of(["42"] * 6 + wrong, ["42"] * 16, copies=4)
    assert row["verdict"] == "reproduced"
    assert (row["levels"]["ratio"] == 16).all() and (row["levels"]["ci_low"] == 16).all()
    assert "1.000 (N=1): 16.00x [16.00, 16.00]" in row["measured"]
    eight = ["42"] * 4 + ["1", "1", "2", "2"]
    row = efficiency_of(eight, eight)
    levels = row["levels"].set_index("level_n")
    assert levels.loc[1, "target_accuracy"] == 0.5 and levels.loc[1, "ratio"] == 1
    assert levels.loc[2, "target_accuracy"] == pytest.approx(22 / 28)  # 1 - C(4, 2) / C(8, 2): some 42 in the pair
    assert (levels.loc[[2, 4], "ratio"] > 1).all() and (levels["ratio"] <= 4).all()
    assert (levels["ci_low"] == levels["ratio"]).all() and (levels["ci_high"] == levels["ratio"]).all()
    assert row["verdict"] == "partly"
    assert "simultaneous 95% CIs over 4 levels (each at 98.75%)" in row["measured"]


# --- 1.2-1.6x: every budget, the weakest decides

def budget_table(*rows, strategies=("majority", "weighted_vote:p_yes")):
    return pd.DataFrame([{"budget": b, "ratio": r, "ci_low": lo, "ci_high": hi, "base_run": "grpo",
                          "verifier_run": "grpo_v", "base_strategy": strategies[0], "verifier_strategy": strategies[1],
                          "base_accuracy": 0.4, "verifier_accuracy": 0.4 * r if math.isfinite(r) else 0.0,
                          "base_logprob_strategy": "weighted_vote:mean_logprob", "base_logprob_accuracy": 0.5,
                          "verifier_logprob_strategy": "best_of_n:mean_logprob", "verifier_logprob_accuracy": 0.9}
                         for b, r, lo, hi in rows])


def test_sequential_claim_needs_every_budget():
    """Reproduced only if every budget's ratio is >= 1.2 with its CI above 1; partly only if every budget is at
    least partly; a 0/0 budget is left out; the log-prob strategies are listed, never judged."""
    assert sequential_row(None)["verdict"] == "not measured yet"
    every = sequential_row(budget_table((64, 1.3, 1.05, 1.6), (32, 1.25, 1.1, 1.5)))
    assert every["verdict"] == "reproduced"
    assert every["measured"].index("32: 1.25x [1.10, 1.50]") < every["measured"].index("64: 1.30x")
    one_short = sequential_row(budget_table((32, 1.3, 1.1, 1.5), (64, 1.1, 1.02, 1.2)))  # 64: significant, small
    assert one_short["verdict"] == "partly"
    one_fails = sequential_row(budget_table((32, 1.3, 1.1, 1.5), (64, 1.05, 0.9, 1.2)))
    assert one_fails["verdict"] == "not reproduced"
    assert sequential_row(budget_table((32, 1.4, 0.8, 2.0)))["verdict"] == "partly"  # as large, not significant
    # 0/0 left out; x/0 (RL^V right somewhere, the base nowhere) is judged: an infinite ratio with its CI
    left_out = sequential_row(budget_table((32, math.nan, math.nan, math.nan), (64, 1.3, 1.1, 1.5)))
    assert left_out["verdict"] == "reproduced" and "32: uninformative" in left_out["measured"]
    assert sequential_row(budget_table((32, math.inf, 1.0, math.inf), (64, 1.3, 1.1, 1.5)))["verdict"] == "partly"
    assert sequential_row(budget_table((32, math.nan, math.nan, math.nan)))["verdict"] == "not reproduced"
    # the log-prob strategies (0.9 for RL^V here) are shown apart and change nothing
    details = "\n".join(every["details"])
    assert "grpo_v 0.900 (best_of_n:mean_logprob), grpo 0.500 (weighted_vote:mean_logprob)" in details
    assert "not in the verdict" in details


def test_a_ratio_table_of_best_strategies_is_not_judged():
    old = sequential_row(budget_table((64, 1.5, 1.2, 1.8), strategies=("majority", "weighted_vote:mean_logprob")))
    assert old["verdict"] == "not measured yet" and "rerun" in old["measured"]


def test_budget_verdict():
    row = budget_table((8, 1.25, 1.01, 1.5)).iloc[0]
    assert budget_verdict(row) == "reproduced"
    assert budget_verdict(budget_table((8, math.nan, math.nan, math.nan)).iloc[0]) is None


# --- the rows together, and in the summary

def test_claims_by_hand_and_in_the_summary():
    scored = {("grpo", "test"): hand_scored("grpo", ANSWERS, FLAT), ("grpo_v", "test"): hand_scored("grpo_v", ANSWERS, P_YES)}
    table = pd.concat([sweep(frame, [1, 2, 4], STRATEGIES, 50, 100, 0.95, 0).assign(run=run, dataset="test")
                       for (run, _), frame in scored.items()])
    efficiency = {"test": compute_ratios(table, "test", "grpo", "grpo_v")}
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "num_bootstrap": 500}
    rows = {row["claim"]: row for row in claim_rows({"test": table}, efficiency, scored, params, {"grpo": "GRPO"})}
    parallel = rows[">20% higher accuracy with parallel sampling"]
    # 0.75 vs 0.5 at N = 4: +50% relative, +25 points
    assert parallel["measured"].startswith("grpo_v weighted vote by p(Yes) 0.750 at N=4 (4 problems) vs GRPO "
                                           "majority 0.500: +50.0% [")
    assert "+25.0 [" in parallel["measured"]
    assert parallel["verdict"] in ("reproduced", "partly")  # 4 problems: the CI may reach 0
    assert rows["generalizes easy-to-hard"]["verdict"] == "not measured yet"
    assert rows["1.2-1.6x with sequential x parallel scaling"]["verdict"] == "not measured yet"
    assert all(row["rule"] for row in rows.values())
    text = render_summary([table], [pd.DataFrame(columns=["run", "score", "accuracy", "auroc_pooled", "auroc_within",
                                                          "num_mixed_problems"])], [1, 4], {}, list(rows.values()),
                          efficiency)
    assert "## Paper claims" in text and "| >20% higher accuracy with parallel sampling | grpo_v weighted vote" in text
    assert "### Iso-accuracy compute ratio" in text
    # the rules come before the table, the details after it
    rules, table_at = text.index("- >20% higher accuracy with parallel sampling: "), text.index("| paper claim |")
    assert rules < table_at < text.index("### >20% higher accuracy with parallel sampling")
    assert "### 8-32x more efficient test-time scaling (iso-accuracy compute ratio)" in text


def test_generalization_claim_is_measured_when_its_dataset_is_configured():
    scored = {(run, dataset): hand_scored(run, ANSWERS, P_YES if run == "grpo_v" else FLAT, dataset)
              for run in ("grpo", "grpo_v") for dataset in ("test", "hard")}
    sweeps = {dataset: pd.concat([sweep(scored[(run, dataset)], [1, 2, 4], STRATEGIES, 20, 50, 0.95, 0)
                                  .assign(run=run, dataset=dataset) for run in ("grpo", "grpo_v")])
              for dataset in ("test", "hard")}
    efficiency = {d: compute_ratios(t, d, "grpo", "grpo_v") for d, t in sweeps.items()}
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "easy_to_hard": "hard"}
    rows = {row["claim"]: row for row in claim_rows(sweeps, efficiency, scored, params, {})}
    row = rows["generalizes easy-to-hard (dataset `hard`)"]
    assert row["measured"].startswith("+50.0%") and row["verdict"] != "not measured yet"


# --- the generalization claims compare the runs each comparison names

@pytest.fixture(scope="module")
def claim_inputs():
    return generalization_inputs()


def test_easy_to_hard_claim_compares_the_easy_runs_and_a_0_over_0_gain_is_not_reproduced(claim_inputs):
    scored, sweeps, efficiency = claim_inputs
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "num_bootstrap": 200,
              "easy_to_hard": {"dataset": "hard", "base_run": "grpo_easy", "verifier_run": "grpo_v_easy"},
              "out_of_domain": "ood"}
    labels = {"grpo_easy": "GRPO (1-3)", "grpo_v_easy": "GRPO^V (1-3)"}
    rows = {row["claim"]: row for row in claim_rows(sweeps, efficiency, scored, params, labels)}
    hard = rows["generalizes easy-to-hard (dataset `hard`)"]
    # 0.5 vs 0.25: +100%, between the runs trained on levels 1-3 (grpo and grpo_v have no samples on `hard`)
    assert hard["measured"].startswith("+100.0% [") and "GRPO^V (1-3) weighted_vote:p_yes" in hard["measured"]
    assert "0.500 vs GRPO (1-3) majority 0.250 at N=4, 4 problems" in hard["measured"]
    ood = rows["generalizes out of domain (dataset `ood`)"]
    assert ood["measured"].startswith("undefined (0/0)") and ood["verdict"] == "not reproduced"


def test_votes_count_grader_equal_answers_as_one_candidate():
    """The base run writes the right 42 as 42, 42.0 and 84/2: by strings its majority is 0.375 (p0 a four-way
    tie, half of it right), by the grader's equivalence 0.5; the claimed gain of RL^V (0.75) falls from +100% to
    +50% when every vote, the sweep's and the claim's, counts equal answers as one candidate."""
    from rlv.tasks.grading import answers_equal
    base_answers = [["42", "42.0", "1", "2"], ["1", "1", "42", "2"], ["42", r"\frac{84}{2}", "42", "1"],
                    ["1", "1", "2", "2"]]
    base = hand_scored("grpo", base_answers, FLAT)
    base["correct"] = [answers_equal("42", a) for a in base["answer"]]
    scored = {("grpo", "test"): base, ("grpo_v", "test"): hand_scored("grpo_v", ANSWERS, P_YES)}
    assert per_problem_at_n_max(base, "majority").tolist() == [0.5, 0, 1, 0]
    assert per_problem_at_n_max(base, "majority", answers_equal).tolist() == [1, 0, 1, 0]
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "num_bootstrap": 200}
    measured = {}
    for name, equivalent in (("strings", None), ("grader", answers_equal)):
        table = pd.concat([sweep(frame, [1, 2, 4], STRATEGIES, 50, 100, 0.95, 0, equivalent)
                           .assign(run=run, dataset="test") for (run, _), frame in scored.items()])
        majority = table[(table["run"] == "grpo") & (table["strategy"] == "majority") & (table["n"] == 4)]
        assert majority["accuracy"].item() == (0.375 if equivalent is None else 0.5)
        efficiency = {"test": compute_ratios(table, "test", "grpo", "grpo_v")}
        rows = claim_rows({"test": table}, efficiency, scored, params, {}, equivalent=equivalent)
        measured[name] = rows[0]["measured"]
    assert "vs grpo majority 0.375: +100.0% [" in measured["strings"]
    assert "vs grpo majority 0.500: +50.0% [" in measured["grader"]
