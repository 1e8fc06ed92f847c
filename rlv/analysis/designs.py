"""Design searches (config/miniature.yaml, config/lambda_sweep.yaml): one workflow config per base, and the
table of every arm.

A search file names bases (task and warm-up overrides laid over the active config), designs (a base plus RL
overrides, which may name the trainer: grpo unless the design says otherwise), lambdas and seeds; the
searches are listed in workflow/rules/common.smk (SEARCHES). `base_config` turns one base into an ordinary
workflow config whose rl.runs hold every (design, lambda, seed) arm on that base, so the arms share one
warm-up and run through the same DAG as the default. `arm_rows` reads each base's sweep and verifier tables
and the train_rl benchmark files back into one row per arm; `render_table` averages over seeds with a
t-interval (seeds are few, so the interval is wide and honest) and states each design's verdict against the
target: within-problem AUROC of p(Yes) >= 0.7 and weighted vote (lambda > 0) above majority vote
(lambda = 0) by a margin whose seed interval lies above zero.

Each row also carries the verifier's accuracy (p(Yes) > 0.5 against correctness, over every test sample) and
problem-bootstrap intervals of pass@1 (from the sweep) and of that accuracy (problems resampled with
replacement, accuracy = hits / samples of the resampled problems, percentile interval). `lambda_points`
reduces the rows to one point per lambda: the mean over seeds with its seed t-interval when there are two or
more seeds, else the single seed's problem-bootstrap interval.

`reuse_main_warm_up: true` in a search whose bases have no overrides copies the main DAG's train split and
warm-up model (`copy_warm_up`) into each base's directory before its DAG runs: the base's config equals the
main config there, so its warm-up would be the same job. Copies keep their modification times and have no
Snakemake metadata in the base's directory, so its DAG takes them as up to date (missing metadata never
triggers a rerun) and reruns what follows them only when the main model is newer.
"""

from __future__ import annotations

import copy
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

SEARCH_KEYS = {"seeds", "verify_coefs", "bases", "designs"}
OPTIONAL_KEYS = {"title", "reuse_main_warm_up"}
# t quantiles (two-sided 95%) by degrees of freedom; seeds are few
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def validate_search(search: dict, source: str) -> None:
    """Raise ValueError naming `source` and the key at fault."""
    missing = SEARCH_KEYS - set(search)
    if missing:
        raise ValueError(f"{source}: missing key(s) {sorted(missing)}")
    unknown = set(search) - SEARCH_KEYS - OPTIONAL_KEYS
    if unknown:
        raise ValueError(f"{source}: unknown key(s) {sorted(unknown)}; allowed: {sorted(SEARCH_KEYS | OPTIONAL_KEYS)}")
    if search.get("reuse_main_warm_up"):
        overridden = sorted(name for name, base in search["bases"].items() if base)
        if overridden:
            raise ValueError(f"{source}: reuse_main_warm_up needs bases without overrides (the main DAG's warm-up "
                             f"is the active config's); bases {overridden} override it")
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
                runs[arm_name(design, coef, seed)] = {"trainer": "grpo", **spec.get("rl", {}),
                                                      "verify_coef": float(coef), "seed": int(seed)}
    if not runs:
        raise ValueError(f"base {base!r} has no design")
    out["rl"]["runs"] = runs
    out["eval"]["runs"] = ["base", *runs]
    out["eval"].pop("runs_by_dataset", None)  # they name the active config's runs, which the arms replace
    out["figures"].pop("claims", None)
    out.pop("separate_verifier", None)  # a baseline of the main DAG: the search's tables never read it
    out.pop("verifier_heads", None)  # trained as the separate verifier is: gone with it
    out.pop("judge", None)  # the prompted-judge baseline of the main DAG: the search's tables never read it
    out.pop("sequential_parallel", None)  # a target of the main DAG, naming its runs, which the arms replace
    plain = next(name for name, run in runs.items() if run["verify_coef"] == 0)
    joint = next((name for name, run in runs.items() if run["verify_coef"] > 0), plain)
    out["figures"]["parallel_scaling"].update(base_run=plain, verifier_run=joint)
    return out


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


