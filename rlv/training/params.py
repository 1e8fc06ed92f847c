"""The parameters of one RL run, one field per key of an RL run's config (rl.defaults overridden by rl.runs.<run>,
its label left out), with their defaults: the one place they are set. rlv.training.run documents each; the
VinePPO keys default to None, VinePPO's own defaults (rlv.training.vineppo).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RLParams:
    """The parameters of one RL run (each documented in rlv.training.run)."""

    trainer: str
    verify_coef: float
    steps: int
    learning_rate: float
    prompts_per_step: int
    num_generations: int
    max_completion_length: int
    temperature: float
    seed: int
    beta: float = 0.0
    epsilon: float = 0.2
    num_iterations: int = 1
    loss_type: str = "dapo"
    checkpoint_every: int = 10
    use_vllm: bool = False
    vllm_mode: str = "colocate"
    train_levels: list[int] | None = None
    vine_mc_samples: int | None = None
    vine_max_steps: int | None = None
    vine_step_markers: list[str] | None = None
    instruction: str = ""
    threads: int = 1
