"""Load a JSONL file of math problems (MATH500, AIME'24, Minerva math, GSM8K, AMC'23, ...) into the problem record.

One JSON object per line (blank lines are skipped). Each row becomes a record through `rlv.tasks.fields`: by
default MATH500's fields, `problem` and `answer` (required), `solution` (optional, default ""), an id (`unique_id`,
else `id`, else "{file stem}/{line number}"), a level (an int or a "Level N" string; missing -> `default_level`,
else an error) and a subject (missing -> `default_subject`, else ""); `fields` maps other names, dotted paths and
list values, `answer_format="gsm8k"` reads GSM8K's `#### <answer>`, and `answer_from_solution` takes a row's answer
from its solution's last box (Hendrycks' MATH ships no answer field). Unusable rows ("Level ?", an empty answer)
are skipped and logged by default (`unusable_rows="error"` stops at them).
Every malformed line raises ValueError naming the file, the 1-based line number and the field (invalid JSON:
file:line:column); an id read twice names both lines.

`record_from_mapping` is the same normalisation for one mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rlv.tasks.fields import Row, UnknownLevel, collect, parse_level, read_record, row_spec

__all__ = ["UnknownLevel", "load_jsonl_problems", "parse_level", "record_from_mapping", "rows_of"]


def record_from_mapping(record, where: str, fallback_id: str, **options) -> dict:
    """One problem record from a mapping of a source row (options: `rlv.tasks.fields.row_spec`'s keywords)."""
    return read_record(record, where, fallback_id, row_spec(**options))


def rows_of(path: Path):
    """The rows of a JSONL file as `rlv.tasks.fields.Row`s (where = "file:line"); invalid JSON raises at its column."""
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_number}"
            try:
                record = json.loads(line.rstrip("\r\n"))  # a cut-off line errs at its end, not at "line 2 column 1"
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}:{exc.colno}: invalid JSON: {exc.msg}") from exc
            yield Row(where, f"line {line_number}", f"{path.stem}/{line_number}", record)


def load_jsonl_problems(path, *, log=None, skipped: dict | None = None, **options) -> pd.DataFrame:
    """Read `path` (JSONL) into a validated frame with columns PROBLEM_COLUMNS. `options` are
    `rlv.tasks.fields.row_spec`'s keywords (fields, id_field, default_level, default_subject, subject,
    answer_from_solution, answer_format, unusable_rows, unknown_level); skips go to `log` and `skipped`."""
    path = Path(path)
    return collect(rows_of(path), str(path), row_spec(**options), log=log, skipped=skipped,
                   empty=f"{path}: no problems (empty file)")
