"""The paper's headline claims beside our measurements, each with a plain verdict.

How each claim is measured (base = the base RL run, RL^V = the run trained with the verification loss):
  - ">20% with parallel sampling": the relative gain acc_RLV / acc_base - 1 at N_max of RL^V's best
    p("Yes") strategy (best-of-N or weighted vote, whichever is higher at N_max) over the base run's
    majority vote, on the in-distribution dataset. CI: a paired percentile bootstrap over problems (both
    runs answer the same problems) of the ratio of mean per-problem values. At N = N_max every strategy
    is a deterministic function of the whole pool, so these per-problem values average to the sweep's
    accuracies there (given the same answer equivalence: votes count answers equal under `equivalent` as one
    candidate, rlv.analysis.aggregate). The best strategy is picked on the same test problems, which favours RL^V slightly.
  - "8-32x more efficient": the iso-accuracy compute ratio N_base(a) / N_RLV(a) of rlv.analysis.efficiency for
    the same two strategies, over the accuracy levels RL^V reaches at each measured N. No CI: a point
    estimate read off the two curves.
  - easy-to-hard, out-of-domain: the same relative gain on the configured harder / out-of-domain dataset,
    between the runs the claim names (easy-to-hard: runs trained on the low levels only; see
    rlv.pipeline.plan), else those of parallel sampling; the paper states these qualitatively, so the
    claim is reproduced when the gain's CI lies above 0 and not reproduced otherwise (no "partly": a
    positive but insignificant gain is no evidence). Where neither run solves a problem the gain is 0/0:
    not reproduced.
  - "1.2-1.6x" (sequential x parallel scaling, target `sequential_parallel`): at each token budget, the
    accuracy ratio of RL^V's best strategy at fixed N over the base run's best (rlv.analysis.sequential.ratio_table,
    paired bootstrap CI over problems). The claim spans budgets, so its verdict takes the gain verdict
    below with t = 0.2 at each budget: reproduced if some budget is reproduced, partly if some budget is
    at least partly, not reproduced otherwise; every budget's ratio is listed. Until the target has run
    (it is outside rule all) the claim is "not measured yet".

Verdicts. A relative gain g with CI [low, high] against the claim's threshold t:
    reproduced      g >= t and low > 0      (a significant gain as large as claimed)
    partly          exactly one of the two  (significant but smaller, or as large but not significant)
    not reproduced  neither
A compute ratio against the claim's low end (8): its best evidence is the largest ratio, or lower bound
where the base curve never reaches RL^V's accuracy, over the levels. The ratio has no CI of its own, so
it counts only when RL^V's accuracy gain at N_max is significant (CI above 0); a ratio near 1 between
two curves inside each other's CIs is noise. Reproduced if >= 8 and significant, partly if above 1 and
significant, not reproduced otherwise. A claim without its experiment is "not measured yet".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rlv.analysis.aggregate import Equivalence, best_of_n, encode_answers, subset_indices, votes
from rlv.analysis.efficiency import best_strategy_at_n_max, parse_strategy

VERIFIER_STRATEGIES = ("best_of_n:p_yes", "weighted_vote:p_yes")
GAIN_THRESHOLD = 0.20
RATIO_THRESHOLD = 8.0
NOT_MEASURED = "not measured yet"


def per_problem_at_n_max(scored: pd.DataFrame, spec: str, equivalent: Equivalence | None = None) -> pd.Series:
    """Each problem's value of one strategy with its whole pool of N_max samples, indexed by problem_id. Votes
    count answers equal under `equivalent` as one candidate (rlv.analysis.aggregate)."""
    strategy, score = parse_strategy(spec)
    codes, correct, problem_ids = encode_answers(scored, equivalent)
    n_max = codes.shape[1]
    pool = scored.sort_values(["problem_id", "sample"])
    if strategy == "best_of_n":
        values = best_of_n(pool[score].to_numpy(dtype=float).reshape(-1, n_max), correct, n_max)
    elif strategy in ("majority", "weighted_vote"):
        weights = None
        if strategy == "weighted_vote":
            weights = pool[score].to_numpy(dtype=float).reshape(-1, n_max)
            weights = np.exp(weights) if score.endswith("logprob") else weights
        values = votes(codes, [weights], correct, subset_indices(n_max, n_max, 1, np.random.default_rng(0)))[0]
    else:
        raise ValueError(f"no per-problem value at N_max for strategy {spec!r}")
    return pd.Series(values, index=problem_ids, name=spec)


def relative_gain(verifier_values: pd.Series, base_values: pd.Series, num_bootstrap: int, confidence: float,
                  seed: int) -> dict:
    """mean(verifier) / mean(base) - 1 with a paired percentile bootstrap CI over the shared problems."""
    if set(verifier_values.index) != set(base_values.index):
        raise ValueError("the two runs were evaluated on different problems")
    base = base_values.to_numpy(dtype=float)
    verifier = verifier_values.reindex(base_values.index).to_numpy(dtype=float)
    resamples = np.random.default_rng(seed).integers(0, len(base), size=(num_bootstrap, len(base)))
    verifier_means, base_means = verifier[resamples].mean(axis=1), base[resamples].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gains = verifier_means / base_means - 1
    # a resample whose base mean is 0 has an infinite gain; one where both are 0 shows no difference: gain 0
    # (dropping it would keep only the resamples that hold the few solved problems, a CI of one point)
    gains[(verifier_means == 0) & (base_means == 0)] = 0.0
    low, high = np.nanquantile(gains, [(1 - confidence) / 2, (1 + confidence) / 2], method="inverted_cdf")
    return {"gain": verifier.mean() / base.mean() - 1, "ci_low": float(low), "ci_high": float(high),
            "verifier_accuracy": verifier.mean(), "base_accuracy": base.mean(), "num_problems": len(base)}


def gain_verdict(gain: float, ci_low: float, threshold: float) -> str:
    if math.isnan(gain):
        return NOT_MEASURED
    significant, large_enough = ci_low > 0, gain >= threshold
    if threshold <= 0:  # a qualitative claim ("generalizes"): only a significant gain supports it
        return "reproduced" if significant else "not reproduced"
    if significant and large_enough:
        return "reproduced"
    return "partly" if significant or large_enough else "not reproduced"


def ratio_evidence(ratios: pd.DataFrame) -> float:
    """The largest compute ratio, or lower bound where the base never reaches the level (NaN if none)."""
    values = pd.concat([ratios["ratio"], ratios["ratio_at_least"], ratios["ratio_at_most"]]).dropna()
    return float(values.max()) if len(values) else math.nan


def ratio_verdict(best: float, gain_significant: bool, threshold: float = RATIO_THRESHOLD) -> str:
    if math.isnan(best):
        return NOT_MEASURED
    if not gain_significant or best <= 1:
        return "not reproduced"
    return "reproduced" if best >= threshold else "partly"


def gain_on(dataset: str, sweep: pd.DataFrame, scored: dict, params: dict,
            equivalent: Equivalence | None = None) -> dict:
    """The relative gain at N_max of RL^V's best p(Yes) strategy over base majority vote on one dataset."""
    base_run, verifier_run = params["base_run"], params["verifier_run"]
    best = best_strategy_at_n_max(sweep, dataset, verifier_run, list(VERIFIER_STRATEGIES))
    result = relative_gain(per_problem_at_n_max(scored[(verifier_run, dataset)], best, equivalent),
                           per_problem_at_n_max(scored[(base_run, dataset)], "majority", equivalent),
                           params.get("num_bootstrap", 1000), params.get("confidence", 0.95), params.get("seed", 0))
    return {**result, "strategy": best, "n_max": int(sweep[sweep["dataset"] == dataset]["n"].max())}


