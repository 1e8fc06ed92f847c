"""Verifier quality per scorer and run: threshold accuracy, AUROC pooled and within a problem, calibration.

Left, from the sweep's verifier table (rlv.analysis.aggregate.verifier_metrics; nothing is recomputed): one bar per
(run, score) in three panels. Scorers: each run's own p("Yes") (for the base RL run that is the base model
prompted with the verification question after RL without verifier training; for the RL^V run the unified
verifier), each run's mean token log-prob (the policy's free verifier; no threshold, so no accuracy), and,
when present, the separately trained verifier's p("Yes") on the base RL run's samples (the pseudo-run
`separate_verifier_run`; its mean log-prob is the base run's and is not repeated), and the base RL run as a
prompted judge that writes a short verification before its verdict (the pseudo-run `judge_run`, rlv.baselines.judge;
its mean log-prob is not repeated either), and the BCE and regression verifier heads' scores (`head_runs`,
rlv.baselines.verifier_heads; likewise). Accuracy bars carry a tick
at the accuracy of always giving the majority verdict (max(c, 1 - c), c the share of correct samples); AUROC
panels a line at chance (0.5). The within-problem AUROC averages over problems with both correct and wrong
samples (their number is in the row label); it is what best-of-N needs, since a verifier that only knows a
problem's difficulty separates pooled samples but not a problem's own.

Right, from the scored samples: a reliability diagram of every p("Yes") scorer. Samples fall into
`num_bins` equal-width bins of p("Yes"); each non-empty bin is a point at (mean p("Yes"), share correct),
its area proportional to the bin's count. The expected calibration error
ECE = sum_b (n_b / n) |mean p_b - share correct_b| is in the legend.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rlv.figures.style import save_figure

METRICS = [("accuracy", "verdict accuracy (p > 0.5)"), ("auroc_pooled", "AUROC, pooled"),
           ("auroc_within", "AUROC within a problem")]
SCORE_NAMES = {"p_yes": "p(Yes)", "mean_logprob": "mean log-prob"}


def reliability_bins(scores: np.ndarray, correct: np.ndarray, num_bins: int = 10) -> pd.DataFrame:
    """Per non-empty equal-width bin of [0, 1]: count, mean score, share correct (1.0 falls in the last bin)."""
    scores, correct = np.asarray(scores, dtype=float), np.asarray(correct, dtype=float)
    if len(scores) and not ((scores >= 0) & (scores <= 1)).all():
        raise ValueError("reliability bins need scores in [0, 1]")
    bins = np.minimum((scores * num_bins).astype(int), num_bins - 1)
    frame = pd.DataFrame({"bin": bins, "score": scores, "correct": correct})
    table = frame.groupby("bin").agg(count=("score", "size"), mean_score=("score", "mean"),
                                     share_correct=("correct", "mean")).reset_index()
    table["low"], table["high"] = table["bin"] / num_bins, (table["bin"] + 1) / num_bins
    return table


def expected_calibration_error(bins: pd.DataFrame) -> float:
    total = bins["count"].sum()
    return float((bins["count"] / total * (bins["mean_score"] - bins["share_correct"]).abs()).sum())


def scorer_rows(verifier: pd.DataFrame, dataset: str, params: dict) -> pd.DataFrame:
    """The verifier table's rows for the dataset, each with a label; the separate verifier's, the prompted
    judge's and the verifier heads' (`head_runs`) copies of their policy's mean log-prob are dropped."""
    labels = params.get("labels", {})
    roles = {params.get("base_run"): {"p_yes": " (prompted)"}, params.get("verifier_run"): {"p_yes": " (unified)"},
             params.get("separate_verifier_run"): {"p_yes": " (separate)"},
             params.get("judge_run"): {"p_yes": " (verification first)"}}
    rows = verifier[verifier["dataset"] == dataset].copy()
    if rows.empty:
        raise ValueError(f"verifier table has no rows for dataset {dataset!r}")
    copies = {params.get("separate_verifier_run"), params.get("judge_run"), *params.get("head_runs", [])} - {None}
    rows = rows[~(rows["run"].isin(copies) & (rows["score"] != "p_yes"))]
    rows["label"] = [f"{labels.get(r, r)}: {SCORE_NAMES.get(s, s)}{roles.get(r, {}).get(s, '')}"
                     for r, s in zip(rows["run"], rows["score"])]
    return rows.reset_index(drop=True)


