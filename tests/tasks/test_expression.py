"""Synthetic arithmetic task (rlv/tasks/expression.py): its problems, worked solutions and splits, through the
`generate` dispatcher (the problem-record checks are in test_records.py).

Answers and worked solutions are checked against an independent oracle: the problem's LaTeX converted to a
Python expression and evaluated, never the generator's own expression tree."""

import re
from functools import lru_cache

import pandas as pd
import pytest

from rlv.tasks.grading import grade
from rlv.tasks.expression import LEVELS
from rlv.tasks.synthetic import generate
from rlv.tasks.worked import MAX_VALUE, in_test_split
from rlv.tasks.records import PROBLEM_COLUMNS, validate_problems

ALL_LEVELS = sorted(LEVELS)
TEST_FRACTION = 0.2
_MATH_SEGMENT = re.compile(r"\$([^$]*)\$")
_SAFE_EXPRESSION = re.compile(r"[0-9+\-*() ]+")


def to_python(latex: str) -> str:
    expression = latex.replace("\\times ", "*").replace("\\times", "*").strip()
    assert _SAFE_EXPRESSION.fullmatch(expression), f"unexpected LaTeX in {latex!r}"
    return expression


def evaluate(latex: str) -> int:
    return eval(to_python(latex), {"__builtins__": {}}, {})  # noqa: S307 - charset checked above


def problem_expression(problem: str) -> str:
    assert problem.startswith("Compute $") and problem.endswith("$."), problem
    return problem[len("Compute $"):-len("$.")]


def equations(solution: str) -> list[list[str]]:
    """Each `$...$` segment with an `=`, split into its sides."""
    return [segment.split("=") for segment in _MATH_SEGMENT.findall(solution) if "=" in segment]


@lru_cache(maxsize=None)
def _frame(split: str, num: int, seed: int, levels: tuple = tuple(ALL_LEVELS)) -> pd.DataFrame:
    return generate(split, num, list(levels), seed=seed, test_fraction=TEST_FRACTION)


def frame(split: str, num: int, seed: int, levels: tuple = tuple(ALL_LEVELS)) -> pd.DataFrame:
    return _frame(split, num, seed, levels).copy()


@pytest.fixture(scope="module")
def train():
    return frame("train", 2000, 0)


@pytest.fixture(scope="module")
def test_split():
    return frame("test", 500, 0)


@pytest.fixture(scope="module")
def both(train, test_split):
    return pd.concat([train, test_split], ignore_index=True)


# --- splits ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("train_seed,test_seed", [(0, 0), (1, 1), (0, 1), (1, 0), (2, 7), (123, 5)])
def test_train_and_test_never_share_a_problem(train_seed, test_seed):
    train, test = frame("train", 2000, train_seed), frame("test", 500, test_seed)
    assert len(train) == 2000 and len(test) == 500
    assert set(train["problem"]).isdisjoint(test["problem"])
    assert set(train["id"]).isdisjoint(test["id"])


@pytest.mark.parametrize("seed", [0, 1, 2, 123])
def test_split_membership_is_fixed_by_the_problem_text(seed):
    train, test = frame("train", 2000, seed), frame("test", 500, seed)
    assert all(in_test_split(p, TEST_FRACTION) for p in test["problem"])
    assert not any(in_test_split(p, TEST_FRACTION) for p in train["problem"])


def test_test_fraction_sets_the_split_boundary():
    test = generate("test", 200, ALL_LEVELS, seed=3, test_fraction=0.5)
    assert all(in_test_split(p, 0.5) for p in test["problem"])
    assert not any(in_test_split(p, 0.5) for p in generate("train", 200, ALL_LEVELS, seed=3, test_fraction=0.5)["problem"])


# --- determinism ----------------------------------------------------------------------------------

@pytest.mark.parametrize("split", ["train", "test"])
def test_same_arguments_give_identical_frames(split):
    first = generate(split, 300, [1, 3, 5], seed=11)
    second = generate(split, 300, [1, 3, 5], seed=11)
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize("split", ["train", "test"])
def test_different_seed_gives_different_problems(split):
    first = generate(split, 300, ALL_LEVELS, seed=11)
    second = generate(split, 300, ALL_LEVELS, seed=12)
    assert list(first["problem"]) != list(second["problem"])
    assert len(set(first["problem"]) & set(second["problem"])) < 150  # mostly new problems, not a reshuffle


# --- records --------------------------------------------------------------------------------------

def test_records_validate_and_ids_are_unique(both):
    for split_frame in (both.iloc[:2000], both.iloc[2000:]):
        checked = validate_problems(split_frame, "arithmetic")
        assert list(checked.columns) == PROBLEM_COLUMNS
        assert checked["level"].dtype == "int64"
    assert list(both.columns) == PROBLEM_COLUMNS
    assert both["id"].is_unique
    assert both["problem"].is_unique
    assert (both["subject"] == "Arithmetic").all()


def test_every_solution_ends_with_its_boxed_answer_and_grades_correct(both):
    for row in both.itertuples(index=False):
        assert row.solution.endswith(f"\\boxed{{{row.answer}}}$."), row.solution
        assert grade(row.solution, row.answer), row.id


