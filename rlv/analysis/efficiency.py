"""Iso-accuracy compute ratio: how many times more samples the base RL method needs to match RL^V.

Each strategy's accuracy a_x(N) is measured at N = 1, 2, 4, ..., N_max (the sweep table). N_x(a), the
number of samples at which strategy x reaches accuracy a, interpolates log2 N linearly in accuracy between
the two consecutive measured points that bracket a:

    a_x(n_lo) < a <= a_x(n_hi):  log2 N_x(a) = log2 n_lo + (a - a_x(n_lo)) / (a_x(n_hi) - a_x(n_lo)) * (log2 n_hi - log2 n_lo)

The compute ratio at accuracy a is N_base(a) / N_RLV(a): > 1 means RL^V reaches a with fewer samples.
The levels a are the accuracies RL^V's own curve reaches at each measured N (there N_RLV(a) is that N).

Non-monotone curves. N_x(a) is defined only where the curve crosses the level a exactly once, upwards:
every measured point before the crossing lies below a and every point from it on lies at or above a.
A curve that reaches a, falls back below it and rises again (best-of-N with a weak verifier peaks and
then declines) has no single N for that accuracy, so N_x(a) is NaN and the reason names both N. Dips
that stay on one side of a do not matter. The other undefined cases, each NaN with a reason:
  - the curve stays below a up to N_max: if it ever reaches a, it does so beyond N_max, so the ratio is
    at least N_max / N_RLV(a) (column `ratio_at_least`);
  - the curve is already above a at the smallest measured N: the crossing lies below it, unmeasured, so
    the ratio is at most n_min / N_RLV(a) (column `ratio_at_most`).
A bound is reported as a bound: it says where the crossing is not, never how large the ratio is (a base curve
that plateaus 0.003 below the level gives "> N_max / N" as readily as one that is far below).

Uncertainty (`ratio_intervals`). The ratio is read off two curves estimated on the same test problems, so its
interval resamples problems: per-problem values of each strategy at every measured N (`per_problem_curves`: the
sweep's estimators with the sweep's subsets, so their means are the sweep's accuracies), B paired resamples of
the problems with replacement (one draw of problem indices shared by both runs and every N), and in each
resample both curves, the level a* (RL^V's resampled accuracy at the level's N) and the ratio at a* are
recomputed. A resample where the base never reaches a* counts as +inf (its ratio exceeds every finite one,
which is at most N_max / N_RLV), one where the base starts above a* as 0 (below every finite one); one where a
curve crosses a* more than once has no ratio and is left out (`resamples_defined` counts the others). The
interval is the percentile interval (inverted CDF, no interpolation, so infinite ends stay infinite). Several
levels are read at once, and a claim takes the best of them, so the intervals are simultaneous by Bonferroni:
each level's interval has confidence 1 - (1 - confidence) / L over the L levels (column `ci_confidence`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rlv.analysis.aggregate import (Equivalence, answered_first, best_of_n, encode_answers, pass_at_k, subset_indices,
                                    votes)


@dataclass(frozen=True)
class Crossing:
    """Where an accuracy-vs-N curve reaches a level: `n` (NaN if undefined), `why` it is undefined, and
    `side`: "" if defined, "below" (never reaches it), "above" (above it from the start), "non-monotone"."""

    n: float
    why: str = ""
    side: str = ""


def samples_to_reach(ns, accuracies, target: float) -> Crossing:
    """N at which the curve (ns ascending, one accuracy each) reaches `target`, by log-linear interpolation."""
    ns, accuracies = np.asarray(ns, dtype=float), np.asarray(accuracies, dtype=float)
    if len(ns) == 0 or np.any(np.diff(ns) <= 0):
        raise ValueError(f"ns must be ascending and non-empty, got {ns.tolist()}")
    reached = accuracies >= target
    first = int(np.argmax(reached))  # the first measured point at or above the level
    if not reached.any():
        return Crossing(math.nan, f"never reaches {target:.3f} (at most {accuracies.max():.3f} up to N={ns[-1]:g})",
                        "below")
    if not reached[first:].all():
        falls = first + int(np.argmin(reached[first:]))
        return Crossing(math.nan, f"not monotone at {target:.3f}: reaches it at N={ns[first]:g}, below again at "
                                  f"N={ns[falls]:g}", "non-monotone")
    if first == 0:
        if accuracies[0] == target:
            return Crossing(float(ns[0]))
        return Crossing(math.nan, f"already {accuracies[0]:.3f} > {target:.3f} at N={ns[0]:g}", "above")
    lo, hi = first - 1, first
    t = (target - accuracies[lo]) / (accuracies[hi] - accuracies[lo])
    return Crossing(float(2 ** (math.log2(ns[lo]) + t * (math.log2(ns[hi]) - math.log2(ns[lo])))))


def parse_strategy(spec: str) -> tuple[str, str]:
    """"best_of_n:p_yes" -> ("best_of_n", "p_yes"); "majority" -> ("majority", "")."""
    strategy, _, score = spec.partition(":")
    return strategy, score


def curve(sweep: pd.DataFrame, dataset: str, run: str, spec: str) -> pd.DataFrame:
    """The (n, accuracy, ci_low, ci_high) rows of one run and strategy, by ascending n."""
    strategy, score = parse_strategy(spec)
    rows = sweep[(sweep["dataset"] == dataset) & (sweep["run"] == run) & (sweep["strategy"] == strategy)
                 & (sweep["score"] == score)].sort_values("n")
    if rows.empty:
        raise ValueError(f"sweep has no rows for run={run!r} strategy={spec!r} on dataset {dataset!r}")
    return rows


def best_strategy_at_n_max(sweep: pd.DataFrame, dataset: str, run: str, specs: list[str]) -> str:
    """The strategy of `specs` with the highest accuracy at the run's largest N (the first one on a tie)."""
    finals = [curve(sweep, dataset, run, spec)["accuracy"].iloc[-1] for spec in specs]
    return specs[int(np.argmax(finals))]


