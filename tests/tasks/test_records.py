"""Problem records (rlv/tasks/records.py): validate_problems names the source, row, id and column of a bad
record, select_levels keeps an RL run's levels or names its config key, gradable keeps the warm-up's problems whose
solution the grader accepts, and grader_acceptance counts what the grader accepts of a dataset's references."""

import pandas as pd
import pytest

from rlv.tasks.records import PROBLEM_COLUMNS, gradable, grader_acceptance, select_levels, validate_problems
from rlv.tasks.synthetic import generate


# --- validate_problems errors ---------------------------------------------------------------------

def _good() -> pd.DataFrame:
    return generate("train", 6, [1, 2, 3], seed=0, test_fraction=0.2)


def test_validate_returns_columns_in_order_and_drops_extras():
    shuffled = _good().assign(extra=1)[["extra", *reversed(PROBLEM_COLUMNS)]]
    checked = validate_problems(shuffled, "src")
    assert list(checked.columns) == PROBLEM_COLUMNS
    pd.testing.assert_frame_equal(checked, _good())


def test_validate_missing_column():
    with pytest.raises(ValueError) as error:
        validate_problems(_good().drop(columns=["answer"]), "data/missing.jsonl")
    message = str(error.value)
    assert "data/missing.jsonl" in message and "'answer'" in message


def _broken(column: str, row: int, value) -> pd.DataFrame:
    bad = _good()
    bad[column] = bad[column].astype(object)
    bad.at[row, column] = value
    return bad


@pytest.mark.parametrize("column,row,value,shown", [
    ("problem", 2, "", "''"),
    ("problem", 4, "   ", "'   '"),
    ("answer", 1, None, "None"),
    ("level", 3, 7, "7"),
    ("level", 5, "3", "'3'"),
    ("level", 0, 0, "0"),
    ("level", 2, 2.5, "2.5"),
    ("level", 4, True, "True"),
])
def test_validate_names_source_row_and_column(column, row, value, shown):
    bad = _broken(column, row, value)
    with pytest.raises(ValueError) as error:
        validate_problems(bad, "data/broken.jsonl")
    message = str(error.value)
    assert message.startswith("data/broken.jsonl: ")
    assert f"row {row} " in message
    assert repr(bad.at[row, "id"]) in message
    assert f"column '{column}'" in message
    assert shown in message


def test_validate_accepts_integral_float_levels():
    checked = validate_problems(_good().astype({"level": float}), "src")
    assert checked["level"].dtype == "int64"


def test_validate_duplicate_id():
    bad = _good()
    bad.at[4, "id"] = bad.at[1, "id"]
    with pytest.raises(ValueError) as error:
        validate_problems(bad, "data/dup.jsonl")
    message = str(error.value)
    assert message.startswith("data/dup.jsonl: ")
    assert "duplicate" in message
    assert "row 4 " in message  # the repeat, not the first occurrence
    assert "column 'id'" in message
    assert repr(bad.at[1, "id"]) in message


# --- the level filter of an RL run ---

def test_select_levels_keeps_exactly_the_named_levels_in_order():
    problems = pd.DataFrame({"id": list("abcdefg"), "level": [1, 4, 2, 5, 3, 1, 4]})
    kept = select_levels(problems, [1, 3], "rl.runs.x.train_levels")
    assert kept["id"].tolist() == ["a", "e", "f"] and kept.index.tolist() == [0, 1, 2]
    assert select_levels(problems, [4, 5, 1, 2, 3], "k")["id"].tolist() == list("abcdefg")


def test_select_levels_names_the_key_when_a_level_has_no_problems():
    problems = pd.DataFrame({"id": ["a", "b"], "level": [1, 2]})
    with pytest.raises(ValueError, match=r"config key rl.runs.grpo_easy.train_levels: levels \[3, 5\] have no "
                                         r"training problems \(the train dataset has levels \[1, 2\]\)"):
        select_levels(problems, [1, 3, 5], "rl.runs.grpo_easy.train_levels")


# --- the grader on a dataset's own references ---

def _worked() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["boxed", "gsm8k_raw", "empty", "wrong_box", "fraction", "no_box"],
        "problem": ["p"] * 6,
        "solution": ["so $\\boxed{18}$.", "9 * 2 = 18\n#### 18", "", "so $\\boxed{17}$.", "$\\boxed{0.5}$",
                     "The answer is 4."],
        "answer": ["18", "18", "27", "18", "\\frac{1}{2}", "4"],
        "level": [1] * 6, "subject": [""] * 6})


def test_gradable_keeps_the_solutions_whose_box_the_grader_accepts():
    kept, skipped = gradable(_worked())
    assert list(kept["id"]) == ["boxed", "fraction"] and list(kept.index) == [0, 1]
    assert skipped == ["gsm8k_raw", "empty", "wrong_box", "no_box"]
    synthetic = _good()
    kept, skipped = gradable(synthetic)
    assert skipped == [] and kept.equals(synthetic)  # the synthetic task's solutions all end in their box


def test_gradable_counts_a_brace_less_box_as_the_grader_does():
    """`\\boxed 2` (two real MATH train solutions): kept once the grader reads brace-less boxes."""
    frame = _worked().iloc[:1].assign(solution="the difference is $\\boxed 2$", answer="2")
    kept, skipped = gradable(frame)
    assert list(kept["id"]) == ["boxed"] and skipped == []


def test_grader_acceptance_counts_answers_and_solutions():
    counts = grader_acceptance(_worked())
    assert counts == {"rows": 6, "answers": 6, "with_solution": 5, "solutions": 2, "rejected_answers": [],
                      "rejected_solutions": ["gsm8k_raw", "wrong_box", "no_box"]}
    unparsable = _worked().iloc[:2].assign(answer=["18", "\\frac{1}{"])
    assert grader_acceptance(unparsable)["rejected_answers"] == ["gsm8k_raw"]
