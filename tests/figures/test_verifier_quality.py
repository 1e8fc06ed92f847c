"""The verifier-quality figure (rlv/figures/verifier_quality.py): reliability bins and ECE against hand
computations, the scorer rows (roles, labels, the copied log-prob dropped, only the heads' own scores), and the
figure drawn from a real sweep over synthetic scored samples."""

import numpy as np
import pytest

from helpers import head_tables, strategy_scored, sweep_and_verifier
from rlv.figures import FIGURES
from rlv.figures.verifier_quality import expected_calibration_error, reliability_bins, scorer_rows


@pytest.fixture(scope="module")
def scored():
    return strategy_scored()


@pytest.fixture(scope="module")
def tables(scored):
    return sweep_and_verifier(scored)


def test_reliability_bins_and_ece_by_hand():
    bins = reliability_bins([0.05, 0.15, 0.12, 0.95, 1.0], [0, 1, 0, 1, 1], num_bins=10)
    assert list(bins["bin"]) == [0, 1, 9] and list(bins["count"]) == [1, 2, 2]
    np.testing.assert_allclose(bins["mean_score"], [0.05, 0.135, 0.975])
    np.testing.assert_allclose(bins["share_correct"], [0.0, 0.5, 1.0])
    # ECE = 1/5 * 0.05 + 2/5 * 0.365 + 2/5 * 0.025
    assert expected_calibration_error(bins) == pytest.approx(0.01 + 0.146 + 0.01)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        reliability_bins([-0.5], [1])


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


def test_verifier_quality_keeps_only_the_heads_scores():
    _, verifier, _ = head_tables()
    rows = scorer_rows(verifier, "test", {"base_run": "grpo", "verifier_run": "grpo_v",
                                          "separate_verifier_run": "grpo+verifier",
                                          "head_runs": ["grpo+bce", "grpo+regression"]})
    assert list(zip(rows["run"], rows["score"])) == [
        ("grpo", "p_yes"), ("grpo", "mean_logprob"), ("grpo_v", "p_yes"), ("grpo_v", "mean_logprob"),
        ("grpo+verifier", "p_yes"), ("grpo+bce", "p_yes"), ("grpo+regression", "p_yes")]


def test_verifier_quality_figure_writes_png_and_pdf(tables, scored, tmp_path):
    _, verifier = tables
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "separate_verifier_run": "grpo+verifier",
              "labels": {"grpo": "GRPO", "grpo_v": "GRPO$^V$"}}
    FIGURES["verifier_quality"](verifier=verifier, scores=scored, out=str(tmp_path / "verifier_quality.png"),
                                params={**params, "num_bins": 10})
    assert (tmp_path / "verifier_quality.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "verifier_quality.pdf").read_bytes()[:4] == b"%PDF"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
