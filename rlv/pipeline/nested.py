"""Nested DAGs: design searches and sequential_parallel's own base, each an ordinary workflow config run in a
directory of its own under results/experiments/.

Design searches. Every `config/searches/{name}.yaml` is a search, the target `name` outside rule all
(`discover_searches`; the schema is workflow/schemas/search.schema.yaml). A search names bases (task and
warm-up overrides laid over the active config), designs (a base plus RL overrides, which may name the trainer:
grpo unless the design says otherwise), lambdas (verify_coefs) and seeds. `base_config` turns one base into a
workflow config whose rl.runs hold every (design, lambda, seed) arm on that base (`arm_name`), so the arms share
one warm-up and run through the same DAG as the default; what names the active config's runs (its baselines,
claims, runs_by_dataset, sequential_parallel) is dropped. `search_arms` and `method_pairs` name the arms the
search's tables read (rlv.analysis.designs, rlv.analysis.method_comparison).

`reuse_main_warm_up: true` in a search whose bases have no overrides copies the main DAG's train split and warm-up
model (`copy_warm_up`) into each base's directory before its DAG runs: the base's config equals the main config
there, so its warm-up would be the same job. Copies keep their modification times and have no Snakemake metadata
in the base's directory, so its DAG takes them as up to date (missing metadata never triggers a rerun) and reruns
what follows them only when the main model is newer.

sequential_parallel's own base (`own_base_config`, models: own): this config with `overrides` laid over it, only
the two compared runs, sampled on the one dataset, and none of the main DAG's baselines or comparisons, which
name its other runs.

A checkpoint that runs a nested DAG (sequential_parallel's own base, a study base) declares one file as its output,
the record `BUILT` that `record_built` writes once the nested DAG has built its targets. Snakemake deletes a job's
outputs before it runs it; were the targets the checkpoint's outputs, any rerun (its config changed) would delete
the nested models and retrain them from scratch. With the record, the nested DAG decides for itself what is out of
date and keeps everything else. The jobs reading its files ask the checkpoint for the record (an ancient input,
for order only) and take the files themselves as inputs: Snakemake re-evaluates them once the checkpoint ran, so
they rerun when a file they read changed, not merely because the nested DAG ran.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

from rlv.analysis.designs import Arm, Design
from rlv.analysis.method_comparison import MethodPair
from rlv.pipeline import ConfigError
from rlv.pipeline.config import check_schema, discover_targets, read_yaml

SEARCH_SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "search.schema.yaml"
WARM_UP_FILES = ("data/train.parquet", "models/base")  # what the warm-up reads and writes, under results/
MAIN_DAG_ONLY = ("separate_verifier", "judge", "verifier_heads")  # baselines of the main DAG's other runs
BUILT = "built.json"  # a nested DAG's record of its built targets, beside its config/ and results/


def discover_searches(directory: str | Path) -> dict[str, dict]:
    """Search name -> its validated spec, for every `{directory}/{name}.yaml` (none without the directory)."""
    return discover_targets(directory, "a design search", load_search)


def load_search(path: str | Path) -> dict:
    search = read_yaml(path)
    validate_search(search, str(path))
    return search


def validate_search(search: dict, source: str) -> None:
    """The search schema, then the rules across its keys; ConfigError naming `source` and the key at fault."""
    check_schema(search, SEARCH_SCHEMA, source)
    if 0 not in search["verify_coefs"]:
        raise ConfigError(f"{source}: verify_coefs must include 0 (plain RL, each design's baseline), got "
                          f"{search['verify_coefs']}")
    if search.get("reuse_main_warm_up"):
        overridden = sorted(name for name, base in search["bases"].items() if base)
        if overridden:
            raise ConfigError(f"{source}: reuse_main_warm_up needs bases without overrides (the main DAG's warm-up "
                              f"is the active config's); bases {overridden} override it")
    for name, design in search["designs"].items():
        if design["base"] not in search["bases"]:
            raise ConfigError(f"{source}: designs.{name}.base must be one of bases {sorted(search['bases'])}, "
                              f"got {design['base']!r}")


def arm_name(design: str, coef: float, seed: int) -> str:
    return f"{design}_l{coef:g}_s{seed}".replace(".", "p")


def merge(base: dict, override: dict) -> dict:
    """`override` laid over `base` key by key (nested mappings merged, everything else replaced); copies."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        merged[key] = merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else copy.deepcopy(value)
    return merged


