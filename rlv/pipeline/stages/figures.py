"""Stages of workflow/rules/figures.smk: `rlv figure`, `rlv efficiency` and `rlv summary`.

- figure: one figure of the manifest (rlv.figures.FIGURES) from its tables; `metrics` takes RL run directories or
  their metrics.csv files. Its parameters are the figure's own keys (labels, runs, ...): a mapping.
- efficiency: the iso-accuracy compute ratio N_base / N_RL^V from a sweep table (rlv.analysis.efficiency).
- summary: results/summary.md; with compute ratios, scored samples and `claims` it opens with the paper's claims,
  each measured and given a verdict (rlv.analysis.claims); with the sequential_parallel ratio table the
  1.2-1.6x claim is judged too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rlv.pipeline.params import VERIFIER_STRATEGIES
from rlv.pipeline.stages import log

TABLE_LISTS = ("sweeps", "scores")  # several Parquet files each; every other table is one Parquet file


@dataclass(frozen=True)
class EfficiencyParams:
    base_run: str
    verifier_run: str
    base_strategy: str = "majority"
    verifier_strategies: list[str] = field(default_factory=lambda: list(VERIFIER_STRATEGIES))


@dataclass(frozen=True)
class SummaryParams:
    ns: list[int]
    labels: dict = field(default_factory=dict)
    claims: dict | None = None  # dataset, base_run, verifier_run, easy_to_hard, out_of_domain, bootstrap keys
    provenance: dict = field(default_factory=dict)  # config_digest, seed


def figure(*, name: str, out: Path, params: dict, metrics: list[Path] | None = None, **tables) -> None:
    """One figure: its tables (paths by the names of rlv.figures' keyword arguments) read and passed by name."""
    import pandas as pd

    from rlv.figures import FIGURES
    frames = {}
    for key, value in tables.items():
        if value:
            frames[key] = [pd.read_parquet(p) for p in value] if key in TABLE_LISTS else pd.read_parquet(value)
    if metrics:
        frames["metrics"] = [pd.read_csv(Path(p) / "metrics.csv" if Path(p).is_dir() else p) for p in metrics]
    FIGURES[name](out=str(out), params=params, **frames)
    log(f"wrote {out}")


def provenance_line(provenance: dict) -> str:
    """Which code, config and seed wrote the summary (rlv.pipeline.provenance)."""
    from rlv.pipeline.provenance import code_version, describe
    config = (f"; config digest {provenance['config_digest']}, seed {provenance['seed']}"
              if {"config_digest", "seed"} <= set(provenance) else "")
    return (f"Written by {describe(code_version())}{config}. Each model directory's `provenance.json` records the "
            "code that made it.")


def efficiency(*, sweep: Path, dataset: str, out: Path, params: EfficiencyParams) -> None:
    import pandas as pd

    from rlv.analysis.efficiency import compute_ratios
    from rlv.rollouts import write_parquet_atomic
    ratios = compute_ratios(pd.read_parquet(sweep), dataset, params.base_run, params.verifier_run,
                            params.base_strategy, tuple(params.verifier_strategies))
    write_parquet_atomic(ratios, out)
    log(f"wrote {out}: {int(ratios['ratio'].notna().sum())} of {len(ratios)} ratios defined")


def summary(*, sweeps: list[Path], verifiers: list[Path], efficiency: list[Path] | None, scores: list[Path] | None,
            sequential: Path | None, out: Path, params: SummaryParams) -> None:
    import pandas as pd

    from rlv.analysis.summary import render_summary
    from rlv.rollouts import write_text_atomic
    sweep_tables = [pd.read_parquet(p) for p in sweeps]
    ratios, claims = None, None
    if efficiency:
        ratios = {t["dataset"].iloc[0]: t for t in map(pd.read_parquet, efficiency) if len(t)}
    if scores and ratios is not None and params.claims is not None:
        from rlv.analysis.claims import claim_rows
        from rlv.tasks.grading import answers_equal
        scored = {(f["run"].iloc[0], f["dataset"].iloc[0]): f for f in map(pd.read_parquet, scores)}
        budget_ratios = pd.read_parquet(sequential) if sequential else None
        claims = claim_rows({s["dataset"].iloc[0]: s for s in sweep_tables}, ratios, scored, params.claims,
                            params.labels, budget_ratios, equivalent=answers_equal)  # as the sweep's votes
    text = render_summary(sweep_tables, [pd.read_parquet(p) for p in verifiers], params.ns, params.labels, claims,
                          ratios, provenance_line(params.provenance))
    write_text_atomic(text, out)
    log(f"wrote {out}")
