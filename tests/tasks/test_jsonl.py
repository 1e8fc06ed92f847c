"""rlv.tasks.jsonl: the real MATH500 / AIME24 files load; malformed lines name the file and line."""

import json
from pathlib import Path

import pytest

from conftest import REPO
from rlv.tasks.jsonl import load_jsonl_problems
from rlv.tasks.records import PROBLEM_COLUMNS

REAL = REPO.parent / "shared" / "data" / "real"  # beside the repository


def _real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real data not found: {path} (clone the repo with shared/ beside it)")
    return path


def test_load_math500():
    frame = load_jsonl_problems(_real("math500.jsonl"))
    assert list(frame.columns) == PROBLEM_COLUMNS
    assert len(frame) == 500 and frame["id"].is_unique
    assert sorted(frame["level"].unique()) == [1, 2, 3, 4, 5]
    assert frame["level"].dtype == "int64"
    first = json.loads(_real("math500.jsonl").read_text(encoding="utf-8").splitlines()[0])
    row = frame.iloc[0]
    assert row["id"] == first["unique_id"] and row["answer"] == first["answer"]
    assert row["problem"] == first["problem"] and row["subject"] == first["subject"]
    assert (frame["subject"] != "").all() and (frame["solution"].str.contains(r"\\boxed", regex=True)).all()


def test_load_aime24():
    frame = load_jsonl_problems(_real("aime24.jsonl"), default_level=5, default_subject="AIME")
    assert list(frame.columns) == PROBLEM_COLUMNS
    assert len(frame) == 30 and frame["id"].is_unique
    assert set(frame["level"]) == {5} and set(frame["subject"]) == {"AIME"}
    assert frame["id"].iloc[0] == "60"  # integer ids become strings
    assert frame["answer"].str.fullmatch(r"\d+").all()  # AIME answers are integers 0..999 (e.g. "025")


def test_aime24_without_default_level_fails():
    with pytest.raises(ValueError, match=r"aime24\.jsonl:1: field 'level'"):
        load_jsonl_problems(_real("aime24.jsonl"))


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = [
    json.dumps({"problem": "1+1?", "answer": "2", "level": 1, "subject": "Arith"}),
    json.dumps({"problem": "2+2?", "answer": "4", "level": "Level 2", "subject": "Arith"}),
]


@pytest.mark.parametrize(
    "name, bad_line, field",
    [
        ("missing_answer.jsonl", json.dumps({"problem": "3+3?", "level": 3}), "answer"),
        ("empty_problem.jsonl", json.dumps({"problem": "  ", "answer": "6", "level": 3}), "problem"),
        ("bad_level.jsonl", json.dumps({"problem": "3+3?", "answer": "6", "level": "Level X"}), "level"),
        ("level_out_of_range.jsonl", json.dumps({"problem": "3+3?", "answer": "6", "level": 6}), "level"),
        ("not_object.jsonl", json.dumps([1, 2]), "<json>"),
    ],
)
def test_malformed_line_names_file_line_and_field(tmp_path, name, bad_line, field):
    path = _write(tmp_path, name, GOOD + [bad_line])
    with pytest.raises(ValueError) as info:
        load_jsonl_problems(path)
    message = str(info.value)
    assert name in message and f"{name}:3:" in message and repr(field) in message, message


def test_invalid_json_names_file_line_and_column(tmp_path):
    bad = '{"problem": "3+3?", "answer": "6", "level": 3'
    path = _write(tmp_path, "bad_json.jsonl", GOOD + [bad])
    with pytest.raises(ValueError, match=rf"bad_json\.jsonl:3:{len(bad) + 1}: invalid JSON: Expecting ',' delimiter"):
        load_jsonl_problems(path)
    path = _write(tmp_path, "bad_value.jsonl", GOOD + ['{"problem": "3+3?", "answer": , "level": 3}'])
    with pytest.raises(ValueError, match=r"bad_value\.jsonl:3:31: invalid JSON: Expecting value"):
        load_jsonl_problems(path)


def test_fallback_ids_levels_and_subjects(tmp_path):
    path = _write(tmp_path, "toy.jsonl", GOOD + ["", json.dumps({"problem": "x?", "answer": 7, "id": "q9"})])
    frame = load_jsonl_problems(path, default_level=4)
    assert list(frame["id"]) == ["toy/1", "toy/2", "q9"]  # 1-based line numbers; blank line 3 skipped
    assert list(frame["level"]) == [1, 2, 4]
    assert list(frame["subject"]) == ["Arith", "Arith", ""]
    assert list(frame["answer"]) == ["2", "4", "7"]
    assert list(frame["solution"]) == ["", "", ""]


def test_explicit_id_field_and_duplicates(tmp_path):
    rows = [json.dumps({"key": k, "problem": "p", "answer": "1", "level": 1}) for k in ("a", "b", "a")]
    path = _write(tmp_path, "dup.jsonl", rows)
    with pytest.raises(ValueError, match=r"dup\.jsonl:3: field 'id': 'a' repeats the id of line 1"):
        load_jsonl_problems(path, id_field="key")
    with pytest.raises(ValueError, match=r"dup\.jsonl:1: field 'nope'"):
        load_jsonl_problems(path, id_field="nope")


def test_empty_file(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        load_jsonl_problems(_write(tmp_path, "empty.jsonl", [""]))