def search_designs(search: dict) -> list[Design]:
    return [Design(name, spec["base"], spec["rationale"], spec.get("rl") or {}, spec.get("label", name))
            for name, spec in search["designs"].items()]


def search_arms(search: dict, base: str) -> list[Arm]:
    """The warm-started base model, then every (design, lambda, seed) arm on `base`, in the search's order."""
    arms = [Arm(base, "warm start", None, None, "base")]
    return arms + [Arm(base, design.name, float(coef), int(seed), arm_name(design.name, coef, seed))
                   for design in search_designs(search) if design.base == base
                   for coef in search["verify_coefs"] for seed in search["seeds"]]


def method_pairs(search: dict) -> list[MethodPair]:
    """One pair per design: its lambda = 0 and largest-lambda arms of the search's first seed."""
    seed, joint = search["seeds"][0], max(float(c) for c in search["verify_coefs"])
    if joint == 0:
        raise ConfigError("a method comparison needs a verify_coef above 0 in the search")
    return [MethodPair(design.name, design.base, design.label, arm_name(design.name, 0.0, seed),
                       arm_name(design.name, joint, seed)) for design in search_designs(search)]


def base_config(config: dict, search: dict, base: str) -> dict:
    """The workflow config of one base: the active config, the base's overrides, one RL run per arm."""
    out = merge(config, search["bases"][base])
    runs = {arm.run: {"trainer": "grpo", **dict(search["designs"][arm.design].get("rl") or {}),
                      "verify_coef": arm.verify_coef, "seed": arm.seed}
            for arm in search_arms(search, base)[1:]}
    if not runs:
        raise ConfigError(f"base {base!r} has no design")
    out["rl"]["runs"] = runs
    out["eval"]["runs"] = ["base", *runs]
    out["eval"].pop("runs_by_dataset", None)  # they name the active config's runs, which the arms replace
    out["figures"].pop("claims", None)
    for key in (*MAIN_DAG_ONLY, "sequential_parallel"):  # the main DAG's baselines and target name its runs
        out.pop(key, None)
    plain = next(name for name, run in runs.items() if run["verify_coef"] == 0)
    joint = next((name for name, run in runs.items() if run["verify_coef"] > 0), plain)
    out["figures"]["parallel_scaling"].update(base_run=plain, verifier_run=joint)
    return out


def own_base_config(config: dict) -> dict:
    """The workflow config of sequential_parallel's own base (models: own): see the module docstring."""
    spec = config["sequential_parallel"]
    out = merge(config, spec.get("overrides") or {})
    runs = {run: out["rl"]["runs"][run] for run in (spec["base_run"], spec["verifier_run"])}
    out["rl"]["runs"] = runs
    if out.get("datasets"):  # train and the sampled dataset; without the section: the synthetic splits
        out["datasets"] = {name: out["datasets"][name] for name in dict.fromkeys(["train", spec["dataset"]])}
    out["eval"].update(datasets=[spec["dataset"]], runs=list(runs))
    out["eval"].pop("runs_by_dataset", None)
    out["figures"] = {"parallel_scaling": {"dataset": spec["dataset"], "base_run": spec["base_run"],
                                           "verifier_run": spec["verifier_run"]}}
    for key in MAIN_DAG_ONLY:
        out.pop(key, None)
    out["sequential_parallel"] = {key: value for key, value in spec.items() if key != "overrides"}
    out["sequential_parallel"]["models"] = "main"
    return out


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


def record_built(directory: Path, targets: list[str], out: Path) -> dict[str, int]:
    """After a nested DAG in `directory` has built `targets` (paths relative to it): each target's modification time
    as Snakemake compares it (ns), written to `out` as JSON in one rename. FileNotFoundError naming every missing
    target, with nothing written, when the DAG has not built them all."""
    import json

    from rlv.rollouts import write_text_atomic
    missing = [target for target in targets if not (Path(directory) / target).exists()]
    if missing:
        raise FileNotFoundError(f"the nested DAG in {directory} did not build {missing}")
    built = {target: snakemake_mtime(Path(directory) / target) for target in targets}
    write_text_atomic(json.dumps(built, indent=1) + "\n", out)
    return built
