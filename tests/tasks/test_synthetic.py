"""The synthetic families behind one dispatcher (rlv/tasks/synthetic.py): the out-of-domain family shares no
problem with the training family, and the verbose worked solutions (sequential x parallel scaling) check
themselves and close with the phrase a budget forces."""

import pytest

from helpers import SEGMENT, evaluate_side
from rlv.tasks.grading import grade
from rlv.tasks.synthetic import generate
from rlv.tasks.worked import FINAL_PHRASE


def test_the_ood_set_shares_no_problem_with_any_training_problem():
    ood = generate("test", 40, [1, 2, 3, 4, 5], seed=0, family="inverse")
    train = generate("train", 400, [1, 2, 3, 4, 5], seed=0)
    assert ood["problem"].str.startswith("Solve $").all() and train["problem"].str.startswith("Compute $").all()
    assert not set(ood["problem"]) & set(train["problem"]) and not set(ood["id"]) & set(train["id"])


@pytest.mark.parametrize("family", ["inverse", "expression", "sort"])
def test_verbose_solutions_check_themselves_and_close_with_the_phrase(family):
    short = generate("train", 200, [1, 2, 3, 4, 5], seed=0, family=family)
    verbose = generate("train", 200, [1, 2, 3, 4, 5], seed=0, family=family, verbose=True)
    assert verbose["problem"].equals(short["problem"]) and verbose["answer"].equals(short["answer"])
    for row in verbose.itertuples(index=False):
        assert row.solution.endswith(f" {FINAL_PHRASE} $\\boxed{{{row.answer}}}$.") and grade(row.solution, row.answer)
        assert "Check" in row.solution and row.solution.count(FINAL_PHRASE) == 1
        for segment in SEGMENT.findall(row.solution):
            if "=" in segment and "x" not in segment and "boxed" not in segment:
                assert len({evaluate_side(side) for side in segment.split("=")}) == 1, (row.problem, segment)
    assert verbose["solution"].str.len().mean() > 1.6 * short["solution"].str.len().mean()
