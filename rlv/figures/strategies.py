"""Test-time strategies of the RL^V run: accuracy against N for every aggregation the sweep computed.

One curve per (strategy, score) row of the sweep table for the run: majority vote, best-of-N and weighted
vote by the model's own p("Yes"), the same two by the policy's mean token log-prob (vote weight
exp(mean log-prob)), and pass@N (dashed, the accuracy of an oracle selector), each with the sweep's
bootstrap CI band. The legend gives each curve's accuracy at the largest N. With `base_run` in the params,
the base RL run's majority vote is drawn as a thin reference line (the paper's point of comparison).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from rlv.figures.style import save_figure

STYLES = {  # (strategy, score) -> legend text, colour, line style; sweep rows in this order
    ("majority", ""): ("majority vote", "C0", "-"),
    ("best_of_n", "p_yes"): ("best-of-N by p(Yes)", "C3", "-"),
    ("weighted_vote", "p_yes"): ("vote weighted by p(Yes)", "C1", "-"),
    ("best_of_n", "mean_logprob"): ("best-of-N by mean log-prob", "C3", ":"),
    ("weighted_vote", "mean_logprob"): ("vote weighted by exp(mean log-prob)", "C1", ":"),
    ("pass_at_n", ""): ("pass@N (oracle selector)", "0.35", "--"),
}


def strategy_curves(sweep: pd.DataFrame, dataset: str, run: str) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    """The run's rows per (strategy, score), known strategies first in STYLES order, then any others."""
    rows = sweep[(sweep["dataset"] == dataset) & (sweep["run"] == run)]
    if rows.empty:
        raise ValueError(f"sweep has no rows for run={run!r} on dataset {dataset!r}")
    keys = list(dict.fromkeys(zip(rows["strategy"], rows["score"])))
    keys.sort(key=lambda key: list(STYLES).index(key) if key in STYLES else len(STYLES))
    return [(key, rows[(rows["strategy"] == key[0]) & (rows["score"] == key[1])].sort_values("n")) for key in keys]


def strategies(sweep: pd.DataFrame, out: str, params: dict) -> None:
    dataset, run, labels = params["dataset"], params["verifier_run"], params.get("labels", {})
    figure, axis = plt.subplots(figsize=(8.2, 4.8))
    for index, (key, rows) in enumerate(strategy_curves(sweep, dataset, run)):
        text, color, style = STYLES.get(key, (":".join(filter(None, key)), f"C{4 + index % 6}", "-."))
        last = rows.iloc[-1]
        axis.plot(rows["n"], rows["accuracy"], color=color, ls=style, marker="o", ms=3,
                  label=f"{text} ({last['accuracy']:.3f} at N={int(last['n'])})")
        axis.fill_between(rows["n"], rows["ci_low"], rows["ci_high"], color=color, alpha=0.12, lw=0)
    base = params.get("base_run")
    if base:
        reference = sweep[(sweep["dataset"] == dataset) & (sweep["run"] == base) & (sweep["strategy"] == "majority")]
        if not reference.empty:
            reference = reference.sort_values("n")
            axis.plot(reference["n"], reference["accuracy"], color="0.2", lw=0.8, ls="-.",
                      label=f"{labels.get(base, base)}: majority vote (reference)")
    ns = sorted(sweep[sweep["dataset"] == dataset]["n"].unique())
    axis.set_xscale("log", base=2)
    axis.set_xticks(ns, [str(n) for n in ns])
    axis.minorticks_off()
    axis.set_xlabel("number of sampled solutions N")
    axis.set_ylabel(f"accuracy on {dataset}")
    axis.set_title(f"Test-time strategies of {labels.get(run, run)}")
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    save_figure(figure, out)
