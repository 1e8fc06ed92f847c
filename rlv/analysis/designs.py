"""The table of a design search: every arm's metrics, means over seeds, each design's verdict, lambda points.

A search (its spec and arms: rlv.pipeline.nested) runs every (design, lambda, seed) arm on its design's base.
`arm_rows` turns a base's sweep and verifier tables, the arms' scored samples and their training seconds into
one row per arm; `render_table` averages over seeds with a t-interval (seeds are few, so the interval is wide and
honest) and states each design's verdict against the target: within-problem AUROC of p(Yes) >= 0.7 and weighted
vote (lambda > 0) above majority vote (lambda = 0) by a margin whose seed interval lies above zero.

Each row also carries the verifier's accuracy (p(Yes) > 0.5 against correctness, over every test sample) and
problem-bootstrap intervals of pass@1 (from the sweep) and of that accuracy (problems resampled with
replacement, accuracy = hits / samples of the resampled problems, percentile interval). Threshold accuracy is a
poor measure of a verifier on its own: with a miscalibrated p(Yes) (one below 0.5 on nearly every sample) it is
about 1 - pass@1 whatever the verifier ranks, so it moves with the reasoner, not with verification. So each row
also carries, from the same problem resamples (`verifier_intervals`): the balanced accuracy at the same threshold
((true-positive rate + true-negative rate) / 2, 0.5 for a verifier that always says one thing), the pooled AUROC
(Mann-Whitney, ties 1/2, over all samples: a resample repeats a problem's samples as often as it draws it) and the
within-problem AUROC (the mean of per-problem AUROCs over the drawn problems with mixed outcomes, each counted
as often as drawn), each with its percentile interval. `lambda_points` reduces the rows to one point per lambda
for pass@1 and each verifier metric: the mean over seeds with its seed t-interval when there are two or more
seeds, else the single seed's problem-bootstrap interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# t quantiles (two-sided 95%) by degrees of freedom; seeds are few
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


@dataclass(frozen=True)
class Design:
    """A design of a search: its base, its RL overrides, why it was chosen, its name in tables."""

    name: str
    base: str
    rationale: str
    rl: dict = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Arm:
    """One RL run of a search (design, lambda, seed) on a base; the warm start has no lambda or seed."""

    base: str
    design: str
    verify_coef: float | None
    seed: int | None
    run: str


def _at(sweep: pd.DataFrame, run: str, strategy: str, score: str, n: int, column: str = "accuracy") -> float:
    rows = sweep[(sweep["run"] == run) & (sweep["strategy"] == strategy) & (sweep["score"] == score) & (sweep["n"] == n)]
    return float(rows[column].iloc[0]) if len(rows) else math.nan


def verifier_accuracy_interval(scored: pd.DataFrame, num_bootstrap: int = 1000, confidence: float = 0.95,
                               seed: int = 0, threshold: float = 0.5) -> tuple[float, float, float]:
    """Verifier accuracy (p_yes > threshold against correct, over every sample) and its problem-bootstrap
    percentile interval: resample problems with replacement, accuracy = their hits / their samples."""
    hits = ((scored["p_yes"].to_numpy(dtype=float) > threshold) == scored["correct"].to_numpy(dtype=bool))
    per_problem = pd.DataFrame({"problem": scored["problem_id"].to_numpy(), "hit": hits}).groupby("problem")["hit"]
    sums, counts = per_problem.sum().to_numpy(dtype=float), per_problem.count().to_numpy(dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(sums), size=(num_bootstrap, len(sums)))
    resampled = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    tail = (1 - confidence) / 2
    return float(sums.sum() / counts.sum()), float(np.quantile(resampled, tail)), float(np.quantile(resampled, 1 - tail))


def _auroc_terms(scored: pd.DataFrame, threshold: float):
    """Per problem (rows, in groupby order): positive and negative sample counts by score group (columns, ascending
    score), and the verdict hits among positives and negatives at the threshold."""
    scores = scored["p_yes"].to_numpy(dtype=float)
    correct = scored["correct"].to_numpy(dtype=bool)
    problems, problem = np.unique(scored["problem_id"].to_numpy(), return_inverse=True)
    groups, group = np.unique(scores, return_inverse=True)
    positive, negative = np.zeros((len(problems), len(groups))), np.zeros((len(problems), len(groups)))
    np.add.at(positive, (problem[correct], group[correct]), 1.0)
    np.add.at(negative, (problem[~correct], group[~correct]), 1.0)
    says_yes = scores > threshold
    true_positive = np.bincount(problem, weights=(says_yes & correct).astype(float), minlength=len(problems))
    true_negative = np.bincount(problem, weights=(~says_yes & ~correct).astype(float), minlength=len(problems))
    return positive, negative, true_positive, true_negative


def _weighted_auroc(positive: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """AUROC per row of (R, K) positive and negative weights by ascending score group: P(positive > negative) with
    ties 1/2 (NaN where a class has no weight)."""
    below = np.cumsum(negative, axis=1) - negative
    pairs = positive.sum(axis=1) * negative.sum(axis=1)
    wins = (positive * (below + 0.5 * negative)).sum(axis=1)
    return np.divide(wins, pairs, out=np.full(len(pairs), math.nan), where=pairs > 0)


def verifier_intervals(scored: pd.DataFrame, num_bootstrap: int = 1000, confidence: float = 0.95, seed: int = 0,
                       threshold: float = 0.5) -> dict[str, tuple[float, float, float]]:
    """(value, low, high) of the verifier's balanced accuracy, pooled AUROC and within-problem AUROC (module
    docstring), the intervals over the same problem resamples as `verifier_accuracy_interval`'s."""
    positive, negative, true_positive, true_negative = _auroc_terms(scored, threshold)
    num_problems = len(positive)
    draws = np.random.default_rng(seed).integers(0, num_problems, size=(num_bootstrap, num_problems))
    counts = np.zeros((num_bootstrap + 1, num_problems))
    counts[0] = 1.0  # row 0: the sample itself
    np.add.at(counts, (np.arange(1, num_bootstrap + 1)[:, None], draws), 1.0)
    num_positive, num_negative = positive.sum(axis=1), negative.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        balanced = 0.5 * (counts @ true_positive / (counts @ num_positive)
                          + counts @ true_negative / (counts @ num_negative))
        pooled = _weighted_auroc(counts @ positive, counts @ negative)
        per_problem = _weighted_auroc(positive, negative)
        mixed = ~np.isnan(per_problem)
        within = (counts[:, mixed] @ per_problem[mixed]) / counts[:, mixed].sum(axis=1)
    tail = (1 - confidence) / 2
    out = {}
    for name, values in (("balanced accuracy", balanced), ("AUROC pooled", pooled), ("AUROC within", within)):
        resampled = values[1:][np.isfinite(values[1:])]
        low, high = np.quantile(resampled, [tail, 1 - tail]) if len(resampled) else (math.nan, math.nan)
        out[name] = (float(values[0]), float(low), float(high))
    return out


