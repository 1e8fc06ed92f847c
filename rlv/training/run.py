"""One RL run: TRL config from the run's parameters, the grading reward, the rollout store, atomic outputs.

Parameters (`rlv.training.params.RLParams`, one field per key of an RL run's config, with the defaults): trainer ("grpo" |
"rloo" | "loop" | "vineppo"), verify_coef (lambda), steps, learning_rate, prompts_per_step, num_generations,
max_completion_length, temperature, beta, epsilon, num_iterations, loss_type (GRPO, LOOP and VinePPO),
scale_rewards (GRPO's advantage scaling: "group", "batch" or "none"; Dr. GRPO is loss_type dr_grpo with "none"),
checkpoint_every, rollout_decoder ("rlv": the project's decoder samples the rollouts, the default;
"transformers": TRL's generate; `rlv.training.rollout_decoding`), length_chunks (the update's passes over rollouts of
similar length, `rlv.training.length_chunks`), micro_batch_size, gradient_checkpointing, use_vllm and vllm_mode
(TRL's vLLM rollouts, GPU only), instruction, seed, threads, train_levels
(train only on the problems at these levels, for easy-to-hard; default every level), and for VinePPO
vine_mc_samples, vine_max_steps, vine_step_markers, vine_whiten and vine_prompt_value (None: VinePPO's own
defaults, `rlv.training.vineppo`). The model directory
receives the trained weights (safetensors), the tokenizer, `metrics.csv` (TRL's per-step log: reward,
verifier loss/accuracy; one row per step, columns run, step, then the rest sorted) and the same metrics as one
TensorBoard events stream in `tensorboard/` (tags `train/<column>`, one point per step), both written at the end
from the trainer's log history, which a resume restores, so a resumed run's outputs look like an uninterrupted
one's. While the run lasts, a live TensorBoard writer logs into `tensorboard/` of the checkpoint directory (one
events file per attempt; removed with the directory). A killed run resumes from its last valid checkpoint (see
`rlv.training.checkpoints`). On the terminal: one `StepLog` line per step on stderr and transformers' progress
bar, without the raw log dict that transformers' progress/printer callbacks write per step.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pandas as pd
import torch
from accelerate import PartialState
from datasets import Dataset
from tensorboardX import SummaryWriter
from transformers import PrinterCallback, ProgressCallback, TrainerCallback
from transformers.integrations import TensorBoardCallback
from trl import GRPOConfig, RLOOConfig

from rlv.models import load_model, resolve_device, resolve_dtype
from rlv.rollouts import RolloutStore, atomic_directory
from rlv.tasks.chat import problem_messages
from rlv.tasks.grading import reward as grade_rewards
from rlv.tasks.records import select_levels
from rlv.training import checkpoints
from rlv.training.params import RLParams, batch_layout
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
        if fields and state.is_world_process_zero:
            self.log(f"{self.run} step {state.global_step}/{state.max_steps}: {fields}")


class QuietProgress(ProgressCallback):
    """transformers' progress bar without its `on_log`, which writes each step's raw log dict to stdout."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        pass


def step_metrics(log_history: list[dict], run: str) -> pd.DataFrame:
    """One row per logged training step (the last entry of a step wins): run, step, then the metrics sorted."""
    rows = {row["step"]: row for row in log_history if "step" in row and "loss" in row}
    records = [{**rows[step], "run": run} for step in sorted(rows)]
    keys = sorted({key for row in records for key in row} - {"run", "step"})
    return pd.DataFrame(records, columns=["run", "step", *keys])


def write_tensorboard(metrics: pd.DataFrame, directory: Path) -> None:
    """`metrics` as one TensorBoard events stream in `directory`: tag `train/<column>`, one point per step."""
    writer = SummaryWriter(logdir=str(directory))
    try:
        for row in metrics.to_dict("records"):
            for key, value in row.items():
                if key not in ("run", "step") and isinstance(value, (int, float)) and not pd.isna(value):
                    writer.add_scalar(f"train/{key}", value, int(row["step"]))
    finally:
        writer.close()


def prompt_dataset(problems: pd.DataFrame, instruction: str) -> Dataset:
    return Dataset.from_dict({
        "prompt": [problem_messages(p, instruction) for p in problems["problem"]],
        "answer": problems["answer"].tolist(),
        "problem_id": problems["id"].tolist(),
    })


