"""Load a JSONL file of math problems (MATH500, AIME24, ...) into the common problem record.

One JSON object per line (blank lines are skipped). Fields: `problem` and `answer` (required), `solution`
(optional, default ""), an id (`id_field`, else `unique_id`, else `id`, else "{file stem}/{line number}"),
a level (an int or a "Level N" string; missing -> `default_level`, else an error) and a subject
(missing -> `default_subject`, else ""). Every malformed line raises ValueError naming the file, the 1-based
line number and the field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from rlv.tasks.records import PROBLEM_COLUMNS, validate_problems

__all__ = ["load_jsonl_problems"]

_LEVEL_RE = re.compile(r"\s*(?:level\s*)?([1-5])\s*", re.IGNORECASE)


def _error(path: Path, line_number: int, field: str, message: str) -> ValueError:
    return ValueError(f"{path}:{line_number}: field {field!r}: {message}")


def _parse_level(value, path: Path, line_number: int, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    if isinstance(value, float) and value.is_integer() and 1 <= value <= 5:
        return int(value)
    if isinstance(value, str):
        match = _LEVEL_RE.fullmatch(value)
        if match:
            return int(match.group(1))
    raise _error(path, line_number, field, f"level must be an int in 1..5 or 'Level N', got {value!r}")


def _text(record: dict, field: str, path: Path, line_number: int, *, required: bool) -> str:
    value = record.get(field)
    if value is None and not required:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # e.g. an integer AIME answer
    if not isinstance(value, str) or (required and not value.strip()):
        raise _error(path, line_number, field, f"must be a non-empty string, got {value!r}")
    return value


def load_jsonl_problems(
    path,
    *,
    id_field: str | None = None,
    level_field: str = "level",
    subject_field: str = "subject",
    default_level: int | None = None,
    default_subject: str | None = None,
) -> pd.DataFrame:
    """Read `path` (JSONL) into a validated frame with columns PROBLEM_COLUMNS."""
    path = Path(path)
    records = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _error(path, line_number, "<json>", f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
            if not isinstance(record, dict):
                raise _error(path, line_number, "<json>", f"expected a JSON object, got {type(record).__name__}")

            fields = [id_field] if id_field else ["unique_id", "id"]
            id_key = next((f for f in fields if record.get(f) not in (None, "")), None)
            if id_key is None and id_field:
                raise _error(path, line_number, id_field, "missing id")
            problem_id = str(record[id_key]) if id_key else f"{path.stem}/{line_number}"

            if record.get(level_field) is not None:
                level = _parse_level(record[level_field], path, line_number, level_field)
            elif default_level is not None:
                level = _parse_level(default_level, path, line_number, "default_level")
            else:
                raise _error(path, line_number, level_field, "missing level and no default_level given")

            subject = record.get(subject_field)
            if subject is None:
                subject = default_subject if default_subject is not None else ""
            elif not isinstance(subject, str):
                raise _error(path, line_number, subject_field, f"must be a string, got {subject!r}")

            records.append(
                {
                    "id": problem_id,
                    "problem": _text(record, "problem", path, line_number, required=True),
                    "solution": _text(record, "solution", path, line_number, required=False),
                    "answer": _text(record, "answer", path, line_number, required=True).strip(),
                    "level": level,
                    "subject": subject,
                }
            )
    if not records:
        raise ValueError(f"{path}: no problems (empty file)")
    return validate_problems(pd.DataFrame.from_records(records, columns=PROBLEM_COLUMNS), str(path))
