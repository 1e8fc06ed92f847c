"""A study's table (rlv/analysis/verification_study.py): each arm's metrics and the paper's comparison against a hand
computation on a small frame, the decision rule at its edges, and the Markdown naming every arm and the verdict."""

import math

import pandas as pd
import pytest

from helpers import STUDY
from rlv.analysis.aggregate import budgets
from rlv.analysis.verification_study import joint_against_base, measure, render, smallest_separating, verdict
from rlv.pipeline.study_specs import describe_bases, describe_families


def scored_frame(p_yes_right: float, p_yes_wrong: float) -> pd.DataFrame:
    """Three problems x 4 samples. p1: answers 7 (right) once and 5 (wrong) three times; p2: all right; p3: 9 right
    twice, 4 wrong twice. Right samples get p_yes_right, wrong ones p_yes_wrong."""
    rows = []
    for problem, answers, gold in (("p1", ["7", "5", "5", "5"], "7"), ("p2", ["3"] * 4, "3"),
                                   ("p3", ["9", "4", "9", "4"], "9")):
        for sample, answer in enumerate(answers):
            right = answer == gold
            rows.append({"problem_id": problem, "sample": sample, "answer": answer, "correct": right,
                         "p_yes": p_yes_right if right else p_yes_wrong, "mean_logprob": -1.0})
    return pd.DataFrame(rows)


def test_a_perfect_verifier_by_hand():
    row = measure(scored_frame(0.9, 0.1), num_bootstrap=200)
    assert row["AUROC within"] == 1.0 and row["AUROC pooled"] == 1.0 and row["balanced accuracy"] == 1.0
    # majority: p1 wrong (5 x3), p2 right, p3 a 2-2 tie (half right in expectation) -> (0 + 1 + 0.5) / 3
    assert row["majority"] == pytest.approx(0.5)
    # weighted vote by p(Yes): p1 7 (0.9) vs 5 (0.3) -> right; p3 9 (1.8) vs 4 (0.2) -> right: 1.0 - 0.5
    assert row["weighted vote - majority"] == pytest.approx(0.5)
    assert row["best-of-N - majority"] == pytest.approx(0.5)
    assert row["pass@1"] == pytest.approx(7 / 12) and row["n_max"] == 4
    assert row["weighted vote - majority low"] <= 0.5 <= row["weighted vote - majority high"]


def two_problems(answers: dict, gold: dict, p_yes: dict | None = None) -> pd.DataFrame:
    return pd.DataFrame([{"problem_id": problem, "sample": sample, "answer": answer, "correct": answer == gold[problem],
                          "p_yes": (p_yes or {}).get(problem, [0.5] * 2)[sample]}
                         for problem, row in answers.items() for sample, answer in enumerate(row)])


def test_rlv_weighted_vote_against_the_base_runs_majority_by_hand():
    gold = {"a": "1", "b": "3"}
    base = two_problems({"a": ["1", "2"], "b": ["3", "3"]}, gold)
    joint = two_problems({"a": ["1", "2"], "b": ["4", "3"]}, gold, {"a": [0.9, 0.1], "b": [0.2, 0.7]})
    rows = joint_against_base(base, joint, num_bootstrap=200).set_index("budget")
    assert list(rows.index) == [1, 2]
    # n = 1: every vote is one sample's correctness: base (1/2 + 1) / 2, RL^V (1/2 + 1/2) / 2
    assert rows.loc[1, "base majority"] == pytest.approx(0.75)
    assert rows.loc[1, "RL^V weighted vote"] == pytest.approx(0.5)
    # n = 2: base a 1-1 tie (1/2), b right; RL^V majority ties on both; weighted by p(Yes) picks 1 (0.9) and 3 (0.7)
    assert rows.loc[2, "base majority"] == pytest.approx(0.75) and rows.loc[2, "RL^V majority"] == pytest.approx(0.5)
    assert rows.loc[2, "RL^V weighted vote"] == pytest.approx(1.0)
    assert rows.loc[2, "difference"] == pytest.approx(0.25) and rows.loc[1, "difference"] == pytest.approx(-0.25)
    assert rows.loc[2, "difference low"] <= 0.25 <= rows.loc[2, "difference high"]
    assert budgets(32) == [1, 2, 4, 8, 16, 32] and budgets(12) == [1, 2, 4, 8, 12]


