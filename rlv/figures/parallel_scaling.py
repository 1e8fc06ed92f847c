"""Parallel scaling (the paper's main figure): test accuracy against the number of sampled solutions N.

Curves, each with its bootstrap CI band: the base RL run with majority vote and with the free log-prob
verifier (weighted vote by exp(mean token log-prob)); the RL^V run with best-of-N and weighted vote by its
own p("Yes"); pass@N of both runs (dashed) as the upper bound any selection could reach; and, when the
sweep has it (params `separate_verifier_run`), the base run's samples in a weighted vote by a separately
trained verifier's p("Yes") (dash-dotted), and (params `judge_run`) in a weighted vote by the p("Yes") of the
base run as a prompted judge that writes a short verification first (rlv.baselines.judge; dash-dotted).

Given the compute-ratio table (rlv.analysis.efficiency), the figure marks RL^V's strategy that is best at N_max
against the base run's majority vote: a horizontal arrow at each accuracy level from N_RLV(a) to
N_base(a), labelled with the ratio (">" where the base never reaches the level by N_max), and a note
beside the legend with every level's ratio and the relative accuracy gain at N_max.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd

from rlv.analysis.efficiency import best_strategy_at_n_max, curve
from rlv.figures.style import save_figure


def curve_specs(base: str, verifier: str, labels: dict, separate: str | None = None,
                judge: str | None = None) -> list[dict]:
    """The curves: base RL's majority and log-prob vote, RL^V's best-of-N and weighted vote, pass@N of both;
    with `separate` (the separate-verifier pseudo-run), its weighted vote by the separate verifier's p(Yes);
    with `judge` (the prompted-judge pseudo-run), its weighted vote by the judge's p(Yes)."""
    b, v = labels.get(base, base), labels.get(verifier, verifier)
    extra = [{"run": separate, "strategy": "weighted_vote", "score": "p_yes",
              "label": f"{labels.get(separate, separate)}: weighted vote", "color": "C2", "ls": "-."}] if separate else []
    if judge:
        extra.append({"run": judge, "strategy": "weighted_vote", "score": "p_yes",
                      "label": f"{labels.get(judge, judge)}: weighted vote", "color": "C4", "ls": "-."})
    return [
        {"run": base, "strategy": "majority", "score": "", "label": f"{b}: majority vote", "color": "C0", "ls": "-"},
        {"run": base, "strategy": "weighted_vote", "score": "mean_logprob", "label": f"{b}: vote weighted by log-prob",
         "color": "C0", "ls": ":"},
        {"run": verifier, "strategy": "best_of_n", "score": "p_yes", "label": f"{v}: best-of-N", "color": "C3", "ls": "-"},
        {"run": verifier, "strategy": "weighted_vote", "score": "p_yes", "label": f"{v}: weighted vote",
         "color": "C1", "ls": "-"},
        *extra,
        {"run": base, "strategy": "pass_at_n", "score": "", "label": f"{b}: pass@N", "color": "0.55", "ls": "--"},
        {"run": verifier, "strategy": "pass_at_n", "score": "", "label": f"{v}: pass@N", "color": "0.25", "ls": "--"},
    ]


def mark_compute_ratio(axis, sweep: pd.DataFrame, efficiency: pd.DataFrame, params: dict) -> None:
    """Arrows N_RLV(a) -> N_base(a) at each level, and a note listing the ratios and the gain at N_max."""
    dataset, base, verifier = params["dataset"], params["base_run"], params["verifier_run"]
    ratios = efficiency[efficiency["dataset"] == dataset]
    best = best_strategy_at_n_max(sweep, dataset, verifier, list(ratios["verifier_strategy"].unique()))
    ratios = ratios[ratios["verifier_strategy"] == best]
    n_max = sweep[sweep["dataset"] == dataset]["n"].max()
    lines = [f"N_base / N_RLV at RL^V's accuracy\n({best} vs majority):"]
    for row in ratios.itertuples(index=False):
        if not math.isnan(row.ratio):
            end, text = row.n_base, f"{row.ratio:.2f}x"
        elif not math.isnan(row.ratio_at_least):
            end, text = n_max, f">{row.ratio_at_least:.2f}x"
        else:
            lines.append(f"  {row.target_accuracy:.3f} (N={row.level_n}): undefined")
            continue
        lines.append(f"  {row.target_accuracy:.3f} (N={row.level_n}): {text}")
        axis.annotate("", xy=(end, row.target_accuracy), xytext=(row.n_verifier, row.target_accuracy),
                      arrowprops={"arrowstyle": "->", "color": "0.15", "lw": 0.8})
        axis.text(math.sqrt(end * row.n_verifier), row.target_accuracy, text, fontsize=7, ha="center", va="bottom")
    final = curve(sweep, dataset, verifier, best)["accuracy"].iloc[-1]
    base_final = curve(sweep, dataset, base, "majority")["accuracy"].iloc[-1]
    lines.append(f"gain at N={n_max}: {final / base_final - 1:+.1%}")
    axis.text(1.02, 0.0, "\n".join(lines), transform=axis.transAxes, fontsize=7, va="bottom", ha="left",
              family="monospace")


def draw_curves(axis, frame: pd.DataFrame, specs: list[dict], dataset: str) -> list[int]:
    """Accuracy vs N (log2 axis) with CI bands, one curve per spec (run, strategy, score, style); returns the Ns."""
    for spec in specs:
        rows = frame[(frame["run"] == spec["run"]) & (frame["strategy"] == spec["strategy"])
                     & (frame["score"] == spec["score"])].sort_values("n")
        if rows.empty:
            raise ValueError(f"sweep has no rows for run={spec['run']!r} strategy={spec['strategy']!r} "
                             f"score={spec['score']!r} on dataset {dataset!r}")
        axis.plot(rows["n"], rows["accuracy"], color=spec["color"], ls=spec["ls"], marker="o", ms=3,
                  label=spec["label"])
        axis.fill_between(rows["n"], rows["ci_low"], rows["ci_high"], color=spec["color"], alpha=0.12, lw=0)
    axis.set_xscale("log", base=2)
    ns = sorted(frame["n"].unique())
    axis.set_xticks(ns, [str(n) for n in ns])
    axis.minorticks_off()
    axis.set_xlabel("number of sampled solutions N")
    return ns


def parallel_scaling(sweep: pd.DataFrame, out: str, params: dict, efficiency: pd.DataFrame | None = None) -> None:
    base, verifier = params["base_run"], params["verifier_run"]
    frame = sweep[sweep["dataset"] == params["dataset"]]
    figure, axis = plt.subplots(figsize=(8.6, 5.0))
    separate = params.get("separate_verifier_run")
    separate = separate if separate in set(frame["run"]) else None  # sweeps made without it still draw
    judge = params.get("judge_run")
    judge = judge if judge in set(frame["run"]) else None
    draw_curves(axis, frame, curve_specs(base, verifier, params.get("labels", {}), separate, judge),
                params["dataset"])
    axis.set_ylabel(f"accuracy on {params['dataset']}")
    axis.set_title("Parallel scaling: one model as reasoner and verifier")
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    if efficiency is not None:
        mark_compute_ratio(axis, sweep, efficiency, params)
    save_figure(figure, out)