def verifier_quality(verifier: pd.DataFrame, scores: list[pd.DataFrame], out: str, params: dict) -> None:
    dataset, labels = params["dataset"], params.get("labels", {})
    rows = scorer_rows(verifier, dataset, params)
    samples = {f["run"].iloc[0]: f for f in (f[f["dataset"] == dataset] for f in scores) if len(f)}
    runs = list(dict.fromkeys(rows["run"]))
    colors = {run: f"C{i % 10}" for i, run in enumerate(runs)}
    figure = plt.figure(figsize=(14.5, 0.42 * len(rows) + 2.6))
    grid = figure.add_gridspec(1, 4, width_ratios=[1, 1, 1, 1.5], wspace=0.08)
    bar_axes = [figure.add_subplot(grid[0, 0])]
    bar_axes += [figure.add_subplot(grid[0, i], sharey=bar_axes[0]) for i in (1, 2)]
    positions = np.arange(len(rows))[::-1]
    for axis, (metric, title) in zip(bar_axes, METRICS):
        for y, row in zip(positions, rows.itertuples(index=False)):
            value = getattr(row, metric)
            hatch = "//" if row.score != "p_yes" else None
            if math.isnan(value):
                axis.text(0.02, y, "n/a", va="center", fontsize=7, color="0.4")
            else:
                axis.barh(y, value, color=colors[row.run], alpha=0.8, hatch=hatch, edgecolor="white")
                axis.text(value + 0.01, y, f"{value:.3f}", va="center", fontsize=7)
            if metric == "accuracy" and row.run in samples and not math.isnan(value):
                share = samples[row.run]["correct"].mean()
                axis.plot([max(share, 1 - share)] * 2, [y - 0.4, y + 0.4], color="black", lw=1.2)
        if metric != "accuracy":
            axis.axvline(0.5, color="0.3", lw=0.8, ls="--")
        axis.set_xlim(0, 1.12)
        axis.set_title(title, fontsize=9)
    bar_axes[0].set_yticks(positions, [f"{label} [{int(m)} mixed]" for label, m in
                                       zip(rows["label"], rows["num_mixed_problems"])], fontsize=8)
    for axis in bar_axes[1:]:
        axis.tick_params(labelleft=False)
    bar_axes[0].plot([], [], color="black", lw=1.2, label="always the majority verdict")
    bar_axes[0].legend(fontsize=7, loc="lower right", frameon=False)
    calibration = figure.add_subplot(grid[0, 3])
    calibration.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls="--", label="perfect calibration")
    num_bins = params.get("num_bins", 10)
    for run in runs:
        if run not in samples or "p_yes" not in samples[run]:
            continue
        bins = reliability_bins(samples[run]["p_yes"], samples[run]["correct"], num_bins)
        calibration.plot(bins["mean_score"], bins["share_correct"], color=colors[run], lw=1,
                         label=f"{labels.get(run, run)} (ECE {expected_calibration_error(bins):.3f})")
        calibration.scatter(bins["mean_score"], bins["share_correct"], s=8 + 120 * bins["count"] / bins["count"].sum(),
                            color=colors[run], alpha=0.8)
    calibration.set_xlim(0, 1)
    calibration.set_ylim(0, 1)
    calibration.set_aspect("equal")
    calibration.yaxis.tick_right()
    calibration.yaxis.set_label_position("right")
    calibration.set_xlabel('p("Yes") (bin mean)')
    calibration.set_ylabel("share of correct solutions")
    calibration.set_title(f"calibration ({num_bins} bins; area ~ samples)", fontsize=9)
    calibration.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    figure.suptitle(f"Verifier quality on {dataset}: scorers of every run's test samples", fontsize=11)
    save_figure(figure, out)
