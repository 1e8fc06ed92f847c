"""The table of a design search (rlv/analysis/designs.py): statistics, verdicts, the Markdown table, the arm rows
from a base's tables and the lambda points, against hand computations. (The search's configs: test_nested.py;
reading a base's files: tests/pipeline/stages/test_experiments.py; the targets: tests/workflow/test_searches.py.)"""

import math

import pandas as pd
import pytest

from helpers import design_base_tables, design_scored
from rlv.analysis.designs import (Arm, Design, arm_rows, best_design, design_verdicts, lambda_points, mean_ci,
                                  render_table, verifier_accuracy_interval)

DESIGN_A = Design("a", "plain", "r1")
DESIGN_B = Design("b", "plain", "r2", {"steps": 9})
NUM_SEEDS = 2  # the search's seeds: [0, 1]


def test_mean_ci_is_the_t_interval():
    mean, half = mean_ci([0.5, 0.6, 0.7])
    assert mean == pytest.approx(0.6)
    assert half == pytest.approx(4.303 * 0.1 / math.sqrt(3))  # sd 0.1, t(0.975, 2) = 4.303
    assert mean_ci([0.4])[0] == 0.4 and math.isnan(mean_ci([0.4])[1])


def rows_for(gains_weighted, majority, within):
    rows = []
    for seed, (w, m, a) in enumerate(zip(gains_weighted, majority, within)):
        base = {"base": "plain", "design": "a", "seed": seed, "n_max": 32, "pass@1": 0.4, "best-of-N p(Yes)": 0.4,
                "weighted log-prob": 0.5, "pass@N": 0.8, "verifier accuracy": 0.6, "AUROC pooled": 0.7,
                "log-prob AUROC within": 0.8, "train s": 100.0}
        rows.append({**base, "verify_coef": 0.0, "run": f"a_l0_s{seed}", "majority": m, "weighted p(Yes)": m,
                     "AUROC within": 0.5})
        rows.append({**base, "verify_coef": 1.0, "run": f"a_l1_s{seed}", "majority": m, "weighted p(Yes)": w,
                     "AUROC within": a})
    return pd.DataFrame(rows)


def test_verdict_pairs_seeds_and_needs_both_conditions():
    met = design_verdicts(rows_for([0.60, 0.62, 0.61], [0.50, 0.51, 0.52], [0.75, 0.72, 0.74])).iloc[0]
    assert met["gain"][0] == pytest.approx(0.1) and met["met"]
    low_auroc = design_verdicts(rows_for([0.60, 0.62, 0.61], [0.50, 0.51, 0.52], [0.65, 0.66, 0.64])).iloc[0]
    assert not low_auroc["met"]
    noisy = design_verdicts(rows_for([0.60, 0.45, 0.61], [0.50, 0.51, 0.52], [0.75, 0.72, 0.74])).iloc[0]
    assert noisy["gain"][0] > 0 and noisy["gain"][0] - noisy["gain"][1] < 0 and not noisy["met"]


def test_render_table_lists_every_design_and_verdict():
    text = render_table([DESIGN_A], NUM_SEEDS, rows_for([0.60, 0.62, 0.61], [0.50, 0.51, 0.52], [0.75, 0.72, 0.74]))
    assert "**a** (base `plain`): r1" in text
    assert "| a | 0 | 0.400 ± 0.000 |" in text and "| a | 1 |" in text
    assert "| a | 0.100 ± 0.025 | 0.737 ± 0.038 | yes |" in text
    assert "Best design by the search's decision rule (largest mean gain): **a**." not in text  # one design
    assert text.startswith("# The miniature design search\n") and "| verifier accuracy |" in text
    two = render_table([DESIGN_A, DESIGN_B], NUM_SEEDS,
                       pd.concat([rows_for([0.6] * 3, [0.5] * 3, [0.75] * 3),
                                  rows_for([0.5] * 3, [0.5] * 3, [0.75] * 3).assign(design="b")]),
                       "sweep", "Sweep")
    assert two.startswith("# Sweep\n") and "`snakemake --cores all sweep`" in two
    assert "Best design by the search's decision rule (largest mean gain): **a**." in two
    assert "- **b** (base `plain`, RL overrides {'steps': 9}): r2" in two


def test_best_design_has_the_largest_mean_gain():
    verdicts = pd.DataFrame({"design": ["x", "y", "z"], "gain": [(0.01, 0.1), (0.05, 0.2), (-0.02, 0.01)]})
    assert best_design(verdicts) == "y"


def test_verifier_accuracy_is_hits_over_samples_with_a_problem_bootstrap():
    # problem p: verdicts right, right, wrong (3 samples); problem q: right (1 sample) -> 3/4, not the mean of 2/3 and 1
    scored = design_scored()
    accuracy, low, high = verifier_accuracy_interval(scored, num_bootstrap=4000, confidence=0.95, seed=0)
    assert accuracy == pytest.approx(0.75)
    # resamples: (p, p) -> 4/6, (p, q) or (q, p) -> 3/4, (q, q) -> 2/2; each extreme has probability 1/4
    assert low == pytest.approx(4 / 6) and high == pytest.approx(1.0)
    assert verifier_accuracy_interval(scored, 4000, 0.4, 0)[1:] == pytest.approx((0.75, 0.75))  # middle 40%: 3/4


