"""Checkpoints of a real run: which ones `prepare` resumes from, which it removes or skips, and a rerun after the
newest was corrupted."""

import json
import shutil
import struct
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from tensorboardX.proto import event_pb2
from transformers import TrainerState

from rlv.rollouts import RolloutStore
from rlv.training.checkpoints import SNAPSHOT, RolloutSnapshot, defect, prepare
from rlv.training.params import RLParams
from rlv.training.run import run_training

PARAMS = RLParams(trainer="grpo", verify_coef=1.0, steps=6, learning_rate=1e-3, prompts_per_step=2, num_generations=4,
                  max_completion_length=12, temperature=1.0, beta=0.0, seed=0, checkpoint_every=2, threads=1)
FINGERPRINT = {k: getattr(PARAMS, k) for k in PARAMS.__dataclass_fields__}


class Killed(Exception):
    """Stands for a SIGKILL: raised from the run's log line of one step, after the checkpoints before it."""


def killed_at(step: int):
    def log(message):
        if f" step {step}/" in message:
            raise Killed(message)
    return log


def train(tiny_model_dir, problems, out: Path, log=lambda message: None):
    return run_training(tiny_model_dir, problems.head(40), PARAMS, "grpo_v", out / "model", out / "rollouts.parquet",
                        out / "checkpoints", log)


@pytest.fixture(scope="module")
def real_pair(tiny_model_dir, problems, tmp_path_factory):
    """A checkpoint directory holding real checkpoint-2 and checkpoint-4 of one run (killed twice: once after
    each; the run keeps only its newest checkpoint, so checkpoint-2 is put back)."""
    out = tmp_path_factory.mktemp("pair")
    with pytest.raises(Killed):
        train(tiny_model_dir, problems, out, killed_at(3))
    kept = tmp_path_factory.mktemp("kept") / "checkpoint-2"
    shutil.copytree(out / "checkpoints" / "checkpoint-2", kept)
    with pytest.raises(Killed):
        train(tiny_model_dir, problems, out, killed_at(5))
    assert not (out / "checkpoints" / "checkpoint-2").exists()  # rotated away once checkpoint-4 was complete
    shutil.copytree(kept, out / "checkpoints" / "checkpoint-2")
    assert not (out / "model").exists()
    return out / "checkpoints"


@pytest.fixture
def pair(real_pair, tmp_path):
    directory = tmp_path / "checkpoints"
    shutil.copytree(real_pair, directory)
    return directory


def garbage(path: Path):
    path.write_bytes(b"\x93not a real file" * 50)


def truncate(path: Path):
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])


def wrong_step(path: Path):
    path.write_text(json.dumps({**json.loads(path.read_text()), "global_step": 3}))


CORRUPTIONS = {
    "truncated weights": ("model.safetensors", truncate, "model.safetensors: SafetensorError"),
    "garbage weights": ("model.safetensors", garbage, "header too large"),
    "no weights": ("model.safetensors", Path.unlink, "no model.safetensors"),
    "unreadable trainer state": ("trainer_state.json", garbage, "trainer_state.json: "),
    "truncated trainer state": ("trainer_state.json", truncate, "trainer_state.json: JSONDecodeError"),
    "trainer state of another step": ("trainer_state.json", wrong_step, "global_step is 3, not 4"),
    "unreadable snapshot": (SNAPSHOT, garbage, f"{SNAPSHOT}: ArrowInvalid"),
    "truncated optimizer": ("optimizer.pt", truncate, "optimizer.pt: BadZipFile"),
    "no scheduler": ("scheduler.pt", Path.unlink, "no scheduler.pt"),
    "no RNG state": ("rng_state.pth", Path.unlink, "no rng_state*.pth"),
    "incomplete": (SNAPSHOT, Path.unlink, "incomplete"),
}


def test_real_checkpoints_pass(real_pair):
    assert defect(real_pair / "checkpoint-2") is None and defect(real_pair / "checkpoint-4") is None
    lines = []
    assert prepare(real_pair, FINGERPRINT, lines.append) == real_pair / "checkpoint-4" and lines == []


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_a_corrupt_newest_checkpoint_is_removed_with_a_warning(pair, name):
    file, corrupt, problem = CORRUPTIONS[name]
    corrupt(pair / "checkpoint-4" / file)
    lines = []
    assert prepare(pair, FINGERPRINT, lines.append) == pair / "checkpoint-2"
    assert not (pair / "checkpoint-4").exists() and (pair / "checkpoint-2").is_dir()
    assert len(lines) == 1 and "\n" not in lines[0]
    assert str(pair / "checkpoint-4") in lines[0] and problem in lines[0], lines