def _gain_text(g: dict, labels: dict, params: dict) -> str:
    base, verifier = labels.get(params["base_run"], params["base_run"]), labels.get(params["verifier_run"],
                                                                                  params["verifier_run"])
    return (f"{g['gain']:+.1%} [{g['ci_low']:+.1%}, {g['ci_high']:+.1%}]: {verifier} {g['strategy']} "
            f"{g['verifier_accuracy']:.3f} vs {base} majority {g['base_accuracy']:.3f} at N={g['n_max']}, "
            f"{g['num_problems']} problems")


def _gain_row(claim: str, g: dict, labels: dict, params: dict, threshold: float) -> dict:
    """A gain claim's row; where neither run is right on any problem the gain is 0/0: measured, not reproduced."""
    if g["verifier_accuracy"] == 0 and g["base_accuracy"] == 0:
        return {"claim": claim, "verdict": "not reproduced",
                "measured": f"undefined (0/0): neither {labels.get(params['verifier_run'], params['verifier_run'])} "
                            f"nor {labels.get(params['base_run'], params['base_run'])} is right on any of the "
                            f"{g['num_problems']} problems at N={g['n_max']}"}
    return {"claim": claim, "measured": _gain_text(g, labels, params),
            "verdict": gain_verdict(g["gain"], g["ci_low"], threshold)}


