"""Resumable RL runs: TRL checkpoints plus a snapshot of the rollout store, and the matching resume.

Every `checkpoint_every` steps the trainer saves `checkpoint-{step}/` (weights, optimizer, scheduler, RNG
states, trainer state: TRL/transformers' own format, safetensors and `weights_only` loads) into the run's
checkpoint directory; `RolloutSnapshot` then writes the rollouts gathered so far into the same folder as
`rollouts.parquet`, last, so its presence marks a complete checkpoint. A run started again finds the newest
complete checkpoint whose `params.json` equals its own parameters, restores the rollout store from it
(dropping any row generated at or after the checkpoint's step) and lets the trainer resume, which restores
the optimizer, the learning-rate schedule, the RNG states and the position in the data. Checkpoints made
with other parameters are discarded, and the whole directory is removed once the run's outputs are written,
so a forced rerun starts from scratch.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from transformers import TrainerCallback

from rlv.rollouts import claim, write_parquet_atomic

SNAPSHOT = "rollouts.parquet"


def _step(path: Path) -> int:
    return int(path.name.rsplit("-", 1)[1])


def prepare(directory: Path, params: dict) -> Path | None:
    """The newest complete checkpoint made with `params`, or None; stale checkpoints are removed."""
    claim(directory, params)
    complete = [p for p in directory.glob("checkpoint-*") if (p / SNAPSHOT).exists()]
    return max(complete, key=_step) if complete else None


def restored_rows(checkpoint: Path) -> list[dict]:
    frame = pd.read_parquet(checkpoint / SNAPSHOT)
    frame = frame[frame["step"] < _step(checkpoint)]
    return frame.to_dict("records")


class RolloutSnapshot(TrainerCallback):
    """After each checkpoint save, store the rollouts so far beside it (the checkpoint's completion mark)."""

    def __init__(self, store, directory: Path):
        self.store, self.directory = store, directory

    def on_save(self, args, state, control, **kwargs):
        checkpoint = self.directory / f"checkpoint-{state.global_step}"
        if checkpoint.is_dir():
            write_parquet_atomic(self.store.frame(), checkpoint / SNAPSHOT)
