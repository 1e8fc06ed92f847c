"""Sequential x parallel scaling: accuracy against the token budget with N fixed, and RL^V's ratio per budget.

Reads the tables of the `sequential_tables` rule (rlv.analysis.sequential): accuracy per (run, budget, strategy) at N
samples, an answer forced where a budget runs out, and per budget each run's best strategy and the ratio RL^V
best / base best with its paired bootstrap CI. Left: per run, the best strategy's accuracy at each budget (a
solid line with the strategy written at each point and the bootstrap CI as a band), its majority vote (thin,
dashed) and pass@N (thin, dotted; an oracle selector); the x axis is the budget in tokens (log 2). Right: the
ratio per budget with its CI, 1 (no gain) as a line and the paper's 1.2-1.6x as a band.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from rlv.figures.style import save_figure

SHORT = {"majority": "maj", "best_of_n:p_yes": "BoN p(Y)", "weighted_vote:p_yes": "wv p(Y)",
         "best_of_n:mean_logprob": "BoN lp", "weighted_vote:mean_logprob": "wv lp"}


def sequential_parallel(budget_strategies: pd.DataFrame, ratios: pd.DataFrame, out: str, params: dict) -> None:
    labels = params.get("labels", {})
    runs = [ratios["base_run"].iloc[0], ratios["verifier_run"].iloc[0]]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4.3), gridspec_kw={"width_ratios": [1.4, 1]})
    for color, run, role in zip(("C0", "C3"), runs, ("base", "verifier")):
        best = []
        for row in ratios.itertuples(index=False):
            strategy = getattr(row, f"{role}_strategy")
            cell = budget_strategies[(budget_strategies["run"] == run) & (budget_strategies["budget"] == row.budget)
                                     & (budget_strategies["strategy"] == strategy)].iloc[0]
            best.append((row.budget, cell["accuracy"], cell["ci_low"], cell["ci_high"], strategy))
        frame = pd.DataFrame(best, columns=["budget", "accuracy", "ci_low", "ci_high", "strategy"])
        n = int(budget_strategies["n"].max())
        left.plot(frame["budget"], frame["accuracy"], marker="o", color=color,
                  label=f"{labels.get(run, run)}: best strategy at N={n}")
        left.fill_between(frame["budget"], frame["ci_low"], frame["ci_high"], color=color, alpha=0.12, lw=0)
        for point in frame.itertuples(index=False):
            left.annotate(SHORT.get(point.strategy, point.strategy), (point.budget, point.accuracy), fontsize=7,
                          color=color, xytext=(3, -10 if role == "base" else 5), textcoords="offset points")
        for strategy, style, text in (("majority", "--", "majority"), ("pass_at_n", ":", "pass@N")):
            rows = budget_strategies[(budget_strategies["run"] == run) & (budget_strategies["strategy"] == strategy)]
            if len(rows):
                rows = rows.sort_values("budget")
                left.plot(rows["budget"], rows["accuracy"], style, color=color, lw=0.9, alpha=0.7,
                          label=f"{labels.get(run, run)}: {text}")
    left.set_xscale("log", base=2)
    left.set_xticks(sorted(ratios["budget"]), [str(b) for b in sorted(ratios["budget"])])
    left.set_xlabel("token budget (answer forced where it runs out)")
    left.set_ylabel("accuracy (test)")
    left.set_title("Accuracy vs generation budget, N fixed", fontsize=11)
    left.legend(fontsize=7, frameon=False, loc="best")
    right.axhspan(1.2, 1.6, color="0.85", lw=0, label="paper: 1.2-1.6x")
    right.axhline(1.0, color="0.4", lw=0.8)
    lower = (ratios["ratio"] - ratios["ci_low"]).clip(lower=0)
    upper = (ratios["ci_high"] - ratios["ratio"]).clip(lower=0)
    right.errorbar(ratios["budget"], ratios["ratio"], yerr=[lower, upper], fmt="o-", color="C3", capsize=3,
                   label=f"{labels.get(runs[1], runs[1])} best / {labels.get(runs[0], runs[0])} best (95% CI)")
    undefined = ratios[ratios["base_accuracy"] == 0]["budget"]
    if len(undefined):  # 0/0 or x/0: no ratio to draw at these budgets
        right.text(0.02, 0.02, "undefined (base accuracy 0) at budget " + ", ".join(map(str, undefined)),
                   transform=right.transAxes, fontsize=7, color="0.35")
    right.set_xscale("log", base=2)
    right.set_xticks(sorted(ratios["budget"]), [str(b) for b in sorted(ratios["budget"])])
    for axis in (left, right):
        axis.set_xlim(ratios["budget"].min() / 1.3, ratios["budget"].max() * 1.3)
    right.set_xlabel("token budget")
    right.set_ylabel("accuracy ratio")
    right.set_title("Compute-optimal strategy per budget", fontsize=11)
    right.legend(fontsize=7, frameon=False, loc="best")
    figure.tight_layout()
    save_figure(figure, out)
