"""The paper's headline claims beside our measurements, each with a plain verdict by a rule fixed before any result.

Base = the base RL run, RL^V = the run trained with the verification loss (figures.parallel_scaling), judge = the
`{base}+judge` pseudo-run (the base run's own samples weighted by its p("Yes") as a prompted judge; only where the
config has `judge`). RL^V's test-time strategy in every verdict is the weighted vote by its own p("Yes")
(`weighted_vote:p_yes`), fixed in advance: picking the better of best-of-N and weighted vote on the test problems
would favour RL^V. Strategies scored by the policy's mean token log-prob are a free verifier any run has, not
RL^V's: they are shown apart and never enter a verdict. All intervals are percentile bootstraps over problems,
paired where two runs answer the same problems (`sweep.num_bootstrap` resamples, seeded by the master seed).

Verdict vocabulary: reproduced / partly / not reproduced / not measured yet (the claim's experiment is not in the
config or has not run). A claim read at several points (readings, budgets) takes the weakest of its points'
verdicts, unless its rule says otherwise.

Gain verdict (a relative gain g with CI [low, high] against the claim's threshold t > 0):
    reproduced      g >= t and low > 0      (a significant gain as large as claimed)
    partly          exactly one of the two  (significant but smaller, or as large but not significant)
    not reproduced  neither
A qualitative claim (t = 0, "generalizes") is reproduced when low > 0 and not reproduced otherwise (no "partly": a
positive but insignificant gain is no evidence). Where neither side is right on any problem the gain is 0/0: not
reproduced.

The claims and their rules:
  - ">20% higher accuracy with parallel sampling": RL^V's weighted vote at N_max against the base RL method at
    N_max, on the in-distribution dataset. The paper's baseline and unit are ambiguous, so four readings are
    reported, each with a paired bootstrap CI: {relative gain acc_RLV / acc_base - 1, absolute gain in accuracy
    points} x {base run's majority vote, base run + prompted judge's weighted vote}. Rule: the verdict is the
    weakest of the gain verdicts (t = 0.20) of the RELATIVE readings, over both baselines where the config has a
    judge (else majority alone, and the row says so). Why relative: the abstract states its other claims as
    ratios (8-32x, 1.2-1.6x) and "boosts accuracy by over 20%" reads as a percentage of accuracy; 20 absolute
    points is the stronger statement (with base accuracy below 1, a 20-point gain is above 20% relative), so the
    absolute readings are reported beside and never enter the verdict. Why both baselines: "compared to the base
    RL method" names no aggregator, and majority vote and an LLM judge are both that method's ways of using
    parallel samples; a gain that holds against one of them and not the other is not the claim. At N = N_max
    every strategy is a deterministic function of the pool, so the per-problem values average to the sweep's
    accuracies there (votes count answers equal under `equivalent` as one, rlv.analysis.aggregate). The details
    also list best-of-N by p("Yes") at N_max in both forms, plain (it may pick a sample without an answer) and
    among answered samples only (`best_of_n_answered`, the paper's), for reference, not for the verdict.
  - "8-32x more efficient test-time scaling": the iso-accuracy compute ratio N_base(a) / N_RLV(a) of
    rlv.analysis.efficiency, base majority vote against RL^V's weighted vote, at each level a = RL^V's accuracy
    at a measured N, with a simultaneous (Bonferroni over the levels) paired bootstrap interval
    (rlv.analysis.efficiency.ratio_intervals: problems resampled, both curves and the ratio recomputed). Per
    level with a two-sided ratio r (both curves cross a once) and interval [low, high]: reproduced if r >= 8 and
    low > 1, partly if exactly one holds, not reproduced otherwise. A one-sided bound (the base never reaches a
    by N_max: "> N_max / N"; or starts above it) is reported as a bound and is never evidence. Rule: the claim
    takes the best level's verdict (the intervals are simultaneous, so the best level may be chosen); with no
    two-sided level it is not reproduced.
  - easy-to-hard, out-of-domain: the relative gain of RL^V's weighted vote over base majority at N_max on the
    configured harder / out-of-domain dataset, between the runs the claim names (easy-to-hard: runs trained on
    the low levels only; see rlv.pipeline.plan), else those of parallel sampling; qualitative (t = 0).
  - "1.2-1.6x with sequential x parallel scaling" (target `sequential_parallel`): at each token budget the
    accuracy ratio of RL^V's weighted vote by p("Yes") over the base run's majority vote (its best strategy that
    uses no verifier; pass@N is no strategy), both at the fixed N, with a paired bootstrap CI
    (rlv.analysis.sequential.ratio_table). Per budget: the gain verdict of ratio - 1 with t = 0.2. Rule: the
    claim is reproduced only if every budget is reproduced, partly only if every budget is at least partly, not
    reproduced otherwise (the weakest budget's verdict). A budget where neither run is right on any problem
    (0/0) is listed as uninformative and left out; with no informative budget the claim is not reproduced. Each
    run's best log-prob strategy per budget (picked on the test problems) is listed apart and never enters the
    verdict. A ratio table written before the strategies were fixed is not judged (rerun the target). Until the
    target has run (it is outside rule all) the claim is "not measured yet".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rlv.analysis.aggregate import Equivalence, bootstrap_ci
from rlv.analysis.efficiency import per_problem_curves, ratio_intervals

VERIFIER_STRATEGIES = ("best_of_n:p_yes", "weighted_vote:p_yes")  # RL^V's p(Yes) strategies in figures
VERDICT_STRATEGY = "weighted_vote:p_yes"  # RL^V's (and the judge's) strategy in every verdict, fixed in advance
BASE_STRATEGY = "majority"  # the base run's strategy without a verifier
GAIN_THRESHOLD = 0.20
SEQUENTIAL_THRESHOLD = 0.20  # 1.2x
RATIO_THRESHOLD = 8.0
NOT_MEASURED = "not measured yet"
ORDER = ("not reproduced", "partly", "reproduced")  # weakest first

RULES = {
    "parallel": "RL^V's weighted vote by p(Yes) at N_max vs the base run at N_max, four readings ({relative, "
                "absolute points} x {majority vote, prompted judge's weighted vote}); verdict = the weakest of the "
                "relative readings' verdicts (>= +20% with CI above 0: reproduced; one of the two: partly); the "
                "absolute readings are reported, never in the verdict",
    "efficiency": "iso-accuracy ratio N_base / N_RL^V (majority vs weighted vote by p(Yes)) per accuracy level with "
                  "a simultaneous bootstrap CI; a level is reproduced if ratio >= 8 and CI above 1, partly if one "
                  "of the two; one-sided bounds are never evidence; verdict = the best level's",
    "generalization": "relative gain of RL^V's weighted vote by p(Yes) over base majority at N_max on that dataset; "
                      "reproduced only if its CI lies above 0",
    "sequential": "per token budget, RL^V's weighted vote by p(Yes) / the base run's majority vote at fixed N with a "
                  "paired CI; a budget is reproduced if >= 1.2x with CI above 1, partly if one of the two; verdict "
                  "= the weakest budget's (reproduced only if every budget is); 0/0 budgets left out; log-prob "
                  "strategies listed apart",
}


def per_problem_at_n_max(scored: pd.DataFrame, spec: str, equivalent: Equivalence | None = None) -> pd.Series:
    """Each problem's value of one strategy with its whole pool of N_max samples, indexed by problem_id. Votes
    count answers equal under `equivalent` as one candidate (rlv.analysis.aggregate)."""
    n_max = int(scored.groupby("problem_id").size().max())  # per_problem_curves checks every problem has as many
    values, problem_ids = per_problem_curves(scored, spec, [n_max], num_subsets=1, equivalent=equivalent)
    return pd.Series(values[:, 0], index=problem_ids, name=spec)


def paired_gain(verifier_values: pd.Series, base_values: pd.Series, num_bootstrap: int, confidence: float,
                seed: int) -> dict:
    """The relative gain mean(verifier) / mean(base) - 1 and the absolute gain mean(verifier) - mean(base), each
    with a paired percentile bootstrap CI over the shared problems (the same resamples for both)."""
    if set(verifier_values.index) != set(base_values.index):
        raise ValueError("the two runs were evaluated on different problems")
    base = base_values.to_numpy(dtype=float)
    verifier = verifier_values.reindex(base_values.index).to_numpy(dtype=float)
    resamples = np.random.default_rng(seed).integers(0, len(base), size=(num_bootstrap, len(base)))
    verifier_means, base_means = verifier[resamples].mean(axis=1), base[resamples].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gains = verifier_means / base_means - 1
        gain = verifier.mean() / base.mean() - 1
    # a resample whose base mean is 0 has an infinite gain; one where both are 0 shows no difference: gain 0
    # (dropping it would keep only the resamples that hold the few solved problems, a CI of one point)
    gains[(verifier_means == 0) & (base_means == 0)] = 0.0
    tails = [(1 - confidence) / 2, (1 + confidence) / 2]
    low, high = np.nanquantile(gains, tails, method="inverted_cdf")
    difference_low, difference_high = np.quantile(verifier_means - base_means, tails, method="inverted_cdf")
    return {"gain": float(gain), "ci_low": float(low), "ci_high": float(high),
            "difference": float(verifier.mean() - base.mean()), "difference_low": float(difference_low),
            "difference_high": float(difference_high), "verifier_accuracy": float(verifier.mean()),
            "base_accuracy": float(base.mean()), "num_problems": len(base)}


def relative_gain(verifier_values: pd.Series, base_values: pd.Series, num_bootstrap: int, confidence: float,
                  seed: int) -> dict:
    """mean(verifier) / mean(base) - 1 with a paired percentile bootstrap CI over the shared problems."""
    result = paired_gain(verifier_values, base_values, num_bootstrap, confidence, seed)
    return {key: result[key] for key in ("gain", "ci_low", "ci_high", "verifier_accuracy", "base_accuracy",
                                         "num_problems")}


def gain_verdict(gain: float, ci_low: float, threshold: float) -> str:
    if math.isnan(gain):
        return NOT_MEASURED
    significant, large_enough = ci_low > 0, gain >= threshold
    if threshold <= 0:  # a qualitative claim ("generalizes"): only a significant gain supports it
        return "reproduced" if significant else "not reproduced"
    if significant and large_enough:
        return "reproduced"
    return "partly" if significant or large_enough else "not reproduced"


def weakest(verdicts: list[str]) -> str:
    """The weakest of several verdicts (not reproduced < partly < reproduced); not reproduced if there are none."""
    return min(verdicts, key=ORDER.index) if verdicts else "not reproduced"


def _name(labels: dict, run: str) -> str:
    return labels.get(run, run)


def _boot(params: dict) -> tuple[int, float, int]:
    return params.get("num_bootstrap", 1000), params.get("confidence", 0.95), params.get("seed", 0)


# --- >20% with parallel sampling, and the generalization claims

def gain_on(dataset: str, sweep: pd.DataFrame, scored: dict, params: dict,
            equivalent: Equivalence | None = None, base_strategy: str = BASE_STRATEGY,
            base_run: str | None = None) -> dict:
    """The relative and absolute gain at N_max of RL^V's weighted vote by p(Yes) over `base_strategy` of
    `base_run` (default: the comparison's base run, majority vote) on one dataset."""
    base_run = base_run or params["base_run"]
    result = paired_gain(per_problem_at_n_max(scored[(params["verifier_run"], dataset)], VERDICT_STRATEGY, equivalent),
                         per_problem_at_n_max(scored[(base_run, dataset)], base_strategy, equivalent), *_boot(params))
    return {**result, "strategy": VERDICT_STRATEGY, "base_strategy": base_strategy, "base_run": base_run,
            "n_max": int(sweep[sweep["dataset"] == dataset]["n"].max())}


def _gain_text(g: dict, labels: dict, params: dict) -> str:
    base, verifier = _name(labels, params["base_run"]), _name(labels, params["verifier_run"])
    return (f"{g['gain']:+.1%} [{g['ci_low']:+.1%}, {g['ci_high']:+.1%}]: {verifier} {g['strategy']} "
            f"{g['verifier_accuracy']:.3f} vs {base} majority {g['base_accuracy']:.3f} at N={g['n_max']}, "
            f"{g['num_problems']} problems")


def _both_zero(g: dict) -> bool:
    return g["verifier_accuracy"] == 0 and g["base_accuracy"] == 0


def _gain_row(claim: str, g: dict, labels: dict, params: dict, threshold: float) -> dict:
    """A gain claim's row; where neither run is right on any problem the gain is 0/0: measured, not reproduced."""
    if _both_zero(g):
        return {"claim": claim, "verdict": "not reproduced",
                "measured": f"undefined (0/0): neither {_name(labels, params['verifier_run'])} nor "
                            f"{_name(labels, params['base_run'])} is right on any of the {g['num_problems']} problems "
                            f"at N={g['n_max']}"}
    return {"claim": claim, "measured": _gain_text(g, labels, params),
            "verdict": gain_verdict(g["gain"], g["ci_low"], threshold)}


def parallel_readings(dataset: str, sweep: pd.DataFrame, scored: dict, params: dict,
                      equivalent: Equivalence | None = None) -> list[dict]:
    """The four readings of ">20%" (two without a judge): one dict per (baseline, unit) with its value, CI, verdict
    against the threshold (0.20 relative, 20 points absolute) and whether it enters the claim's verdict."""
    baselines = [("majority", params["base_run"], BASE_STRATEGY)]
    judge = params.get("judge_run")
    if judge and (judge, dataset) in scored:
        baselines.append(("prompted judge", judge, VERDICT_STRATEGY))
    readings = []
    for baseline, run, strategy in baselines:
        g = gain_on(dataset, sweep, scored, params, equivalent, strategy, run)
        for unit, value, low, high in (("relative", g["gain"], g["ci_low"], g["ci_high"]),
                                       ("absolute", g["difference"], g["difference_low"], g["difference_high"])):
            verdict = "not reproduced" if _both_zero(g) else gain_verdict(value, low, GAIN_THRESHOLD)
            readings.append({**g, "baseline": baseline, "unit": unit, "value": value, "low": low, "high": high,
                             "verdict": verdict, "in_verdict": unit == "relative"})
    return readings


def _reading_value(r: dict) -> str:
    if _both_zero(r):
        return "undefined (0/0)"
    if r["unit"] == "relative":
        return f"{r['value']:+.1%} [{r['low']:+.1%}, {r['high']:+.1%}]"
    return f"{100 * r['value']:+.1f} [{100 * r['low']:+.1f}, {100 * r['high']:+.1f}] points"


def _strategy_cell(values: pd.Series, params: dict) -> str:
    num_bootstrap, confidence, seed = _boot(params)
    low, high = bootstrap_ci(values.to_numpy(dtype=float), num_bootstrap, confidence, np.random.default_rng(seed))
    return f"{values.mean():.3f} [{low:.3f}, {high:.3f}]"


def parallel_row(dataset: str, sweep: pd.DataFrame, scored: dict, params: dict, labels: dict,
                 equivalent: Equivalence | None = None) -> dict:
    """The ">20%" row: the four readings in `measured`, the verdict by the rule of the module docstring, and
    `details` (Markdown lines): the readings' table and RL^V's p(Yes) strategies at N_max, both best-of-N forms."""
    readings = parallel_readings(dataset, sweep, scored, params, equivalent)
    first = readings[0]
    base, verifier = _name(labels, params["base_run"]), _name(labels, params["verifier_run"])
    parts = []
    for baseline in dict.fromkeys(r["baseline"] for r in readings):
        rel, absolute = (r for r in readings if r["baseline"] == baseline)
        what = f"{base} majority" if baseline == "majority" else f"{_name(labels, rel['base_run'])} weighted vote"
        parts.append(f"vs {what} {rel['base_accuracy']:.3f}: {_reading_value(rel)} relative ({rel['verdict']}), "
                     f"{_reading_value(absolute)} absolute ({absolute['verdict']})")
    if len(readings) == 2:
        parts.append("prompted-judge readings not measured (" + ("its scored samples were not given)"
                                                                 if params.get("judge_run") else
                                                                 "no `judge` in the config)"))
    measured = (f"{verifier} weighted vote by p(Yes) {first['verifier_accuracy']:.3f} at N={first['n_max']} "
                f"({first['num_problems']} problems) " + "; ".join(parts)
                + "; verdict: the weakest relative reading")
    verdict = weakest([r["verdict"] for r in readings if r["in_verdict"]])
    details = ["| reading | baseline | baseline accuracy | RL^V weighted vote | gain [95% CI] | verdict | in the verdict |",
               "|---|---|---|---|---|---|---|"]
    for r in readings:
        details.append(f"| {r['unit']} | {_name(labels, r['base_run'])} {r['base_strategy']} | "
                       f"{r['base_accuracy']:.3f} | {r['verifier_accuracy']:.3f} | {_reading_value(r)} | "
                       f"{r['verdict']} | {'yes' if r['in_verdict'] else 'no'} |")
    details += ["", f"Strategies at N={first['n_max']} (accuracy [95% bootstrap CI]; best-of-N in both forms, for "
                "reference: plain best-of-N may pick a sample without an answer, the paper's form picks among "
                "answered samples only):", "", "| run | strategy | accuracy |", "|---|---|---|"]
    runs = [(params["verifier_run"], spec) for spec in ("weighted_vote:p_yes", "best_of_n:p_yes",
                                                         "best_of_n_answered:p_yes")]
    runs += [(params["base_run"], BASE_STRATEGY)] + [(r["base_run"], r["base_strategy"]) for r in readings
                                                      if r["baseline"] == "prompted judge" and r["unit"] == "relative"]
    for run, spec in runs:
        details.append(f"| {_name(labels, run)} | {spec} | "
                       f"{_strategy_cell(per_problem_at_n_max(scored[(run, dataset)], spec, equivalent), params)} |")
    return {"claim": ">20% higher accuracy with parallel sampling", "measured": measured, "verdict": verdict,
            "rule": RULES["parallel"], "details": details, "readings": readings}


# --- 8-32x

def level_verdict(ratio: float, ci_low: float, threshold: float = RATIO_THRESHOLD) -> str | None:
    """A level's verdict from its two-sided ratio and the low end of its interval; None for no two-sided ratio."""
    if not math.isfinite(ratio):
        return None
    large_enough, significant = ratio >= threshold, ci_low > 1
    if large_enough and significant:
        return "reproduced"
    return "partly" if large_enough or significant else "not reproduced"


def _interval(low: float, high: float) -> str:
    return f"[{low:.2f}, {'inf' if math.isinf(high) else f'{high:.2f}'}]"


def efficiency_row(dataset: str, sweep: pd.DataFrame, scored: dict, params: dict, labels: dict,
                   equivalent: Equivalence | None = None) -> dict:
    """The "8-32x" row: the compute ratio per level with its simultaneous bootstrap interval, bounds as bounds."""
    claim = "8-32x more efficient test-time scaling (iso-accuracy compute ratio)"
    ns = sorted(int(n) for n in sweep[sweep["dataset"] == dataset]["n"].unique())
    num_subsets, (num_bootstrap, confidence, seed) = params.get("num_subsets", 200), _boot(params)
    base_values, base_ids = per_problem_curves(scored[(params["base_run"], dataset)], BASE_STRATEGY, ns, num_subsets,
                                               seed, equivalent)
    verifier_values, verifier_ids = per_problem_curves(scored[(params["verifier_run"], dataset)], VERDICT_STRATEGY, ns,
                                                       num_subsets, seed, equivalent)
    if list(base_ids) != list(verifier_ids):
        raise ValueError("the two runs were evaluated on different problems")
    levels = ratio_intervals(ns, base_values, verifier_values, num_bootstrap, confidence, seed)
    parts, verdicts = [], []
    details = ["| level: RL^V accuracy at N | N base | N RL^V | ratio | simultaneous CI | resamples with a ratio | "
               "verdict |", "|---|---|---|---|---|---|---|"]
    for row in levels.itertuples(index=False):
        verdict = level_verdict(row.ratio, row.ci_low)
        if verdict is not None:
            verdicts.append(verdict)
            text = f"{row.ratio:.2f}x {_interval(row.ci_low, row.ci_high)}"
        elif not math.isnan(row.ratio_at_least):
            text = f"> {row.ratio_at_least:.2f}x (a bound: the base never reaches it by N={ns[-1]}; not evidence)"
        elif not math.isnan(row.ratio_at_most):
            text = f"< {row.ratio_at_most:.2f}x (a bound: the base is above it at N={ns[0]})"
        else:
            text = "undefined (" + row.reason + ")"
        parts.append(f"{row.target_accuracy:.3f} (N={row.level_n}): {text}")
        details.append(f"| {row.target_accuracy:.3f} at N={row.level_n} | "
                       + ("-" if math.isnan(row.n_base) else f"{row.n_base:.2f}") + " | "
                       + ("-" if math.isnan(row.n_verifier) else f"{row.n_verifier:.2f}") + " | "
                       + (f"{row.ratio:.2f}x" if verdict is not None else text) + " | "
                       + (_interval(row.ci_low, row.ci_high) if not math.isnan(row.ci_low) else "-")
                       + f" | {row.resamples_defined} of {row.num_bootstrap} | {verdict or 'no evidence'} |")
    confidence_each = levels["ci_confidence"].iloc[0]
    measured = (f"{_name(labels, params['verifier_run'])} weighted vote by p(Yes) vs {_name(labels, params['base_run'])} "
                f"majority, simultaneous {confidence:.0%} CIs over {len(levels)} levels (each at "
                f"{confidence_each:.2%}): " + "; ".join(parts))
    if not verdicts:
        measured += "; no level where both curves cross it once, so no two-sided ratio"
    verdict = max(verdicts, key=ORDER.index) if verdicts else "not reproduced"
    return {"claim": claim, "measured": measured, "verdict": verdict, "rule": RULES["efficiency"],
            "details": details, "levels": levels}


# --- the claim rows

def claim_rows(sweeps: dict, efficiency: dict | None, scored: dict, params: dict, labels: dict,
               sequential: pd.DataFrame | None = None, equivalent: Equivalence | None = None) -> list[dict]:
    """One row per headline claim: claim, measured (text), verdict, rule (words), and for some `details` (Markdown
    lines). `sweeps` maps dataset -> sweep table; `efficiency` (the efficiency rule's point tables, rendered by the
    summary) is not read here: the compute ratio is recomputed with its intervals from the scored samples.
    `scored` maps (run, dataset) -> scored samples; params: dataset, base_run, verifier_run, judge_run (the
    `{base}+judge` pseudo-run, if any), easy_to_hard, out_of_domain (a dataset name, or {dataset, base_run,
    verifier_run}; None if not measured), num_subsets (the sweep's), num_bootstrap, confidence, seed.
    `sequential`: the sequential_parallel target's ratio table, if it ran. `equivalent`: the answer equivalence of
    the votes, as the sweep's (rlv.analysis.aggregate)."""
    dataset = params["dataset"]
    rows = [parallel_row(dataset, sweeps[dataset], scored, params, labels, equivalent),
            efficiency_row(dataset, sweeps[dataset], scored, params, labels, equivalent)]
    for key, claim in (("easy_to_hard", "generalizes easy-to-hard"), ("out_of_domain", "generalizes out of domain")):
        spec = {"dataset": params[key]} if isinstance(params.get(key), str) else dict(params.get(key) or {})
        name = spec.get("dataset")
        if name and name in sweeps:
            runs = {**params, **{role: spec[role] for role in ("base_run", "verifier_run") if role in spec}}
            row = _gain_row(f"{claim} (dataset `{name}`)", gain_on(name, sweeps[name], scored, runs, equivalent),
                            labels, runs, 0.0)
        else:
            row = {"claim": claim, "measured": "no such dataset configured (figures.claims." + key + ")",
                   "verdict": NOT_MEASURED}
        rows.append({**row, "rule": RULES["generalization"]})
    rows.append(sequential_row(sequential, labels))
    return rows


# --- 1.2-1.6x

def budget_verdict(row) -> str | None:
    """One budget's verdict (gain verdict of ratio - 1, t = 0.2); None where neither run solves a problem (0/0)."""
    if math.isnan(row.ratio):
        return None
    return gain_verdict(row.ratio - 1, row.ci_low - 1, SEQUENTIAL_THRESHOLD)


def _logprob_text(row, labels: dict) -> str:
    cells = []
    for role in ("verifier", "base"):
        strategy = getattr(row, f"{role}_logprob_strategy", "")
        if isinstance(strategy, str) and strategy:
            cells.append(f"{_name(labels, getattr(row, f'{role}_run'))} {getattr(row, f'{role}_logprob_accuracy'):.3f} "
                         f"({strategy})")
    return ", ".join(cells) or "-"


def sequential_row(ratios: pd.DataFrame | None, labels: dict | None = None) -> dict:
    """The "1.2-1.6x" claim from the sequential_parallel target's ratio table (None: the target has not run)."""
    claim, labels = "1.2-1.6x with sequential x parallel scaling", labels or {}
    base = {"claim": claim, "rule": RULES["sequential"]}
    if ratios is None or not len(ratios):
        return {**base, "verdict": NOT_MEASURED,
                "measured": "run the target `snakemake --cores all sequential_parallel` (outside rule all)"}
    fixed = (ratios["verifier_strategy"].eq(VERDICT_STRATEGY) & ratios["base_strategy"].eq(BASE_STRATEGY)).all() \
        if {"verifier_strategy", "base_strategy"} <= set(ratios.columns) else True
    if not fixed:
        return {**base, "verdict": NOT_MEASURED,
                "measured": "the ratio table compares each run's best strategy picked on the test problems (written "
                            "before the strategies were fixed): rerun `snakemake --cores all sequential_parallel`"}
    parts, verdicts = [], []
    details = ["| budget (tokens) | base majority | RL^V weighted vote | ratio [95% CI] | verdict | log-prob strategies "
               "(best per run, not in the verdict) |", "|---|---|---|---|---|---|"]
    for row in ratios.sort_values("budget").itertuples(index=False):
        verdict = budget_verdict(row)
        if verdict is None:
            text = "uninformative (neither run is right on any problem), left out"
        else:
            verdicts.append(verdict)
            text = f"{row.ratio:.2f}x {_interval(row.ci_low, row.ci_high)} ({verdict})"
        parts.append(f"{row.budget}: {text}")
        accuracies = (f"{getattr(row, 'base_accuracy', math.nan):.3f} | {getattr(row, 'verifier_accuracy', math.nan):.3f}")
        details.append(f"| {row.budget} | {accuracies} | "
                       + (f"{row.ratio:.2f}x {_interval(row.ci_low, row.ci_high)}" if verdict else "0/0") + f" | "
                       f"{verdict or 'left out'} | {_logprob_text(row, labels)} |")
    first = ratios.iloc[0]
    measured = (f"weighted vote by p(Yes) of {_name(labels, first['verifier_run'])} / majority vote of "
                f"{_name(labels, first['base_run'])} per token budget: " + "; ".join(parts)
                + "; verdict: the weakest budget")
    if not verdicts:
        measured += " (no informative budget)"
    return {**base, "measured": measured, "verdict": weakest(verdicts), "details": details}