def test_arm_rows_carry_verifier_accuracy_and_problem_intervals():
    arms = [Arm("plain", "warm start", None, None, "base"), Arm("plain", "a", 0.0, 0, "a_l0_s0"),
            Arm("plain", "a", 1.0, 0, "a_l1_s0")]
    sweep, verifier = design_base_tables({"base": 0.3, "a_l0_s0": 0.4, "a_l1_s0": 0.5})
    scored = {run: design_scored() for run in ("base", "a_l0_s0", "a_l1_s0")}
    rows = arm_rows(arms, sweep, verifier, scored, {"a_l0_s0": 12.5}, num_bootstrap=4000).set_index("run")
    assert list(rows.index) == ["base", "a_l0_s0", "a_l1_s0"]
    assert rows.loc["a_l1_s0", "pass@1"] == 0.5 and rows.loc["a_l1_s0", "pass@1 low"] == pytest.approx(0.4)
    assert rows.loc["a_l1_s0", "pass@1 high"] == pytest.approx(0.55) and rows.loc["a_l1_s0", "majority"] == 0.5
    assert rows.loc["a_l1_s0", "verifier accuracy"] == 0.75  # the verifier table's, for p_yes
    assert rows.loc["a_l1_s0", ["verifier accuracy low", "verifier accuracy high"]].tolist() == \
        pytest.approx([4 / 6, 1.0])
    assert math.isnan(rows.loc["a_l1_s0", "train s"])  # not timed
    assert rows.loc["a_l0_s0", "train s"] == 12.5
    assert rows.loc["base", "design"] == "warm start" and math.isnan(rows.loc["base", "verify_coef"])
    # an arm without scored samples has no accuracy interval
    unscored = arm_rows(arms, sweep, verifier, {}, {}, num_bootstrap=10).set_index("run")
    assert unscored[["verifier accuracy low", "verifier accuracy high"]].isna().all().all()


def test_lambda_points_use_seed_intervals_with_seeds_and_problem_intervals_without():
    def arm(coef, seed, pass1, accuracy):
        return {"design": "a", "verify_coef": coef, "seed": seed, "pass@1": pass1, "pass@1 low": pass1 - 0.1,
                "pass@1 high": pass1 + 0.2, "verifier accuracy": accuracy, "verifier accuracy low": accuracy - 0.05,
                "verifier accuracy high": accuracy + 0.01}
    warm = {"design": "warm start", "verify_coef": math.nan, "seed": math.nan, "pass@1": 0.3, "verifier accuracy": 0.5}
    seeds = lambda_points(pd.DataFrame([warm, arm(1.0, 0, 0.4, 0.6), arm(1.0, 1, 0.5, 0.7), arm(1.0, 2, 0.6, 0.8),
                                        arm(0.0, 0, 0.5, 0.5), arm(0.0, 1, 0.5, 0.5)]))
    assert seeds["verify_coef"].tolist() == [0.0, 1.0] and seeds["interval"].tolist() == ["seeds", "seeds"]
    one = seeds.iloc[1]  # sd 0.1 over three seeds: half-width 4.303 * 0.1 / sqrt(3)
    half = 4.303 * 0.1 / math.sqrt(3)
    assert one["pass@1"] == pytest.approx(0.5) and one["pass@1 low"] == pytest.approx(0.5 - half)
    assert one["verifier accuracy high"] == pytest.approx(0.7 + half)
    assert seeds.iloc[0]["pass@1 low"] == pytest.approx(0.5)  # identical seeds: zero width
    single = lambda_points(pd.DataFrame([warm, arm(0.3, 0, 0.4, 0.6)])).iloc[0]
    assert single["interval"] == "problems" and single["seeds"] == 1
    assert (single["pass@1 low"], single["pass@1 high"]) == pytest.approx((0.3, 0.6))
    assert (single["verifier accuracy low"], single["verifier accuracy high"]) == pytest.approx((0.55, 0.61))


# --- the verifier beyond threshold accuracy: balanced accuracy and AUROCs with problem intervals

def _scored(seed: int, problems: int = 12, samples: int = 4) -> pd.DataFrame:
    import numpy as np
    rng = np.random.default_rng(seed)
    correct = rng.random((problems, samples)) < rng.random((problems, 1))
    p_yes = np.round(np.clip(0.3 + 0.3 * correct + rng.normal(0, 0.2, correct.shape), 0, 1), 1)  # ties
    return pd.DataFrame({"problem_id": np.repeat([f"q{i:02d}" for i in range(problems)], samples),
                         "correct": correct.ravel(), "p_yes": p_yes.ravel()})


