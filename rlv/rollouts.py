"""The Parquet rollout store and atomic file output.

One row per sampled solution. Training rollouts (`results/rollouts/train/{run}.parquet`) carry: run, step
(optimizer steps taken before the rollout was generated), group (prompt index within the generation batch),
sample (index within the group), problem_id, prompt, completion, completion_ids (the sampled token ids, the
stop token included), answer (extracted), reward, label (the
verifier target: 1 if reward is 1), num_tokens, truncated, seed. Evaluation rollouts
(`results/rollouts/eval/{run}/{dataset}.parquet`) carry run, dataset, problem_id, sample, prompt, completion,
completion_ids, answer, correct, num_tokens, truncated, seed; scoring adds p_yes, p_no, mean_logprob. The
prompted judge's pseudo-run (`rlv judge`, results/rollouts/scored/{base_run}+judge/) also carries
judge_verification (the verification text it wrote before its verdict) and judge_num_tokens (its generated
tokens, a closing EOS included).

Every file is written to a temporary name in the same directory and renamed into place, so a killed run
never leaves a half-written file that a rerun would take for complete (`atomic_file`). Model directories are
written the same way (`atomic_directory`). What lands in place has the permissions the umask gives a plain
`open` or `mkdir` (readable by the group and others under the usual 022), not the temporary's private ones. A job's scratch directory (a training run's checkpoints, a sampling job's
shards) is `claim`ed with the job's parameters: a rerun with the same parameters resumes from what it holds,
one with other parameters empties it first.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TRAIN_COLUMNS = ["run", "step", "group", "sample", "problem_id", "prompt", "completion", "completion_ids", "answer", "reward",
                 "label", "num_tokens", "truncated", "seed"]
EVAL_COLUMNS = ["run", "dataset", "problem_id", "sample", "prompt", "completion", "completion_ids", "answer",
                "correct", "num_tokens", "truncated", "seed"]
SCORE_COLUMNS = ["p_yes", "p_no", "mean_logprob"]
JUDGE_COLUMNS = ["judge_verification", "judge_num_tokens"]

CLAIM = "params.json"  # the parameters of the job that claimed a scratch directory


def umask() -> int:
    """The process's file-creation mask (read by setting it and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: str | Path, suffix: str = ".tmp"):
    """Yield a temporary path beside `path` (ending in `suffix`, for writers that read the format from it); on
    success it gets the mode a plain `open` would have given it under the umask (mkstemp makes it private) and
    replaces `path` in one rename; on failure it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_parquet_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    with atomic_file(path) as tmp:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)


def write_text_atomic(text: str, path: str | Path) -> None:
    with atomic_file(path) as tmp, open(tmp, "w") as handle:
        handle.write(text)


@contextlib.contextmanager
def atomic_directory(path: str | Path):
    """Yield a fresh temporary directory beside `path`; on success it gets the mode a plain `mkdir` would have
    given it under the umask and replaces `path` in one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~umask())
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def claim(directory: Path, params: dict) -> None:
    """Make `directory` the scratch space of a job with `params`: emptied if another job's parameters made it."""
    directory.mkdir(parents=True, exist_ok=True)
    fingerprint = json.dumps(params, sort_keys=True)
    if (directory / CLAIM).exists() and (directory / CLAIM).read_text() != fingerprint:
        shutil.rmtree(directory)
        directory.mkdir(parents=True)
    write_text_atomic(fingerprint, directory / CLAIM)


def read_rollouts(path: str | Path, required: list[str]) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    return frame


class RolloutStore:
    """Collects training rollouts in memory and writes them all atomically on every flush."""

    def __init__(self, path: str | Path, run: str, seed: int):
        self.path, self.run, self.seed = Path(path), run, seed
        self.rows: list[dict] = []

    def append(self, rows: list[dict]) -> None:
        for row in rows:
            unknown = set(row) - set(TRAIN_COLUMNS)
            if unknown:
                raise ValueError(f"rollout row has unknown column(s) {sorted(unknown)}; known: {TRAIN_COLUMNS}")
            self.rows.append({"run": self.run, "seed": self.seed, **row})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.rows, columns=TRAIN_COLUMNS)

    def flush(self) -> None:
        write_parquet_atomic(self.frame(), self.path)
