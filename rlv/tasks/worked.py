"""Pieces of worked solutions shared by the synthetic problem families (rlv.tasks.expression, rlv.tasks.inverse).

- `MAX_VALUE`: no number in a problem or an intermediate result exceeds it, so solutions stay short.
- `FINAL_PHRASE`: closes a verbose (long-reasoning) solution before its boxed answer; budget forcing appends it
  to a cut-off reasoning (rlv.inference.budget).
- `multiplication_step`: `a x b` with a one-digit b, written as a sum of per-digit partial products.
- `in_test_split`: a problem's split, fixed by a hash of its text alone, so no text lands in both splits
  whatever the seeds and sizes.
- `distinct_records`: `num_problems` distinct problems of one split, levels in equal shares (round robin), from a
  family's draw of one record per try.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

MAX_VALUE = 999  # no intermediate result above this: keeps solutions short and steps learnable
FINAL_PHRASE = "The final answer is"  # closes a verbose solution, before the boxed answer


def multiplication_step(a: int, b: int) -> str:
    """`a x b` with b one digit: a per-digit expansion of a (skipped when a itself has one digit)."""
    if a < b:  # keep the many-digit factor first
        a, b = b, a
    if a < 10 or a % 10 == 0:
        return f"${a}\\times {b}={a * b}$."
    parts = [int(d) * 10**p for p, d in enumerate(reversed(str(a))) if d != "0"][::-1]
    expanded = "+".join(f"{p}\\times {b}" for p in parts)
    partial = "+".join(str(p * b) for p in parts)
    return f"${a}\\times {b}={expanded}={partial}={a * b}$."


def in_test_split(problem: str, test_fraction: float) -> bool:
    """The split a problem text belongs to, fixed by its hash alone."""
    bucket = int(hashlib.sha256(problem.encode()).hexdigest()[:8], 16) / 16**8
    return bucket < test_fraction


def distinct_records(split: str, num_problems: int, levels: list[int], test_fraction: float, max_tries: int,
                     draw: Callable[[int], dict | None], family: str = "") -> list[dict]:
    """Records from `draw(level)` (None: that draw is discarded), levels taken round robin by records kept; repeats
    and problems of the other split are skipped. ValueError after `max_tries` draws without enough of them."""
    records, seen = [], set()
    for _ in range(max_tries):
        record = draw(levels[len(records) % len(levels)])
        if record is None or record["problem"] in seen or \
                in_test_split(record["problem"], test_fraction) != (split == "test"):
            continue
        seen.add(record["problem"])
        records.append(record)
        if len(records) == num_problems:
            return records
    raise ValueError(f"could not draw {num_problems} distinct {split} {family + ' ' if family else ''}problems at "
                     f"levels {levels}")
