"""Parallel scaling (the paper's main figure): test accuracy against the number of sampled solutions N.

Curves, each with its bootstrap CI band: the base RL run with majority vote and with the free log-prob
verifier (weighted vote by exp(mean token log-prob)); the RL^V run with best-of-N and weighted vote by its
own p("Yes"); pass@N of both runs (dashed) as the upper bound any selection could reach.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from rlv.figures.style import save_figure


def curve_specs(base: str, verifier: str, labels: dict) -> list[dict]:
    b, v = labels.get(base, base), labels.get(verifier, verifier)
    return [
        {"run": base, "strategy": "majority", "score": "", "label": f"{b}: majority vote", "color": "C0", "ls": "-"},
        {"run": base, "strategy": "weighted_vote", "score": "mean_logprob", "label": f"{b}: vote weighted by log-prob",
         "color": "C0", "ls": ":"},
        {"run": verifier, "strategy": "best_of_n", "score": "p_yes", "label": f"{v}: best-of-N", "color": "C3", "ls": "-"},
        {"run": verifier, "strategy": "weighted_vote", "score": "p_yes", "label": f"{v}: weighted vote",
         "color": "C1", "ls": "-"},
        {"run": base, "strategy": "pass_at_n", "score": "", "label": f"{b}: pass@N", "color": "0.55", "ls": "--"},
        {"run": verifier, "strategy": "pass_at_n", "score": "", "label": f"{v}: pass@N", "color": "0.25", "ls": "--"},
    ]


def parallel_scaling(sweep: pd.DataFrame, out_png: str, params: dict) -> None:
    base, verifier = params["base_run"], params["verifier_run"]
    frame = sweep[sweep["dataset"] == params["dataset"]]
    figure, axis = plt.subplots(figsize=(8.6, 4.4))
    for spec in curve_specs(base, verifier, params.get("labels", {})):
        rows = frame[(frame["run"] == spec["run"]) & (frame["strategy"] == spec["strategy"])
                     & (frame["score"] == spec["score"])].sort_values("n")
        if rows.empty:
            raise ValueError(f"sweep has no rows for run={spec['run']!r} strategy={spec['strategy']!r} "
                             f"score={spec['score']!r} on dataset {params['dataset']!r}")
        axis.plot(rows["n"], rows["accuracy"], color=spec["color"], ls=spec["ls"], marker="o", ms=3,
                  label=spec["label"])
        axis.fill_between(rows["n"], rows["ci_low"], rows["ci_high"], color=spec["color"], alpha=0.12, lw=0)
    axis.set_xscale("log", base=2)
    ns = sorted(frame["n"].unique())
    axis.set_xticks(ns, [str(n) for n in ns])
    axis.minorticks_off()
    axis.set_xlabel("number of sampled solutions N")
    axis.set_ylabel(f"accuracy on {params['dataset']}")
    axis.set_title("Parallel scaling: one model as reasoner and verifier")
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    save_figure(figure, out_png)
