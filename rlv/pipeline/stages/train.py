"""Stages of workflow/rules/train.smk: `rlv train` (rule train_rl), `rlv train-verifier` (rule train_verifier) and
`rlv train-verifier-head` (rule train_verifier_head).

- train: one RL run from the base model (rlv.training.run; its parameters are rlv.training.params.RLParams), every
  rollout into the Parquet rollout store, resumable from its checkpoint directory.
- train-verifier: the separate-verifier baseline, the base model trained on the Yes/No verification loss alone over
  one run's training rollouts (rlv.baselines.separate_verifier).
- train-verifier-head: the same training with a scalar head, BCE or regression (rlv.baselines.verifier_heads).
A trained verifier is saved atomically: weights (safetensors), tokenizer, its head if any, and metrics.csv. Every
model directory records its provenance.json (rlv.pipeline.provenance: code version, parameters' digest, seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rlv.pipeline.provenance import record
from rlv.pipeline.stages import log, placement, set_threads
from rlv.training.params import RLParams


@dataclass(frozen=True)
class VerifierParams:
    """The separate verifier's training (config separate_verifier, with the master seed)."""

    steps: int
    batch_size: int
    learning_rate: float
    seed: int
    device: str = "auto"
    precision: str = "auto"  # bf16: fp32 weights, bf16 compute under autocast
    threads: int = 1


@dataclass(frozen=True, kw_only=True)
class HeadParams(VerifierParams):
    """A verifier head's training: the separate verifier's, and the head's form (bce or regression)."""

    form: str


def train(*, base: Path, data: Path, run: str, out: Path, rollouts: Path, checkpoints: Path | None,
          params: RLParams) -> None:
    import pandas as pd

    from rlv.training.run import is_main_process, run_training
    checkpoint_dir = checkpoints or f"{str(out).rstrip('/')}.checkpoints"
    metrics = run_training(base, pd.read_parquet(data), params, run, out, rollouts, checkpoint_dir, log)
    if not is_main_process():  # the other processes of a multi-process run write nothing
        return
    record(out, train, params, params.seed)
    last = metrics.tail(1).to_dict("records")[0] if len(metrics) else {}
    shown = ", ".join(f"{key} {last[key]:.4g}" for key in ("reward", "verifier/loss", "verifier/accuracy") if key in last)
    log(f"trained {run}: {len(metrics)} steps" + (f"; last step: {shown}" if shown else ""))


def train_verifier(*, base: Path, rollouts: Path, run: str, out: Path, params: VerifierParams) -> None:
    from rlv.baselines.separate_verifier import train_separate_verifier
    from rlv.models import autocast, load_model
    from rlv.rollouts import TRAIN_COLUMNS, read_rollouts
    set_threads(params.threads)
    where = placement(params)  # fp32 weights on the device; bf16 computes under autocast
    model, tokenizer = load_model(base, device=where["device"])
    frame = read_rollouts(rollouts, TRAIN_COLUMNS)
    log(f"separate verifier: {len(frame)} rollouts of {rollouts} (share correct {frame['label'].mean():.3f}), "
        f"{params.steps} steps of {params.batch_size}")
    history = train_separate_verifier(model, tokenizer, frame, params.steps, params.batch_size,
                                      params.learning_rate, params.seed, log, lambda: autocast(**where))
    save_verifier(out, run, model, tokenizer, history, lambda staging: record(staging, train_verifier, params,
                                                                              params.seed))
    log(f"saved the separate verifier to {out}")


def train_verifier_head(*, base: Path, rollouts: Path, run: str, out: Path, params: HeadParams) -> None:
    from rlv.baselines.verifier_heads import HeadVerifier, save_head, train_verifier_head as train_head
    from rlv.models import autocast, load_model
    from rlv.rollouts import TRAIN_COLUMNS, read_rollouts
    set_threads(params.threads)
    where = placement(params)  # fp32 weights on the device; bf16 computes under autocast
    model, tokenizer = load_model(base, device=where["device"])
    verifier = HeadVerifier(model, params.form)
    frame = read_rollouts(rollouts, TRAIN_COLUMNS)
    log(f"{params.form} verifier head: {len(frame)} rollouts of {rollouts} (share correct "
        f"{frame['label'].mean():.3f}), {params.steps} steps of {params.batch_size}")
    history = train_head(verifier, tokenizer, frame, params.steps, params.batch_size, params.learning_rate,
                         params.seed, log, lambda: autocast(**where))
    save_verifier(out, run, model, tokenizer, history, lambda staging: (
        save_head(verifier, staging), record(staging, train_verifier_head, params, params.seed)))
    log(f"saved the {params.form} verifier head to {out}")


def save_verifier(out: Path, run: str, model, tokenizer, history, save_extra=None) -> None:
    """A trained verifier's directory, written atomically: weights (safetensors), tokenizer, anything
    `save_extra(staging)` adds, and metrics.csv (the per-step history with the run's name)."""
    from rlv.rollouts import atomic_directory
    with atomic_directory(out) as staging:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        if save_extra is not None:
            save_extra(staging)
        history.insert(0, "run", run)
        history.to_csv(staging / "metrics.csv", index=False)