def test_verifier_intervals_against_a_brute_force_bootstrap():
    """Each resample rebuilt as a frame of the drawn problems (a problem drawn twice appears twice, as two problems)
    and measured by the aggregate's own AUROCs and by hand for the balanced accuracy."""
    import numpy as np

    from rlv.analysis.aggregate import auroc, within_problem_auroc
    from rlv.analysis.designs import verifier_intervals
    scored = _scored(3)
    out = verifier_intervals(scored, num_bootstrap=150, confidence=0.9, seed=2)

    def measure(frame):
        yes, right = frame["p_yes"] > 0.5, frame["correct"]
        balanced = 0.5 * ((yes & right).sum() / right.sum() + (~yes & ~right).sum() / (~right).sum())
        return {"balanced accuracy": balanced, "AUROC pooled": auroc(frame["p_yes"].to_numpy(), right.to_numpy()),
                "AUROC within": within_problem_auroc(frame, "p_yes")}
    for name, value in measure(scored).items():
        assert out[name][0] == pytest.approx(value)
    problems = sorted(scored["problem_id"].unique())
    draws = np.random.default_rng(2).integers(0, len(problems), size=(150, len(problems)))
    by_hand = {name: [] for name in out}
    for draw in draws:
        frame = pd.concat([scored[scored["problem_id"] == problems[i]].assign(problem_id=f"{k}") for k, i in
                           enumerate(draw)])
        for name, value in measure(frame).items():
            by_hand[name].append(value)
    for name, values in by_hand.items():
        values = np.array(values, dtype=float)
        assert out[name][1:] == pytest.approx(tuple(np.quantile(values[np.isfinite(values)], [0.05, 0.95]))), name


def test_a_verifier_that_always_says_no_has_threshold_accuracy_1_minus_pass_at_1_and_balanced_accuracy_one_half():
    """p(Yes) 0.3 on every wrong sample and 0.4 on every right one: threshold accuracy is the share of wrong samples
    (the reasoner's failure rate), balanced accuracy 0.5, and both AUROCs 1 (it ranks perfectly)."""
    from rlv.analysis.designs import verifier_accuracy_interval, verifier_intervals
    scored = pd.DataFrame({"problem_id": list("aaabbbccc"), "correct": [True, False, False] * 3,
                           "p_yes": [0.4, 0.3, 0.3] * 3})
    assert verifier_accuracy_interval(scored, 20)[0] == pytest.approx(2 / 3)
    out = verifier_intervals(scored, 20)
    assert out["balanced accuracy"] == pytest.approx((0.5, 0.5, 0.5))
    assert out["AUROC pooled"] == pytest.approx((1, 1, 1)) and out["AUROC within"] == pytest.approx((1, 1, 1))


def test_arm_rows_carry_the_verifier_metrics_with_problem_intervals():
    arms = [Arm("plain", "warm start", None, None, "base"), Arm("plain", "a", 1.0, 0, "a_l1_s0")]
    sweep, verifier = design_base_tables({"base": 0.3, "a_l1_s0": 0.5})
    rows = arm_rows(arms, sweep, verifier, {"a_l1_s0": _scored(1)}, {}, num_bootstrap=200).set_index("run")
    from rlv.analysis.designs import verifier_intervals
    expected = verifier_intervals(_scored(1), 200)
    for metric in ("balanced accuracy", "AUROC pooled", "AUROC within"):
        assert (rows.loc["a_l1_s0", f"{metric} low"], rows.loc["a_l1_s0", f"{metric} high"]) == \
            pytest.approx(expected[metric][1:])
    assert rows.loc["a_l1_s0", "balanced accuracy"] == pytest.approx(expected["balanced accuracy"][0])
    assert rows.loc["a_l1_s0", "AUROC pooled"] == 0.6  # the verifier table's point, as before
    assert rows.loc["base", ["balanced accuracy", "AUROC pooled low"]].isna().all()  # not scored: no interval
    text = render_table([DESIGN_A], 1, rows.reset_index())
    assert "| balanced accuracy |" in text


def test_lambda_points_carry_every_verifier_metric():
    def arm(coef, seed, value):
        row = {"design": "a", "verify_coef": coef, "seed": seed}
        for metric in ("pass@1", "verifier accuracy", "balanced accuracy", "AUROC pooled", "AUROC within"):
            row.update({metric: value, f"{metric} low": value - 0.1, f"{metric} high": value + 0.05})
        return row
    points = lambda_points(pd.DataFrame([arm(0.0, 0, 0.5), arm(1.0, 0, 0.6), arm(1.0, 1, 0.8)])).set_index("verify_coef")
    assert points.loc[0.0, "AUROC within"] == 0.5 and points.loc[0.0, "AUROC within low"] == pytest.approx(0.4)
    half = 12.706 * math.sqrt(0.02) / math.sqrt(2)  # two seeds, sd 0.1414
    assert points.loc[1.0, "balanced accuracy"] == pytest.approx(0.7)
    assert points.loc[1.0, "AUROC pooled high"] == pytest.approx(0.7 + half)
    # rows without the new metrics (an older table) give NaN for them
    old = lambda_points(pd.DataFrame([{"design": "a", "verify_coef": 1.0, "seed": 0, "pass@1": 0.5,
                                       "pass@1 low": 0.4, "pass@1 high": 0.6}])).iloc[0]
    assert math.isnan(old["AUROC within"]) and old["pass@1"] == 0.5