def test_answer_equals_python_evaluation_of_the_problem(both):
    for row in both.itertuples(index=False):
        assert int(row.answer) == evaluate(problem_expression(row.problem)), row.problem
        assert row.answer == str(int(row.answer))  # canonical integer text
        assert int(row.answer) >= 0


def test_wrong_answer_does_not_grade_correct(train):
    for row in train.head(200).itertuples(index=False):
        wrong = row.solution.replace(f"\\boxed{{{row.answer}}}", f"\\boxed{{{int(row.answer) + 1}}}")
        assert not grade(wrong, row.answer)


def test_every_equation_in_the_solution_is_true(both):
    for row in both.itertuples(index=False):
        found = equations(row.solution)
        assert found, row.solution
        for sides in found:
            values = [evaluate(side) for side in sides]
            assert len(sides) >= 2 and len(set(values)) == 1, (row.id, sides, values)
        # the last step computes the answer
        assert evaluate(found[-1][-1]) == int(row.answer)


def test_solution_steps_are_one_per_operation(both):
    """Every operator of the problem is evaluated in exactly one step: #steps == #operators."""
    for row in both.itertuples(index=False):
        expression = to_python(problem_expression(row.problem))
        num_operators = len(re.findall(r"[+\-*]", expression))
        assert len(equations(row.solution)) == num_operators, row.problem


# --- difficulty -----------------------------------------------------------------------------------

def test_difficulty_grows_with_level(train):
    by_level = train.assign(
        steps=train["solution"].map(lambda s: len(equations(s))),
        length=train["solution"].str.len(),
    ).groupby("level")[["steps", "length"]].mean()
    assert list(by_level.index) == ALL_LEVELS
    steps, length = by_level["steps"].tolist(), by_level["length"].tolist()
    assert all(a < b for a, b in zip(steps, steps[1:])), steps
    assert all(a < b for a, b in zip(length, length[1:])), length


def test_level_one_has_no_multiplication_and_later_levels_do(train):
    assert not train.loc[train["level"] == 1, "problem"].str.contains("times", regex=False).any()
    assert not train.loc[train["level"] == 1, "solution"].str.contains("times", regex=False).any()
    for level in (3, 4, 5):  # levels >= 3 always multiply
        assert train.loc[train["level"] == level, "problem"].str.contains("\\times", regex=False).all()
    assert train.loc[train["level"] == 2, "problem"].str.contains("\\times", regex=False).any()


def test_no_value_exceeds_max_value_and_none_is_negative(both):
    for row in both.itertuples(index=False):
        numbers = [int(n) for n in re.findall(r"\d+", row.problem + " " + row.solution)]
        assert max(numbers) <= MAX_VALUE, row.id
        for sides in equations(row.solution):
            assert all(evaluate(side) >= 0 for side in sides), (row.id, sides)
    assert (both["answer"].astype(int) >= 0).all()


def test_operators_respect_level_limits(train):
    for row in train.itertuples(index=False):
        num_ops, digits, _ = LEVELS[row.level]
        expression = to_python(problem_expression(row.problem))
        operators = len(re.findall(r"[+\-*]", expression))
        assert num_ops <= operators <= num_ops + 1, row.problem  # levels >= 3 may add one multiplication
        assert all(len(n) <= digits for n in re.findall(r"\d+", expression)), row.problem


# --- levels and argument errors -------------------------------------------------------------------

@pytest.mark.parametrize("levels,num", [([1, 3, 5], 300), ([2, 4], 101), (ALL_LEVELS, 500), ([4], 50)])
def test_levels_are_drawn_in_equal_shares(levels, num):
    counts = generate("train", num, levels, seed=5)["level"].value_counts()
    assert set(counts.index) == set(levels)
    assert counts.sum() == num
    assert counts.max() - counts.min() <= 1
    assert counts[levels[0]] == -(-num // len(levels))  # round robin starts with the first level


@pytest.mark.parametrize("levels,name", [([1, 7], "7"), ([0], "0"), ([6, 2], "6")])
def test_unknown_level_is_rejected_by_name(levels, name):
    with pytest.raises(ValueError, match=rf"levels \[{name}\]"):
        generate("train", 10, levels, seed=0)


@pytest.mark.parametrize("split", ["validation", "Train", ""])
def test_bad_split_is_rejected(split):
    with pytest.raises(ValueError, match="split must be 'train' or 'test'") as error:
        generate(split, 10, [1], seed=0)
    assert repr(split) in str(error.value)


def test_equation_checks_are_balanced_and_truthful():
    from rlv.tasks.expression import equation_checks

    checks = equation_checks(400, seed=0)
    assert [a for _, a in checks].count("Yes") == 200 and {a for _, a in checks} == {"Yes", "No"}
    for question, answer in checks:
        assert question.startswith("Is $") and question.endswith("$ true? Answer Yes or No")
        lhs, rhs = question[len("Is $"):-len("$ true? Answer Yes or No")].split("=")
        holds = eval(lhs.replace("\\times ", "*"), {"__builtins__": {}}) == int(rhs)
        assert holds == (answer == "Yes")
        assert int(rhs) >= 0 and not (len(rhs) > 1 and rhs.startswith("0"))
    assert equation_checks(50, seed=0) == checks[:50]
    assert "Is this solution correct" not in " ".join(q for q, _ in checks)  # never the verification question
