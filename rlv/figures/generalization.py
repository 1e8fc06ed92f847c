"""Generalization (the paper's easy-to-hard and out-of-domain results): accuracy against N, one panel per
comparison: in-domain (figures.parallel_scaling), out-of-domain and easy-to-hard (figures.claims; see
rlv.pipeline.plan for what each trains and tests on).

Each panel draws, from its dataset's sweep table, the curves of the parallel-scaling figure
(rlv.figures.parallel_scaling.curve_specs): the base RL run's majority vote and its vote weighted by
exp(mean token log-prob) (the free verifier), the RL^V run's best-of-N and weighted vote by its own p("Yes"),
and both runs' pass@N (dashed) as the bound any selection could reach; bands are the sweep's bootstrap CIs.
Its note gives the relative gain at N_max of RL^V's better p("Yes") strategy over the base run's majority
vote, the number the summary judges (with its paired-bootstrap CI there). Panels share the y axis and one
legend by role (base RL, RL^V); each panel's title names its dataset and runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from rlv.analysis.claims import VERIFIER_STRATEGIES
from rlv.analysis.efficiency import best_strategy_at_n_max, curve
from rlv.figures.parallel_scaling import curve_specs, draw_curves
from rlv.figures.style import save_figure

TITLES = {"in_domain": "in-domain", "out_of_domain": "out-of-domain", "easy_to_hard": "easy-to-hard"}


def gain_at_n_max(sweep: pd.DataFrame, panel: dict) -> tuple[str, float]:
    """(RL^V's better p(Yes) strategy at N_max, its accuracy / base majority accuracy - 1 there)."""
    dataset, base, verifier = panel["dataset"], panel["base_run"], panel["verifier_run"]
    best = best_strategy_at_n_max(sweep, dataset, verifier, list(VERIFIER_STRATEGIES))
    base_final = curve(sweep, dataset, base, "majority")["accuracy"].iloc[-1]
    final = curve(sweep, dataset, verifier, best)["accuracy"].iloc[-1]
    return best, (final / base_final - 1) if base_final > 0 else float("nan")


def draw_panel(axis, sweep: pd.DataFrame, panel: dict, labels: dict) -> None:
    frame = sweep[sweep["dataset"] == panel["dataset"]]
    roles = {panel["base_run"]: "base RL", panel["verifier_run"]: "RL$^V$"}
    ns = draw_curves(axis, frame, curve_specs(panel["base_run"], panel["verifier_run"], roles), panel["dataset"])
    base, verifier = (labels.get(panel[k], panel[k]) for k in ("base_run", "verifier_run"))
    axis.set_title(f"{TITLES.get(panel['kind'], panel['kind'])}: {panel['dataset']}\n{verifier} vs {base}", fontsize=9)
    best, gain = gain_at_n_max(sweep, panel)
    text = f"{best} vs majority\nat N={max(ns)}: " + ("undefined (base 0)" if gain != gain else f"{gain:+.1%}")
    axis.text(0.98, 0.02, text, transform=axis.transAxes, fontsize=7, ha="right", va="bottom", family="monospace")


def generalization(sweeps: list[pd.DataFrame], out: str, params: dict) -> None:
    """params: panels (kind, dataset, base_run, verifier_run), labels. `sweeps`: the sweep tables of their datasets."""
    sweep = pd.concat(sweeps, ignore_index=True)
    panels = params["panels"]
    figure, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels) + 2.6, 4.2), sharey=True, squeeze=False)
    for axis, panel in zip(axes[0], panels, strict=True):
        draw_panel(axis, sweep, panel, params.get("labels", {}))
    axes[0][0].set_ylabel("accuracy")
    axes[0][0].set_ylim(bottom=0)
    handles, names = axes[0][-1].get_legend_handles_labels()
    axes[0][-1].legend(handles, names, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    figure.suptitle("Generalization: accuracy vs N in-domain, out-of-domain and easy-to-hard", fontsize=10, y=1.06)
    save_figure(figure, out)
