"""The labelled pool and an arm's draw of n labelled solutions from it.

The pool is evaluation rollouts on training problems (rlv.rollouts.EVAL_COLUMNS: the sampled `completion_ids`,
`correct`), possibly from several runs; `as_training_rollouts` gives them the columns the verifiers train on
(label = correct, reward = label). An arm draws n rows, seeded, without replacement:

- natural:  n rows uniformly: the pool's own share of correct solutions.
- balanced: n/2 correct and n/2 wrong rows, each half uniformly from its class.
- within:   only problems with mixed outcomes. Each such problem's correct and wrong solutions are shuffled and
            paired (as many pairs as its smaller class); n/2 pairs are drawn uniformly from all pairs. Every
            problem then contributes as many correct as wrong solutions, so which problems are hard says nothing
            about a label: only which solution of a problem is right does.

A draw the pool cannot supply raises an error that names the pool, the arm's rule and how many rows it holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABEL_RULES = ("natural", "balanced", "within")


def as_training_rollouts(pool: pd.DataFrame) -> pd.DataFrame:
    """The pool with the verifiers' training columns: label (1 if correct) and reward (the label)."""
    label = pool["correct"].astype(bool).astype(np.int64)
    return pool.assign(label=label, reward=label.astype(float)).reset_index(drop=True)


def draw(pool: pd.DataFrame, n: int, rule: str, seed: int, source: str = "the pool") -> pd.DataFrame:
    """n rows of `pool` (with a `label` column) drawn by `rule` (module docstring), in a seeded order."""
    if rule not in LABEL_RULES:
        raise ValueError(f"label rule must be one of {list(LABEL_RULES)}, got {rule!r}")
    rng = np.random.default_rng(seed)
    labels = pool["label"].to_numpy()
    if rule == "natural":
        if n > len(pool):
            raise ValueError(f"{source}: natural labels: n = {n} but the pool holds {len(pool)} solutions")
        rows = rng.choice(len(pool), size=n, replace=False)
    else:
        if n % 2:
            raise ValueError(f"{source}: {rule} labels need an even n, got {n}")
        if rule == "balanced":
            halves = [np.flatnonzero(labels == value) for value in (1, 0)]
            short = [len(half) for half in halves if len(half) < n // 2]
            if short:
                raise ValueError(f"{source}: balanced labels: n = {n} needs {n // 2} correct and {n // 2} wrong "
                                 f"solutions; the pool holds {int(labels.sum())} correct and "
                                 f"{int((labels == 0).sum())} wrong")
            rows = np.concatenate([rng.choice(half, size=n // 2, replace=False) for half in halves])
        else:
            pairs = within_problem_pairs(pool, rng)
            if len(pairs) < n // 2:
                raise ValueError(f"{source}: within labels: n = {n} needs {n // 2} (correct, wrong) pairs of one "
                                 f"problem; the pool's problems with mixed outcomes hold {len(pairs)}")
            rows = pairs[rng.choice(len(pairs), size=n // 2, replace=False)].reshape(-1)
        rows = rng.permutation(rows)
    return pool.iloc[np.sort(rows) if rule == "natural" else rows].reset_index(drop=True)


def within_problem_pairs(pool: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """(correct row, wrong row) index pairs, each of one problem, min(#correct, #wrong) pairs per problem."""
    pairs, labels = [], pool["label"].to_numpy()
    for _, rows in pool.groupby("problem_id", sort=True).indices.items():
        right, wrong = rng.permutation(rows[labels[rows] == 1]), rng.permutation(rows[labels[rows] == 0])
        count = min(len(right), len(wrong))
        pairs += list(zip(right[:count], wrong[:count]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)
