"""One RL run: TRL config from the run's parameters, the grading reward, the rollout store, atomic outputs.

Parameters (`rlv.training.params.RLParams`, one field per key of an RL run's config, with the defaults): trainer ("grpo" |
"rloo" | "vineppo"), verify_coef (lambda), steps, learning_rate, prompts_per_step, num_generations,
max_completion_length, temperature, beta, epsilon, num_iterations, loss_type (GRPO and VinePPO), checkpoint_every,
use_vllm and vllm_mode (TRL's vLLM rollouts, GPU only), instruction, seed, threads, train_levels (train only on the
problems at these levels, for easy-to-hard; default every level), and for VinePPO vine_mc_samples, vine_max_steps
and vine_step_markers (None: VinePPO's own defaults, `rlv.training.vineppo`). The model directory
receives the trained weights (safetensors), the tokenizer, `metrics.csv` (TRL's per-step log: reward,
verifier loss/accuracy) and the same metrics as TensorBoard event files in `tensorboard/`. A killed run
resumes from its last checkpoint (see `rlv.training.checkpoints`).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import torch
from datasets import Dataset
from tensorboardX import SummaryWriter
from transformers import TrainerCallback
from transformers.integrations import TensorBoardCallback
from trl import GRPOConfig, RLOOConfig

from rlv.models import load_model
from rlv.rollouts import RolloutStore, atomic_directory
from rlv.tasks.chat import problem_messages
from rlv.tasks.grading import reward as grade_rewards
from rlv.tasks.records import select_levels
from rlv.training import checkpoints
from rlv.training.params import RLParams
from rlv.training.trainers import TRAINERS


def correctness_reward(completions, answer, **_) -> list[float]:
    """1.0 if the completion's boxed answer is equivalent to the reference answer, else 0.0."""
    texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
    return grade_rewards(texts, answer)


class StepLog(TrainerCallback):
    """One line per logged step on stderr: reward, verifier loss and accuracy, completion length."""

    KEYS = {"reward": "reward", "verifier/loss": "verify_loss", "verifier/accuracy": "verify_acc",
            "completions/mean_length": "length", "entropy": "entropy"}

    def __init__(self, run: str, log):
        self.run, self.log = run, log

    def on_log(self, args, state, control, logs=None, **kwargs):
        fields = " ".join(f"{name} {logs[key]:.4g}" for key, name in self.KEYS.items() if key in (logs or {}))
        if fields:
            self.log(f"{self.run} step {state.global_step}/{state.max_steps}: {fields}")


def prompt_dataset(problems: pd.DataFrame, instruction: str) -> Dataset:
    return Dataset.from_dict({
        "prompt": [problem_messages(p, instruction) for p in problems["problem"]],
        "answer": problems["answer"].tolist(),
        "problem_id": problems["id"].tolist(),
    })


def trl_config(params: RLParams, output_dir: str):
    common = dict(
        output_dir=output_dir, use_cpu=not torch.cuda.is_available(), bf16=False,
        seed=params.seed, data_seed=params.seed,
        learning_rate=params.learning_rate, lr_scheduler_type="constant",
        max_steps=params.steps, per_device_train_batch_size=params.prompts_per_step * params.num_generations,
        gradient_accumulation_steps=1, num_generations=params.num_generations,
        max_completion_length=params.max_completion_length, temperature=params.temperature, top_p=1.0,
        top_k=0, beta=params.beta, epsilon=params.epsilon, num_iterations=params.num_iterations, logging_steps=1,
        report_to=[], save_strategy="steps", save_steps=params.checkpoint_every, save_total_limit=1,
        save_only_model=False,
        disable_tqdm=False, dataloader_num_workers=0, use_liger_kernel=False,
        # use_vllm / vllm_mode: TRL generates the rollouts with vLLM; GPU only (on CPU, vLLM's repacked linear
        # weights make TRL's first weight sync fail)
        use_vllm=params.use_vllm, vllm_mode=params.vllm_mode,
    )
    if params.trainer in ("grpo", "vineppo"):  # VinePPO replaces GRPO's advantages, so scale_rewards is unused
        return GRPOConfig(**common, loss_type=params.loss_type, scale_rewards="group")
    return RLOOConfig(**common)


VINE_KEYS = ("vine_mc_samples", "vine_max_steps", "vine_step_markers")


def trainer_options(params: RLParams) -> dict:
    """Keyword arguments of the trainer beyond TRL's: VinePPO's keys that are set, for the vineppo trainer only."""
    if params.trainer != "vineppo":
        return {}
    return {key: getattr(params, key) for key in VINE_KEYS if getattr(params, key) is not None}


def run_training(base_model: str | Path, problems: pd.DataFrame, params: RLParams, run: str, model_out: str | Path,
                 rollouts_out: str | Path, checkpoint_dir: str | Path, log=print) -> pd.DataFrame:
    """Train one run from `base_model` on `problems`; write the model directory and the rollout store atomically.
    A checkpoint in `checkpoint_dir` made with the same parameters is resumed; the directory is removed at the end."""
    torch.set_num_threads(params.threads)
    if params.train_levels is not None:
        problems = select_levels(problems, params.train_levels, f"rl.runs.{run}.train_levels")
        log(f"{run}: training on the {len(problems)} problems at levels {sorted(params.train_levels)}")
    checkpoint_dir = Path(checkpoint_dir)
    resume_from = checkpoints.prepare(checkpoint_dir, dataclasses.asdict(params))
    model, tokenizer = load_model(base_model)
    store = RolloutStore(rollouts_out, run=run, seed=params.seed)
    if resume_from is not None:
        store.append(checkpoints.restored_rows(resume_from))
        log(f"{run}: resuming from {resume_from} ({len(store.rows)} rollouts restored)")
    trainer = TRAINERS[params.trainer](
        model=model, reward_funcs=[correctness_reward], args=trl_config(params, str(checkpoint_dir)),
        train_dataset=prompt_dataset(problems, params.instruction), processing_class=tokenizer,
        verify_coef=params.verify_coef, rollout_store=store, **trainer_options(params),
        callbacks=[StepLog(run, log), checkpoints.RolloutSnapshot(store, checkpoint_dir),
                   TensorBoardCallback(SummaryWriter(logdir=str(checkpoint_dir / "tensorboard")))],
    )
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    metrics = pd.DataFrame([row for row in trainer.state.log_history if "step" in row and "loss" in row])
    metrics.insert(0, "run", run)
    with atomic_directory(model_out) as staging:
        trainer.model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        metrics.to_csv(staging / "metrics.csv", index=False)
        shutil.copytree(checkpoint_dir / "tensorboard", staging / "tensorboard")
        store.flush()
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return metrics
