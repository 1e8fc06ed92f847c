"""The lambda_sweep figure (rlv/figures/lambda_sweep.py): pass@1 against verifier accuracy, one point per lambda
and the warm start, drawn from hand-made arm rows; rows without a lambda draw nothing."""

import importlib
import math

import pandas as pd
import pytest

from rlv.figures import FIGURES

WARM = {"design": "warm start", "verify_coef": math.nan, "seed": math.nan, "pass@1": 0.3, "verifier accuracy": 0.5}


@pytest.fixture
def drawn(monkeypatch):
    """The figures lambda_sweep saves, kept open for a look at their points."""
    module = importlib.import_module("rlv.figures.lambda_sweep")  # the package binds the name to the function
    figures, save = [], module.save_figure
    monkeypatch.setattr(module, "save_figure", lambda figure, out: (figures.append(figure), save(figure, out)))
    return figures


def test_lambda_sweep_figure_draws_png_and_pdf(tmp_path, drawn):
    rows = pd.DataFrame([WARM] +
                        [{"design": "a", "verify_coef": c, "seed": 0, "pass@1": 0.4 + c / 10, "pass@1 low": 0.35,
                          "pass@1 high": 0.6, "verifier accuracy": 0.6, "verifier accuracy low": 0.55,
                          "verifier accuracy high": 0.65} for c in (0.0, 0.3, 1.0)])
    FIGURES["lambda_sweep"](arms=rows, out=str(tmp_path / "lambda_sweep.png"), params={})
    assert (tmp_path / "lambda_sweep.png").stat().st_size > 0 and (tmp_path / "lambda_sweep.pdf").stat().st_size > 0
    axis = drawn[0].axes[0]
    assert [text.get_text() for text in axis.get_legend().get_texts()] == [
        "λ = 0", "λ = 0.3", "λ = 1", "warm start (no RL)"]
    assert "problem-bootstrap interval (one seed)" in " ".join(text.get_text() for text in axis.texts)


def test_lambda_sweep_needs_an_arm_with_a_lambda(tmp_path):
    with pytest.raises(ValueError, match="lambda_sweep needs at least one arm with a verify_coef"):
        FIGURES["lambda_sweep"](arms=pd.DataFrame([WARM]), out=str(tmp_path / "lambda_sweep.png"), params={})
