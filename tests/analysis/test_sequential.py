"""Sequential x parallel scaling and adaptive length (rlv/analysis/sequential.py): the per-budget ratio of the fixed
strategies (RL^V's weighted vote by p(Yes) over the base's majority) by hand with the log-prob strategies apart, its
table, and the adaptive stopping rule and its token accounting (forced answers included) against a brute-force
loop."""

import numpy as np
import pandas as pd
import pytest

from helpers import random_budget_frame
from rlv.analysis.sequential import adaptive_table, ratio_table, render_ratios, strategy_table, vote_confidence


def _rows(run, budget, table, logprob=None):
    """Budget rows from (problem, sample, answer, correct, p_yes) tuples; mean_logprob -1 unless given per row."""
    return pd.DataFrame([{"run": run, "budget": budget, "problem_id": p, "sample": s, "answer": a, "correct": c,
                          "p_yes": y, "mean_logprob": -1.0 if logprob is None else logprob[i], "forced": False,
                          "reasoning_tokens": 10, "forced_tokens": 0, "num_tokens": 10}
                         for i, (p, s, a, c, y) in enumerate(table)])


BASE_TABLE = [("p0", 0, "1", True, .9), ("p0", 1, "1", True, .1), ("p0", 2, "2", False, .3),
              ("p1", 0, "3", True, .1), ("p1", 1, "3", True, .1), ("p1", 2, "4", False, .9),
              ("p2", 0, "5", True, .1), ("p2", 1, "5", True, .2), ("p2", 2, "6", False, .8),
              ("p3", 0, "7", False, .5), ("p3", 1, "7", False, .5), ("p3", 2, "8", True, .1)]
# base: majority right on p0, p1, p2 (3/4). verifier: the weighted vote by p(Yes) right on all four (p0 1.0 vs 0.1,
# p1 1.0 vs 0.1, p2 0.9 vs 0.2, p3 0.8 vs 0.3); majority right on p0, p1 (2/4)
VERIFIER_TABLE = [("p0", 0, "1", True, .9), ("p0", 1, "1", True, .1), ("p0", 2, "2", False, .1),
                  ("p1", 0, "3", True, .1), ("p1", 1, "3", True, .9), ("p1", 2, "4", False, .1),
                  ("p2", 0, "5", False, .1), ("p2", 1, "5", False, .1), ("p2", 2, "6", True, .9),
                  ("p3", 0, "7", False, .1), ("p3", 1, "7", False, .2), ("p3", 2, "8", True, .8)]


