"""The miniature design search: one workflow config per base, and the table of every arm.

A search file (config/miniature.yaml) names bases (task and warm-up overrides laid over the active config),
designs (a base plus RL overrides), lambdas and seeds. `base_config` turns one base into an ordinary
workflow config whose rl.runs hold every (design, lambda, seed) arm on that base, so the arms share one
warm-up and run through the same DAG as the default. `arm_rows` reads each base's sweep and verifier tables
and the train_rl benchmark files back into one row per arm; `render_table` averages over seeds with a
t-interval (seeds are few, so the interval is wide and honest) and states each design's verdict against the
target: within-problem AUROC of p(Yes) >= 0.7 and weighted vote (lambda > 0) above majority vote
(lambda = 0) by a margin whose seed interval lies above zero.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pandas as pd

SEARCH_KEYS = {"seeds", "verify_coefs", "bases", "designs"}
# t quantiles (two-sided 95%) by degrees of freedom; seeds are few
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def validate_search(search: dict, source: str) -> None:
    """Raise ValueError naming `source` and the key at fault."""
    missing = SEARCH_KEYS - set(search)
    if missing:
        raise ValueError(f"{source}: missing key(s) {sorted(missing)}")
    if not search["seeds"] or not search["verify_coefs"] or 0.0 not in [float(c) for c in search["verify_coefs"]]:
        raise ValueError(f"{source}: seeds and verify_coefs must be non-empty and verify_coefs must include 0")
    for name, design in search["designs"].items():
        if design.get("base") not in search["bases"]:
            raise ValueError(f"{source}: designs.{name}.base must be one of bases {sorted(search['bases'])}, "
                             f"got {design.get('base')!r}")
        if not str(design.get("rationale", "")).strip():
            raise ValueError(f"{source}: designs.{name}.rationale is required (state it before running)")


def arm_name(design: str, coef: float, seed: int) -> str:
    return f"{design}_l{coef:g}_s{seed}".replace(".", "p")


def _merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else copy.deepcopy(value)
    return merged


def base_config(config: dict, search: dict, base: str) -> dict:
    """The workflow config of one base: the active config, the base's overrides, one RL run per arm."""
    out = _merge(config, search["bases"][base])
    runs = {}
    for design, spec in search["designs"].items():
        if spec["base"] != base:
            continue
        for coef in search["verify_coefs"]:
            for seed in search["seeds"]:
                runs[arm_name(design, coef, seed)] = {**spec.get("rl", {}), "trainer": "grpo",
                                                      "verify_coef": float(coef), "seed": int(seed)}
    if not runs:
        raise ValueError(f"base {base!r} has no design")
    out["rl"]["runs"] = runs
    out["eval"]["runs"] = ["base", *runs]
    plain = next(name for name, run in runs.items() if run["verify_coef"] == 0)
    joint = next((name for name, run in runs.items() if run["verify_coef"] > 0), plain)
    out["figures"]["parallel_scaling"].update(base_run=plain, verifier_run=joint)
    return out


def _at(sweep: pd.DataFrame, run: str, strategy: str, score: str, n: int) -> float:
    rows = sweep[(sweep["run"] == run) & (sweep["strategy"] == strategy) & (sweep["score"] == score) & (sweep["n"] == n)]
    return float(rows["accuracy"].iloc[0]) if len(rows) else math.nan


def arm_rows(search: dict, base: str, base_dir: Path, dataset: str = "test") -> pd.DataFrame:
    """One row per arm of `base` (and one for the warm-started base model) with every table metric."""
    sweep = pd.read_parquet(base_dir / "results" / "metrics" / "sweep" / f"{dataset}.parquet")
    verifier = pd.read_parquet(base_dir / "results" / "metrics" / "verifier" / f"{dataset}.parquet")
    n_max = int(sweep["n"].max())
    arms = [("warm start", None, None, "base")]
    arms += [(design, float(coef), int(seed), arm_name(design, coef, seed))
             for design, spec in search["designs"].items() if spec["base"] == base
             for coef in search["verify_coefs"] for seed in search["seeds"]]
    rows = []
    for design, coef, seed, run in arms:
        v = verifier[verifier["run"] == run].set_index("score")
        bench = base_dir / "results" / "benchmarks" / "train_rl" / f"{run}.tsv"
        rows.append({
            "base": base, "design": design, "verify_coef": coef, "seed": seed, "run": run, "n_max": n_max,
            "pass@1": _at(sweep, run, "pass_at_n", "", 1),
            "majority": _at(sweep, run, "majority", "", n_max),
            "weighted p(Yes)": _at(sweep, run, "weighted_vote", "p_yes", n_max),
            "best-of-N p(Yes)": _at(sweep, run, "best_of_n", "p_yes", n_max),
            "weighted log-prob": _at(sweep, run, "weighted_vote", "mean_logprob", n_max),
            "pass@N": _at(sweep, run, "pass_at_n", "", n_max),
            "AUROC pooled": float(v.loc["p_yes", "auroc_pooled"]),
            "AUROC within": float(v.loc["p_yes", "auroc_within"]),
            "log-prob AUROC within": float(v.loc["mean_logprob", "auroc_within"]),
            "train s": float(pd.read_csv(bench, sep="\t")["s"].iloc[0]) if bench.exists() else math.nan,
        })
    return pd.DataFrame(rows)


METRICS = ["pass@1", "majority", "weighted p(Yes)", "best-of-N p(Yes)", "weighted log-prob", "pass@N",
           "AUROC pooled", "AUROC within", "log-prob AUROC within", "train s"]


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


def render_table(search: dict, rows: pd.DataFrame) -> str:
    n_max = int(rows["n_max"].max())
    seeds = len(search["seeds"])
    lines = ["# The miniature design search", "",
             f"Generated by the `miniature_table` rule from the pipeline's own outputs (`snakemake --cores all "
             f"miniature`). Test split of the default task family of each base; N = {n_max} samples per problem; "
             f"cells are means over {seeds} seeds ± the half-width of a 95% t-interval over seeds (problems are "
             "the same across seeds, so this interval leaves out problem sampling; one seed's problem-bootstrap "
             "interval is about ± 0.06). Votes and pass@N at N = N_max; AUROC within = over problems with mixed "
             "outcomes; `train s` = wall seconds of the RL job.", "", "## Designs", ""]
    for design, spec in search["designs"].items():
        overrides = spec.get("rl") or {}
        lines.append(f"- **{design}** (base `{spec['base']}`"
                     + (f", RL overrides {overrides}" if overrides else "") + f"): {spec['rationale']}")
    lines += ["", "## Every arm", "", "| design | lambda | " + " | ".join(METRICS) + " |",
              "|---|---|" + "---|" * len(METRICS)]
    for (base, design, coef), arms in rows.groupby(["base", "design", "verify_coef"], dropna=False, sort=False):
        label = f"{design} ({base})" if coef != coef else design
        cells = [_cell(*mean_ci(arms[m]), digits=0 if m == "train s" else 3) for m in METRICS]
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
    best = best_design(verdicts)
    lines += ["", f"Best design by the search's decision rule (largest mean gain): **{best}**"
              + ("" if verdicts.set_index("design").loc[best, "met"] else " (it does not meet the target)") + "."]
    return "\n".join(lines) + "\n"


def best_design(verdicts: pd.DataFrame) -> str:
    """The design with the largest mean paired gain of weighted vote over majority vote."""
    return verdicts.loc[verdicts["gain"].map(lambda gain: gain[0]).idxmax(), "design"]
