"""Synthetic inverse problems (linear equations in one unknown) in MATH's record format.

A family whose answers are cheaper to check than to find: finding x takes a long division, checking a
candidate takes one substitution (a one-digit multiplication and an addition), and the answer is unique,
so votes over samples make sense. Level L:

    1  a*x = c            2  a*x = c, x of two or three digits
    3  a*x + b = c        4  a*x - b = c        5  a*(x + b) = c

with a one-digit a in 2..9 and no value above MAX_VALUE. The worked solution undoes the outer operation,
then divides digit block by digit block, writing each partial product and remainder, e.g.

    Solve $7x+12=593$ for $x$.
    $593-12=581$. $7\\times 80=560$. $581-560=21$. $7\\times 3=21$. $21-21=0$. $581\\div 7=80+3=83$.
    The answer is $\\boxed{83}$.

With `verbose` (the long-reasoning variant, for sequential scaling: config `task.verbose`) the same problem gets a
longer worked solution: the equation restated, the same steps, the value of x stated, a check by substitution
(the multiplication written per digit, the outer operation redone, the match stated) and the closing phrase
`FINAL_PHRASE` before the boxed answer, e.g.

    We solve $7x+12=593$ for $x$. $593-12=581$. ... $581\\div 7=80+3=83$. So $x=83$. Check:
    $83\\times 7=80\\times 7+3\\times 7=560+21=581$. $581+12=593$. This matches $593$.
    The final answer is $\\boxed{83}$.

Budget forcing appends that phrase to a cut-off reasoning, so a model warmed up on these solutions writes the
boxed answer next.

Splits are disjoint by the same text hash as the expression family (`rlv.tasks.worked.in_test_split`).
"""

from __future__ import annotations

import hashlib
import random

from rlv.tasks.worked import FINAL_PHRASE, MAX_VALUE, in_test_split, multiplication_step

LEVELS = (1, 2, 3, 4, 5)
SUBJECT = "Algebra"
EXHAUSTED_AFTER = 1000  # repeats in a row after which a level counts as drawn out


def division_steps(dividend: int, divisor: int) -> list[str]:
    """Long division of `dividend` by a one-digit `divisor` that divides it, one block per quotient digit."""
    if dividend % divisor:
        raise ValueError(f"{dividend} is not divisible by {divisor}")
    steps, parts, remainder = [], [], dividend
    for place in reversed(range(len(str(dividend)))):
        digit = remainder // (divisor * 10**place)
        if digit:
            block = digit * 10**place
            product = divisor * block
            steps.append(f"${divisor}\\times {block}={product}$. ${remainder}-{product}={remainder - product}$.")
            parts.append(block)
            remainder -= product
    quotient = dividend // divisor
    total = "+".join(map(str, parts)) + f"={quotient}" if len(parts) > 1 else str(quotient)
    steps.append(f"${dividend}\\div {divisor}={total}$.")
    return steps


def random_problem(rng: random.Random, level: int) -> tuple[str, list[str], int]:
    """(problem text, solution steps before the answer sentence, x) for one draw at `level`."""
    problem, steps, x, _check = random_problem_with_check(rng, level)
    return problem, steps, x


def random_problem_with_check(rng: random.Random, level: int) -> tuple[str, list[str], int, list[str]]:
    """`random_problem` and the verbose solution's check sentences (x substituted back into the equation)."""
    a = rng.randint(2, 9)
    if level == 1:
        x = rng.randint(2, 99)
    else:
        x = rng.randint(10, MAX_VALUE // a)
    if level <= 2:
        c = a * x
        return (f"Solve ${a}x={c}$ for $x$.", division_steps(c, a), x,
                [multiplication_step(x, a), f"This matches ${c}$."])
    b = rng.randint(1, 99)
    if level == 3:
        c = a * x + b
        return (f"Solve ${a}x+{b}={c}$ for $x$.", [f"${c}-{b}={a * x}$."] + division_steps(a * x, a), x,
                [multiplication_step(x, a), f"${a * x}+{b}={c}$.", f"This matches ${c}$."])
    if level == 4:
        b = min(b, a * x - 1)  # keep c positive
        c = a * x - b
        return (f"Solve ${a}x-{b}={c}$ for $x$.", [f"${c}+{b}={a * x}$."] + division_steps(a * x, a), x,
                [multiplication_step(x, a), f"${a * x}-{b}={c}$.", f"This matches ${c}$."])
    x = rng.randint(1, MAX_VALUE // a - b)
    c = a * (x + b)
    steps = division_steps(c, a) + [f"${x + b}-{b}={x}$."]
    return (f"Solve ${a}(x+{b})={c}$ for $x$.", steps, x,
            [f"${x}+{b}={x + b}$.", multiplication_step(x + b, a), f"This matches ${c}$."])


def verbose_solution(problem: str, steps: list[str], x: int, check: list[str]) -> str:
    """The long-reasoning worked solution: restated equation, steps, x, the check, the closing phrase, the box."""
    equation = problem[len("Solve "):-len(" for $x$.")]
    return " ".join([f"We solve {equation} for $x$.", *steps, f"So $x={x}$.", "Check:", *check,
                     f"{FINAL_PHRASE} $\\boxed{{{x}}}$."])


def generate_records(split: str, num_problems: int, levels: list[int], seed: int, test_fraction: float,
                     max_tries_factor: int = 200, verbose: bool = False) -> list[dict]:
    """`num_problems` distinct problems of `split`, levels in equal shares (round robin) as far as each level
    has problems: a level that draws only repeats `EXHAUSTED_AFTER` times in a row leaves the rotation and the
    others fill its share (level 1 holds only a few hundred distinct equations)."""
    unknown = sorted(set(levels) - set(LEVELS))
    if unknown:
        raise ValueError(f"levels {unknown} are not defined for the inverse family; choose from {list(LEVELS)}")
    rng = random.Random(f"{seed}-{split}-inverse")
    records, seen, rotation, misses = [], set(), list(levels), 0
    for _ in range(num_problems * max_tries_factor):
        level = rotation[len(records) % len(rotation)]
        problem, steps, x, check = random_problem_with_check(rng, level)
        if max(_numbers(problem)) > MAX_VALUE or problem in seen or in_test_split(problem, test_fraction) != (split == "test"):
            misses += problem in seen
            if misses >= EXHAUSTED_AFTER and len(rotation) > 1:
                rotation.remove(level)
                misses = 0
            continue
        misses = 0
        seen.add(problem)
        solution = verbose_solution(problem, steps, x, check) if verbose else \
            " ".join(steps + [f"The answer is $\\boxed{{{x}}}$."])
        records.append({"id": f"inv-{hashlib.sha256(problem.encode()).hexdigest()[:12]}", "problem": problem,
                        "solution": solution, "answer": str(x), "level": level, "subject": SUBJECT})
        if len(records) == num_problems:
            return records
    raise ValueError(f"could not draw {num_problems} distinct {split} inverse problems at levels {levels}")


def _numbers(text: str) -> list[int]:
    digits = "".join(ch if ch.isdigit() else " " for ch in text)
    return [int(token) for token in digits.split()]