def test_the_ratio_of_the_fixed_strategies_by_hand_with_the_log_prob_strategies_apart():
    """Base: majority right on p0, p1, p2 (3/4). Verifier: weighted vote by p(Yes) right on all four (4/4); its
    log-prob (0 on the right samples, -5 elsewhere) makes best-of-N by log-prob right everywhere too; the base's
    (0 on the wrong samples) makes both log-prob strategies right nowhere (a tie at 0: the first in config order).
    Ratio 4/4 / 3/4, whatever the log-prob strategies do."""
    base = _rows("base", 8, BASE_TABLE, logprob=[0.0 if not c else -5.0 for *_, c, _ in BASE_TABLE])
    verifier = _rows("ver", 8, VERIFIER_TABLE, logprob=[0.0 if c else -5.0 for *_, c, _ in VERIFIER_TABLE])
    scored = {"base": base, "ver": verifier}
    strategies = ["pass_at_n", "majority", "best_of_n:p_yes", "best_of_n:mean_logprob", "weighted_vote:mean_logprob"]
    table = strategy_table(scored, strategies, num_bootstrap=200)
    accuracy = table.set_index(["run", "strategy"])["accuracy"]
    assert accuracy[("base", "majority")] == 0.75 and accuracy[("ver", "majority")] == 0.5
    assert accuracy[("ver", "best_of_n:mean_logprob")] == 1.0 and accuracy[("base", "best_of_n:mean_logprob")] == 0
    assert accuracy[("base", "pass_at_n")] == 1.0 and set(table["mean_tokens"]) == {30.0}
    ratios = ratio_table(scored, table, "base", "ver", strategies, num_bootstrap=500)
    row = ratios.iloc[0]
    assert (row["base_strategy"], row["verifier_strategy"]) == ("majority", "weighted_vote:p_yes")
    assert (row["base_accuracy"], row["verifier_accuracy"]) == (0.75, 1.0)
    assert row["ratio"] == pytest.approx(1.0 / 0.75) and row["ci_low"] <= row["ratio"] <= row["ci_high"]
    # apart: each run's best log-prob strategy (the verifier's best-of-N by log-prob; the base's log-prob vote)
    assert (row["verifier_logprob_strategy"], row["verifier_logprob_accuracy"]) == ("best_of_n:mean_logprob", 1.0)
    assert (row["base_logprob_strategy"], row["base_logprob_accuracy"]) == ("best_of_n:mean_logprob", 0.0)
    assert accuracy[("base", "weighted_vote:mean_logprob")] == 0
    # the paired bootstrap resamples problems: per problem base (1, 1, 1, 0) and verifier (1, 1, 1, 1)
    rng = np.random.default_rng(0)
    draws = rng.integers(0, 4, size=(500, 4))
    with np.errstate(divide="ignore"):
        ratios_by_hand = 1 / np.array([1, 1, 1, 0])[draws].mean(axis=1)
    assert row["ci_high"] == pytest.approx(np.nanquantile(ratios_by_hand, 0.975, method="inverted_cdf"))
    # without log-prob strategies in the sweep's list the columns are empty
    plain = ratio_table(scored, table, "base", "ver", ["majority"], num_bootstrap=10).iloc[0]
    assert plain["verifier_logprob_strategy"] == "" and np.isnan(plain["verifier_logprob_accuracy"])
    text = render_ratios(ratios, table, {"ver": "RL^V"}, 3, "test")
    assert "| 8 | 30, 30 | 0.00, 0.00 | 0.750 | 1.000 | 1.33 [" in text
    assert "1.000 (best_of_n:mean_logprob) |" in text and "never in a verdict" in text
    assert "Verdict on the 1.2-1.6x claim: **" in text


def test_a_budget_where_nothing_is_solved_reads_as_0_over_0():
    rows = _rows("a", 4, [("p0", 0, "1", False, .5), ("p0", 1, "2", False, .5)])
    scored = {"a": rows, "b": rows.assign(run="b")}
    table = strategy_table(scored, ["majority"], num_bootstrap=10)
    ratios = ratio_table(scored, table, "a", "b", ["majority"], num_bootstrap=10)
    assert np.isnan(ratios["ratio"].item())
    text = render_ratios(ratios, table, {}, 2, "test")
    assert "undefined (0/0" in text and "| left out |" in text and "**not reproduced**" in text


def _brute_force(frame, tau):
    """Per problem: walk up the budgets, count the tokens sample by sample, stop when confident."""
    budgets = sorted(frame["budget"].unique())
    values, spent = [], []
    for _, problem in frame.groupby("problem_id"):
        forced_so_far = 0
        for k, b in enumerate(budgets):
            at = problem[problem["budget"] == b]
            forced_so_far += at["forced_tokens"].sum()
            weight = {}
            for answer, p in zip(at["answer"], at["p_yes"]):
                if isinstance(answer, str):  # None: no answer, no vote
                    weight[answer] = weight.get(answer, 0.0) + p
            share = max(weight.values()) / at["p_yes"].sum() if weight else 0.0
            if share >= tau or k == len(budgets) - 1:
                winners = [a for a, w in weight.items() if w == max(weight.values())] if weight else []
                values.append(sum(a == "1" for a in winners) / len(winners) if winners else 0.0)
                spent.append(at["reasoning_tokens"].sum() + forced_so_far)
                break
    return np.mean(values), np.mean(spent)


