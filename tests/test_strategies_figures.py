"""The strategies and verifier-quality figures: reliability bins and ECE against hand computations, the
curve and scorer selection, and both figures drawn from a real sweep over synthetic scored samples."""

import numpy as np
import pandas as pd
import pytest

from rlv.analysis.aggregate import sweep, verifier_metrics
from rlv.figures import FIGURES
from rlv.figures.strategies import strategy_curves
from rlv.figures.verifier_quality import expected_calibration_error, reliability_bins, scorer_rows
from test_figures_and_summary import STRATEGIES, scored_samples


@pytest.fixture(scope="module")
def scored():
    frames = [scored_samples(run, 0.45, seed) for seed, run in enumerate(["base", "grpo", "grpo_v"])]
    separate = frames[1].assign(run="grpo+verifier", p_yes=np.clip(frames[1]["p_yes"] * 0.8 + 0.1, 0, 1))
    return [*frames, separate]


@pytest.fixture(scope="module")
def tables(scored):
    curves = pd.concat([sweep(f, [1, 2, 4, 8], STRATEGIES, 30, 50, 0.95, 0).assign(run=f["run"].iloc[0], dataset="test")
                        for f in scored], ignore_index=True)
    verifier = pd.DataFrame([{"run": f["run"].iloc[0], "dataset": "test", "score": score, **verifier_metrics(f, score)}
                             for f in scored for score in ("p_yes", "mean_logprob")])
    return curves, verifier


def test_reliability_bins_and_ece_by_hand():
    bins = reliability_bins([0.05, 0.15, 0.12, 0.95, 1.0], [0, 1, 0, 1, 1], num_bins=10)
    assert list(bins["bin"]) == [0, 1, 9] and list(bins["count"]) == [1, 2, 2]
    np.testing.assert_allclose(bins["mean_score"], [0.05, 0.135, 0.975])
    np.testing.assert_allclose(bins["share_correct"], [0.0, 0.5, 1.0])
    # ECE = 1/5 * 0.05 + 2/5 * 0.365 + 2/5 * 0.025
    assert expected_calibration_error(bins) == pytest.approx(0.01 + 0.146 + 0.01)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        reliability_bins([-0.5], [1])


def test_strategy_curves_are_the_runs_rows_in_a_fixed_order(tables):
    curves, _ = tables
    keys = [key for key, _ in strategy_curves(curves, "test", "grpo_v")]
    assert keys == [("majority", ""), ("best_of_n", "p_yes"), ("weighted_vote", "p_yes"),
                    ("best_of_n", "mean_logprob"), ("weighted_vote", "mean_logprob"), ("pass_at_n", "")]
    for _, rows in strategy_curves(curves, "test", "grpo_v"):
        assert list(rows["n"]) == [1, 2, 4, 8] and set(rows["run"]) == {"grpo_v"}
    with pytest.raises(ValueError, match="run='nope'"):
        strategy_curves(curves, "test", "nope")


def test_scorer_rows_label_roles_and_drop_the_copied_log_prob(tables):
    _, verifier = tables
    rows = scorer_rows(verifier, "test", {"base_run": "grpo", "verifier_run": "grpo_v",
                                          "separate_verifier_run": "grpo+verifier",
                                          "labels": {"grpo": "GRPO", "grpo_v": "GRPO^V", "grpo+verifier": "GRPO+SV"}})
    assert list(zip(rows["run"], rows["score"])) == [
        ("base", "p_yes"), ("base", "mean_logprob"), ("grpo", "p_yes"), ("grpo", "mean_logprob"),
        ("grpo_v", "p_yes"), ("grpo_v", "mean_logprob"), ("grpo+verifier", "p_yes")]
    assert list(rows["label"])[2:] == ["GRPO: p(Yes) (prompted)", "GRPO: mean log-prob", "GRPO^V: p(Yes) (unified)",
                                       "GRPO^V: mean log-prob", "GRPO+SV: p(Yes) (separate)"]


def test_both_figures_write_png_and_pdf(tables, scored, tmp_path):
    curves, verifier = tables
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "separate_verifier_run": "grpo+verifier",
              "labels": {"grpo": "GRPO", "grpo_v": "GRPO$^V$"}}
    FIGURES["strategies"](sweep=curves, out=str(tmp_path / "strategies.png"), params=params)
    FIGURES["verifier_quality"](verifier=verifier, scores=scored, out=str(tmp_path / "verifier_quality.png"),
                                params={**params, "num_bins": 10})
    for name in ("strategies", "verifier_quality"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert (tmp_path / f"{name}.pdf").read_bytes()[:4] == b"%PDF"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_parallel_scaling_marks_the_separate_verifier_only_when_swept(tables, tmp_path):
    from rlv.analysis.efficiency import compute_ratios
    from rlv.figures.parallel_scaling import curve_specs
    specs = curve_specs("grpo", "grpo_v", {}, "grpo+verifier")
    assert [(s["run"], s["strategy"], s["score"]) for s in specs if s["run"] == "grpo+verifier"] == [
        ("grpo+verifier", "weighted_vote", "p_yes")]
    assert len(curve_specs("grpo", "grpo_v", {})) == len(specs) - 1
    curves, _ = tables
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "separate_verifier_run": "grpo+verifier"}
    efficiency = compute_ratios(curves, "test", "grpo", "grpo_v")
    for sweep_rows in (curves, curves[curves["run"] != "grpo+verifier"]):  # without it: drawn without the curve
        FIGURES["parallel_scaling"](sweep_rows, str(tmp_path / "parallel_scaling.png"), params, efficiency=efficiency)
        assert (tmp_path / "parallel_scaling.png").read_bytes()[:4] == b"\x89PNG"
