"""One RL run's terminal output and its model directory's metrics (metrics.csv and the TensorBoard stream)."""

import re
import struct
import sys
from pathlib import Path

import pandas as pd
import pytest
from tensorboardX.proto import event_pb2

from rlv.training.params import RLParams
from rlv.training.run import run_training, step_metrics

PARAMS = RLParams(trainer="grpo", verify_coef=1.0, steps=4, learning_rate=1e-3, prompts_per_step=2, num_generations=4,
                  max_completion_length=12, temperature=1.0, beta=0.0, seed=0, checkpoint_every=2, threads=1)
LOG_DICT = re.compile(r"^\s*\{'|'loss':|'reward':|'train_runtime':")


class Killed(Exception):
    """Stands for a SIGKILL: raised from the run's log line of one step, after the checkpoints before it."""


def stderr_log(kill_at: int | None = None):
    def log(message):
        print(message, file=sys.stderr, flush=True)
        if kill_at is not None and f" step {kill_at}/" in message:
            raise Killed(message)
    return log


def train(tiny_model_dir, problems, out: Path, log):
    return run_training(tiny_model_dir, problems.head(40), PARAMS, "grpo_v", out / "model", out / "rollouts.parquet",
                        out / "checkpoints", log)


def test_the_terminal_gets_no_log_dicts(tiny_model_dir, problems, tmp_path, capfd):
    with pytest.raises(Killed):
        train(tiny_model_dir, problems, tmp_path, stderr_log(kill_at=3))
    train(tiny_model_dir, problems, tmp_path, stderr_log())  # resumed from checkpoint-2
    out, err = capfd.readouterr()
    lines = (out + err).replace("\r", "\n").splitlines()
    assert [line for line in lines if LOG_DICT.search(line)] == []
    assert re.findall(r"grpo_v step (\d/\d): reward", out + err) == ["1/4", "2/4", "3/4", "3/4", "4/4"]
    assert "resuming from" in err


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


def test_the_model_directory_holds_one_point_per_step_and_metric(tiny_model_dir, problems, tmp_path):
    returned = train(tiny_model_dir, problems, tmp_path, lambda message: None)
    metrics = pd.read_csv(tmp_path / "model" / "metrics.csv")
    assert list(metrics.columns[:2]) == ["run", "step"] and list(metrics.columns[2:]) == sorted(metrics.columns[2:])
    assert {"loss", "reward", "verifier/loss", "verifier/accuracy"} <= set(metrics.columns)
    assert list(metrics["step"]) == [1, 2, 3, 4] and list(returned.columns) == list(metrics.columns)
    found = events(tmp_path / "model" / "tensorboard")
    expected = [(f"train/{column}", step, value) for step, row in metrics.set_index("step").iterrows()
                for column, value in row.items() if column != "run" and not pd.isna(value)]
    assert sorted((tag, step) for tag, step, _ in found) == sorted((tag, step) for tag, step, _ in expected)
    assert dict(((tag, step), value) for tag, step, value in found) == pytest.approx(
        {(tag, step): value for tag, step, value in expected}, rel=1e-6)


def test_step_metrics_has_one_order_whatever_the_log_history():
    live = {"loss": 0.5, "reward": 1.0, "step": 2, "epoch": 0.2, "verifier/loss": 0.7}
    restored = dict(sorted({"loss": 0.1, "reward": 0.0, "step": 1, "epoch": 0.1, "verifier/loss": 0.9}.items()))
    history = [restored, live, {**live, "loss": 0.4},  # step 2 logged twice: the last one counts
               {"train_runtime": 3.0, "train_loss": 0.3, "step": 2, "epoch": 0.2}]  # the end-of-training summary
    for rows in (history, history[1:2] + history[:1] + history[2:]):
        metrics = step_metrics(rows, "r")
        assert list(metrics.columns) == ["run", "step", "epoch", "loss", "reward", "verifier/loss"]
        assert metrics[["step", "loss"]].values.tolist() == [[1, 0.1], [2, 0.4]]
    assert list(step_metrics([], "r").columns) == ["run", "step"]
