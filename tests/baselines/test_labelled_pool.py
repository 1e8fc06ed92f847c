"""Drawing an arm's labelled solutions from the pool (rlv/baselines/labelled_pool.py): each rule's counts, checked row by
row, and the errors that name the pool."""

import numpy as np
import pandas as pd
import pytest

from rlv.baselines.labelled_pool import as_training_rollouts, draw, within_problem_pairs


@pytest.fixture
def pool():
    """40 problems x 10 samples: problem p has p % 11 correct samples (0 to 10), so some are all wrong or right."""
    rows = [{"problem_id": f"p{p}", "sample": s, "correct": s < p % 11, "completion_ids": [s]}
            for p in range(40) for s in range(10)]
    return as_training_rollouts(pd.DataFrame(rows))


def test_training_columns_follow_correctness(pool):
    assert (pool["label"] == pool["correct"].astype(int)).all() and (pool["reward"] == pool["label"]).all()


def test_natural_draws_distinct_rows_at_the_pool_rate(pool):
    chosen = draw(pool, 200, "natural", seed=0)
    assert len(chosen) == 200 and not chosen.duplicated(["problem_id", "sample"]).any()
    assert chosen.equals(draw(pool, 200, "natural", seed=0)) and not chosen.equals(draw(pool, 200, "natural", seed=1))
    assert abs(chosen["label"].mean() - pool["label"].mean()) < 0.1


def test_balanced_draws_half_of_each_class(pool):
    chosen = draw(pool, 100, "balanced", seed=0)
    assert chosen["label"].sum() == 50 and not chosen.duplicated(["problem_id", "sample"]).any()


def test_within_gives_each_problem_as_many_right_as_wrong(pool):
    chosen = draw(pool, 120, "within", seed=0)
    counts = chosen.groupby("problem_id")["label"].agg(["sum", "count"])
    assert len(chosen) == 120 and (2 * counts["sum"] == counts["count"]).all()
    assert not chosen.duplicated(["problem_id", "sample"]).any()
    mixed = {f"p{p}" for p in range(40) if 0 < p % 11 < 10}
    assert set(chosen["problem_id"]) <= mixed
    # brute force: min(#right, #wrong) pairs per mixed problem
    pairs = within_problem_pairs(pool, np.random.default_rng(0))
    assert len(pairs) == sum(min(p % 11, 10 - p % 11) for p in range(40))
    assert (pool["label"].to_numpy()[pairs[:, 0]] == 1).all() and (pool["label"].to_numpy()[pairs[:, 1]] == 0).all()
    assert (pool["problem_id"].to_numpy()[pairs[:, 0]] == pool["problem_id"].to_numpy()[pairs[:, 1]]).all()


@pytest.mark.parametrize("n, rule, message", [
    (401, "natural", "pool.parquet: natural labels: n = 401 but the pool holds 400"),
    (3, "balanced", "pool.parquet: balanced labels need an even n, got 3"),
    (400, "balanced", r"needs 200 correct and 200 wrong solutions; the pool holds \d+ correct"),
    (400, "within", r"within labels: n = 400 needs 200 \(correct, wrong\) pairs"),
    (4, "sideways", "label rule must be one of"),
])
def test_a_draw_the_pool_cannot_supply_is_named(pool, n, rule, message):
    with pytest.raises(ValueError, match=message):
        draw(pool, n, rule, seed=0, source="pool.parquet")
