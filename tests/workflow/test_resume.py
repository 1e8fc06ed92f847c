"""A training run killed with SIGKILL and started again resumes from its last checkpoint and ends with the
same model, rollouts and metrics as a run that was never interrupted; a corrupt checkpoint is removed with a
warning (the run starts afresh), a stray folder is skipped. (The unit tests of `prepare`, and a rerun that falls
back to an older checkpoint, are in tests/training/test_checkpoints.py.)"""

import contextlib
import json
import struct
import signal
import subprocess
import sys
import time

import pandas as pd
import psutil
import pytest
import torch
from safetensors.torch import load_file
from tensorboardX.proto import event_pb2

PARAMS = {"trainer": "grpo", "verify_coef": 1.0, "steps": 6, "learning_rate": 1e-3, "prompts_per_step": 2,
          "num_generations": 4, "max_completion_length": 12, "temperature": 1.0, "beta": 0.0, "seed": 0,
          "checkpoint_every": 2, "threads": 1}


def train_command(tiny_model_dir, data, out, processes=1):
    """`rlv train`, or with processes > 1 the same under torchrun on the CPU (gloo), as rule train_rl launches it
    with rl.processes (`--` keeps torchrun from reading `--run` as its own `--run-path`)."""
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes),
                 "-m", "--", "rlv.cli"] if processes > 1 else [sys.executable, "-m", "rlv.cli"])
    return [*launcher, "train", "--base", str(tiny_model_dir), "--data", str(data), "--run", "grpo_v", "--out",
            str(out / "model"), "--rollouts", str(out / "rollouts.parquet"), "--checkpoints", str(out / "checkpoints"),
            "--params", json.dumps(PARAMS)]


@pytest.fixture(scope="module")
def data(tmp_path_factory, problems):
    path = tmp_path_factory.mktemp("resume") / "train.parquet"
    problems.head(40).to_parquet(path)
    return path


@pytest.fixture(scope="module", params=[1, 2], ids=["1 process", "2 processes"])
def straight(request, tiny_model_dir, data, tmp_path_factory):
    """An uninterrupted run, with one process or two, and its process count."""
    out = tmp_path_factory.mktemp("straight")
    subprocess.run(train_command(tiny_model_dir, data, out, request.param), check=True, capture_output=True,
                   timeout=300)
    return out, request.param


def kill_after_first_checkpoint(tiny_model_dir, data, out, processes=1):
    """SIGKILL to the run's every process (the launcher and its workers, which torchrun starts in sessions of their
    own, as a scheduler kills a job) once checkpoint-2 is complete."""
    process = subprocess.Popen(train_command(tiny_model_dir, data, out, processes), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    marker = out / "checkpoints" / "checkpoint-2" / "rollouts.parquet"
    deadline = time.time() + 240
    while not marker.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    tree = psutil.Process(process.pid)
    for member in [*tree.children(recursive=True), tree]:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.send_signal(signal.SIGKILL)
    process.wait()
    assert marker.exists(), "the run never wrote its first checkpoint"
    assert not (out / "model").exists() and not (out / "rollouts.parquet").exists()


def events(directory):
    """The scalar events of the one events file in `directory` (TFRecord framing, tensorboardX's protobuf)."""
    (path,) = directory.iterdir()
    data, position, found = path.read_bytes(), 0, []
    while position < len(data):
        (length,) = struct.unpack("<Q", data[position:position + 8])
        event = event_pb2.Event.FromString(data[position + 12:position + 12 + length])
        position += 12 + length + 4
        found += [(value.tag, event.step) for value in event.summary.value]
    return found


def assert_same_outputs(straight, interrupted):
    assert not (interrupted / "checkpoints").exists()  # removed once the outputs are written
    weights_a = load_file(straight / "model" / "model.safetensors")
    weights_b = load_file(interrupted / "model" / "model.safetensors")
    assert weights_a.keys() == weights_b.keys()
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    rollouts_a = pd.read_parquet(straight / "rollouts.parquet")
    rollouts_b = pd.read_parquet(interrupted / "rollouts.parquet")
    assert sorted(rollouts_b["step"].unique()) == list(range(6))
    assert not rollouts_b.duplicated(["step", "group", "sample"]).any()
    pd.testing.assert_frame_equal(rollouts_a, rollouts_b)
    metrics_a = pd.read_csv(straight / "model" / "metrics.csv")
    metrics_b = pd.read_csv(interrupted / "model" / "metrics.csv")
    assert list(metrics_b["step"]) == list(range(1, 7))
    pd.testing.assert_frame_equal(metrics_a.drop(columns="step_time"), metrics_b.drop(columns="step_time"))
    found = events(interrupted / "model" / "tensorboard")  # one stream, one point per step and metric
    assert sorted(found) == sorted(events(straight / "model" / "tensorboard"))
    assert len(found) == len(set(found)) == 6 * (len(metrics_b.columns) - 2)


def test_killed_run_resumes_to_the_same_result(tiny_model_dir, data, straight, tmp_path):
    straight, processes = straight
    interrupted = tmp_path / "interrupted"
    kill_after_first_checkpoint(tiny_model_dir, data, interrupted, processes)
    (interrupted / "checkpoints" / "checkpoint-final").mkdir()  # a stray folder: skipped, named in a warning

    resumed = subprocess.run(train_command(tiny_model_dir, data, interrupted, processes), check=True,
                             capture_output=True, text=True, timeout=300)
    assert resumed.stderr.count("resuming from") == 1  # the main process restores the rollouts
    assert "skipping" in resumed.stderr and "checkpoint-final" in resumed.stderr
    assert_same_outputs(straight, interrupted)
    rollouts = pd.read_parquet(interrupted / "rollouts.parquet")  # every process's rollouts, each once
    assert len(rollouts) == 6 * PARAMS["prompts_per_step"] * PARAMS["num_generations"]
    assert (rollouts.groupby(["step", "group"])["problem_id"].nunique() == 1).all()
    assert sorted(path.name for path in interrupted.iterdir()) == ["model", "rollouts.parquet"]


def test_a_corrupt_checkpoint_is_removed_and_the_run_starts_afresh(tiny_model_dir, data, straight, tmp_path):
    straight, processes = straight
    if processes > 1:
        pytest.skip("one process shows it: the main process alone checks and removes checkpoints")
    interrupted = tmp_path / "interrupted"
    kill_after_first_checkpoint(tiny_model_dir, data, interrupted)
    (checkpoint,) = (interrupted / "checkpoints").glob("checkpoint-*")  # the newest: the run keeps one
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])

    rerun = subprocess.run(train_command(tiny_model_dir, data, interrupted), check=True, capture_output=True,
                           text=True, timeout=300)
    assert "resuming from" not in rerun.stderr
    (warning,) = [line for line in rerun.stderr.splitlines() if "] warning:" in line]
    assert str(checkpoint) in warning and "model.safetensors" in warning
    assert_same_outputs(straight, interrupted)
