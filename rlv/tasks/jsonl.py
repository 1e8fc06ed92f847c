"""Load a JSONL file of math problems (MATH500, AIME24, ...) into the common problem record.

One JSON object per line (blank lines are skipped). Fields: `problem` and `answer` (required), `solution`
(optional, default ""), an id (`id_field`, else `unique_id`, else `id`, else "{file stem}/{line number}"),
a level (an int or a "Level N" string; missing -> `default_level`, else an error) and a subject
(missing -> `default_subject`, else ""). With `answer_from_solution`, a record without an `answer` takes
the content of the last `\\boxed{}` of its solution (Hendrycks' MATH ships no answer field).
Every malformed line raises ValueError naming the file, the 1-based line number and the field (invalid JSON:
file:line:column); an id read twice names both lines.

`record_from_mapping` is the same normalisation for one mapping; the Parquet and Hugging Face loaders
(`rlv.tasks.loaders`) use it with their own row locations."""

from __future__ import annotations

import json
import numbers
import re
from pathlib import Path

import pandas as pd

from rlv.tasks.records import PROBLEM_COLUMNS, validate_problems

__all__ = ["UnknownLevel", "load_jsonl_problems", "parse_level", "record_from_mapping"]

_LEVEL_RE = re.compile(r"\s*(?:level\s*)?([1-5])\s*", re.IGNORECASE)
_UNKNOWN_LEVEL_RE = re.compile(r"\s*(?:level\s*)?\?\s*", re.IGNORECASE)


class UnknownLevel(ValueError):
    """A record whose level is given as unknown ("Level ?", as in a few of Hendrycks' MATH problems)."""


def _error(where: str, field: str, message: str) -> ValueError:
    return ValueError(f"{where}: field {field!r}: {message}")


def parse_level(value, where: str, field: str = "level") -> int:
    """An int in 1..5 from an int, an integral float or a "Level N" string; "Level ?" raises UnknownLevel."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and 1 <= value <= 5:
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer() \
            and 1 <= value <= 5:
        return int(value)
    if isinstance(value, str):
        match = _LEVEL_RE.fullmatch(value)
        if match:
            return int(match.group(1))
        if _UNKNOWN_LEVEL_RE.fullmatch(value):
            raise UnknownLevel(f"{where}: field {field!r}: level is unknown ({value!r})")
    raise _error(where, field, f"level must be an int in 1..5 or 'Level N', got {value!r}")


def _text(record: dict, field: str, where: str, *, required: bool) -> str:
    value = record.get(field)
    if value is None and not required:
        return ""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = str(value)  # e.g. an integer AIME answer
    if not isinstance(value, str) or (required and not value.strip()):
        raise _error(where, field, f"must be a non-empty string, got {value!r}")
    return value


def record_from_mapping(record, where: str, fallback_id: str, *, id_field: str | None = None,
                        level_field: str = "level", subject_field: str = "subject",
                        default_level: int | None = None, default_subject: str | None = None,
                        answer_from_solution: bool = False) -> dict:
    """One problem record from a mapping of a source row; errors start with `where` (file and row)."""
    if not isinstance(record, dict):
        raise _error(where, "<json>", f"expected a JSON object, got {type(record).__name__}")
    fields = [id_field] if id_field else ["unique_id", "id"]
    id_key = next((f for f in fields if record.get(f) not in (None, "")), None)
    if id_key is None and id_field:
        raise _error(where, id_field, "missing id")
    problem_id = str(record[id_key]) if id_key else fallback_id

    if record.get(level_field) is not None:
        level = parse_level(record[level_field], where, level_field)
    elif default_level is not None:
        level = parse_level(default_level, where, "default_level")
    else:
        raise _error(where, level_field, "missing level and no default_level given")

    subject = record.get(subject_field)
    if subject is None:
        subject = default_subject if default_subject is not None else ""
    elif not isinstance(subject, str):
        raise _error(where, subject_field, f"must be a string, got {subject!r}")

    solution = _text(record, "solution", where, required=False)
    if record.get("answer") is None and answer_from_solution:
        from rlv.tasks.grading import extract_boxed
        answer = extract_boxed(solution)
        if answer is None or not answer.strip():
            raise _error(where, "solution", "no answer field and no \\boxed{} answer in the solution")
    else:
        answer = _text(record, "answer", where, required=True)
    return {"id": problem_id, "problem": _text(record, "problem", where, required=True), "solution": solution,
            "answer": answer.strip(), "level": level, "subject": subject}


def load_jsonl_problems(
    path,
    *,
    id_field: str | None = None,
    level_field: str = "level",
    subject_field: str = "subject",
    default_level: int | None = None,
    default_subject: str | None = None,
    answer_from_solution: bool = False,
) -> pd.DataFrame:
    """Read `path` (JSONL) into a validated frame with columns PROBLEM_COLUMNS."""
    path = Path(path)
    records, lines = [], {}  # id -> the line it was first read on
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_number}"
            try:
                record = json.loads(line.rstrip("\r\n"))  # a cut-off line errs at its end, not at "line 2 column 1"
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}:{exc.colno}: invalid JSON: {exc.msg}") from exc
            records.append(record_from_mapping(
                record, where, f"{path.stem}/{line_number}", id_field=id_field, level_field=level_field,
                subject_field=subject_field, default_level=default_level, default_subject=default_subject,
                answer_from_solution=answer_from_solution))
            first = lines.setdefault(records[-1]["id"], line_number)
            if first != line_number:
                raise _error(where, "id", f"{records[-1]['id']!r} repeats the id of line {first}")
    if not records:
        raise ValueError(f"{path}: no problems (empty file)")
    return validate_problems(pd.DataFrame.from_records(records, columns=PROBLEM_COLUMNS), str(path))
