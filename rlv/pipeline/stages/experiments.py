"""Stages of workflow/rules/experiments.smk, the design searches (config/searches/{search}.yaml):
`rlv design-config`, `rlv design-warm-start`, `rlv design-table` and `rlv method-comparison`.

- design-config: the workflow config of one base, written from its params (the rule computes it with
  rlv.pipeline.nested.base_config, so only a change to that config reruns the base's DAG).
- design-warm-start: the main DAG's train split and warm-up model copied into a base (reuse_main_warm_up).
- nested-built: the record that a nested DAG (a study base, sequential_parallel's own base) built its targets, the
  checkpoint's one output (rlv.pipeline.nested.record_built).
- design-table: every arm of every base in one table (rlv.analysis.designs), read from each base's own results/:
  its sweep and verifier tables, the arms' scored samples and the wall seconds of their RL jobs.
- method-comparison: per method (design), the base method against RL^V with the iso-accuracy compute ratios
  (rlv.analysis.method_comparison).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from rlv.pipeline.stages import log


@dataclass(frozen=True)
class DesignTableParams:
    dataset: str = "test"
    num_bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class MethodComparisonParams:
    dataset: str = "test"


@dataclass(frozen=True)
class NoParams:
    """A stage without parameters (`--params '{}'`)."""


def design_config(*, base: str, out: Path, params: dict) -> None:
    """`params`: the base's workflow config (rlv.pipeline.nested.base_config), written as YAML."""
    import yaml

    from rlv.rollouts import write_text_atomic
    write_text_atomic(yaml.safe_dump(params, sort_keys=False), out)
    log(f"wrote {out}: {len(params['rl']['runs'])} RL runs on base {base!r}")


def design_warm_start(*, source: Path, dest: Path, params: NoParams) -> None:
    from rlv.pipeline.nested import copy_warm_up
    copied = copy_warm_up(Path(source), Path(dest))
    log(f"warm start from {source}: copied {copied or 'nothing (up to date)'} into {dest}")


def nested_built(*, directory: Path, targets: list[str], out: Path, params: NoParams) -> None:
    from rlv.pipeline.nested import record_built
    built = record_built(Path(directory), targets, Path(out))
    log(f"wrote {out}: {len(built)} targets of the DAG in {directory}")


def base_results(root: Path, base: str) -> Path:
    """A base's results/ under the search's directory: results/experiments/{search}/{base}/results."""
    return Path(root) / base / "results"


def arm_tables(results: Path, arms, dataset: str) -> dict:
    """What rlv.analysis.designs.arm_rows reads of one base: its sweep and verifier tables, the arms' scored
    samples (where they exist) and the wall seconds of their RL jobs (where they were timed)."""
    import pandas as pd
    scored, seconds = {}, {}
    for arm in arms:
        path = results / "rollouts" / "scored" / arm.run / f"{dataset}.parquet"
        if path.exists():
            scored[arm.run] = pd.read_parquet(path, columns=["problem_id", "correct", "p_yes"])
        bench = results / "benchmarks" / "train_rl" / f"{arm.run}.tsv"
        seconds[arm.run] = float(pd.read_csv(bench, sep="\t")["s"].iloc[0]) if bench.exists() else math.nan
    return {"sweep": pd.read_parquet(results / "metrics" / "sweep" / f"{dataset}.parquet"),
            "verifier": pd.read_parquet(results / "metrics" / "verifier" / f"{dataset}.parquet"),
            "scored": scored, "train_seconds": seconds}


def design_table(*, search: Path, root: Path, out: Path, table: Path, name: str | None,
                 params: DesignTableParams) -> None:
    import pandas as pd

    from rlv.analysis.designs import arm_rows, render_table
    from rlv.pipeline.nested import load_search, search_arms, search_designs
    from rlv.rollouts import write_parquet_atomic, write_text_atomic
    spec = load_search(search)
    frames = []
    for base in spec["bases"]:
        arms = search_arms(spec, base)
        frames.append(arm_rows(arms, **arm_tables(base_results(root, base), arms, params.dataset),
                               num_bootstrap=params.num_bootstrap, confidence=params.confidence, seed=params.seed))
    rows = pd.concat(frames, ignore_index=True)
    write_parquet_atomic(rows, table)
    write_text_atomic(render_table(search_designs(spec), len(spec["seeds"]), rows, name or Path(root).name,
                                   spec.get("title")), out)
    log(f"wrote {out} ({len(rows)} arms)")


def method_comparison(*, search: Path, root: Path, out: Path, table: Path, params: MethodComparisonParams) -> None:
    """Per method of a design search: compute ratios (Parquet) and the comparison table (Markdown)."""
    import pandas as pd

    from rlv.analysis.method_comparison import method_efficiency, method_table
    from rlv.pipeline.nested import load_search, method_pairs
    from rlv.rollouts import write_parquet_atomic, write_text_atomic
    spec = load_search(search)
    dataset = params.dataset
    sweeps = {base: pd.read_parquet(base_results(root, base) / "metrics" / "sweep" / f"{dataset}.parquet")
              for base in spec["bases"]}
    pairs = method_pairs(spec)
    efficiency = method_efficiency(pairs, sweeps, dataset)
    write_parquet_atomic(efficiency, table)
    write_text_atomic(method_table(pairs, spec["seeds"][0], sweeps, efficiency, dataset,
                                   spec.get("title", "RL methods")), out)
    log(f"wrote {out} ({efficiency['design'].nunique()} methods)")
