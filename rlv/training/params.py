"""The parameters of one RL run, one field per key of an RL run's config (rl.defaults overridden by rl.runs.<run>,
its label left out), with their defaults: the one place they are set. rlv.training.run documents each; the
VinePPO keys default to None, VinePPO's own defaults (rlv.training.vineppo). `batch_layout` splits a step's
rollouts over processes and micro-batches (the arithmetic TRL's batch sizes follow).
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
    scale_rewards: str = "group"  # GRPO's advantage scaling (TRL): "group", "batch" or "none" (Dr. GRPO)
    checkpoint_every: int = 10
    rollout_decoder: str = "rlv"  # rlv.training.rollout_decoding: "rlv" or "transformers" (TRL's generate)
    use_vllm: bool = False
    vllm_mode: str = "colocate"
    train_levels: list[int] | None = None
    vine_mc_samples: int | None = None
    vine_max_steps: int | None = None
    vine_step_markers: list[str] | None = None
    vine_whiten: bool | None = None
    vine_prompt_value: str | None = None
    micro_batch_size: int | None = None  # rollouts per process per forward/backward; None: all of its share
    gradient_checkpointing: bool = False
    length_chunks: int = 4  # the update in this many passes of rollouts of similar length (rlv.training.length_chunks)
    device: str = "auto"  # rlv.models.resolve_device
    precision: str = "auto"  # rlv.models.resolve_dtype: bf16 trains with fp32 weights under autocast (TRL's bf16)
    instruction: str = ""
    threads: int = 1


def batch_layout(prompts_per_step: int, num_generations: int, processes: int, micro_batch_size: int | None) -> dict:
    """How one optimizer step's rollouts (prompts_per_step x num_generations, the global batch) are split: each of
    `processes` takes an equal share, which it runs in micro-batches of `micro_batch_size` rollouts (default: all of
    its share at once), accumulating their gradients. TRL generates the whole step's rollouts at once
    (generation_batch_size = micro x processes x accumulation = the global batch), so there is one generation and
    one optimizer step per step whatever the split."""
    rollouts = prompts_per_step * num_generations
    if rollouts % processes:
        raise ValueError(f"prompts_per_step x num_generations = {rollouts} rollouts do not split over {processes} "
                         "processes")
    share = rollouts // processes
    micro = micro_batch_size or share
    if share % micro:
        raise ValueError(f"micro_batch_size {micro} does not divide a process's {share} rollouts "
                         f"({prompts_per_step} x {num_generations} over {processes} processes)")
    return {"per_device_train_batch_size": micro, "gradient_accumulation_steps": share // micro,
            "generation_batch_size": rollouts}
