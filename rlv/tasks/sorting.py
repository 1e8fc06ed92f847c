"""Synthetic sorting problems (the digits of a number in increasing order) in MATH's record format.

A family whose answers a transformer can check in one pass by comparing tokens already in its context, with no
arithmetic: a candidate is right iff its digits never decrease from one to the next (no adjacent inversion) and
it holds each digit of the problem exactly as often (nothing missing or repeated). The answer is unique (one
integer), so votes over samples make sense, and the integer grader compares it exactly (a list answer would go to
math-verify, which compares `7, 18, 31` as a set, in any order). Digits are 1-9, so no answer starts with a zero.
Level L sorts 2L + 2 digits (4, 6, 8, 10, 12), e.g. at level 2:

    Sort the digits of $528153$ in increasing order.
    The digits of $528153$ are $5, 2, 8, 1, 5, 3$. In increasing order: $1, 2, 3, 5, 5, 8$.
    The answer is $\\boxed{123558}$.

With `verbose` (the long-reasoning variant) the solution also counts each digit value before writing the sorted
digits, checks the count, and closes with `FINAL_PHRASE` before the boxed answer.

Splits are disjoint by the text hash the other families use (`rlv.tasks.worked.in_test_split`).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter

from rlv.tasks.worked import FINAL_PHRASE, distinct_records

LEVELS = (1, 2, 3, 4, 5)
SUBJECT = "Prealgebra"


def num_digits(level: int) -> int:
    return 2 * level + 2


def listed(digits) -> str:
    return "$" + ", ".join(map(str, digits)) + "$"


def worked_solution(number: str, verbose: bool = False) -> str:
    """The worked solution that sorts the digits of `number` (a string of digits 1-9)."""
    digits = [int(d) for d in number]
    ordered = sorted(digits)
    answer = "".join(map(str, ordered))
    if not verbose:
        return (f"The digits of ${number}$ are {listed(digits)}. In increasing order: {listed(ordered)}. "
                f"The answer is $\\boxed{{{answer}}}$.")
    counts = Counter(digits)
    tally = ", ".join(f"${d}$ {'once' if counts[d] == 1 else f'{counts[d]} times'}" for d in sorted(counts))
    return (f"We sort the digits of ${number}$. They are {listed(digits)}. Counting each digit: {tally}. "
            f"In increasing order: {listed(ordered)}. Check: {len(ordered)} digits in, {len(digits)} digits out, "
            f"each one at least the one before. {FINAL_PHRASE} $\\boxed{{{answer}}}$.")


def generate_records(split: str, num_problems: int, levels: list[int], seed: int, test_fraction: float,
                     max_tries_factor: int = 200, verbose: bool = False) -> list[dict]:
    """`num_problems` distinct problems of `split`, levels in equal shares (round robin)."""
    unknown = sorted(set(levels) - set(LEVELS))
    if unknown:
        raise ValueError(f"levels {unknown} are not defined for the sort family; choose from {list(LEVELS)}")
    rng = random.Random(f"{seed}-{split}-sort")

    def draw(level: int) -> dict:
        number = "".join(str(rng.randint(1, 9)) for _ in range(num_digits(level)))
        problem = f"Sort the digits of ${number}$ in increasing order."
        return {"id": f"sort-{hashlib.sha256(problem.encode()).hexdigest()[:12]}", "problem": problem,
                "solution": worked_solution(number, verbose), "answer": "".join(sorted(number)), "level": level,
                "subject": SUBJECT}

    return distinct_records(split, num_problems, levels, test_fraction, num_problems * max_tries_factor, draw, "sort")
