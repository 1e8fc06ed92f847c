"""The inverse family (rlv/tasks/inverse.py): linear equations in x, solved by long division.

Checked against an independent oracle: the equation of the problem text is parsed and the answer
substituted into it; every equation of the worked solution is evaluated in Python."""

import re
from collections import Counter

import pytest

from helpers import SEGMENT, evaluate_side
from rlv.tasks.grading import grade
from rlv.tasks.synthetic import generate
from rlv.tasks.worked import MAX_VALUE
from rlv.tasks.inverse import division_steps, generate_records
from rlv.tasks.records import validate_problems

_PROBLEM = re.compile(r"Solve \$(\d)(?:x([+-]\d+)|\(x\+(\d+)\))?x?=(\d+)\$ for \$x\$\.")


def substitute(problem: str, x: int) -> bool:
    """Does x satisfy the problem's equation? Parsed from the text alone."""
    a, shift, inner, c = _PROBLEM.fullmatch(problem).groups()
    a, c = int(a), int(c)
    if inner is not None:
        return a * (x + int(inner)) == c
    return a * x + (int(shift) if shift else 0) == c


@pytest.fixture(scope="module", params=["train", "test"])
def frame(request):
    return generate(request.param, 500, [1, 2, 3, 4, 5], seed=0, family="inverse")


def test_answers_satisfy_the_equation_and_are_unique_integers(frame):
    validate_problems(frame, "inverse")
    for row in frame.itertuples(index=False):
        x = int(row.answer)
        assert substitute(row.problem, x), row.problem
        assert not substitute(row.problem, x + 1) and not substitute(row.problem, x - 1)
        assert 0 < x <= MAX_VALUE and row.answer == str(x)


def test_every_equation_of_the_solution_is_true_and_the_last_gives_the_answer(frame):
    for row in frame.itertuples(index=False):
        sides = [segment.split("=") for segment in SEGMENT.findall(row.solution) if "=" in segment]
        for equation in sides:
            values = {evaluate_side(side) for side in equation}
            assert len(values) == 1, (row.problem, equation)
        assert evaluate_side(sides[-1][-1]) == int(row.answer)
        assert grade(row.solution, row.answer)
        assert not grade(row.solution.replace(f"\\boxed{{{row.answer}}}", f"\\boxed{{{int(row.answer) + 1}}}"),
                         row.answer)


def test_levels_have_their_forms(frame):
    forms = {1: r"\dx=", 2: r"\dx=", 3: r"\dx\+\d+=", 4: r"\dx-\d+=", 5: r"\d\(x\+\d+\)="}
    for row in frame.itertuples(index=False):
        assert re.search(forms[row.level], row.problem), (row.level, row.problem)
    assert sorted(frame["level"].value_counts()) == [100] * 5


def test_division_steps_by_hand():
    assert division_steps(581, 7) == ["$7\\times 80=560$. $581-560=21$.", "$7\\times 3=21$. $21-21=0$.",
                                      "$581\\div 7=80+3=83$."]
    assert division_steps(300, 6) == ["$6\\times 50=300$. $300-300=0$.", "$300\\div 6=50$."]
    with pytest.raises(ValueError, match="not divisible"):
        division_steps(100, 7)


def test_splits_are_disjoint_and_generation_is_deterministic():
    train = generate("train", 500, [1, 2, 3, 4, 5], seed=3, family="inverse")
    test = generate("test", 500, [1, 2, 3, 4, 5], seed=3, family="inverse")
    assert not set(train["problem"]) & set(test["problem"])
    assert train.equals(generate("train", 500, [1, 2, 3, 4, 5], seed=3, family="inverse"))


def test_unknown_family_is_named():
    with pytest.raises(ValueError, match="family.*'geometry'"):
        generate("train", 5, [1], seed=0, family="geometry")


def test_a_drawn_out_level_leaves_the_rotation_and_the_others_fill_its_share():
    records = generate_records("train", 3000, [1, 3], seed=0, test_fraction=0.2)
    levels = Counter(r["level"] for r in records)
    level_one = {(a, x) for a in range(2, 10) for x in range(2, 100)}  # every level-1 equation a*x = a*x
    assert levels[1] < len(level_one) < 1500 and levels[1] + levels[3] == 3000
    assert len({r["problem"] for r in records}) == 3000
    with pytest.raises(ValueError, match="could not draw 1000 distinct train inverse problems"):
        generate_records("train", 1000, [1], seed=0, test_fraction=0.2)
