"""The sort family (rlv/tasks/sorting.py): the digits of a number in increasing order.

Checked against an independent oracle: the number is read from the problem text and its digits sorted in Python;
every wrong candidate of the kinds the family is built around (an adjacent inversion, a missing or a repeated
digit) grades wrong."""

import re

import pytest

from rlv.tasks.grading import answers_equal, grade
from rlv.tasks.records import validate_problems
from rlv.tasks.sorting import generate_records, worked_solution
from rlv.tasks.synthetic import generate
from rlv.tasks.worked import FINAL_PHRASE

_PROBLEM = re.compile(r"Sort the digits of \$([1-9]+)\$ in increasing order\.")


@pytest.fixture(scope="module", params=["train", "test"])
def frame(request):
    return generate(request.param, 500, [1, 2, 3, 4, 5], seed=0, family="sort")


def test_answers_are_the_sorted_digits_of_the_problem(frame):
    validate_problems(frame, "sort")
    for row in frame.itertuples(index=False):
        number = _PROBLEM.fullmatch(row.problem).group(1)
        assert row.answer == "".join(sorted(number)) and len(number) == 2 * row.level + 2
        assert grade(row.solution, row.answer)
    assert sorted(frame["level"].value_counts()) == [100] * 5


def test_every_kind_of_wrong_answer_grades_wrong():
    right = "123558"
    for wrong in ("123585", "12358", "1235558", "213558", "123559"):  # inversion, missing, repeated, swapped, changed
        assert not answers_equal(right, wrong), wrong
    assert answers_equal(right, "123558.") and grade("so $\\boxed{123558}$", right)


def test_the_worked_solution_by_hand():
    assert worked_solution("5281") == ("The digits of $5281$ are $5, 2, 8, 1$. In increasing order: $1, 2, 5, 8$. "
                                       "The answer is $\\boxed{1258}$.")
    verbose = worked_solution("5515", verbose=True)
    assert "Counting each digit: $1$ once, $5$ 3 times." in verbose
    assert verbose.endswith(f"{FINAL_PHRASE} $\\boxed{{1555}}$.") and grade(verbose, "1555")


def test_splits_are_disjoint_and_generation_is_deterministic():
    train = generate("train", 400, [1, 2, 3], seed=3, family="sort")
    test = generate("test", 400, [1, 2, 3], seed=3, family="sort")
    assert not set(train["problem"]) & set(test["problem"])
    assert train.equals(generate("train", 400, [1, 2, 3], seed=3, family="sort"))


def test_undefined_levels_and_exhausted_draws_are_named():
    with pytest.raises(ValueError, match=r"levels \[6\] are not defined for the sort family"):
        generate_records("train", 5, [6], seed=0, test_fraction=0.2)
    with pytest.raises(ValueError, match="could not draw 10000 distinct train sort problems"):
        generate_records("train", 10000, [1], seed=0, test_fraction=0.2, max_tries_factor=1)
