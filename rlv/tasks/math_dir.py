"""Hendrycks' MATH in its original directory layout: `{root}/{split}/{subject}/{n}.json`.

Each file is one JSON object with `problem`, `level` ("Level 1".."Level 5"), `type` (the subject, e.g.
"Counting & Probability") and `solution`. The record takes:

- id: "{split}/{subject dir}/{n}.json", the same form as MATH500's `unique_id`, so a MATH500 problem and
  its MATH test file share one id;
- answer: the content of the last `\\boxed{}` (or `\\fbox{}`) of the solution, via `rlv.tasks.grading.extract_boxed`;
  a few real solutions write `\\boxed 5` without braces, which is read as the token after `\\boxed`;
- level: the N of "Level N". Real MATH has a handful of problems at "Level ?" (no level was assigned).
  The record needs a level in 1..5 and we will not invent one, so they are skipped by default and their
  count is reported (`unknown_level="error"` makes them an error instead);
- subject: the `type` field.

Files are read in a fixed order (subject directories by name, then files by number). A malformed file
(bad JSON, a missing or empty field, no boxed answer) raises ValueError naming the file and the field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from rlv.tasks.grading import extract_boxed
from rlv.tasks.jsonl import UnknownLevel, parse_level
from rlv.tasks.records import PROBLEM_COLUMNS, validate_problems

__all__ = ["load_math_dir", "solution_answer"]

_BARE_BOX_RE = re.compile(r"\\boxed +([^\s$\\{}]+)")


def solution_answer(solution: str) -> str | None:
    """The answer a MATH solution gives: its last boxed content, else a brace-less `\\boxed 5`."""
    answer = extract_boxed(solution)
    if answer is None:
        bare = _BARE_BOX_RE.findall(solution)
        answer = bare[-1] if bare else None
    return answer.strip() if answer and answer.strip() else None


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
            raise ValueError(f"{where}: field {field!r} must be a non-empty string, got {record.get(field)!r}")
    return record


def load_math_dir(root, split: str = "train", *, unknown_level: str = "skip", log=None) -> pd.DataFrame:
    """Every problem of `{root}/{split}/*/*.json` as a validated frame with columns PROBLEM_COLUMNS."""
    if unknown_level not in ("skip", "error"):
        raise ValueError(f"unknown_level must be 'skip' or 'error', got {unknown_level!r}")
    directory = Path(root) / split
    if not directory.is_dir():
        raise ValueError(f"{directory}: no such directory (expected MATH's layout {{root}}/{split}/{{subject}}/{{n}}.json)")
    files = sorted(directory.glob("*/*.json"), key=_file_order)
    if not files:
        raise ValueError(f"{directory}: no problem files ({{subject}}/{{n}}.json)")
    records, skipped = [], []
    for path in files:
        where = str(path)
        record = _read(path, where)
        try:
            level = parse_level(record["level"], where)
        except UnknownLevel:
            if unknown_level == "error":
                raise
            skipped.append(path.relative_to(directory).as_posix())
            continue
        answer = solution_answer(record["solution"])
        if answer is None:
            raise ValueError(f"{where}: field 'solution': no \\boxed{{}} answer in the solution")
        records.append({"id": f"{split}/{path.parent.name}/{path.name}", "problem": record["problem"],
                        "solution": record["solution"], "answer": answer, "level": level,
                        "subject": record["type"].strip()})
    if skipped and log:
        log(f"{directory}: skipped {len(skipped)} problem(s) at 'Level ?': {', '.join(skipped[:5])}"
            f"{' ...' if len(skipped) > 5 else ''}")
    return validate_problems(pd.DataFrame.from_records(records, columns=PROBLEM_COLUMNS), str(directory))
