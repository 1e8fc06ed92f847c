"""rlv: RL^V (reasoners unified with generative verifiers) as one reproducible pipeline.

Data flows one way: tasks -> models/trainers -> rollouts -> sampling/scoring -> aggregate -> figures.
Stages exchange files (Parquet, safetensors checkpoints), never in-memory state.
"""

__version__ = "0.1.0"