VERIFIER_INTERVAL_METRICS = ("balanced accuracy", "AUROC pooled", "AUROC within")


def arm_rows(arms: list[Arm], sweep: pd.DataFrame, verifier: pd.DataFrame, scored: dict[str, pd.DataFrame],
             train_seconds: dict[str, float], num_bootstrap: int = 1000, confidence: float = 0.95,
             seed: int = 0) -> pd.DataFrame:
    """One row per arm of one base with every table metric: `sweep` and `verifier` are the base's tables on the
    dataset, `scored` maps an arm's run to its scored samples (problem_id, correct, p_yes) where it has them, and
    `train_seconds` to the wall seconds of its RL job where it was timed. From the scored samples: the verifier's
    balanced accuracy and the problem-bootstrap intervals of threshold and balanced accuracy and of both AUROCs
    (NaN for an arm without them); the AUROCs' points are the verifier table's."""
    n_max = int(sweep["n"].max())
    rows = []
    for arm in arms:
        run = arm.run
        v = verifier[verifier["run"] == run].set_index("score")
        accuracy_interval = (verifier_accuracy_interval(scored[run], num_bootstrap, confidence, seed)[1:]
                             if run in scored else (math.nan, math.nan))
        intervals = (verifier_intervals(scored[run], num_bootstrap, confidence, seed) if run in scored
                     else dict.fromkeys(VERIFIER_INTERVAL_METRICS, (math.nan, math.nan, math.nan)))
        rows.append({
            "base": arm.base, "design": arm.design, "verify_coef": arm.verify_coef, "seed": arm.seed, "run": run,
            "n_max": n_max,
            "pass@1": _at(sweep, run, "pass_at_n", "", 1),
            "majority": _at(sweep, run, "majority", "", n_max),
            "weighted p(Yes)": _at(sweep, run, "weighted_vote", "p_yes", n_max),
            "best-of-N p(Yes)": _at(sweep, run, "best_of_n", "p_yes", n_max),
            "weighted log-prob": _at(sweep, run, "weighted_vote", "mean_logprob", n_max),
            "pass@N": _at(sweep, run, "pass_at_n", "", n_max),
            "verifier accuracy": float(v.loc["p_yes", "accuracy"]),
            "balanced accuracy": intervals["balanced accuracy"][0],
            "AUROC pooled": float(v.loc["p_yes", "auroc_pooled"]),
            "AUROC within": float(v.loc["p_yes", "auroc_within"]),
            "log-prob AUROC within": float(v.loc["mean_logprob", "auroc_within"]),
            "train s": train_seconds.get(run, math.nan),
            "pass@1 low": _at(sweep, run, "pass_at_n", "", 1, "ci_low"),
            "pass@1 high": _at(sweep, run, "pass_at_n", "", 1, "ci_high"),
            "verifier accuracy low": accuracy_interval[0], "verifier accuracy high": accuracy_interval[1],
            **{f"{metric} {end}": intervals[metric][k] for metric in VERIFIER_INTERVAL_METRICS
               for k, end in ((1, "low"), (2, "high"))},
        })
    return pd.DataFrame(rows)


