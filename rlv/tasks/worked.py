"""Pieces of worked solutions shared by the synthetic problem families (rlv.tasks.expression, rlv.tasks.inverse).

- `MAX_VALUE`: no number in a problem or an intermediate result exceeds it, so solutions stay short.
- `FINAL_PHRASE`: closes a verbose (long-reasoning) solution before its boxed answer; budget forcing appends it
  to a cut-off reasoning (rlv.inference.budget).
- `multiplication_step`: `a x b` with a one-digit b, written as a sum of per-digit partial products.
- `in_test_split`: a problem's split, fixed by a hash of its text alone, so no text lands in both splits
  whatever the seeds and sizes.
"""

from __future__ import annotations

import hashlib

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
