"""The lambda sweep: what the verification loss's weight lambda does to the reasoner and to the verifier.

Reads the rows of the `lambda_sweep` design search (results/experiments/lambda_sweep.parquet, one row per
(design, lambda, seed) arm and one for the warm start) and reduces them with `rlv.analysis.designs.lambda_points`:
each point is the mean over seeds with the 95% seed t-interval as error bars when the search has two or more
seeds, else the single seed's 95% problem-bootstrap intervals. Lambda is on the x-axis of both panels, one
position per swept value (0 has no place on a log axis, so positions, labelled with the values). Left: reasoner
pass@1. Right: the verifier, p(Yes) against correctness on the test samples: pooled AUROC (over all samples),
within-problem AUROC (over a problem's own samples, mixed problems only: what picking among a problem's samples
needs) and balanced accuracy at p(Yes) > 0.5; the dotted line at 0.5 is chance for all three. Each seed's own
arm is a small faint dot; the warm-started base model (no RL) is a grey-filled marker at the left where its
values are known. Threshold accuracy (p(Yes) > 0.5 against correct) is not drawn: with a miscalibrated p(Yes) it is about
1 - pass@1 whatever the verifier ranks (the search table still lists it).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd

from rlv.analysis.designs import lambda_points
from rlv.figures.style import save_figure

VERIFIER_METRICS = (("AUROC pooled", "AUROC pooled", "o", "C0"), ("AUROC within", "AUROC within problem", "s", "C3"),
                    ("balanced accuracy", "balanced accuracy (p(Yes) > 0.5)", "^", "C2"))


def _errors(points: pd.DataFrame, metric: str) -> list[list[float]]:
    lower = (points[metric] - points[f"{metric} low"]).fillna(0).clip(lower=0)
    upper = (points[f"{metric} high"] - points[metric]).fillna(0).clip(lower=0)
    return [lower.tolist(), upper.tolist()]


def _panel(axis, points: pd.DataFrame, trained: pd.DataFrame, warm: pd.DataFrame, metric: str, label: str,
           marker: str, color: str, offset: float) -> None:
    """One metric per lambda position (shifted by `offset`), with its interval, its seeds and the warm start."""
    positions = [i + offset for i in range(len(points))]
    for position, (_, point) in zip(positions, points.iterrows()):
        seeds = trained[trained["verify_coef"] == point["verify_coef"]]
        if len(seeds) > 1 and metric in seeds:
            axis.scatter([position] * len(seeds), seeds[metric], s=12, color=color, alpha=0.3, lw=0)
    axis.errorbar(positions, points[metric], yerr=_errors(points, metric), fmt=marker + "-", color=color, ms=6,
                  lw=1, capsize=3, label=label)
    if len(warm) and metric in warm and not math.isnan(float(warm[metric].iloc[0])):
        axis.scatter([-1 + offset], [float(warm[metric].iloc[0])], marker=marker, s=36, color="0.8", edgecolor=color,
                     lw=1.2, zorder=3)


def lambda_sweep(arms: pd.DataFrame, out: str, params: dict) -> None:
    points = lambda_points(arms)
    if points.empty:
        raise ValueError("lambda_sweep needs at least one arm with a verify_coef (lambda)")
    trained, warm = arms[arms["verify_coef"].notna()], arms[arms["verify_coef"].isna()]
    figure, (reasoner, verifier) = plt.subplots(1, 2, figsize=(9.6, 4.2))
    _panel(reasoner, points, trained, warm, "pass@1", "pass@1", "o", "0.2", 0.0)
    for k, (metric, label, marker, color) in enumerate(VERIFIER_METRICS):
        _panel(verifier, points, trained, warm, metric, label, marker, color, (k - 1) * 0.08)
    verifier.axhline(0.5, color="0.5", ls=":", lw=1, label="chance")
    has_warm = len(warm) > 0 and any(m in warm and not math.isnan(float(warm[m].iloc[0]))
                                     for m in ("pass@1", *(v[0] for v in VERIFIER_METRICS)))
    ticks = ([-1] if has_warm else []) + list(range(len(points)))
    labels = (["warm\nstart"] if has_warm else []) + [f"{coef:g}" for coef in points["verify_coef"]]
    for axis in (reasoner, verifier):
        axis.set_xticks(ticks, labels)
        axis.set_xlabel("λ, the verification loss's weight")
    reasoner.set_ylabel("reasoner pass@1 (test)")
    verifier.set_ylabel("verifier: p(Yes) against correctness (test)")
    verifier.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.26), ncol=2)
    interval = ("95% t-interval over " f"{int(points['seeds'].max())} seeds" if points["interval"].eq("seeds").all()
                else "95% problem-bootstrap interval (one seed)")
    figure.suptitle(params.get("title", "The verification loss's weight λ"), fontsize=11)
    reasoner.text(0.0, -0.28, f"bars: {interval}; grey-filled markers: the warm start (no RL)",
                  transform=reasoner.transAxes, fontsize=8, color="0.35", va="top")
    figure.tight_layout()
    save_figure(figure, out)
