"""Resumable RL runs: TRL checkpoints plus a snapshot of the rollout store, and the matching resume.

Every `checkpoint_every` steps the trainer saves `checkpoint-{step}/` (weights, optimizer, scheduler, RNG
states, trainer state: TRL/transformers' own format, safetensors and `weights_only` loads) into the run's
checkpoint directory; `RolloutSnapshot` then writes the rollouts gathered so far into the same folder as
`rollouts.parquet`, last, so its presence marks a complete checkpoint, and only then removes the older
checkpoints (the trainer's own rotation is off: it deletes the previous checkpoint before the new one is
complete, and it orders the `checkpoint-*` folders by modification time, so a newer stray folder would cost
the newest checkpoint).

A run started again (`prepare`) claims the directory with its parameters (checkpoints made with other
parameters are discarded), then looks at the folders named `checkpoint-<integer>` only: any other
`checkpoint-*` entry (say `checkpoint-final/`) is skipped with a warning and left in place. The candidates are
checked newest first, cheaply (`defect`): the rollout snapshot present and its Parquet footer readable with a
`step` column; the weights' safetensors header(s) readable; `trainer_state.json` parseable and at the folder's
step; the optimizer, scheduler and RNG-state files present and readable as zip archives (torch's format). A
checkpoint that fails is removed with a warning naming it and what is wrong (an incomplete one, killed while
saving, too), so the resumed run writes that step afresh; the first one that passes is resumed from: the
rollout store is restored from it (dropping any row generated at or after its step) and the trainer resumes,
which restores the optimizer, the learning-rate schedule, the RNG states and the position in the data. With
none left the run starts fresh. The whole directory is removed once the run's outputs are written, so a forced
rerun starts from scratch.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pandas as pd
from accelerate import PartialState
import pyarrow as pa
import pyarrow.parquet as pq
from safetensors import SafetensorError, safe_open
from transformers import TrainerCallback

from rlv.rollouts import claim, write_parquet_atomic

SNAPSHOT = "rollouts.parquet"
NUMBERED = re.compile(r"checkpoint-(0|[1-9][0-9]*)")  # as the trainer names them: no leading zeros
WEIGHTS, WEIGHTS_INDEX = "model.safetensors", "model.safetensors.index.json"
STATE = "trainer_state.json"
TORCH_FILES = ("optimizer.pt", "scheduler.pt")  # torch.save's zip archives the trainer's resume loads
RNG_STATES = "rng_state*.pth"  # rng_state.pth, or rng_state_{rank}.pth per process
UNREADABLE = (OSError, ValueError, KeyError, TypeError, SafetensorError, zipfile.BadZipFile, pa.ArrowException)


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _step(path: Path) -> int | None:
    """The step of a folder named `checkpoint-<integer>`, else None."""
    match = NUMBERED.fullmatch(path.name)
    return int(match.group(1)) if match else None


def numbered_checkpoints(directory: Path) -> dict[int, Path]:
    """The folders named `checkpoint-<integer>` in `directory`, by step."""
    return {_step(p): p for p in directory.glob("checkpoint-*") if p.is_dir() and _step(p) is not None}


def _check_snapshot(path: Path, step: int) -> None:
    if "step" not in pq.read_schema(path).names:
        raise ValueError("no step column")


def _check_weights(path: Path, step: int) -> None:
    with safe_open(path, framework="pt") as weights:
        weights.keys()


def _check_state(path: Path, step: int) -> None:
    global_step = json.loads(path.read_text())["global_step"]
    if global_step != step:
        raise ValueError(f"global_step is {global_step}, not {step}")


def _check_zip(path: Path, step: int) -> None:
    with zipfile.ZipFile(path):
        pass


def _weight_files(checkpoint: Path) -> list[str]:
    index = checkpoint / WEIGHTS_INDEX
    if index.exists():
        return sorted(set(json.loads(index.read_text())["weight_map"].values()))
    return [WEIGHTS]


def defect(checkpoint: Path) -> str | None:
    """What would keep the trainer from resuming from `checkpoint`, or None; reads headers and small files only."""
    if not (checkpoint / SNAPSHOT).exists():
        return f"incomplete (no {SNAPSHOT}: the run was killed while saving it)"
    try:
        weights = _weight_files(checkpoint)
    except UNREADABLE as error:
        return f"{WEIGHTS_INDEX}: {type(error).__name__}: {error}"
    checks = [(SNAPSHOT, _check_snapshot), *((name, _check_weights) for name in weights), (STATE, _check_state),
              *((name, _check_zip) for name in TORCH_FILES), (RNG_STATES, _check_zip)]
    for pattern, check in checks:
        paths = sorted(checkpoint.glob(pattern))
        if not paths:
            return f"no {pattern}"
        for path in paths:
            try:
                check(path, _step(checkpoint))
            except UNREADABLE as error:
                return f"{path.name}: {type(error).__name__}: {error}"
    return None


def prepare(directory: Path, params: dict, log=_warn) -> Path | None:
    """The newest valid checkpoint made with `params`, or None. Stale checkpoints (other parameters) and those
    newer than the one returned that fail `defect` are removed; stray `checkpoint-*` entries are skipped. Each
    removal or skip is one `log` line naming the folder."""
    claim(directory, params)
    for path in sorted(directory.glob("checkpoint-*")):
        if not (path.is_dir() and _step(path) is not None):
            log(f"warning: skipping {path}: not a checkpoint-<step> folder (left in place)")
    candidates = numbered_checkpoints(directory)
    for step in sorted(candidates, reverse=True):
        problem = defect(candidates[step])
        if problem is None:
            return candidates[step]
        shutil.rmtree(candidates[step])
        log(f"warning: removed checkpoint {candidates[step]}: {' '.join(problem.split())}")
    return None


def newest(directory: Path) -> Path | None:
    """The newest complete numbered checkpoint, read only: what every other process resumes from once the main
    process's `prepare` has removed the stale and the corrupt ones."""
    complete = {step: path for step, path in numbered_checkpoints(directory).items() if (path / SNAPSHOT).exists()}
    return complete[max(complete)] if complete else None


def restored_rows(checkpoint: Path) -> list[dict]:
    frame = pd.read_parquet(checkpoint / SNAPSHOT)
    frame = frame[frame["step"] < _step(checkpoint)]
    return frame.to_dict("records")


class RolloutSnapshot(TrainerCallback):
    """After each checkpoint save, store the rollouts so far beside it (the checkpoint's completion mark, written by
    the main process once every process has saved its part), then remove the other numbered checkpoints: there is
    always one complete checkpoint on disk."""

    def __init__(self, store, directory: Path):
        self.store, self.directory = store, directory

    def on_save(self, args, state, control, **kwargs):
        checkpoint = self.directory / f"checkpoint-{state.global_step}"
        PartialState().wait_for_everyone()  # every process has written its part (its RNG state) before the mark
        if checkpoint.is_dir() and state.is_world_process_zero:
            write_parquet_atomic(self.store.frame(), checkpoint / SNAPSHOT)
            if args.should_save:
                for step, older in numbered_checkpoints(self.directory).items():
                    if step != state.global_step:
                        shutil.rmtree(older, ignore_errors=True)