METRICS = ["pass@1", "majority", "weighted p(Yes)", "best-of-N p(Yes)", "weighted log-prob", "pass@N",
           "verifier accuracy", "balanced accuracy", "AUROC pooled", "AUROC within", "log-prob AUROC within", "train s"]


def mean_ci(values) -> tuple[float, float]:
    """Mean and the half-width of its two-sided 95% t-interval (NaN half-width for one value)."""
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return math.nan, math.nan
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return mean, T_975.get(len(values) - 1, 1.96) * sd / math.sqrt(len(values))


def _cell(mean: float, half: float, digits: int = 3) -> str:
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f}" if math.isnan(half) else f"{mean:.{digits}f} ± {half:.{digits}f}"


def design_verdicts(rows: pd.DataFrame) -> pd.DataFrame:
    """Per design: weighted vote (largest lambda) minus majority (lambda 0), paired by seed, and the verdict."""
    out = []
    for design, arms in rows[rows["verify_coef"].notna()].groupby("design", sort=False):
        joint_coef = arms["verify_coef"].max()
        plain = arms[arms["verify_coef"] == 0].set_index("seed")
        joint = arms[arms["verify_coef"] == joint_coef].set_index("seed")
        seeds = sorted(set(plain.index) & set(joint.index))
        gain = mean_ci([joint.loc[s, "weighted p(Yes)"] - plain.loc[s, "majority"] for s in seeds])
        within = mean_ci([joint.loc[s, "AUROC within"] for s in seeds])
        met = within[0] >= 0.7 and gain[0] - (0 if math.isnan(gain[1]) else gain[1]) > 0 and not math.isnan(gain[1])
        out.append({"design": design, "lambda": joint_coef, "gain": gain, "within": within, "met": met})
    return pd.DataFrame(out)


