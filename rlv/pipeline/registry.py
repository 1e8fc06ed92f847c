"""Every `rlv <subcommand>`: the stage function it runs and the type its `--params` parse into (a dict for stages
whose parameters are a whole mapping). rlv/cli.py binds each to its flags; rlv.pipeline.provenance digests the code
each one runs."""

from __future__ import annotations

from rlv.pipeline.stages import data, evaluate, experiments, figures, models, sequential, studies, train

STAGES = {
    "data": (data.problems, dict),
    "base-model": (models.base_model, models.BaseModelParams),
    "train": (train.train, train.RLParams),
    "sample": (evaluate.sample, evaluate.SampleParams),
    "score": (evaluate.score, evaluate.ScoreParams),
    "judge": (evaluate.judge, evaluate.JudgeParams),
    "train-verifier": (train.train_verifier, train.VerifierParams),
    "train-verifier-head": (train.train_verifier_head, train.HeadParams),
    "score-head": (evaluate.score_head, evaluate.ScoreParams),
    "sweep": (evaluate.sweep, evaluate.SweepParams),
    "figure": (figures.figure, dict),
    "efficiency": (figures.efficiency, figures.EfficiencyParams),
    "summary": (figures.summary, figures.SummaryParams),
    "design-config": (experiments.design_config, dict),
    "design-table": (experiments.design_table, experiments.DesignTableParams),
    "method-comparison": (experiments.method_comparison, experiments.MethodComparisonParams),
    "design-warm-start": (experiments.design_warm_start, experiments.NoParams),
    "nested-built": (experiments.nested_built, experiments.NoParams),
    "sample-budgets": (sequential.sample_budgets, sequential.BudgetParams),
    "sequential-config": (sequential.sequential_config, dict),
    "sequential-tables": (sequential.sequential_tables, sequential.SequentialTableParams),
    "study-config": (studies.study_config, dict),
    "study-pool-problems": (studies.pool_problems, studies.PoolProblemsParams),
    "study-arm": (studies.arm, studies.ArmParams),
    "study-table": (studies.table, studies.StudyTableParams),
}