def compute_ratios(sweep: pd.DataFrame, dataset: str, base_run: str, verifier_run: str,
                   base_strategy: str = "majority",
                   verifier_strategies: tuple[str, ...] = ("best_of_n:p_yes", "weighted_vote:p_yes")) -> pd.DataFrame:
    """N_base(a) / N_RLV(a) at each accuracy a that the RL^V curve reaches at a measured N, per RL^V strategy."""
    base = curve(sweep, dataset, base_run, base_strategy)
    rows = []
    for spec in verifier_strategies:
        verifier = curve(sweep, dataset, verifier_run, spec)
        for level_n, target in zip(verifier["n"], verifier["accuracy"]):
            at_verifier = samples_to_reach(verifier["n"], verifier["accuracy"], target)
            at_base = samples_to_reach(base["n"], base["accuracy"], target)
            defined = not math.isnan(at_verifier.n)
            reasons = [f"{name}: {c.why}" for name, c in (("RL^V", at_verifier), ("base", at_base)) if c.why]
            rows.append({
                "dataset": dataset, "base_run": base_run, "base_strategy": base_strategy,
                "verifier_run": verifier_run, "verifier_strategy": spec, "level_n": int(level_n),
                "target_accuracy": float(target), "n_base": at_base.n, "n_verifier": at_verifier.n,
                "ratio": at_base.n / at_verifier.n,
                "ratio_at_least": base["n"].iloc[-1] / at_verifier.n if defined and at_base.side == "below" else math.nan,
                "ratio_at_most": base["n"].iloc[0] / at_verifier.n if defined and at_base.side == "above" else math.nan,
                "reason": "; ".join(reasons),
            })
    return pd.DataFrame(rows)