def _forced_by_hand(frame, tau):
    """Mean forced-answer tokens per problem of the adaptive rule: every budget up to where it stops."""
    budgets = sorted(frame["budget"].unique())
    spent = []
    for _, problem in frame.groupby("problem_id"):
        forced = 0
        for k, b in enumerate(budgets):
            at = problem[problem["budget"] == b]
            forced += at["forced_tokens"].sum()
            weight = {}
            for answer, p in zip(at["answer"], at["p_yes"]):
                if isinstance(answer, str):
                    weight[answer] = weight.get(answer, 0.0) + p
            share = max(weight.values()) / at["p_yes"].sum() if weight else 0.0
            if share >= tau or k == len(budgets) - 1:
                spent.append(forced)
                break
    return np.mean(spent)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adaptive_stopping_and_token_accounting_against_brute_force(seed):
    frame = random_budget_frame(np.random.default_rng(seed))
    thresholds = [0.0, 0.3, 0.5, 0.7, 0.9, 1.0, 1.5]
    table = adaptive_table({"r": frame}, thresholds)
    adaptive = table[table["mode"] == "adaptive"].set_index("threshold")
    for tau in thresholds:
        accuracy, tokens = _brute_force(frame, tau)
        assert adaptive.loc[tau, "accuracy"] == pytest.approx(accuracy)
        assert adaptive.loc[tau, "mean_tokens"] == pytest.approx(tokens)
    fixed = table[table["mode"] == "fixed"].set_index("budget")
    for b in (4, 8, 16):
        at = frame[frame["budget"] == b]
        assert fixed.loc[b, "mean_tokens"] == pytest.approx(at.groupby("problem_id")["num_tokens"].sum().mean())
        forced = at.groupby("problem_id")["forced_tokens"].sum().mean()
        assert fixed.loc[b, "mean_forced_tokens"] == pytest.approx(forced)
        assert fixed.loc[b, "forced_share"] == pytest.approx(forced / fixed.loc[b, "mean_tokens"])
    for tau in thresholds:  # the forced answers of every budget visited, by the brute-force walk
        assert adaptive.loc[tau, "mean_forced_tokens"] == pytest.approx(_forced_by_hand(frame, tau))
        assert adaptive.loc[tau, "forced_share"] == pytest.approx(
            adaptive.loc[tau, "mean_forced_tokens"] / adaptive.loc[tau, "mean_tokens"])
    # tau 0 stops at once: the first fixed budget; tau > 1 never stops early and pays every budget's forced answers
    assert adaptive.loc[0.0, "mean_tokens"] == pytest.approx(fixed.loc[4, "mean_tokens"])
    assert adaptive.loc[1.5, "accuracy"] == pytest.approx(fixed.loc[16, "accuracy"])
    extra = frame[frame["budget"] < 16].groupby("problem_id")["forced_tokens"].sum().mean()
    assert adaptive.loc[1.5, "mean_tokens"] == pytest.approx(fixed.loc[16, "mean_tokens"] + extra)


def test_votes_count_grader_equal_answers_as_one_candidate():
    """1/2 written twice (p(Yes) 0.3 each) against 3 (0.5): by strings majority is a three-way tie (2/3 right)
    and the weighted vote picks 3; by the grader's equivalence both pick 1/2, in the strategies, the ratio and
    the adaptive confidence alike."""
    from rlv.tasks.grading import answers_equal
    rows = _rows("r", 8, [("p0", 0, r"\frac12", True, .3), ("p0", 1, "0.5", True, .3), ("p0", 2, "3", False, .5)])
    strategies = ["majority", "weighted_vote:p_yes"]
    exact = strategy_table({"r": rows}, strategies, num_bootstrap=10).set_index("strategy")["accuracy"]
    equal = strategy_table({"r": rows}, strategies, num_bootstrap=10, equivalent=answers_equal
                           ).set_index("strategy")["accuracy"]
    assert exact["majority"] == pytest.approx(2 / 3) and exact["weighted_vote:p_yes"] == 0
    assert equal["majority"] == 1 and equal["weighted_vote:p_yes"] == 1
    scored = {"a": rows, "b": rows.assign(run="b")}
    table = strategy_table(scored, strategies, num_bootstrap=10, equivalent=answers_equal)
    ratios = ratio_table(scored, table, "a", "b", strategies, num_bootstrap=10, equivalent=answers_equal)
    assert ratios["base_accuracy"].item() == 1 and ratios["ratio"].item() == 1
    assert vote_confidence(rows).item() == pytest.approx(0.5 / 1.1)
    assert vote_confidence(rows, "p_yes", answers_equal).item() == pytest.approx(0.6 / 1.1)
    adaptive = adaptive_table({"r": rows}, [0.5], equivalent=answers_equal).set_index("mode")
    assert adaptive.loc["fixed", "accuracy"] == 1 and adaptive.loc["adaptive", "accuracy"] == 1
    assert adaptive_table({"r": rows}, [0.5]).set_index("mode").loc["fixed", "accuracy"] == 0