def world_size() -> int:
    """Processes of this run (torchrun / accelerate launch set WORLD_SIZE; 1 otherwise)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def trl_config(params: RLParams, output_dir: str):
    device = resolve_device(params.device)
    common = dict(
        output_dir=output_dir, use_cpu=device.type == "cpu",
        bf16=resolve_dtype(params.precision, device) == torch.bfloat16,
        seed=params.seed, data_seed=params.seed,
        learning_rate=params.learning_rate, lr_scheduler_type="constant", max_steps=params.steps,
        **batch_layout(params.prompts_per_step, params.num_generations, world_size(), params.micro_batch_size),
        gradient_checkpointing=params.gradient_checkpointing, num_generations=params.num_generations,
        max_completion_length=params.max_completion_length, temperature=params.temperature, top_p=1.0,
        top_k=0, beta=params.beta, epsilon=params.epsilon, num_iterations=params.num_iterations, logging_steps=1,
        report_to=[], save_strategy="steps", save_steps=params.checkpoint_every,
        save_total_limit=None,  # rlv.training.checkpoints.RolloutSnapshot rotates, once the new one is complete
        save_only_model=False,
        disable_tqdm=False, dataloader_num_workers=0, use_liger_kernel=False, ddp_find_unused_parameters=False,
        # use_vllm / vllm_mode: TRL generates the rollouts with vLLM; GPU only (on CPU, vLLM's repacked linear
        # weights make TRL's first weight sync fail)
        use_vllm=params.use_vllm, vllm_mode=params.vllm_mode,
    )
    if params.trainer in ("grpo", "loop", "vineppo"):
        # scale_rewards acts on GRPO's advantages alone: LOOP and VinePPO replace them
        return GRPOConfig(**common, loss_type=params.loss_type, scale_rewards=params.scale_rewards)
    return RLOOConfig(**common)


VINE_KEYS = ("vine_mc_samples", "vine_max_steps", "vine_step_markers", "vine_whiten", "vine_prompt_value")


def trainer_options(params: RLParams) -> dict:
    """Keyword arguments of the trainer beyond TRL's: VinePPO's keys that are set, for the vineppo trainer only."""
    if params.trainer != "vineppo":
        return {}
    return {key: getattr(params, key) for key in VINE_KEYS if getattr(params, key) is not None}


def make_trainer(model, tokenizer, problems: pd.DataFrame, params: RLParams, output_dir: str | Path, **kwargs):
    """The run's trainer (`TRAINERS[params.trainer]`) over `problems`, rewarded by correctness, with its lambda, its
    method's options and its rollout decoder; `kwargs` go to the trainer (rollout_store, callbacks)."""
    trainer = TRAINERS[params.trainer](
        model=model, reward_funcs=[correctness_reward], args=trl_config(params, str(output_dir)),
        train_dataset=prompt_dataset(problems, params.instruction), processing_class=tokenizer,
        verify_coef=params.verify_coef, **trainer_options(params), **kwargs)
    trainer.rollout_decoder, trainer.length_chunks = params.rollout_decoder, params.length_chunks
    return trainer


def run_training(base_model: str | Path, problems: pd.DataFrame, params: RLParams, run: str, model_out: str | Path,
                 rollouts_out: str | Path, checkpoint_dir: str | Path, log=print) -> pd.DataFrame:
    """Train one run from `base_model` on `problems`; write the model directory and the rollout store atomically.
    A checkpoint in `checkpoint_dir` made with the same parameters is resumed; the directory is removed at the end."""
    torch.set_num_threads(params.threads)
    if params.train_levels is not None:
        problems = select_levels(problems, params.train_levels, f"rl.runs.{run}.train_levels")
        log(f"{run}: training on the {len(problems)} problems at levels {sorted(params.train_levels)}")
    checkpoint_dir = Path(checkpoint_dir)
    state = PartialState(cpu=resolve_device(params.device).type == "cpu")  # the process group, under torchrun
    if state.is_main_process:  # one process checks, cleans and claims the directory
        resume_from = checkpoints.prepare(checkpoint_dir, dataclasses.asdict(params), log)
    state.wait_for_everyone()
    if not state.is_main_process:
        resume_from = checkpoints.newest(checkpoint_dir)
    model, tokenizer = load_model(base_model)
    store = RolloutStore(rollouts_out, run=run, seed=params.seed)  # written by the main process alone
    if resume_from is not None and state.is_main_process:
        store.append(checkpoints.restored_rows(resume_from))
        log(f"{run}: resuming from {resume_from} ({len(store.rows)} rollouts restored)")
    trainer = make_trainer(
        model, tokenizer, problems, params, checkpoint_dir, rollout_store=store,
        callbacks=[StepLog(run, log), checkpoints.RolloutSnapshot(store, checkpoint_dir)] + (
            [TensorBoardCallback(SummaryWriter(logdir=str(checkpoint_dir / "tensorboard")))]  # live, main process
            if state.is_main_process else []),
    )
    for noisy in (ProgressCallback, PrinterCallback):  # each writes the raw log dict of every step
        trainer.remove_callback(noisy)
    trainer.add_callback(QuietProgress)
    trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    metrics = step_metrics(trainer.state.log_history, run)
    if state.is_main_process:
        with atomic_directory(model_out) as staging:
            trainer.model.save_pretrained(staging, safe_serialization=True)
            tokenizer.save_pretrained(staging)
            metrics.to_csv(staging / "metrics.csv", index=False)
            write_tensorboard(metrics, staging / "tensorboard")
            store.flush()
    state.wait_for_everyone()
    if state.is_main_process:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return metrics


def is_main_process() -> bool:
    """Whether this process writes the run's outputs (the only one, or rank 0 of several)."""
    return PartialState().is_main_process
