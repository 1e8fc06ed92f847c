"""The strategies figure (rlv/figures/strategies.py): the curve selection in a fixed order, and the figure drawn
from a real sweep over synthetic scored samples."""

import pytest

from helpers import strategy_scored, sweep_and_verifier
from rlv.figures import FIGURES
from rlv.figures.strategies import strategy_curves


@pytest.fixture(scope="module")
def tables():
    return sweep_and_verifier(strategy_scored())


def test_strategy_curves_are_the_runs_rows_in_a_fixed_order(tables):
    curves, _ = tables
    keys = [key for key, _ in strategy_curves(curves, "test", "grpo_v")]
    assert keys == [("majority", ""), ("best_of_n", "p_yes"), ("weighted_vote", "p_yes"),
                    ("best_of_n", "mean_logprob"), ("weighted_vote", "mean_logprob"), ("pass_at_n", "")]
    for _, rows in strategy_curves(curves, "test", "grpo_v"):
        assert list(rows["n"]) == [1, 2, 4, 8] and set(rows["run"]) == {"grpo_v"}
    with pytest.raises(ValueError, match="run='nope'"):
        strategy_curves(curves, "test", "nope")


def test_strategies_figure_writes_png_and_pdf(tables, tmp_path):
    curves, _ = tables
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "separate_verifier_run": "grpo+verifier",
              "labels": {"grpo": "GRPO", "grpo_v": "GRPO$^V$"}}
    FIGURES["strategies"](sweep=curves, out=str(tmp_path / "strategies.png"), params=params)
    assert (tmp_path / "strategies.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "strategies.pdf").read_bytes()[:4] == b"%PDF"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