def claim_rows(sweeps: dict, efficiency: dict, scored: dict, params: dict, labels: dict,
               sequential: pd.DataFrame | None = None, equivalent: Equivalence | None = None) -> list[dict]:
    """One row per headline claim: claim, measured (text), verdict. `sweeps`/`efficiency` map dataset ->
    table; `scored` maps (run, dataset) -> scored samples; params: dataset, base_run, verifier_run,
    easy_to_hard, out_of_domain (a dataset name, or {dataset, base_run, verifier_run}; None if not measured),
    num_bootstrap, confidence, seed. `sequential`: the sequential_parallel target's ratio table, if it ran.
    `equivalent`: the answer equivalence of the votes, as the sweep's (rlv.analysis.aggregate)."""
    rows = []
    dataset = params["dataset"]
    main = gain_on(dataset, sweeps[dataset], scored, params, equivalent)
    rows.append(_gain_row(">20% higher accuracy with parallel sampling", main, labels, params, GAIN_THRESHOLD))
    ratios = efficiency[dataset]
    ratios = ratios[ratios["verifier_strategy"] == main["strategy"]]
    best = ratio_evidence(ratios)
    defined = ratios["ratio"].dropna()
    measured = (f"largest {best:.2f}x ({main['strategy']} vs majority; ratio defined at {len(defined)} of "
                f"{len(ratios)} accuracy levels" + (f", {defined.min():.2f}-{defined.max():.2f}x" if len(defined) else "")
                + "); no CI") if not math.isnan(best) else "no accuracy level where both curves cross it once"
    significant = main["ci_low"] > 0
    if not math.isnan(best) and not significant:
        measured += "; the accuracy gain at N_max is not significant, so the ratio is within noise"
    rows.append({"claim": "8-32x more efficient test-time scaling (iso-accuracy compute ratio)", "measured": measured,
                 "verdict": ratio_verdict(best, significant)})
    for key, claim in (("easy_to_hard", "generalizes easy-to-hard"), ("out_of_domain", "generalizes out of domain")):
        spec = {"dataset": params[key]} if isinstance(params.get(key), str) else dict(params.get(key) or {})
        name = spec.get("dataset")
        if name and name in sweeps:
            runs = {**params, **{role: spec[role] for role in ("base_run", "verifier_run") if role in spec}}
            rows.append(_gain_row(f"{claim} (dataset `{name}`)", gain_on(name, sweeps[name], scored, runs, equivalent),
                                  labels, runs, 0.0))
        else:
            rows.append({"claim": claim, "measured": "no such dataset configured (figures.claims." + key + ")",
                         "verdict": NOT_MEASURED})
    rows.append(sequential_row(sequential))
    return rows


def sequential_row(ratios: pd.DataFrame | None) -> dict:
    """The "1.2-1.6x" claim from the sequential_parallel target's ratio table (None: the target has not run)."""
    claim = "1.2-1.6x with sequential x parallel scaling"
    if ratios is None or not len(ratios):
        return {"claim": claim, "verdict": NOT_MEASURED,
                "measured": "run the target `snakemake --cores all sequential_parallel` (outside rule all)"}
    parts, verdicts = [], []
    for row in ratios.sort_values("budget").itertuples():
        if not math.isfinite(row.ratio):  # the base run solves nothing at this budget: x/0 or 0/0
            parts.append(f"{row.budget}: undefined (base accuracy 0)")
            verdicts.append("not reproduced")
            continue
        parts.append(f"{row.budget}: {row.ratio:.2f}x [{row.ci_low:.2f}, {row.ci_high:.2f}]")
        verdicts.append(gain_verdict(row.ratio - 1, row.ci_low - 1, GAIN_THRESHOLD))
    first = ratios.iloc[0]
    measured = (f"best-strategy accuracy ratio {first['verifier_run']} / {first['base_run']} per token budget: "
                + "; ".join(parts))
    verdict = next((v for v in ("reproduced", "partly") if v in verdicts), "not reproduced")
    return {"claim": claim, "measured": measured, "verdict": verdict}
