"""The sequential_parallel figure (rlv/figures/sequential_parallel.py): accuracy against the token budget and the
per-budget ratio, drawn from the tables of random budget-forced samples of two runs."""

import numpy as np

from helpers import random_budget_frame
from rlv.analysis.sequential import ratio_table, strategy_table
from rlv.figures import FIGURES

STRATEGIES = ["pass_at_n", "majority", "best_of_n:p_yes", "weighted_vote:p_yes"]


def test_sequential_parallel_draws_png_and_pdf(tmp_path):
    rng = np.random.default_rng(0)
    scored = {run: random_budget_frame(rng).assign(run=run) for run in ("a", "b")}
    table = strategy_table(scored, STRATEGIES, num_bootstrap=50)
    ratios = ratio_table(scored, table, "a", "b", STRATEGIES, num_bootstrap=50)
    FIGURES["sequential_parallel"](budget_strategies=table, ratios=ratios, out=str(tmp_path / "s.png"), params={})
    assert (tmp_path / "s.png").stat().st_size > 10_000 and (tmp_path / "s.pdf").stat().st_size > 0
