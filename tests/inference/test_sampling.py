"""Sampling: graded rows in the evaluation format, reproducible, and resumable shard by shard."""

import pandas as pd

from rlv.rollouts import EVAL_COLUMNS
from rlv.inference.sampling import sample_solutions


def run(tiny, problems, shard_dir=None):
    model, tokenizer = tiny
    return sample_solutions(model, tokenizer, problems.head(12), num_samples=3, temperature=1.0, max_new_tokens=10,
                            batch_size=8, seed=5, run="r", dataset="d", shard_dir=shard_dir, shard_problems=5)


def test_rows_are_complete_and_graded(tiny, problems):
    frame = run(tiny, problems)
    assert list(frame.columns) == EVAL_COLUMNS and len(frame) == 36
    assert (frame.groupby("problem_id")["sample"].apply(sorted) == pd.Series([[0, 1, 2]] * 12, dtype=object).values).all()
    assert (frame["num_tokens"] == frame["completion_ids"].map(len)).all()
    assert (frame["num_tokens"] <= 10).all() and frame["answer"].isna().all() and not frame["correct"].any()


def test_a_rerun_reuses_finished_shards_and_gives_the_same_samples(tiny, problems, tmp_path):
    shards = tmp_path / "shards"
    first = run(tiny, problems, shards)
    files = sorted(shards.glob("shard-*.parquet"))
    assert len(files) == 3  # 12 problems, 5 per shard
    kept = files[0].stat().st_mtime_ns
    files[1].unlink()  # as if the job had been killed while sampling shard 1
    second = run(tiny, problems, shards)
    assert files[0].stat().st_mtime_ns == kept and files[1].exists()
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first, run(tiny, problems))  # shards or not, the same samples
