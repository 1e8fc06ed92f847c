"""`results/summary.md`: the headline numbers of every evaluated run, from the sweep and verifier tables.

Accuracy (with its bootstrap CI) of each strategy at a few N per run and dataset, and the verifier metrics
(threshold accuracy, pooled AUROC, within-problem AUROC over problems with mixed outcomes) of p("Yes") and
of the mean token log-prob. It opens with the paper's headline claims (rlv.analysis.claims): first each claim's
verdict rule in words, fixed before any result, then the table of claims with our measurement and verdict, then
each claim's details (the four readings of ">20%" and the strategies at N_max with both forms of best-of-N; the
compute ratio per accuracy level with its simultaneous interval, bounds marked as bounds; the sequential claim per
budget with the log-prob strategies apart). Each dataset ends with the iso-accuracy compute ratios as the
efficiency rule reads them off the mean curves (point values; their intervals are in the claim's details).
"""

from __future__ import annotations

import pandas as pd

STRATEGY_NAMES = {("pass_at_n", ""): "pass@N", ("majority", ""): "majority",
                  ("best_of_n", "p_yes"): "best-of-N p(Yes)",
                  ("best_of_n_answered", "p_yes"): "best-of-N p(Yes), answered only",
                  ("weighted_vote", "p_yes"): "weighted p(Yes)",
                  ("best_of_n", "mean_logprob"): "best-of-N log-prob",
                  ("weighted_vote", "mean_logprob"): "weighted log-prob"}


def _cell(row) -> str:
    return f"{row.accuracy:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


def accuracy_table(sweep: pd.DataFrame, ns: list[int], labels: dict) -> str:
    ns = [n for n in ns if n in set(sweep["n"])]
    header = "| run | strategy | " + " | ".join(f"N={n}" for n in ns) + " |"
    lines = [header, "|" + "---|" * (len(ns) + 2)]
    for run in sweep["run"].unique():
        for (strategy, score), name in STRATEGY_NAMES.items():
            rows = sweep[(sweep["run"] == run) & (sweep["strategy"] == strategy) & (sweep["score"] == score)]
            if rows.empty:
                continue
            by_n = rows.set_index("n")
            cells = [_cell(by_n.loc[n]) for n in ns]
            lines.append(f"| {labels.get(run, run)} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verifier_table(verifier: pd.DataFrame, labels: dict) -> str:
    lines = ["| run | score | accuracy | AUROC pooled | AUROC within problem | mixed problems |", "|---|---|---|---|---|---|"]
    for row in verifier.itertuples(index=False):
        lines.append(f"| {labels.get(row.run, row.run)} | {row.score} | {row.accuracy:.3f} | {row.auroc_pooled:.3f} | "
                     f"{row.auroc_within:.3f} | {row.num_mixed_problems} |")
    return "\n".join(lines)


def claims_table(rows: list[dict]) -> str:
    lines = ["| paper claim | measured here | verdict |", "|---|---|---|"]
    lines += [f"| {row['claim']} | {row['measured']} | {row['verdict']} |" for row in rows]
    return "\n".join(lines)


def claims_section(rows: list[dict]) -> list[str]:
    """The claims part: the rules in words (before any number), the table, then each claim's details."""
    parts = ["## Paper claims", "", "Each headline claim of the paper, our number (95% CI where it has one) and a "
             "verdict: reproduced / partly / not reproduced / not measured yet. The rules, fixed before any result "
             "(in full in `rlv/analysis/claims.py`): RL^V's strategy is always its weighted vote by its own p(Yes), "
             "chosen in advance; strategies scored by the policy's mean log-prob are no part of any verdict; a claim "
             "read at several points takes its weakest point's verdict unless its rule says otherwise.", ""]
    parts += [f"- {row['claim']}: {row['rule']}." for row in rows if row.get("rule")]
    parts += ["", claims_table(rows), ""]
    for row in rows:
        if row.get("details"):
            parts += [f"### {row['claim']}", "", *row["details"], ""]
    return parts


def _number(value: float, template: str) -> str:
    return "-" if pd.isna(value) else template.format(value)


def efficiency_table(ratios: pd.DataFrame, labels: dict) -> str:
    lines = ["| RL^V strategy | level: RL^V accuracy at N | N base | N RL^V | ratio N base / N RL^V | why undefined |",
             "|---|---|---|---|---|---|"]
    for row in ratios.itertuples(index=False):
        ratio = _number(row.ratio, "{:.2f}x")
        if not pd.isna(row.ratio_at_least):
            ratio = f"> {row.ratio_at_least:.2f}x"
        elif not pd.isna(row.ratio_at_most):
            ratio = f"< {row.ratio_at_most:.2f}x"
        lines.append(f"| {labels.get(row.verifier_run, row.verifier_run)} {row.verifier_strategy} vs "
                     f"{labels.get(row.base_run, row.base_run)} {row.base_strategy} | {row.target_accuracy:.3f} at "
                     f"N={row.level_n} | {_number(row.n_base, '{:.2f}')} | {_number(row.n_verifier, '{:.2f}')} | "
                     f"{ratio} | {row.reason} |")
    return "\n".join(lines)


def render_summary(sweeps: list[pd.DataFrame], verifiers: list[pd.DataFrame], ns: list[int], labels: dict,
                   claims: list[dict] | None = None, efficiency: dict | None = None, provenance: str = "") -> str:
    """`claims`: rows of rlv.analysis.claims.claim_rows; `efficiency`: dataset -> compute-ratio table; `provenance`:
    a line saying which code and config wrote the summary."""
    parts = ["# rlv summary", "",
             "Generated by the `summary` rule from `results/metrics/`; accuracies are means over test problems with "
             "bootstrap CIs. pass@1 of a run is its N=1 accuracy.", ""] + ([provenance, ""] if provenance else [])
    if claims:
        parts += claims_section(claims)
    for sweep, verifier in zip(sweeps, verifiers, strict=True):
        dataset = sweep["dataset"].iloc[0]
        parts += [f"## Dataset `{dataset}`", "", "### Accuracy by strategy and N", "",
                  accuracy_table(sweep, ns, labels), "", "### Verifier quality", "", verifier_table(verifier, labels), ""]
        if efficiency and dataset in efficiency:
            parts += ["### Iso-accuracy compute ratio", "", "Samples the base method needs to reach the accuracy RL^V "
                      "reaches at each N, over the samples RL^V needs (log2 N interpolated; see `rlv/analysis/efficiency.py`). "
                      "Point values read off the mean curves; \"> x\" and \"< x\" are one-sided bounds, not ratios. The "
                      "claim's details give the weighted vote's ratios with simultaneous bootstrap intervals.",
                      "", efficiency_table(efficiency[dataset], labels), ""]
    return "\n".join(parts)
