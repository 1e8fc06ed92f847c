"""The lambda_sweep figure (rlv/figures/lambda_sweep.py): pass@1 and the verifier's pooled and within-problem AUROC
and balanced accuracy per lambda, with their intervals and the warm start, drawn from hand-made arm rows; rows
without a lambda draw nothing."""

import importlib
import math

import numpy as np
import pandas as pd
import pytest

from rlv.figures import FIGURES

METRICS = ("pass@1", "verifier accuracy", "balanced accuracy", "AUROC pooled", "AUROC within")
WARM = {"design": "warm start", "verify_coef": math.nan, "seed": math.nan, "pass@1": 0.3, "verifier accuracy": 0.5,
        "balanced accuracy": 0.5, "AUROC pooled": 0.55, "AUROC within": 0.5}


@pytest.fixture
def drawn(monkeypatch):
    """The figures lambda_sweep saves, kept open for a look at their points."""
    module = importlib.import_module("rlv.figures.lambda_sweep")  # the package binds the name to the function
    figures, save = [], module.save_figure
    monkeypatch.setattr(module, "save_figure", lambda figure, out: (figures.append(figure), save(figure, out)))
    return figures


def arm(coef: float, seed: int, shift: float = 0.0) -> dict:
    row = {"design": "a", "verify_coef": coef, "seed": seed}
    for k, metric in enumerate(METRICS):
        value = 0.4 + 0.05 * k + coef / 10 + shift
        row.update({metric: value, f"{metric} low": value - 0.05, f"{metric} high": value + 0.02})
    return row


def _line_data(axis, label):
    """(x, y) of the error-bar series drawn with `label`."""
    container = next(c for c in axis.containers if c.get_label() == label)
    line = container.lines[0]
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def test_lambda_sweep_draws_the_verifier_metrics_per_lambda(tmp_path, drawn):
    rows = pd.DataFrame([WARM] + [arm(c, 0) for c in (0.0, 0.3, 1.0)])
    FIGURES["lambda_sweep"](arms=rows, out=str(tmp_path / "lambda_sweep.png"), params={})
    assert (tmp_path / "lambda_sweep.png").stat().st_size > 0 and (tmp_path / "lambda_sweep.pdf").stat().st_size > 0
    reasoner, verifier = drawn[0].axes
    assert [text.get_text() for text in verifier.get_legend().get_texts()] == [
        "chance", "AUROC pooled", "AUROC within problem", "balanced accuracy (p(Yes) > 0.5)"]
    assert [tick.get_text() for tick in verifier.get_xticklabels()] == ["warm\nstart", "0", "0.3", "1"]
    # one point per lambda at its position (shifted a little per metric), at the arm's value
    x, y = _line_data(verifier, "AUROC within problem")
    assert x.tolist() == pytest.approx([0, 1, 2]) and y.tolist() == pytest.approx([0.6, 0.63, 0.7])
    x, y = _line_data(reasoner, "pass@1")
    assert y.tolist() == pytest.approx([0.4, 0.43, 0.5])
    # threshold accuracy is not drawn (it follows 1 - pass@1 when p(Yes) is miscalibrated)
    assert all("threshold" not in c.get_label() and "verifier accuracy" not in c.get_label() for c in verifier.containers)
    assert "problem-bootstrap interval (one seed)" in " ".join(text.get_text() for text in reasoner.texts)


def test_lambda_sweep_with_seeds_draws_their_mean_and_t_interval(tmp_path, drawn):
    rows = pd.DataFrame([arm(0.0, s, 0.02 * s) for s in range(3)] + [arm(1.0, s, 0.02 * s) for s in range(3)])
    FIGURES["lambda_sweep"](arms=rows, out=str(tmp_path / "lambda_sweep.png"), params={})
    reasoner, verifier = drawn[0].axes
    x, y = _line_data(verifier, "AUROC pooled")
    assert y.tolist() == pytest.approx([0.55 + 0.02, 0.65 + 0.02])  # means over the seeds
    assert [tick.get_text() for tick in verifier.get_xticklabels()] == ["0", "1"]  # no warm start row
    assert "95% t-interval over 3 seeds" in " ".join(text.get_text() for text in reasoner.texts)


def test_lambda_sweep_needs_an_arm_with_a_lambda(tmp_path):
    with pytest.raises(ValueError, match="lambda_sweep needs at least one arm with a verify_coef"):
        FIGURES["lambda_sweep"](arms=pd.DataFrame([WARM]), out=str(tmp_path / "lambda_sweep.png"), params={})