def render_table(designs: list[Design], num_seeds: int, rows: pd.DataFrame, name: str = "miniature",
                 title: str | None = None) -> str:
    """The search `name` (its target) as Markdown: its designs, every arm (means over seeds), the verdicts."""
    n_max = int(rows["n_max"].max())
    seeds = num_seeds
    spread = (f"means over {seeds} seeds ± the half-width of a 95% t-interval over seeds (problems are the same "
              "across seeds, so this interval leaves out problem sampling; one seed's problem-bootstrap interval is "
              "about ± 0.06)") if seeds > 1 else \
        "one seed (no seed interval; the figure and the Parquet rows carry problem-bootstrap intervals)"
    lines = [f"# {title or f'The {name} design search'}", "",
             f"Generated by the `design_table` rule from the pipeline's own outputs (`snakemake --cores all "
             f"{name}`). Test split of the default task family of each base; N = {n_max} samples per problem; "
             f"cells are {spread}. Votes and pass@N at N = N_max; verifier accuracy = share of samples whose "
             "verdict p(Yes) > 0.5 matches their correctness (about 1 - pass@1 when p(Yes) is miscalibrated); "
             "balanced accuracy = the mean of its true-positive and true-negative rates (0.5 for a constant verdict); "
             "AUROC within = over problems with mixed outcomes; `train s` = wall seconds of the RL job.", "",
             "## Designs", ""]
    for design in designs:
        lines.append(f"- **{design.name}** (base `{design.base}`"
                     + (f", RL overrides {design.rl}" if design.rl else "") + f"): {design.rationale}")
    lines += ["", "## Every arm", "", "| design | lambda | " + " | ".join(METRICS) + " |",
              "|---|---|" + "---|" * len(METRICS)]
    for (base, design, coef), arms in rows.groupby(["base", "design", "verify_coef"], dropna=False, sort=False):
        label = f"{design} ({base})" if coef != coef else design
        cells = [_cell(*mean_ci(arms[m] if m in arms else [math.nan]), digits=0 if m == "train s" else 3)
                 for m in METRICS]
        lines.append(f"| {label} | {'' if coef != coef else f'{coef:g}'} | " + " | ".join(cells) + " |")
    lines += ["", "## Verdict against the target", "",
              "Target: within-problem AUROC of p(Yes) >= 0.7 and weighted vote by p(Yes) (lambda > 0) above majority "
              "vote (lambda = 0) at N_max, the paired gain's seed interval above zero.", "",
              "| design | weighted vote (lambda>0) - majority (lambda=0) | AUROC within (lambda>0) | target met |",
              "|---|---|---|---|"]
    verdicts = design_verdicts(rows)
    for verdict in verdicts.itertuples(index=False):
        lines.append(f"| {verdict.design} | {_cell(*verdict.gain)} | {_cell(*verdict.within)} | "
                     f"{'yes' if verdict.met else 'no'} |")
    if len(verdicts) < 2:
        return "\n".join(lines) + "\n"
    best = best_design(verdicts)
    lines += ["", f"Best design by the search's decision rule (largest mean gain): **{best}**"
              + ("" if verdicts.set_index("design").loc[best, "met"] else " (it does not meet the target)") + "."]
    return "\n".join(lines) + "\n"


def best_design(verdicts: pd.DataFrame) -> str:
    """The design with the largest mean paired gain of weighted vote over majority vote."""
    return verdicts.loc[verdicts["gain"].map(lambda gain: gain[0]).idxmax(), "design"]


LAMBDA_METRICS = ("pass@1", "verifier accuracy", "balanced accuracy", "AUROC pooled", "AUROC within")


def lambda_points(rows: pd.DataFrame) -> pd.DataFrame:
    """One point per lambda (arms of every design; the warm start excluded): pass@1, threshold and balanced
    accuracy, pooled and within-problem AUROC, each with an interval. Two or more seeds: mean over seeds ± the 95%
    t-interval's half-width ("seeds"); one seed: that arm's values with their problem-bootstrap intervals
    ("problems"). A metric the rows lack is NaN."""
    out = []
    for coef, arms in rows[rows["verify_coef"].notna()].groupby("verify_coef", sort=True):
        point = {"verify_coef": float(coef), "seeds": len(arms), "interval": "seeds" if len(arms) > 1 else "problems"}
        for metric in LAMBDA_METRICS:
            column = lambda name: arms[name] if name in arms else pd.Series([math.nan] * len(arms))  # noqa: E731
            if len(arms) > 1:
                mean, half = mean_ci(column(metric))
                low, high = mean - half, mean + half
            else:
                mean, low, high = (float(column(name).iloc[0]) for name in (metric, f"{metric} low", f"{metric} high"))
            point.update({metric: mean, f"{metric} low": low, f"{metric} high": high})
        out.append(point)
    return pd.DataFrame(out)
