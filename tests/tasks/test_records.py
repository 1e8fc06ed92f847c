"""Problem records (rlv/tasks/records.py): validate_problems names the source, row, id and column of a bad
record, and select_levels keeps an RL run's levels or names its config key."""

import pandas as pd
import pytest

from rlv.tasks.records import PROBLEM_COLUMNS, select_levels, validate_problems
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