def arm_rows(search: dict, base: str, base_dir: Path, dataset: str = "test", num_bootstrap: int = 1000,
             confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """One row per arm of `base` (and one for the warm-started base model) with every table metric."""
    sweep = pd.read_parquet(base_dir / "results" / "metrics" / "sweep" / f"{dataset}.parquet")
    verifier = pd.read_parquet(base_dir / "results" / "metrics" / "verifier" / f"{dataset}.parquet")
    n_max = int(sweep["n"].max())
    arms = [("warm start", None, None, "base")]
    arms += [(design, float(coef), int(seed), arm_name(design, coef, seed))
             for design, spec in search["designs"].items() if spec["base"] == base
             for coef in search["verify_coefs"] for seed in search["seeds"]]
    rows = []
    for design, coef, arm_seed, run in arms:
        v = verifier[verifier["run"] == run].set_index("score")
        bench = base_dir / "results" / "benchmarks" / "train_rl" / f"{run}.tsv"
        scored = base_dir / "results" / "rollouts" / "scored" / run / f"{dataset}.parquet"
        accuracy_interval = (verifier_accuracy_interval(pd.read_parquet(scored, columns=["problem_id", "correct", "p_yes"]),
                                                        num_bootstrap, confidence, seed)[1:]
                             if scored.exists() else (math.nan, math.nan))
        rows.append({
            "base": base, "design": design, "verify_coef": coef, "seed": arm_seed, "run": run, "n_max": n_max,
            "pass@1": _at(sweep, run, "pass_at_n", "", 1),
            "majority": _at(sweep, run, "majority", "", n_max),
            "weighted p(Yes)": _at(sweep, run, "weighted_vote", "p_yes", n_max),
            "best-of-N p(Yes)": _at(sweep, run, "best_of_n", "p_yes", n_max),
            "weighted log-prob": _at(sweep, run, "weighted_vote", "mean_logprob", n_max),
            "pass@N": _at(sweep, run, "pass_at_n", "", n_max),
            "verifier accuracy": float(v.loc["p_yes", "accuracy"]),
            "AUROC pooled": float(v.loc["p_yes", "auroc_pooled"]),
            "AUROC within": float(v.loc["p_yes", "auroc_within"]),
            "log-prob AUROC within": float(v.loc["mean_logprob", "auroc_within"]),
            "train s": float(pd.read_csv(bench, sep="\t")["s"].iloc[0]) if bench.exists() else math.nan,
            "pass@1 low": _at(sweep, run, "pass_at_n", "", 1, "ci_low"),
            "pass@1 high": _at(sweep, run, "pass_at_n", "", 1, "ci_high"),
            "verifier accuracy low": accuracy_interval[0], "verifier accuracy high": accuracy_interval[1],
        })
    return pd.DataFrame(rows)


METRICS = ["pass@1", "majority", "weighted p(Yes)", "best-of-N p(Yes)", "weighted log-prob", "pass@N",
           "verifier accuracy", "AUROC pooled", "AUROC within", "log-prob AUROC within", "train s"]


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


def render_table(search: dict, rows: pd.DataFrame, name: str = "miniature") -> str:
    """The search `name` as Markdown: its designs, every arm (means over seeds), the verdicts."""
    n_max = int(rows["n_max"].max())
    seeds = len(search["seeds"])
    spread = (f"means over {seeds} seeds ± the half-width of a 95% t-interval over seeds (problems are the same "
              "across seeds, so this interval leaves out problem sampling; one seed's problem-bootstrap interval is "
              "about ± 0.06)") if seeds > 1 else \
        "one seed (no seed interval; the figure and the Parquet rows carry problem-bootstrap intervals)"
    lines = [f"# {search.get('title', f'The {name} design search')}", "",
             f"Generated by the `design_table` rule from the pipeline's own outputs (`snakemake --cores all "
             f"{name}`). Test split of the default task family of each base; N = {n_max} samples per problem; "
             f"cells are {spread}. Votes and pass@N at N = N_max; verifier accuracy = share of samples whose "
             "verdict p(Yes) > 0.5 matches their correctness; AUROC within = over problems with mixed "
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
    if len(verdicts) < 2:
        return "\n".join(lines) + "\n"
    best = best_design(verdicts)
    lines += ["", f"Best design by the search's decision rule (largest mean gain): **{best}**"
              + ("" if verdicts.set_index("design").loc[best, "met"] else " (it does not meet the target)") + "."]
    return "\n".join(lines) + "\n"


def best_design(verdicts: pd.DataFrame) -> str:
    """The design with the largest mean paired gain of weighted vote over majority vote."""
    return verdicts.loc[verdicts["gain"].map(lambda gain: gain[0]).idxmax(), "design"]


def lambda_points(rows: pd.DataFrame) -> pd.DataFrame:
    """One point per lambda (arms of every design; the warm start excluded): pass@1 and verifier accuracy, each
    with an interval. Two or more seeds: mean over seeds ± the 95% t-interval's half-width ("seeds"); one seed:
    that arm's values with their problem-bootstrap intervals ("problems")."""
    out = []
    for coef, arms in rows[rows["verify_coef"].notna()].groupby("verify_coef", sort=True):
        point = {"verify_coef": float(coef), "seeds": len(arms), "interval": "seeds" if len(arms) > 1 else "problems"}
        for metric in ("pass@1", "verifier accuracy"):
            if len(arms) > 1:
                mean, half = mean_ci(arms[metric])
                low, high = mean - half, mean + half
            else:
                mean, low, high = (float(arms[column].iloc[0]) for column in (metric, f"{metric} low", f"{metric} high"))
            point.update({metric: mean, f"{metric} low": low, f"{metric} high": high})
        out.append(point)
    return pd.DataFrame(out)


WARM_UP_FILES = ("data/train.parquet", "models/base")  # what the warm-up reads and writes, under results/


def snakemake_mtime(path: Path) -> int:
    """The modification time Snakemake compares (ns): a directory's .snakemake_timestamp if it has one."""
    stamp = path / ".snakemake_timestamp"
    return (stamp if path.is_dir() and stamp.exists() else path).stat().st_mtime_ns


def copy_warm_up(source: Path, dest: Path) -> list[str]:
    """Copy the main DAG's train split and warm-up model (under `source`, its results/) into `dest` (a base's
    results/) where they are missing or differ in modification time, keeping the times; each copy lands under a
    temporary name and is renamed into place. Returns the paths copied."""
    copied = []
    for relative in WARM_UP_FILES:
        origin, target = Path(source) / relative, Path(dest) / relative
        if not origin.exists():
            raise FileNotFoundError(f"reuse_main_warm_up: {origin} is missing (the main DAG builds it)")
        if target.exists() and snakemake_mtime(target) == snakemake_mtime(origin):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            if origin.is_dir():
                shutil.copytree(origin, staging / target.name, copy_function=shutil.copy2)
            else:
                shutil.copy2(origin, staging / target.name)
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(staging / target.name, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        copied.append(str(target))
    return copied
