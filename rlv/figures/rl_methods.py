"""Parallel scaling per RL method: one panel per method of the rl_methods design search.

Each panel is the paper's comparison for one method (GRPO, RLOO, LOOP, VinePPO): accuracy against N of
the base method's majority vote (its lambda = 0 arm) and of RL^V's best-of-N and weighted vote by its own
p("Yes") (the largest-lambda arm), with bootstrap CI bands and both arms' pass@N (dashed) as the ceiling.
The arrows and the note beside each panel are those of the parallel-scaling figure (`mark_compute_ratio`):
N_base / N_RL^V at each accuracy RL^V's better strategy at N_max reaches, from the method's rows of the
compute-ratio table (rlv.analysis.method_comparison).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from rlv.figures.parallel_scaling import draw_curves, mark_compute_ratio
from rlv.figures.style import save_figure


def method_specs(base: str, verifier: str, label: str) -> list[dict]:
    return [
        {"run": base, "strategy": "majority", "score": "", "label": f"{label}: majority vote", "color": "C0", "ls": "-"},
        {"run": verifier, "strategy": "best_of_n", "score": "p_yes", "label": f"{label}$^V$: best-of-N",
         "color": "C3", "ls": "-"},
        {"run": verifier, "strategy": "weighted_vote", "score": "p_yes", "label": f"{label}$^V$: weighted vote",
         "color": "C1", "ls": "-"},
        {"run": base, "strategy": "pass_at_n", "score": "", "label": f"{label}: pass@N", "color": "0.55", "ls": "--"},
        {"run": verifier, "strategy": "pass_at_n", "score": "", "label": f"{label}$^V$: pass@N", "color": "0.25",
         "ls": "--"},
    ]


def rl_methods(sweeps: list[pd.DataFrame], efficiency: pd.DataFrame, out: str, params: dict) -> None:
    dataset = params.get("dataset", "test")
    sweep = pd.concat(sweeps, ignore_index=True)
    sweep = sweep[sweep["dataset"] == dataset]
    methods = efficiency[["design", "label", "base_run", "verifier_run"]].drop_duplicates("design")
    if methods.empty:
        raise ValueError("rl_methods needs the compute-ratio rows of at least one method")
    figure, axes = plt.subplots(len(methods), 1, figsize=(8.6, 3.9 * len(methods)), squeeze=False, sharey=True)
    for axis, method in zip(axes[:, 0], methods.itertuples(index=False)):
        draw_curves(axis, sweep, method_specs(method.base_run, method.verifier_run, method.label), dataset)
        axis.set_ylabel(f"accuracy on {dataset}")
        axis.set_title(method.label, fontsize=10, loc="left")
        axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
        mark_compute_ratio(axis, sweep, efficiency[efficiency["design"] == method.design],
                           {"dataset": dataset, "base_run": method.base_run, "verifier_run": method.verifier_run})
    figure.suptitle(params.get("title", "Parallel scaling per RL method: base method vs RL$^V$"), fontsize=11)
    figure.tight_layout()
    save_figure(figure, out)
