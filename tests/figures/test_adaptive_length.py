"""The adaptive_length figure (rlv/figures/adaptive_length.py): accuracy against the mean tokens per problem of
adaptive and fixed budgets, drawn from the adaptive table of random budget-forced samples of two runs, with the
share of tokens that are forced answers noted per run."""

import importlib

import numpy as np

from helpers import random_budget_frame
from rlv.analysis.sequential import adaptive_table
from rlv.figures import FIGURES


def test_adaptive_length_draws_png_and_pdf_and_notes_the_forced_answers(tmp_path, monkeypatch):
    module = importlib.import_module("rlv.figures.adaptive_length")
    figures, save = [], module.save_figure
    monkeypatch.setattr(module, "save_figure", lambda figure, out: (figures.append(figure), save(figure, out)))
    rng = np.random.default_rng(0)
    scored = {run: random_budget_frame(rng).assign(run=run) for run in ("a", "b")}
    table = adaptive_table(scored, [0.5, 0.9])
    FIGURES["adaptive_length"](adaptive=table, out=str(tmp_path / "a.png"), params={"labels": {"a": "A"}})
    assert (tmp_path / "a.png").stat().st_size > 10_000 and (tmp_path / "a.pdf").stat().st_size > 0
    note = " ".join(text.get_text() for text in figures[0].axes[0].texts)
    fixed = table[(table["run"] == "a") & (table["mode"] == "fixed")]["forced_share"]
    adaptive = table[(table["run"] == "a") & (table["mode"] == "adaptive")]["forced_share"]
    assert (f"A: forced answers are {fixed.min():.0%}-{fixed.max():.0%} of the tokens at fixed budgets, "
            f"{adaptive.min():.0%}-{adaptive.max():.0%} under the adaptive rule") in note
