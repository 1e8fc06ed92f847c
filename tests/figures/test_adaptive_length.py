"""The adaptive_length figure (rlv/figures/adaptive_length.py): accuracy against the mean tokens per problem of
adaptive and fixed budgets, drawn from the adaptive table of random budget-forced samples of two runs."""

import numpy as np

from helpers import random_budget_frame
from rlv.analysis.sequential import adaptive_table
from rlv.figures import FIGURES


def test_adaptive_length_draws_png_and_pdf(tmp_path):
    rng = np.random.default_rng(0)
    scored = {run: random_budget_frame(rng).assign(run=run) for run in ("a", "b")}
    FIGURES["adaptive_length"](adaptive=adaptive_table(scored, [0.5, 0.9]), out=str(tmp_path / "a.png"), params={})
    assert (tmp_path / "a.png").stat().st_size > 10_000 and (tmp_path / "a.pdf").stat().st_size > 0
