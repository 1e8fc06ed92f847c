"""A training run killed with SIGKILL and started again resumes from its last checkpoint and ends with the
same model and the same rollouts as a run that was never interrupted."""

import json
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

PARAMS = {"trainer": "grpo", "verify_coef": 1.0, "steps": 6, "learning_rate": 1e-3, "prompts_per_step": 2,
          "num_generations": 4, "max_completion_length": 12, "temperature": 1.0, "beta": 0.0, "seed": 0,
          "checkpoint_every": 2, "threads": 1}


def train_command(tiny_model_dir, data, out):
    return [sys.executable, "-m", "rlv.cli", "train", "--base", str(tiny_model_dir), "--data", str(data), "--run",
            "grpo_v", "--out", str(out / "model"), "--rollouts", str(out / "rollouts.parquet"),
            "--checkpoints", str(out / "checkpoints"), "--params", json.dumps(PARAMS)]


@pytest.fixture(scope="module")
def data(tmp_path_factory, problems):
    path = tmp_path_factory.mktemp("resume") / "train.parquet"
    problems.head(40).to_parquet(path)
    return path


def test_killed_run_resumes_to_the_same_result(tiny_model_dir, data, tmp_path):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    subprocess.run(train_command(tiny_model_dir, data, straight), check=True, capture_output=True, timeout=300)

    process = subprocess.Popen(train_command(tiny_model_dir, data, interrupted), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    marker = interrupted / "checkpoints" / "checkpoint-2" / "rollouts.parquet"
    deadline = time.time() + 240
    while not marker.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert marker.exists(), "the run never wrote its first checkpoint"
    assert not (interrupted / "model").exists() and not (interrupted / "rollouts.parquet").exists()

    resumed = subprocess.run(train_command(tiny_model_dir, data, interrupted), check=True, capture_output=True,
                             text=True, timeout=300)
    assert "resuming from" in resumed.stderr
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
    metrics = pd.read_csv(interrupted / "model" / "metrics.csv")
    assert list(metrics["step"]) == list(range(1, 7))


def test_checkpoints_of_other_parameters_are_discarded(tmp_path):
    from rlv.training.checkpoints import prepare

    directory = tmp_path / "checkpoints"
    assert prepare(directory, {"lr": 1}) is None
    (directory / "checkpoint-4").mkdir()
    (directory / "checkpoint-4" / "rollouts.parquet").write_bytes(b"")
    (directory / "checkpoint-6").mkdir()  # killed while saving: no snapshot, not complete
    assert prepare(directory, {"lr": 1}) == directory / "checkpoint-4"
    assert prepare(directory, {"lr": 2}) is None and not (directory / "checkpoint-4").exists()
