"""Hendrycks' MATH in its original directory layout: `{root}/{split}/{subject}/{n}.json`.

Each file is one JSON object with `problem`, `level` ("Level 1".."Level 5"), `type` (the subject, e.g.
"Counting & Probability") and `solution`. The record takes:

- id: "{split}/{subject dir}/{n}.json", the same form as MATH500's `unique_id`, so a MATH500 problem and
  its MATH test file share one id;
- answer: the content of the last `\\boxed{}` (or `\\fbox{}`) of the solution (`rlv.tasks.fields.solution_answer`,
  via `rlv.tasks.grading.extract_boxed`); a few real solutions write `\\boxed 2` without braces
  (train/algebra/24014.json, 25040.json), read as the token after `\\boxed`;
- level: the N of "Level N";
- subject: the `type` field (or `subject`, if given, for every problem).

Unusable problems follow `rlv.tasks.fields`' policy (`unusable_rows`, default "skip": left out, their count and
paths logged; "error": the first stops the load): the handful at "Level ?" (no level was assigned; the record
needs one in 1..5 and we will not invent one; `unknown_level` sets their policy alone) and the two multiple-choice
items of train whose answer was lost, an empty `\\boxed{}` (train/number_theory/7115.json and 7117.json).

Files are read in a fixed order (subject directories by name, then files by number). A malformed file
(bad JSON, a missing or empty field, a solution without any box) raises ValueError naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rlv.tasks.fields import EmptyAnswer, Row, RowPolicy, RowSpec, UnusableRow, collect, parse_level, solution_answer

__all__ = ["load_math_dir", "solution_answer"]


def _file_order(path: Path):
    return (path.parent.name, int(path.stem) if path.stem.isdigit() else float("inf"), path.stem)


def _read(path: Path, where: str) -> dict:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for field in ("problem", "level", "type", "solution"):
        if not isinstance(record.get(field), str) or not record[field].strip():
            shown = repr(record.get(field))
            shown = shown if len(shown) <= 80 else f"{shown[:80]}... [{len(shown):,} characters]"
            raise ValueError(f"{where}: field {field!r} must be a non-empty string, got {shown}; the file has "
                             f"fields {sorted(record)}")
    return record


def _record(record: dict, where: str, problem_id: str, subject: str | None) -> dict:
    unusable = None
    try:
        level = parse_level(record["level"], where)
    except UnusableRow as exc:
        unusable, level = exc, None
    answer = solution_answer(record["solution"])
    if answer is None:
        raise ValueError(f"{where}: field 'solution': no \\boxed{{}} answer in the solution")
    if not answer and unusable is None:
        unusable = EmptyAnswer(f"{where}: field 'solution': the solution's \\boxed{{}} is empty (its answer was lost)",
                               "with an empty \\boxed{}")
    if unusable is not None:
        raise unusable
    return {"id": problem_id, "problem": record["problem"], "solution": record["solution"], "answer": answer,
            "level": level, "subject": subject if subject is not None else record["type"].strip()}


def load_math_dir(root, split: str = "train", *, unknown_level: str | None = None, unusable_rows: str = "skip",
                  subject: str | None = None, log=None, skipped: dict | None = None) -> pd.DataFrame:
    """Every problem of `{root}/{split}/*/*.json` as a validated frame with columns PROBLEM_COLUMNS; skipped
    problems (by reason, as paths below the split) go to `log` and `skipped`."""
    RowPolicy(unusable_rows, unknown_level)  # checks both values before any file is read
    directory = Path(root) / split
    if not directory.is_dir():
        raise ValueError(f"{directory}: no such directory (expected MATH's layout {{root}}/{split}/{{subject}}/{{n}}.json)")
    files = sorted(directory.glob("*/*.json"), key=_file_order)
    if not files:
        raise ValueError(f"{directory}: no problem files ({{subject}}/{{n}}.json)")

    def rows():
        for path in files:
            relative = path.relative_to(directory).as_posix()
            yield Row(str(path), relative, f"{split}/{relative}", _read(path, str(path)), label=relative)

    return collect(rows(), str(directory), RowSpec(unusable_rows=unusable_rows, unknown_level=unknown_level),
                   read=lambda record, where, problem_id: _record(record, where, problem_id, subject),
                   log=log, skipped=skipped)
