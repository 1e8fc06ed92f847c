"""Training dynamics: reward, verification loss and verifier accuracy over optimizer steps, one line per run.

Reads each run's `metrics.csv` (TRL's per-step log written by rlv.training.run): `reward` is the mean reward of
the step's rollouts, `verifier/loss` the Yes/No cross-entropy L_verify and `verifier/accuracy` the share
of the step's rollouts whose verdict (p("Yes") > p("No")) matches the reward. Runs without the
verification loss (lambda = 0) log no verifier columns and appear in the reward panel only. Thin lines are
the raw per-step values; thick lines a centred rolling mean over `smoothing` steps (default 5).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from rlv.figures.style import save_figure

PANELS = [("reward", "mean reward of the step's rollouts"), ("verifier/loss", "verification loss (Yes/No CE)"),
          ("verifier/accuracy", "verifier accuracy on the step's rollouts")]


def training_dynamics(metrics: list[pd.DataFrame], out: str, params: dict) -> None:
    if not metrics:
        raise ValueError("training_dynamics needs at least one run's metrics.csv")
    labels, window = params.get("labels", {}), int(params.get("smoothing", 5))
    figure, axes = plt.subplots(1, len(PANELS), figsize=(13, 3.8))
    for index, frame in enumerate(metrics):
        missing = {"run", "step", "reward"} - set(frame.columns)
        if missing:
            raise ValueError(f"metrics of run {frame.get('run', pd.Series(['?'])).iloc[0]!r} lack columns {sorted(missing)}")
        run = frame["run"].iloc[0]
        frame = frame.sort_values("step")
        for axis, (column, _) in zip(axes, PANELS):
            if column not in frame or frame[column].isna().all():
                continue
            color = f"C{index}"
            axis.plot(frame["step"], frame[column], color=color, lw=0.6, alpha=0.35)
            smooth = frame[column].rolling(window, center=True, min_periods=1).mean()
            axis.plot(frame["step"], smooth, color=color, lw=1.8, label=labels.get(run, run))
    for axis, (column, title) in zip(axes, PANELS):
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("optimizer step")
        if axis.lines:
            axis.legend(fontsize=8, frameon=False)
        else:
            axis.text(0.5, 0.5, "no run trains the verifier", transform=axis.transAxes, ha="center", va="center")
    figure.suptitle("Training dynamics per run", y=1.02)
    figure.tight_layout()
    save_figure(figure, out)
