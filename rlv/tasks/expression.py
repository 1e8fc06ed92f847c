"""The expression family of the synthetic task (rlv.tasks.synthetic): multi-step arithmetic in MATH's record format.

A problem is a random expression tree over non-negative integers with +, - and x; its worked solution
evaluates one operation per sentence, innermost first (left to right among equals), and writes every
multiplication by a one-digit factor as a sum of per-digit partial products, e.g.

    Compute $(47+5)\\times 3-16$.
    $47+5=52$. $52\\times 3=50\\times 3+2\\times 3=150+6=156$. $156-16=140$. The answer is $\\boxed{140}$.

Difficulty grows with the level: level L has `LEVELS[L]` operations, operands with up to that many digits,
and multiplications from level 2 on; no intermediate value exceeds MAX_VALUE. Subtractions never go below zero (the operands are swapped), and every
multiplication has a one-digit factor, so each step is something a small model can learn to do exactly.

With `verbose` (config `task.verbose`, the long-reasoning variant for sequential scaling) a solution restates the
expression, works it, then checks itself by working every step a second time, and closes with `FINAL_PHRASE`
before the boxed answer (the phrase budget forcing appends to a cut-off reasoning; rlv.inference.budget).

Splits are disjoint by construction: a problem belongs to the test split iff a hash of its text falls
below `test_fraction` (rlv.tasks.worked.in_test_split), so no problem text can land in both.

`equation_checks` draws the warm-up's single-equation Yes/No checks from the same operations.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from rlv.tasks.worked import FINAL_PHRASE, MAX_VALUE, distinct_records, multiplication_step

# level -> (number of operations, max digits of a leaf operand, multiplication allowed)
LEVELS = {1: (1, 2, False), 2: (2, 2, True), 3: (2, 2, True), 4: (3, 2, True), 5: (4, 2, True)}
SUBJECT = "Arithmetic"
_PRECEDENCE = {"+": 1, "-": 1, "*": 2}
_LATEX_OP = {"+": "+", "-": "-", "*": "\\times "}


@dataclass(frozen=True)
class Node:
    """A number (op is None) or a binary operation on two sub-expressions."""

    value: int
    op: str | None = None
    left: "Node | None" = None
    right: "Node | None" = None


def _leaf(rng: random.Random, digits: int) -> Node:
    return Node(rng.randint(1, 10**digits - 1))


def _combine(op: str, left: Node, right: Node) -> Node:
    if op == "-" and left.value < right.value:
        left, right = right, left
    value = {"+": left.value + right.value, "-": left.value - right.value, "*": left.value * right.value}[op]
    return Node(value, op, left, right)


def random_expression(rng: random.Random, level: int) -> Node:
    """Grow an expression by combining the current tree with a fresh leaf, on a random side.

    A multiplication always takes a one-digit leaf as its other factor."""
    num_ops, digits, allow_mul = LEVELS[level]
    tree = _leaf(rng, digits)
    ops = ["+", "-", "*"] if allow_mul else ["+", "-"]
    for _ in range(num_ops):
        op = rng.choice(ops)
        leaf = Node(rng.randint(2, 9)) if op == "*" else _leaf(rng, digits)
        tree = _combine(op, tree, leaf) if rng.random() < 0.5 else _combine(op, leaf, tree)
    if level >= 3 and "*" not in _ops(tree):  # keep the harder levels multiplicative
        tree = _combine("*", tree, Node(rng.randint(2, 9)))
    return tree


def _ops(node: Node) -> list[str]:
    return [] if node.op is None else [node.op, *_ops(node.left), *_ops(node.right)]


def _largest_value(node: Node) -> int:
    return node.value if node.op is None else max(node.value, _largest_value(node.left), _largest_value(node.right))


def to_latex(node: Node, parent_precedence: int = 0, right_side: bool = False) -> str:
    """Infix LaTeX with only the parentheses that precedence and left-associativity require."""
    if node.op is None:
        return str(node.value)
    precedence = _PRECEDENCE[node.op]
    text = to_latex(node.left, precedence) + _LATEX_OP[node.op] + to_latex(node.right, precedence, True)
    needs_parens = precedence < parent_precedence or (right_side and precedence == parent_precedence)
    return f"({text})" if needs_parens else text


def solution_steps(node: Node) -> list[str]:
    """One sentence per operation, in evaluation order (post-order, left before right)."""
    if node.op is None:
        return []
    steps = solution_steps(node.left) + solution_steps(node.right)
    a, b = node.left.value, node.right.value
    if node.op == "*":
        steps.append(multiplication_step(a, b))
    else:
        steps.append(f"${a}{node.op}{b}={node.value}$.")
    return steps


def make_record(node: Node, level: int, verbose: bool = False) -> dict:
    problem = f"Compute ${to_latex(node)}$."
    steps = solution_steps(node)
    if verbose:
        solution = " ".join([f"We compute ${to_latex(node)}$ step by step.", *steps, f"So it is ${node.value}$.",
                             "Check, working every step again:", *steps, "Both passes agree.",
                             f"{FINAL_PHRASE} $\\boxed{{{node.value}}}$."])
    else:
        solution = " ".join(steps + [f"The answer is $\\boxed{{{node.value}}}$."])
    problem_hash = hashlib.sha256(problem.encode()).hexdigest()
    return {"id": f"arith-{problem_hash[:12]}", "problem": problem, "solution": solution,
            "answer": str(node.value), "level": level, "subject": SUBJECT}


def generate_records(split: str, num_problems: int, levels: list[int], seed: int, test_fraction: float,
                     max_tries_factor: int = 200, verbose: bool = False) -> list[dict]:
    """`num_problems` distinct expression problems of `split`, levels in equal shares (round robin)."""
    unknown = sorted(set(levels) - set(LEVELS))
    if unknown:
        raise ValueError(f"levels {unknown} are not defined; choose from {sorted(LEVELS)}")
    rng = random.Random(f"{seed}-{split}")

    def draw(level: int) -> dict | None:
        tree = random_expression(rng, level)
        return None if _largest_value(tree) > MAX_VALUE else make_record(tree, level, verbose)

    return distinct_records(split, num_problems, levels, test_fraction, num_problems * max_tries_factor, draw)


def equation_checks(num_checks: int, seed: int) -> list[tuple[str, str]]:
    """Generic true/false arithmetic facts for the warm-up: (question, "Yes" | "No") pairs, half of each.

    "Is $47+35=82$ true? Answer Yes or No" -> "Yes"; the false half shows the true result with one digit
    changed, the kind of slip a solver makes. They teach the base model what a pretrained LLM brings with it:
    single equations can be checked, and a question that asks for Yes or No is answered with one of them.
    They never show a whole solution being judged: that is what RL^V's verification loss has to teach."""
    rng = random.Random(f"{seed}-checks")
    checks = []
    for index in range(num_checks):
        op = rng.choice(["+", "-", "*"])
        a = rng.randint(10, 999) if op != "*" else rng.randint(10, 99)
        b = rng.randint(2, 9) if op == "*" else rng.randint(1, 99)
        node = _combine(op, Node(a), Node(b))
        shown = node.value if index % 2 == 0 else _one_digit_slip(node.value, rng)
        equation = f"{node.left.value}{_LATEX_OP[op]}{node.right.value}={shown}"
        checks.append((f"Is ${equation}$ true? Answer Yes or No", "Yes" if shown == node.value else "No"))
    return checks


def _one_digit_slip(value: int, rng: random.Random) -> int:
    digits = list(str(value))
    position = rng.randrange(len(digits))
    choices = [d for d in "0123456789" if d != digits[position] and not (position == 0 and d == "0" and len(digits) > 1)]
    digits[position] = rng.choice(choices)
    return int("".join(digits))
