"""The Parquet rollout store and atomic outputs (rlv/rollouts.py)."""

import os

import pandas as pd
import pyarrow.parquet as pq
import pytest

from rlv.rollouts import (EVAL_COLUMNS, TRAIN_COLUMNS, RolloutStore, atomic_directory, read_rollouts,
                          write_parquet_atomic)


def _eval_frame(num: int = 4, run: str = "rlv") -> pd.DataFrame:
    return pd.DataFrame({
        "run": [run] * num,
        "dataset": ["arith"] * num,
        "problem_id": [f"p{i // 2}" for i in range(num)],
        "sample": [i % 2 for i in range(num)],
        "prompt": ["Compute $1+1$."] * num,
        "completion": [f"$1+1=2$. The answer is $\\boxed{{{i}}}$." for i in range(num)],
        "completion_ids": [list(range(i, i + 3 + i)) for i in range(num)],  # ragged lists of ints
        "answer": [str(i) for i in range(num)],
        "correct": [i == 2 for i in range(num)],
        "num_tokens": [3 + i for i in range(num)],
        "truncated": [False] * num,
        "seed": [0] * num,
    })[EVAL_COLUMNS]


def _train_row(step: int, group: int, sample: int, **extra) -> dict:
    row = {"step": step, "group": group, "sample": sample, "problem_id": f"p{group}", "prompt": "Compute $2+2$.",
           "completion": "The answer is $\\boxed{4}$.", "answer": "4", "reward": 1.0, "label": 1,
           "num_tokens": 9, "truncated": False}
    row.update(extra)
    return row


def _leftovers(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.startswith(".") or name.endswith(".tmp"))


# --- write_parquet_atomic -------------------------------------------------------------------------

def test_parquet_round_trip_with_list_columns(tmp_path):
    frame = _eval_frame()
    path = tmp_path / "nested" / "dir" / "eval.parquet"  # parents are created
    write_parquet_atomic(frame, path)

    back = pd.read_parquet(path)
    assert list(back.columns) == EVAL_COLUMNS
    assert [list(map(int, ids)) for ids in back["completion_ids"]] == frame["completion_ids"].tolist()
    pd.testing.assert_frame_equal(back.drop(columns="completion_ids"), frame.drop(columns="completion_ids"),
                                  check_dtype=False)

    table = pq.read_table(path)
    assert table.column_names == EVAL_COLUMNS
    assert table.column("completion_ids").to_pylist() == frame["completion_ids"].tolist()
    assert str(table.schema.field("completion_ids").type.value_type) == "int64"
    assert table.num_rows == len(frame)
    assert _leftovers(path.parent) == []


def test_parquet_overwrite_replaces_the_file(tmp_path):
    path = tmp_path / "eval.parquet"
    write_parquet_atomic(_eval_frame(4, run="old"), path)
    write_parquet_atomic(_eval_frame(2, run="new"), path)
    back = pd.read_parquet(path)
    assert len(back) == 2 and set(back["run"]) == {"new"}
    assert os.listdir(tmp_path) == ["eval.parquet"]


def test_parquet_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "eval.parquet"
    write_parquet_atomic(_eval_frame(4, run="old"), path)
    before = path.read_bytes()
    targets = []

    def broken_write_table(table, where, *args, **kwargs):
        targets.append(str(where))
        with open(where, "wb") as handle:
            handle.write(b"PAR1 partial garbage")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken_write_table)
    with pytest.raises(OSError, match="disk full"):
        write_parquet_atomic(_eval_frame(2, run="new"), path)

    assert targets and targets[0] != str(path)  # it wrote to a temporary name, not over the file
    assert os.path.dirname(targets[0]) == str(tmp_path)  # ... in the same directory (rename stays atomic)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["eval.parquet"]
    monkeypatch.undo()
    assert set(pd.read_parquet(path)["run"]) == {"old"}


def test_parquet_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    def broken_write_table(table, where, *args, **kwargs):
        with open(where, "wb") as handle:
            handle.write(b"PAR1")
        raise KeyboardInterrupt  # a killed run, not just an exception

    monkeypatch.setattr(pq, "write_table", broken_write_table)
    with pytest.raises(KeyboardInterrupt):
        write_parquet_atomic(_eval_frame(), tmp_path / "eval.parquet")
    assert os.listdir(tmp_path) == []


# --- atomic_directory -----------------------------------------------------------------------------

