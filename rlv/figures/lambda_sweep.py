"""The lambda sweep: reasoner pass@1 (x) against verifier accuracy (y), one point per lambda.

Reads the rows of the `lambda_sweep` design search (results/experiments/lambda_sweep.parquet, one row per
(design, lambda, seed) arm and one for the warm start) and reduces them with `rlv.analysis.designs.lambda_points`:
each point is the mean over seeds with the 95% seed t-interval as error bars when the search has two or more
seeds, else the single seed's 95% problem-bootstrap intervals. Each seed's own arm is a small faint dot; the
warm-started base model (no RL) is a grey reference marker. Verifier accuracy is the share of test samples whose
verdict p(Yes) > 0.5 matches their correctness, so it depends on the share of correct samples as well as on
the verifier (a verifier that always says "No" scores 1 - pass@1).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd

from rlv.analysis.designs import lambda_points
from rlv.figures.style import save_figure


def _errors(points: pd.DataFrame, metric: str) -> list[list[float]]:
    lower = (points[metric] - points[f"{metric} low"]).fillna(0).clip(lower=0)
    upper = (points[f"{metric} high"] - points[metric]).fillna(0).clip(lower=0)
    return [lower.tolist(), upper.tolist()]


def lambda_sweep(arms: pd.DataFrame, out: str, params: dict) -> None:
    points = lambda_points(arms)
    if points.empty:
        raise ValueError("lambda_sweep needs at least one arm with a verify_coef (lambda)")
    figure, axis = plt.subplots(figsize=(5.6, 4.4))
    colors = plt.cm.viridis([i / max(len(points) - 1, 1) * 0.85 for i in range(len(points))])
    trained = arms[arms["verify_coef"].notna()]
    for color, (_, point) in zip(colors, points.iterrows()):
        seeds = trained[trained["verify_coef"] == point["verify_coef"]]
        if len(seeds) > 1:
            axis.scatter(seeds["pass@1"], seeds["verifier accuracy"], s=14, color=[color], alpha=0.35, lw=0)
    axis.errorbar(points["pass@1"], points["verifier accuracy"], xerr=_errors(points, "pass@1"),
                  yerr=_errors(points, "verifier accuracy"), fmt="none", ecolor="0.5", elinewidth=1, capsize=3, zorder=2)
    for color, (_, point) in zip(colors, points.iterrows()):
        axis.scatter([point["pass@1"]], [point["verifier accuracy"]], s=55, color=[color], edgecolor="black", lw=0.6,
                     zorder=3, label=f"λ = {point['verify_coef']:g}")
    axis.plot(points["pass@1"], points["verifier accuracy"], color="0.6", lw=0.8, zorder=1)
    warm = arms[arms["verify_coef"].isna()]
    if len(warm) and not math.isnan(float(warm["verifier accuracy"].iloc[0])):
        axis.scatter(warm["pass@1"], warm["verifier accuracy"], marker="s", s=40, color="0.7", edgecolor="0.3",
                     zorder=3, label="warm start (no RL)")
    interval = ("95% t-interval over " f"{int(points['seeds'].max())} seeds" if points["interval"].eq("seeds").all()
                else "95% problem-bootstrap interval (one seed)")
    axis.set_xlabel("reasoner pass@1 (test)")
    axis.set_ylabel("verifier accuracy: p(Yes) > 0.5 vs correct")
    axis.set_title(params.get("title", "The verification loss's weight λ"), fontsize=11)
    axis.legend(fontsize=8, frameon=False, loc="best")
    axis.text(0.0, -0.2, f"bars: {interval}", transform=axis.transAxes, fontsize=8, color="0.35")
    figure.tight_layout()
    save_figure(figure, out)