def test_with_every_checkpoint_corrupt_the_run_starts_fresh(pair):
    garbage(pair / "checkpoint-4" / "model.safetensors")
    garbage(pair / "checkpoint-2" / SNAPSHOT)
    lines = []
    assert prepare(pair, FINGERPRINT, lines.append) is None
    assert not list(pair.glob("checkpoint-*"))
    assert [str(pair / "checkpoint-4") in lines[0], str(pair / "checkpoint-2") in lines[1]] == [True, True]


def test_stray_folders_are_skipped_and_left_in_place(pair):
    (pair / "checkpoint-final").mkdir()
    (pair / "checkpoint-final" / "model.safetensors").write_bytes(b"junk")
    (pair / "checkpoint-9").write_text("a file, not a folder")
    shutil.copytree(pair / "checkpoint-4", pair / "checkpoint-06")  # not a name the trainer gives
    lines = []
    assert prepare(pair, FINGERPRINT, lines.append) == pair / "checkpoint-4"
    assert (pair / "checkpoint-final" / "model.safetensors").exists() and (pair / "checkpoint-9").is_file()
    assert (pair / "checkpoint-06").is_dir()
    assert all(line.startswith("warning: skipping ") for line in lines)
    assert sorted(line.split()[2] for line in lines) == [f"{pair / name}:" for name in
                                                        ("checkpoint-06", "checkpoint-9", "checkpoint-final")]


def test_checkpoints_of_other_parameters_are_discarded(pair):
    assert prepare(pair, FINGERPRINT) == pair / "checkpoint-4"
    assert prepare(pair, {**FINGERPRINT, "learning_rate": 2e-3}) is None
    assert not list(pair.glob("checkpoint-*"))


def test_the_snapshot_completes_a_checkpoint_then_the_older_ones_go(tmp_path):
    directory = tmp_path / "checkpoints"
    for name in ("checkpoint-2", "checkpoint-4", "checkpoint-6", "checkpoint-final"):
        (directory / name).mkdir(parents=True)
    store = RolloutStore(tmp_path / "rollouts.parquet", run="r", seed=0)
    store.append([{"step": 5, "group": 0, "sample": 0, "reward": 1.0}])
    RolloutSnapshot(store, directory).on_save(SimpleNamespace(should_save=True), TrainerState(global_step=6), None)
    assert sorted(p.name for p in directory.iterdir()) == ["checkpoint-6", "checkpoint-final"]
    assert pd.read_parquet(directory / "checkpoint-6" / SNAPSHOT)["step"].tolist() == [5]


def events(directory: Path) -> list:
    """The scalar events of the one events file in `directory` (TFRecord framing, tensorboardX's protobuf)."""
    (path,) = directory.iterdir()
    data, position, found = path.read_bytes(), 0, []
    while position < len(data):
        (length,) = struct.unpack("<Q", data[position:position + 8])
        event = event_pb2.Event.FromString(data[position + 12:position + 12 + length])
        position += 12 + length + 4
        found += [(value.tag, event.step, value.simple_value) for value in event.summary.value]
    return found


@pytest.fixture(scope="module")
def straight(tiny_model_dir, problems, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    train(tiny_model_dir, problems, out)
    return out


def test_a_rerun_after_corruption_resumes_from_the_older_checkpoint(tiny_model_dir, problems, real_pair, straight,
                                                                    tmp_path):
    shutil.copytree(real_pair, tmp_path / "checkpoints")
    garbage(tmp_path / "checkpoints" / "checkpoint-4" / "model.safetensors")
    (tmp_path / "checkpoints" / "checkpoint-final").mkdir()
    lines = []
    train(tiny_model_dir, problems, tmp_path, lines.append)

    assert any("checkpoint-4" in line and "header too large" in line for line in lines), lines
    assert any("checkpoint-final" in line and "skipping" in line for line in lines), lines
    assert any(f"resuming from {tmp_path / 'checkpoints' / 'checkpoint-2'}" in line for line in lines), lines
    assert not (tmp_path / "checkpoints").exists()
    rollouts = pd.read_parquet(tmp_path / "rollouts.parquet")
    assert sorted(rollouts["step"].unique()) == list(range(6))
    assert not rollouts.duplicated(["step", "group", "sample"]).any()
    pd.testing.assert_frame_equal(rollouts, pd.read_parquet(straight / "rollouts.parquet"))
    metrics = pd.read_csv(tmp_path / "model" / "metrics.csv")
    assert list(metrics.columns) == list(pd.read_csv(straight / "model" / "metrics.csv").columns)
    assert list(metrics["step"]) == list(range(1, 7))
    found = events(tmp_path / "model" / "tensorboard")
    assert len(found) == len(set((tag, step) for tag, step, _ in found)) == 6 * (len(metrics.columns) - 2)
