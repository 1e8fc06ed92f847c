"""Stages of workflow/rules/sequential.smk, sequential x parallel scaling: `rlv sample-budgets`,
`rlv sequential-config` and `rlv sequential-tables`.

- sample-budgets: N solutions per problem under growing token budgets, an answer forced where a budget runs out,
  each graded and self-scored (rlv.inference.budget).
- sequential-config: the workflow config of sequential_parallel's own base (rlv.pipeline.nested.own_base_config).
- sequential-tables: per budget every strategy at N, each run's best and RL^V's accuracy ratio with a paired
  bootstrap CI, and the adaptive-length table (rlv.analysis.sequential).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rlv.pipeline.stages import log, placement, set_threads


@dataclass(frozen=True)
class BudgetParams:
    budgets: list[int]
    num_samples: int
    forced_tokens: int
    answer_phrase: str
    temperature: float
    batch_size: int
    seed: int
    score_batch_size: int = 64
    instruction: str = ""
    device: str = "auto"
    precision: str = "auto"
    threads: int = 1


@dataclass(frozen=True)
class SequentialTableParams:
    base_run: str
    verifier_run: str
    dataset: str
    num_samples: int
    thresholds: list[float]
    strategies: list[str]
    num_bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0
    labels: dict = field(default_factory=dict)


def sample_budgets(*, model: Path, data: Path, run: str, dataset: str, out: Path, params: BudgetParams) -> None:
    import pandas as pd

    from rlv.inference.budget import sample_under_budgets
    from rlv.models import load_model
    from rlv.rollouts import write_parquet_atomic
    set_threads(params.threads)
    policy, tokenizer = load_model(model, **placement(params))
    frame = sample_under_budgets(policy, tokenizer, pd.read_parquet(data), params.budgets, params.num_samples,
                                 params.temperature, params.forced_tokens, params.answer_phrase, params.batch_size,
                                 params.seed, params.instruction, params.score_batch_size, run, dataset, log)
    write_parquet_atomic(frame, out)
    log(f"{run}/{dataset}: accuracy per budget " + ", ".join(
        f"{b}: {acc:.3f}" for b, acc in frame.groupby("budget")["correct"].mean().items()))


def sequential_config(*, out: Path, params: dict) -> None:
    """`params`: the active workflow config."""
    import yaml

    from rlv.pipeline.nested import own_base_config
    from rlv.rollouts import write_text_atomic
    write_text_atomic(yaml.safe_dump(own_base_config(params), sort_keys=False), out)
    log(f"wrote {out}")


def sequential_tables(*, scores: list[Path], strategies_out: Path, ratios_out: Path, table_out: Path,
                      adaptive_out: Path, params: SequentialTableParams) -> None:
    import pandas as pd

    from rlv.analysis.sequential import adaptive_table, ratio_table, render_ratios, strategy_table
    from rlv.rollouts import write_parquet_atomic, write_text_atomic
    from rlv.tasks.grading import answers_equal
    scored = {frame["run"].iloc[0]: frame for frame in map(pd.read_parquet, scores)}
    # votes count answers the grader judges equal as one candidate
    boot = {"num_bootstrap": params.num_bootstrap, "confidence": params.confidence, "seed": params.seed,
            "equivalent": answers_equal}
    table = strategy_table(scored, params.strategies, **boot)
    ratios = ratio_table(scored, table, params.base_run, params.verifier_run, params.strategies, **boot)
    write_parquet_atomic(table, strategies_out)
    write_parquet_atomic(ratios, ratios_out)
    write_text_atomic(render_ratios(ratios, table, params.labels, params.num_samples, params.dataset), table_out)
    write_parquet_atomic(adaptive_table(scored, params.thresholds, equivalent=answers_equal), adaptive_out)
    log(f"wrote {table_out}: ratios " + ", ".join(f"{r.budget}: {r.ratio:.2f}" for r in ratios.itertuples()))
