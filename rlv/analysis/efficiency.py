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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


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
