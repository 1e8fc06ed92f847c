"""The synthetic task: one entry point over its problem families, in MATH's record format.

`generate(split, ..., family)` draws `num_problems` distinct problems of one split from a family:
"expression" (rlv.tasks.expression: evaluate +, -, x trees), "inverse" (rlv.tasks.inverse: solve a linear
equation, checkable by substitution) or "sort" (rlv.tasks.sorting: the digits of a number in increasing order,
checkable by comparing tokens). The families share the split hash (rlv.tasks.worked), so their train and test
splits are disjoint by construction.
"""

from __future__ import annotations

import pandas as pd

from rlv.tasks import expression, inverse, sorting
from rlv.tasks.records import PROBLEM_COLUMNS

FAMILIES = ("expression", "inverse", "sort")  # `other` (plan.py) is the first that train is not
_GENERATORS = {"expression": expression.generate_records, "inverse": inverse.generate_records,
               "sort": sorting.generate_records}


def generate(split: str, num_problems: int, levels: list[int], seed: int, test_fraction: float = 0.2,
             max_tries_factor: int = 200, family: str = "expression", verbose: bool = False) -> pd.DataFrame:
    """`num_problems` distinct problems of `split` ("train" or "test"), levels in equal shares (round robin).

    `family` picks the problem family; `verbose` the long-reasoning worked solutions (same problems, longer
    solutions ending in rlv.tasks.worked.FINAL_PHRASE)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if family not in FAMILIES:
        raise ValueError(f"task family must be one of {list(FAMILIES)}, got {family!r}")
    records = _GENERATORS[family](split, num_problems, levels, seed, test_fraction, max_tries_factor, verbose)
    return pd.DataFrame.from_records(records, columns=PROBLEM_COLUMNS)
