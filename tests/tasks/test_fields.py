"""rlv.tasks.fields: the field mapping (names, dotted paths, lists), GSM8K's `####` answers, answers from the
solution's last box, and one policy for unusable rows that every file source (jsonl, parquet, hf, math_dir, aime)
applies alike; malformed rows name the file, row and field, list the row's fields and cut long values short."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import FIXTURES
from rlv.tasks.fields import (EmptyAnswer, UnknownLevel, gsm8k_answer, lookup, read_record, row_spec, show,
                              solution_answer)
from rlv.tasks.grading import grade
from rlv.tasks.jsonl import load_jsonl_problems
from rlv.tasks.loaders import load_parquet_problems, load_problems
from rlv.tasks.math_dir import load_math_dir

DATASETS = FIXTURES / "datasets"


def _record(row, **options):
    return read_record(row, "f.jsonl:1", "f/1", row_spec(**options))


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# --- the field mapping --------------------------------------------------------------------------------------

def test_dotted_paths_lists_and_numbers():
    row = {"q": {"text": "What is 2+2?", "meta": {"level": "Level 3"}}, "sols": ["First: $\\boxed{4}$.", "Second."],
           "finals": ["$4$"], "idx": 7, "tags": {"area": "Arithmetic"}}
    record = _record(row, fields={"problem": "q.text", "level": "q.meta.level", "solution": "sols", "answer": "finals",
                                  "id": "idx", "subject": "tags.area"})
    assert record == {"id": "7", "problem": "What is 2+2?", "solution": "First: $\\boxed{4}$.", "answer": "4",
                      "level": 3, "subject": "Arithmetic"}
    assert lookup({"a.b": 1, "a": {"b": 2}}, "a.b") == 1 and lookup({"s": ["x", "y"]}, "s.1") == "y"
    assert _record({"problem": "p", "answer": 27.0, "level": 1})["answer"] == "27"  # AMC'23's floats
    assert _record({"problem": "p", "answer": 0.5, "level": 1})["answer"] == "0.5"
    assert _record({"problem": "p", "answer": ["$1$", "$2$"], "level": 1})["answer"] == "1, 2"  # several answers
    joined = _record({"context": "Let $x$ be real.", "question": "Find $x^2$ if $x=2$.", "answer": "4", "level": 1},
                     fields={"problem": ["context", "question"]})
    assert joined["problem"] == "Let $x$ be real.\n\nFind $x^2$ if $x=2$."
    alone = _record({"context": None, "question": "Find $x$.", "answer": "4", "level": 1},
                    fields={"problem": ["context", "question"]})
    assert alone["problem"] == "Find $x$."


def test_subject_override_and_defaults():
    row = {"problem": "p", "answer": "1", "subject": "Algebra"}
    assert _record(row, default_level=2, subject="AMC")["subject"] == "AMC"
    assert _record(row, default_level=2)["subject"] == "Algebra"
    assert _record({"problem": "p", "answer": "1"}, default_level=2, default_subject="GSM8K")["subject"] == "GSM8K"


def test_gsm8k_answers_and_solutions():
    text = "It takes 300*4=<<300*4=1200>>1,200 loaves.\n#### 1,200"
    assert gsm8k_answer(text) == ("It takes 300*4=<<300*4=1200>>1,200 loaves.\n", "1200")
    assert gsm8k_answer("no mark") is None and gsm8k_answer("x\n#### -3")[1] == "-3"
    record = _record({"question": "How many loaves in 4 days?", "answer": text}, fields={"problem": "question"},
                     answer_format="gsm8k", default_level=1)
    assert record["answer"] == "1200"
    assert record["solution"] == "It takes 300*4=1,200 loaves.\nThe final answer is $\\boxed{1200}$."
    assert grade(record["solution"], record["answer"])
    with pytest.raises(EmptyAnswer, match=r"nothing after '####'"):
        _record({"problem": "p", "answer": "rationale\n####  "}, answer_format="gsm8k", default_level=1)
    with pytest.raises(ValueError, match=r"field 'answer': no '#### <answer>' line"):
        _record({"problem": "p", "answer": "18"}, answer_format="gsm8k", default_level=1)


def test_renaming_only_the_question_of_gsm8k_is_an_error_not_a_rationale_as_gold():
    row = json.loads((DATASETS / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    with pytest.raises(ValueError, match=r"f\.jsonl:1: field 'answer': holds a GSM8K rationale .*set answer_format: "
                                         r"gsm8k"):
        _record(row, fields={"problem": "question"}, default_level=1)


def test_answer_from_the_solutions_last_box():
    assert solution_answer("so $\\boxed{\\frac{1}{2}}$.") == "\\frac{1}{2}"
    assert solution_answer("first $\\boxed{1}$, then $\\boxed{3}$") == "3"
    assert solution_answer("the difference is $\\boxed 2$") == "2"  # brace-less, as MATH train/algebra/24014.json
    assert solution_answer("The answer is $\\boxed{}$.") == "" and solution_answer("no box") is None
    row = {"problem": "p", "level": "Level 1", "type": "Algebra", "solution": "so $\\boxed 9$"}
    assert _record(row, answer_from_solution=True)["answer"] == "9"
    with pytest.raises(EmptyAnswer, match=r"the solution's \\boxed\{\} is empty"):
        _record({**row, "solution": "The answer is $\\boxed{}$."}, answer_from_solution=True)
    with pytest.raises(ValueError, match=r"field 'solution': no answer field and no \\boxed\{\} answer"):
        _record({**row, "solution": "no box"}, answer_from_solution=True)


def test_the_grader_reads_the_brace_less_boxes_the_loaders_read():
    """Coordination with rlv.tasks.grading: the loaders take `\\boxed 2` as the answer 2, so the grader must accept
    the same solution against it (else the warm-up drops these problems, and a sample ending so is graded wrong)."""
    frame = load_math_dir(DATASETS / "MATH", "train")
    brace_less = frame[frame["id"].isin(["train/algebra/24014.json", "train/algebra/25040.json"])]
    assert list(brace_less["answer"]) == ["2", "9"]
    assert all(grade(s, a) for s, a in zip(brace_less["solution"], brace_less["answer"]))


# --- malformed rows: the file, the row, the field, the fields present, values cut short ------------------------

def test_a_missing_field_lists_the_fields_the_row_has(tmp_path):
    path = _write(tmp_path / "gsm.jsonl", [{"question": "q?", "answer": "r\n#### 1"}])
    with pytest.raises(ValueError, match=r"gsm\.jsonl:1: field 'problem': missing problem text; the row has fields "
                                         r"\['question', 'answer'\]"):
        load_jsonl_problems(path, default_level=1)
    with pytest.raises(ValueError, match=r"field 'answer': missing; set fields.answer .*answer_from_solution"):
        _record({"problem": "p", "solution": "s", "level": 1})


def test_long_values_are_cut_short_in_errors():
    solutions = ["x" * 5000, "y" * 5000]
    with pytest.raises(ValueError) as error:
        _record({"problem": "p", "answer": "1", "level": 1, "subject": solutions})
    message = str(error.value)
    assert len(message) < 300 and "characters]" in message and "field 'subject'" in message
    assert show("z" * 1000).endswith("... [1,002 characters]")


@pytest.mark.parametrize("options, key", [
    ({"fields": {"questin": "q"}}, "fields.questin"), ({"fields": {"problem": 3}}, "fields.problem"),
    ({"answer_format": "math"}, "answer_format"), ({"unusable_rows": "drop"}, "unusable_rows"),
])
def test_bad_options_name_their_key(options, key):
    with pytest.raises(ValueError, match=rf"^{key}: "):
        row_spec(**options)
    with pytest.raises(ValueError, match=rf"^config key datasets\.x\.{key}: "):
        load_problems({"source": "jsonl", "path": "x.jsonl", **options}, "x")




# --- one policy for unusable rows, every source ------------------------------------------------------------------

ROWS = [{"problem": "1+1?", "answer": "2", "level": "Level 1", "unique_id": "a"},
        {"problem": "2+2?", "answer": "4", "level": "Level ?", "unique_id": "b"},
        {"problem": "3+3?", "answer": "", "level": "Level 2", "unique_id": "c"},
        {"problem": "4+4?", "answer": None, "level": "Level 2", "unique_id": "d"},
        {"problem": "5+5?", "answer": "10", "level": "Level 3", "unique_id": "e"}]


def _sources(tmp_path):
    jsonl = _write(tmp_path / "rows.jsonl", ROWS)
    pq.write_table(pa.Table.from_pylist(ROWS), tmp_path / "rows.parquet")
    return {"jsonl": {"source": "jsonl", "path": str(jsonl)},
            "parquet": {"source": "parquet", "path": str(tmp_path / "rows.parquet")},
            "hf": {"source": "hf", "path": str(jsonl), "split": "test", "cache_dir": str(tmp_path / "cache")},
            "aime": {"source": "aime", "path": str(jsonl), "fields": {"id": "unique_id"}}}


def test_every_source_skips_the_same_rows_and_logs_them(tmp_path):
    for name, spec in _sources(tmp_path).items():
        messages, skipped = [], {}
        frame = load_problems(spec, name, log=messages.append, skipped=skipped)
        assert list(frame["id"]) == ["a", "e"], name
        assert skipped == {"at 'Level ?'": ["b"], "with an empty answer": ["c", "d"]}, name
        assert len(messages) == 1 and "skipped 1 problem(s) at 'Level ?': b; 2 problem(s) with an empty answer: c, d " \
                                      "(of 5 rows" in messages[0], (name, messages)


def test_every_source_stops_at_the_first_unusable_row_on_error(tmp_path):
    for name, spec in _sources(tmp_path).items():
        with pytest.raises(UnknownLevel, match=r"row 1|rows\.jsonl:2"):
            load_problems({**spec, "unusable_rows": "error"}, name)
        with pytest.raises(EmptyAnswer, match=r"row 2|rows\.jsonl:3"):  # 'Level ?' alone skipped
            load_problems({**spec, "unusable_rows": "error", "unknown_level": "skip"}, name)


def test_unknown_level_error_is_honoured_by_jsonl(tmp_path):
    path = _write(tmp_path / "rows.jsonl", ROWS[:2])
    with pytest.raises(UnknownLevel, match=r"rows\.jsonl:2: field 'level': level is unknown"):
        load_problems({"source": "jsonl", "path": str(path), "unknown_level": "error"}, "x")
    assert list(load_problems({"source": "jsonl", "path": str(path), "unknown_level": "skip"}, "x")["id"]) == ["a"]




def test_malformed_rows_are_never_skipped(tmp_path):
    path = _write(tmp_path / "bad.jsonl", [ROWS[0], {"problem": "  ", "answer": "", "level": "Level ?"}])
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: field 'problem': must be a non-empty string"):
        load_jsonl_problems(path)


def test_a_repeated_id_names_both_rows_in_every_source(tmp_path):
    rows = [ROWS[0], {**ROWS[4], "unique_id": "a"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "dup.parquet")
    with pytest.raises(ValueError, match=r"dup\.parquet: row 1: field 'id': 'a' repeats the id of row 0"):
        load_parquet_problems(tmp_path / "dup.parquet")


def test_answers_that_look_like_solutions_are_logged(tmp_path):
    path = _write(tmp_path / "long.jsonl", [{"problem": "p", "answer": "first line\nsecond line", "level": 1}])
    messages = []
    load_jsonl_problems(path, log=messages.append)
    assert len(messages) == 1 and "1 gold answer(s) span several lines" in messages[0] and "long/1" in messages[0]