def test_an_inverted_verifier_by_hand():
    row = measure(scored_frame(0.1, 0.9), num_bootstrap=200)
    assert row["AUROC within"] == 0.0 and row["balanced accuracy"] == 0.0
    # weighted: p1 7 (0.1) vs 5 (2.7) -> wrong; p3 9 (0.2) vs 4 (1.8) -> wrong: 1/3 - 0.5
    assert row["weighted vote - majority"] == pytest.approx(1 / 3 - 0.5)


@pytest.mark.parametrize("low, expected", [(0.49, "chance"), (0.5, "chance"), (0.51, "separates"),
                                           (0.65, "target"), (math.nan, "n/a")])
def test_the_decision_rule_reads_the_lower_end(low, expected):
    assert verdict({"AUROC within low": low}, 0.65) == expected


def rows_for_table(lows: dict) -> pd.DataFrame:
    metrics = {f"{m}{suffix}": 0.5 for m in ("AUROC within", "AUROC pooled", "balanced accuracy",
                                            "weighted vote - majority", "best-of-N - majority")
               for suffix in ("", " low", " high")}
    rows = [{"base": "default", "kind": "reference", "family": "", "label": "GRPO mean log-prob (reference)",
             **metrics, "pass@1": 0.4, "majority": 0.5, "n_max": 4, "verdict": ""}]
    for (base, name, n), low in lows.items():
        rows.append({"base": base, "kind": "arm", "family": name.rsplit("_n", 1)[0], "label": name, "n": n,
                     "steps": 3, "loss": 0.69, "wall s": 12.0, "pool share correct": 0.4, **metrics,
                     "AUROC within low": low, "pass@1": 0.4, "majority": 0.5, "n_max": 4,
                     "verdict": verdict({"AUROC within low": low}, 0.65)})
    return pd.DataFrame(rows)


def test_the_smallest_separating_arm_and_the_markdown():
    rows = rows_for_table({("default", "generative_n20", 20): 0.45, ("default", "generative_n0", 0): 0.4,
                           ("sort", "fast_n30", 30): 0.7, ("sort", "generative_n20", 20): 0.55})
    assert smallest_separating(rows, ["default", "sort"])["label"] == "generative_n20"
    assert smallest_separating(rows, ["default", "sort"])["base"] == "sort"
    table = render("T", "vs", "GRPO's", 0.65, describe_bases(STUDY), describe_families(STUDY), rows)
    for label in ("generative_n0", "generative_n20", "fast_n30", "GRPO mean log-prob (reference)"):
        assert f"| {label} |" in table
    assert "Smallest scale that separates solutions within a problem: base `sort`, generative_n20 (n = 20)" in table
    assert "Arms that reach the target (0.65): sort/fast_n30." in table
    assert "**sort** (overrides {'task': {'family': 'sort'}}; pool from base): sorting" in table
    assert "**fast** (bce, within labels, n in [30], bases sort; learning_rate 0.001, epochs 3): optimisation" in table
    none = render("T", "vs", "GRPO's", 0.65, describe_bases(STUDY), describe_families(STUDY),
                  rows_for_table({("default", "generative_n0", 0): 0.4}))
    assert "No arm tried separates solutions within a problem" in none and "reach the target (0.65): none" in none


def test_a_log_prob_score_votes_with_its_exponential():
    frame = scored_frame(0.9, 0.1)
    frame["mean_logprob"] = frame["p_yes"].map(math.log)
    row, by_p_yes = measure(frame, num_bootstrap=50, score="mean_logprob"), measure(frame, num_bootstrap=50)
    for name in ("AUROC within", "AUROC pooled", "weighted vote - majority", "best-of-N - majority"):
        assert row[name] == pytest.approx(by_p_yes[name])
    assert math.isnan(row["balanced accuracy"])