def per_problem_curves(scored: pd.DataFrame, spec: str, ns: list[int], num_subsets: int = 200, seed: int = 0,
                       equivalent: Equivalence | None = None) -> tuple[np.ndarray, np.ndarray]:
    """((P, len(ns)) per-problem values of one strategy at each n, the problem ids), by problem id. The estimators
    and the vote subsets are the sweep's (rlv.analysis.aggregate.sweep with the same num_subsets and seed), so each
    column averages to the sweep's accuracy at that n; votes count answers equal under `equivalent` as one."""
    strategy, score = parse_strategy(spec)
    codes, correct, problem_ids = encode_answers(scored, equivalent)
    n_max = codes.shape[1]
    pool = scored.sort_values(["problem_id", "sample"])
    scores = pool[score].to_numpy(dtype=float).reshape(-1, n_max) if score else None
    values = np.empty((len(problem_ids), len(ns)))
    for j, n in enumerate(ns):
        if strategy == "pass_at_n":
            values[:, j] = pass_at_k(correct.sum(axis=1), n_max, n)
        elif strategy == "best_of_n":
            values[:, j] = best_of_n(scores, correct, n)
        elif strategy == "best_of_n_answered":
            values[:, j] = best_of_n(answered_first(scores, codes >= 0), correct, n)
        elif strategy in ("majority", "weighted_vote"):
            weights = None if strategy == "majority" else (np.exp(scores) if score.endswith("logprob") else scores)
            subsets = subset_indices(n_max, n, num_subsets, np.random.default_rng((seed, n, 0)))
            values[:, j] = votes(codes, [weights], correct, subsets)[0]
        else:
            raise ValueError(f"no per-problem values for strategy {spec!r}")
    return values, problem_ids


def _ordered_ratio(at_base: Crossing, at_verifier: Crossing) -> float:
    """The ratio for ordering resamples: N_base / N_RLV, +inf where the base never reaches the level, 0 where it
    starts above it, NaN where a curve is not monotone at the level (module docstring)."""
    if math.isnan(at_verifier.n):
        return math.nan
    if at_base.side == "below":
        return math.inf
    if at_base.side == "above":
        return 0.0
    return at_base.n / at_verifier.n


def ratio_intervals(ns: list[int], base_values: np.ndarray, verifier_values: np.ndarray, num_bootstrap: int = 1000,
                    confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Per level (RL^V's accuracy at each measured N): the compute ratio as `compute_ratios` reads it off the two
    mean curves, and its simultaneous percentile bootstrap interval over problems (module docstring). `base_values`
    and `verifier_values` are (P, len(ns)) per-problem values on the same problems in the same order."""
    base_values, verifier_values = np.asarray(base_values, dtype=float), np.asarray(verifier_values, dtype=float)
    if base_values.shape != verifier_values.shape or base_values.shape[1] != len(ns):
        raise ValueError(f"need two (problems, {len(ns)}) arrays of the same shape, got {base_values.shape} and "
                         f"{verifier_values.shape}")
    num_problems, levels = base_values.shape
    draws = np.random.default_rng(seed).integers(0, num_problems, size=(num_bootstrap, num_problems))
    counts = np.zeros((num_bootstrap, num_problems))
    np.add.at(counts, (np.arange(num_bootstrap)[:, None], draws), 1.0)
    base_curves, verifier_curves = counts @ base_values / num_problems, counts @ verifier_values / num_problems
    level_confidence = 1 - (1 - confidence) / levels
    base, verifier = base_values.mean(axis=0), verifier_values.mean(axis=0)
    rows = []
    for j, level_n in enumerate(ns):
        target = verifier[j]
        at_verifier, at_base = samples_to_reach(ns, verifier, target), samples_to_reach(ns, base, target)
        defined = not math.isnan(at_verifier.n)
        resampled = np.array([_ordered_ratio(samples_to_reach(ns, b, v[j]), samples_to_reach(ns, v, v[j]))
                              for b, v in zip(base_curves, verifier_curves)])
        kept = resampled[~np.isnan(resampled)]
        low, high = (np.quantile(kept, [(1 - level_confidence) / 2, (1 + level_confidence) / 2], method="inverted_cdf")
                     if len(kept) else (math.nan, math.nan))
        reasons = [f"{name}: {c.why}" for name, c in (("RL^V", at_verifier), ("base", at_base)) if c.why]
        rows.append({"level_n": int(level_n), "target_accuracy": float(target), "n_base": at_base.n,
                     "n_verifier": at_verifier.n, "ratio": at_base.n / at_verifier.n,
                     "ratio_at_least": ns[-1] / at_verifier.n if defined and at_base.side == "below" else math.nan,
                     "ratio_at_most": ns[0] / at_verifier.n if defined and at_base.side == "above" else math.nan,
                     "ci_low": float(low), "ci_high": float(high), "ci_confidence": level_confidence,
                     "resamples_defined": len(kept), "num_bootstrap": num_bootstrap, "reason": "; ".join(reasons)})
    return pd.DataFrame(rows)