def test_atomic_directory_success(tmp_path):
    target = tmp_path / "models" / "rlv"
    with atomic_directory(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        assert not target.exists()  # nothing visible until the body finishes
        (tmp / "config.json").write_text("{}")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "weights.bin").write_bytes(b"\x00\x01")
    assert target.is_dir()
    assert (target / "config.json").read_text() == "{}"
    assert (target / "sub" / "weights.bin").read_bytes() == b"\x00\x01"
    assert os.listdir(target.parent) == ["rlv"]


def test_atomic_directory_replaces_older_version(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    with atomic_directory(target) as tmp:
        (tmp / "fresh.txt").write_text("new")
    assert sorted(os.listdir(target)) == ["fresh.txt"]
    assert os.listdir(tmp_path) == ["model"]


def test_atomic_directory_failure_leaves_no_target(tmp_path):
    target = tmp_path / "model"
    with pytest.raises(RuntimeError, match="training crashed"):
        with atomic_directory(target) as tmp:
            (tmp / "partial.bin").write_bytes(b"half")
            raise RuntimeError("training crashed")
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_atomic_directory_failure_keeps_older_version(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "weights.bin").write_bytes(b"good")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "weights.bin").write_bytes(b"bad")
            raise RuntimeError("boom")
    assert os.listdir(target) == ["weights.bin"]
    assert (target / "weights.bin").read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["model"]


# --- RolloutStore and read_rollouts ---------------------------------------------------------------

def test_rollout_store_flush_and_reread(tmp_path):
    path = tmp_path / "rollouts" / "train" / "rlv.parquet"
    store = RolloutStore(path, run="rlv", seed=3)
    store.append([_train_row(0, g, s) for g in range(2) for s in range(2)])
    store.flush()

    first = read_rollouts(path, TRAIN_COLUMNS)
    assert list(first.columns) == TRAIN_COLUMNS
    assert len(first) == 4
    assert (first["run"] == "rlv").all() and (first["seed"] == 3).all()
    assert first[["step", "group", "sample"]].values.tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1]]

    store.append([_train_row(1, g, 0, reward=0.0, label=0) for g in range(3)])
    store.flush()
    second = read_rollouts(path, TRAIN_COLUMNS)
    assert list(second.columns) == TRAIN_COLUMNS
    assert len(second) == 7
    assert not second.duplicated(["step", "group", "sample"]).any()
    pd.testing.assert_frame_equal(second.iloc[:4].reset_index(drop=True), first)
    assert second.iloc[4:]["reward"].tolist() == [0.0] * 3
    assert (second["run"] == "rlv").all() and (second["seed"] == 3).all()
    assert _leftovers(path.parent) == []


def test_rollout_store_keeps_explicit_run_and_seed(tmp_path):
    store = RolloutStore(tmp_path / "r.parquet", run="rlv", seed=3)
    store.append([_train_row(0, 0, 0, run="other", seed=9), _train_row(0, 0, 1)])
    store.flush()
    back = read_rollouts(tmp_path / "r.parquet", TRAIN_COLUMNS)
    assert back[["run", "seed"]].values.tolist() == [["other", 9], ["rlv", 3]]


def test_read_rollouts_missing_column(tmp_path):
    path = tmp_path / "eval.parquet"
    write_parquet_atomic(_eval_frame().drop(columns=["correct"]), path)
    with pytest.raises(ValueError) as error:
        read_rollouts(path, EVAL_COLUMNS)
    message = str(error.value)
    assert str(path) in message
    assert "'correct'" in message
    assert "'completion'" not in message  # only the missing column is named
    assert len(read_rollouts(path, [c for c in EVAL_COLUMNS if c != "correct"])) == 4


@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700),
                                                        (0o002, 0o664, 0o775)])
def test_outputs_honour_the_umask(tmp_path, mask, file_mode, dir_mode):
    import stat

    import matplotlib.pyplot as plt

    from rlv.figures.style import save_figure
    from rlv.rollouts import atomic_directory, write_parquet_atomic, write_text_atomic
    old = os.umask(mask)
    try:
        write_parquet_atomic(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
        write_text_atomic("text", tmp_path / "summary.md")
        save_figure(plt.figure(), tmp_path / "figure.png")
        with atomic_directory(tmp_path / "model") as staging:
            (staging / "weights").write_bytes(b"w")
    finally:
        os.umask(old)
    for name in ("t.parquet", "summary.md", "figure.png", "figure.pdf", "model/weights"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == file_mode, name
    assert stat.S_IMODE((tmp_path / "model").stat().st_mode) == dir_mode
    assert not list(tmp_path.glob(".*"))
