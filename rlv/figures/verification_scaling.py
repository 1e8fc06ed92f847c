"""The verification-scaling study: how well a verifier trained apart from RL judges solutions, against n.

Reads a study's rows (results/studies/{study}.parquet, rlv.analysis.verification_study: one row per arm and two
reference rows per base; the arms of a partial table that have not run yet are left out). One column of panels per
base. Top: within-problem AUROC of the verifier's score (over the test problems with mixed outcomes: what picking
among a problem's samples needs) against n, the labelled training solutions, one line per family with 95%
problem-bootstrap intervals, on a symlog axis (linear up to the smallest n > 0, so n = 0, the warm-up model's
zero-shot verdict, has its place) ticked at the sizes the study ran. Horizontal references: 0.5 (chance, dotted),
the test policy's mean token log-prob (dashed) and the RL^V run's own p(Yes) on its own samples (dash-dot), each
with its interval as a band. Bottom: weighted vote by the verifier's p(Yes) minus majority vote at N_max, in
accuracy points, with its paired interval; 0 is no gain. Where the rows hold the paper's comparison (kind "joint"),
a third row: per (base run, RL^V run) pair of the base, the RL^V run's weighted vote by its own p(Yes) minus the base
run's majority vote against n samples per problem (log 2 axis), with its paired interval.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from rlv.figures.style import save_figure

PANELS = (("AUROC within", "within-problem AUROC (test)", 0.5),
          ("weighted vote - majority", "weighted vote − majority, N_max", 0.0))
REFERENCE_STYLES = ("--", "-.")
PAIR_COLORS = plt.get_cmap("Dark2")  # apart from the families' tab10


def _errors(rows: pd.DataFrame, metric: str) -> list[list[float]]:
    lower = (rows[metric] - rows[f"{metric} low"]).fillna(0).clip(lower=0)
    upper = (rows[f"{metric} high"] - rows[metric]).fillna(0).clip(lower=0)
    return [lower.tolist(), upper.tolist()]


def _size_label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _joint_panel(axis, joint: pd.DataFrame, first: bool) -> None:
    """The paper's comparison on one base: per (base run, RL^V run) pair, the RL^V run's weighted vote minus the base
    run's majority against n samples per problem, with its paired interval."""
    for index, ((base_run, rlv_run), pair) in enumerate(joint.groupby(["test label", "joint label"], sort=False)):
        pair = pair.sort_values("budget")
        axis.errorbar(pair["budget"], pair["difference"], yerr=_errors(pair, "difference"), fmt="s--", ms=3, lw=1,
                      capsize=2, color=PAIR_COLORS(index % PAIR_COLORS.N),
                      label=f"{rlv_run} vs {base_run} (paper's comparison)")
    axis.axhline(0.0, color="0.5", ls=":", lw=1)
    budgets = sorted({int(n) for n in joint["budget"]})
    if budgets:
        axis.set_xscale("log", base=2)
        axis.set_xticks(budgets, [str(n) for n in budgets])
        axis.xaxis.set_minor_locator(plt.NullLocator())
    axis.set_xlabel("n, samples per problem")
    if first:
        axis.set_ylabel("RL^V weighted vote − base majority")


def verification_scaling(arms: pd.DataFrame, out: str, params: dict) -> None:
    arms = arms[arms["kind"] != "not run"]  # a partial table's arms that have not run yet
    bases = list(dict.fromkeys(arms["base"]))
    if not len(arms[arms["kind"] == "arm"]):
        raise ValueError("verification_scaling needs at least one arm")
    families = list(dict.fromkeys(arms[arms["kind"] == "arm"]["family"]))
    colors = {family: f"C{i % 10}" for i, family in enumerate(families)}
    sizes = sorted({int(n) for n in arms[arms["kind"] == "arm"]["n"]})
    joint = arms[arms["kind"] == "joint"] if "budget" in arms else arms.iloc[:0]
    figure, axes = plt.subplots(len(PANELS) + bool(len(joint)), len(bases), squeeze=False,
                                figsize=(4.2 * len(bases) + 1.0, 7.0 + 3.2 * bool(len(joint))))
    for column, base in enumerate(bases):
        axes[0, column].sharex(axes[1, column])  # the two n-axes; the comparison's row has its own
        part = arms[arms["base"] == base]
        trained, references = part[part["kind"] == "arm"], part[part["kind"] == "reference"]
        for row, (metric, label, chance) in enumerate(PANELS):
            axis = axes[row, column]
            for family in families:
                line = trained[trained["family"] == family].sort_values("n")
                if len(line):
                    axis.errorbar(line["n"], line[metric], yerr=_errors(line, metric), fmt="o-", ms=4, lw=1,
                                  capsize=3, color=colors[family], label=family)
            for style, (_, reference) in zip(REFERENCE_STYLES, references.iterrows()):
                value = reference[metric]
                if value == value:
                    axis.axhline(value, color="0.3", ls=style, lw=1, label=reference["label"])
                    axis.axhspan(reference[f"{metric} low"], reference[f"{metric} high"], color="0.3", alpha=0.07)
            axis.axhline(chance, color="0.5", ls=":", lw=1)
            axis.set_xscale("symlog", linthresh=max(1, min([n for n in sizes if n > 0], default=1)))
            axis.set_xticks(sizes, [_size_label(n) for n in sizes])
            axis.xaxis.set_minor_locator(plt.NullLocator())
            if row == 0:
                axis.set_title(f"base `{base}`", fontsize=10)
                axis.tick_params(labelbottom=False)
            if row == len(PANELS) - 1:
                axis.set_xlabel("n, labelled training solutions")
            if column == 0:
                axis.set_ylabel(label)
        if len(joint):
            _joint_panel(axes[len(PANELS), column], joint[joint["base"] == base], first=column == 0)
    handles = {}
    for axis in axes.flat:
        for handle, text in zip(*axis.get_legend_handles_labels()):
            handles.setdefault(text, handle)
    figure.legend(handles.values(), handles.keys(), fontsize=8, frameon=False, loc="lower center",
                  ncol=min(4, len(handles)), bbox_to_anchor=(0.5, -0.02))
    figure.suptitle(params.get("title", "Verification scaling"), fontsize=11)
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    save_figure(figure, out)
