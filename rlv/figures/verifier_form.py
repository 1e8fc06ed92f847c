"""The verifier's form: generative Yes/No vs a BCE classification head vs a regression head, on the same rollouts.

Every form scores the same test samples, the base RL run's (`base_run`), and each was trained from the warm-up
model on the same training rollouts with the same steps, batch size and rate (rlv.baselines.separate_verifier,
rlv.baselines.verifier_heads); the forms differ only in the read-out and the loss. Params `forms`: a list of
{run, form} for the pseudo-runs (generative = the separate verifier's p("Yes"), bce = sigmoid of the head,
regression = the head's output clipped to [0, 1]); forms absent from the sweep are left out. The unified
verifier (`verifier_run`, RL^V: the policy that also verifies, on its own samples) is drawn for reference.

Left, from the sweep table: accuracy vs N (log2 axis, bootstrap CI bands) of best-of-N (dotted) and the vote
weighted by the score (solid) per form, the base run's majority vote (the vote every form should beat, black)
and its pass@N (an oracle selector, grey dashed). Right, from the verifier table
(rlv.analysis.aggregate.verifier_metrics): verdict accuracy (score > 0.5), AUROC pooled and within a problem per form,
grouped by metric, plus the base run's mean token log-prob (hatched; no threshold, so no accuracy). A black tick
on each accuracy bar marks always giving the majority verdict (max(c, 1 - c), c the run's share of correct
samples = its pass@1 in the sweep); AUROC groups have a line at chance (0.5).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rlv.figures.parallel_scaling import draw_curves
from rlv.figures.style import save_figure

FORM_NAMES = {"generative": "generative Yes/No", "bce": "BCE head", "regression": "regression head",
              "unified": "unified (RL^V)"}
FORM_COLORS = {"unified": "C3", "generative": "C2", "bce": "C4", "regression": "C5"}
METRICS = [("accuracy", "verdict accuracy\n(score > 0.5)"), ("auroc_pooled", "AUROC,\npooled"),
           ("auroc_within", "AUROC within\na problem")]


def form_scorers(params: dict, present: set) -> list[dict]:
    """(run, form, label, colour) of each scorer drawn: the unified verifier, then every form present."""
    labels = params.get("labels", {})
    verifier = params["verifier_run"]
    scorers = [{"run": verifier, "form": "unified", "label": f"{labels.get(verifier, verifier)}: unified p(Yes)"}]
    for spec in params.get("forms", []):
        if spec["run"] in present:
            label, name = labels.get(spec["run"], spec["run"]), FORM_NAMES[spec["form"]]
            scorers.append({"run": spec["run"], "form": spec["form"],
                            "label": label if name.lower() in label.lower() else f"{label} ({name})"})
    return [{**s, "color": FORM_COLORS[s["form"]]} for s in scorers]


def curve_specs(params: dict, scorers: list[dict]) -> list[dict]:
    base, labels = params["base_run"], params.get("labels", {})
    b = labels.get(base, base)
    specs = [{"run": base, "strategy": "majority", "score": "", "label": f"{b}: majority vote (reference)",
              "color": "black", "ls": "-"}]
    for s in scorers:
        specs.append({"run": s["run"], "strategy": "weighted_vote", "score": "p_yes",
                      "label": f"{s['label']}: weighted vote", "color": s["color"], "ls": "-"})
        specs.append({"run": s["run"], "strategy": "best_of_n", "score": "p_yes",
                      "label": f"{s['label']}: best-of-N", "color": s["color"], "ls": ":"})
    specs.append({"run": base, "strategy": "pass_at_n", "score": "", "label": f"{b}: pass@N", "color": "0.6",
                  "ls": "--"})
    return specs


def metric_bars(verifier: pd.DataFrame, sweep: pd.DataFrame, dataset: str, scorers: list[dict], params: dict
                ) -> pd.DataFrame:
    """One row per bar: the verifier table's p_yes row of each scorer, then the base run's mean log-prob; with
    `majority_accuracy` = max(c, 1 - c) from the run's pass@1."""
    table = verifier[verifier["dataset"] == dataset]
    base, labels = params["base_run"], params.get("labels", {})
    wanted = [(s["run"], "p_yes", s["label"], s["color"]) for s in scorers]
    wanted.append((base, "mean_logprob", f"{labels.get(base, base)}: mean log-prob", "0.45"))
    rows = []
    for run, score, label, color in wanted:
        match = table[(table["run"] == run) & (table["score"] == score)]
        if match.empty:
            raise ValueError(f"verifier table has no row for run={run!r} score={score!r} on dataset {dataset!r}")
        pass1 = sweep[(sweep["dataset"] == dataset) & (sweep["run"] == run) & (sweep["strategy"] == "pass_at_n")
                      & (sweep["n"] == 1)]["accuracy"]
        share = float(pass1.iloc[0]) if len(pass1) else math.nan
        rows.append({**match.iloc[0].to_dict(), "label": label, "color": color,
                     "majority_accuracy": max(share, 1 - share)})
    return pd.DataFrame(rows)


def verifier_form(sweep: pd.DataFrame, verifier: pd.DataFrame, out: str, params: dict) -> None:
    dataset = params["dataset"]
    frame = sweep[sweep["dataset"] == dataset]
    scorers = form_scorers(params, set(frame["run"]))
    figure, (curves, bars) = plt.subplots(1, 2, figsize=(15.0, 5.4), gridspec_kw={"width_ratios": [1.25, 1]})
    draw_curves(curves, frame, curve_specs(params, scorers), dataset)
    curves.set_ylabel(f"accuracy on {dataset}")
    curves.set_title("Accuracy vs N: best-of-N (dotted) and weighted vote (solid) per verifier form", fontsize=10)
    curves.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)

    table = metric_bars(verifier, sweep, dataset, scorers, params)
    width, labelled = 0.8 / len(table), set()
    for index, row in enumerate(table.itertuples(index=False)):
        for group, (metric, _) in enumerate(METRICS):
            x = group + (index - (len(table) - 1) / 2) * width
            value = getattr(row, metric)
            if math.isnan(value):
                bars.text(x, 0.02, "n/a", ha="center", fontsize=6, rotation=90, color="0.4")
                continue
            bars.bar(x, value, width, color=row.color, alpha=0.85, edgecolor="white",
                     hatch="//" if row.score != "p_yes" else None, label=None if row.label in labelled else row.label)
            labelled.add(row.label)
            bars.text(x, value + 0.01, f"{value:.2f}", ha="center", va="bottom", fontsize=6, rotation=90)
            if metric == "accuracy" and not math.isnan(row.majority_accuracy):
                bars.plot([x - width / 2, x + width / 2], [row.majority_accuracy] * 2, color="black", lw=1.2)
    bars.plot([], [], color="black", lw=1.2, label="always the majority verdict")
    for group in (1, 2):
        bars.plot([group - 0.45, group + 0.45], [0.5, 0.5], color="0.3", lw=0.8, ls="--")
    bars.set_xticks(np.arange(len(METRICS)), [title for _, title in METRICS], fontsize=8)
    bars.set_ylim(0, 1.1)
    bars.set_title(f"Verifier metrics on {dataset} ({int(table['num_mixed_problems'].iloc[-1])} of the base run's "
                   "problems have mixed outcomes)", fontsize=10)
    bars.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    figure.suptitle("The verifier's form, trained on the same rollouts and scoring the same samples", fontsize=11)
    save_figure(figure, out)
