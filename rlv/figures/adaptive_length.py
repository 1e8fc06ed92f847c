"""Adaptive length: accuracy against the mean tokens spent per problem, adaptive budgets vs fixed budgets.

Reads the adaptive table of the `sequential_tables` rule (rlv.analysis.sequential.adaptive_table): per run, one point
per fixed budget (weighted vote by p(Yes) of the N samples at that budget; tokens = reasoning + forced answers of
the N samples) joined by a dashed line, and one point per confidence threshold tau of the adaptive rule (grow
the budget until the vote's winning share of p(Yes) weight reaches tau; tokens include the forced answers of
every budget visited) joined by a solid line, each labelled with its tau. A point above and left of the fixed
curve is more accurate for its tokens.

The adaptive rule pays a forced answer out of every unfinished sample at every budget it checks, the smallest
ones included, where nearly every sample is forced and nothing may be solved; a fixed budget pays its own forced
answers only. On the default's verbose task those checks are about a quarter of the adaptive rule's tokens near
the 128-token budget. A note under the axis gives, per run, the share of tokens that are forced answers (the
table's `forced_share`) at the fixed budgets and under the adaptive rule, so the gap can be read with and
without them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import ScalarFormatter

from rlv.figures.style import save_figure


def adaptive_length(adaptive: pd.DataFrame, out: str, params: dict) -> None:
    labels = params.get("labels", {})
    figure, axis = plt.subplots(figsize=(6.8, 4.6))
    for color, run in zip(("C0", "C3", "C2", "C4"), dict.fromkeys(adaptive["run"])):
        rows = adaptive[adaptive["run"] == run]
        fixed = rows[rows["mode"] == "fixed"].sort_values("mean_tokens")
        adaptive_rows = rows[rows["mode"] == "adaptive"].sort_values("mean_tokens")
        name = labels.get(run, run)
        axis.plot(fixed["mean_tokens"], fixed["accuracy"], "s--", color=color, alpha=0.6, lw=1,
                  label=f"{name}: fixed budget")
        for point in fixed.itertuples(index=False):
            axis.annotate(f"B={point.budget}", (point.mean_tokens, point.accuracy), fontsize=7, color=color,
                          xytext=(3, -10), textcoords="offset points")
        axis.plot(adaptive_rows["mean_tokens"], adaptive_rows["accuracy"], "o-", color=color,
                  label=f"{name}: adaptive (grow until confident)")
        same_point = adaptive_rows.groupby(["mean_tokens", "accuracy"], sort=False)["threshold"]
        for (tokens, accuracy), taus in same_point:  # thresholds that stop alike share one label
            axis.annotate("τ=" + ", ".join(f"{tau:g}" for tau in taus), (tokens, accuracy), fontsize=7, color=color,
                          xytext=(3, 4), textcoords="offset points")
    notes = []
    for run in dict.fromkeys(adaptive["run"]):
        rows = adaptive[adaptive["run"] == run]
        if "forced_share" not in rows:
            break
        shares = {mode: rows[rows["mode"] == mode]["forced_share"].dropna() for mode in ("fixed", "adaptive")}
        span = lambda values: (f"{values.min():.0%}-{values.max():.0%}" if len(values) else "-")  # noqa: E731
        notes.append(f"{labels.get(run, run)}: forced answers are {span(shares['fixed'])} of the tokens at fixed "
                     f"budgets, {span(shares['adaptive'])} under the adaptive rule (it pays every budget it checks)")
    if notes:
        axis.text(0.0, -0.2, "\n".join(notes), transform=axis.transAxes, fontsize=7, color="0.35", va="top")
    axis.set_xscale("log", base=2)
    axis.xaxis.set_major_formatter(ScalarFormatter())
    axis.set_xlabel("mean tokens per problem (all N samples, forced answers included)")
    axis.set_ylabel("accuracy: vote weighted by p(Yes)")
    axis.set_title("Adaptive length vs fixed budgets", fontsize=11)
    axis.legend(fontsize=7, frameon=False, loc="best")
    figure.tight_layout()
    save_figure(figure, out)
