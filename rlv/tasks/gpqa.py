"""GPQA's CSV files (gpqa_main.csv, gpqa_diamond.csv, ...) as four-option problems with a letter answer.

Columns used: `Question`, `Correct Answer`, `Incorrect Answer 1..3`, `Explanation` (optional),
`Record ID` (optional; the id, else "gpqa/{row}"), `High-level domain` (Physics, Chemistry, Biology) and
`Subdomain` (the record's subject, e.g. "Quantum Mechanics"); the other columns of the real files are
ignored. Rows are kept when their high-level domain equals `domain` (case-insensitive; None keeps all).

The four options are shuffled into A-D with `random.Random(f"{seed}/{record id}")`: the order of one
question depends on the seed and its own id only, never on the other rows or the filter. The problem text
is the question, the options as "A) ...", one per line, and a request for the letter; the answer is the
letter of the correct option, which the grader accepts as `\\boxed{C}` (also `\\boxed{(C)}`, `\\boxed{\\text{C}}`).
GPQA is graduate-level throughout: the level is fixed at 5. The solution is the explanation (if any)
followed by "The answer is $\\boxed{X}$."

A row with an empty question or option, or a file without the required columns, raises ValueError naming
the file, the row (0-based data row and its line in the file) and the column."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pandas as pd

from rlv.tasks.records import PROBLEM_COLUMNS, validate_problems

__all__ = ["LETTERS", "OPTION_COLUMNS", "load_gpqa", "shuffle_options"]

LETTERS = "ABCD"
OPTION_COLUMNS = ["Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"]
REQUIRED_COLUMNS = ["Question", *OPTION_COLUMNS, "High-level domain"]
INSTRUCTION = "Answer with the letter (A, B, C or D) of the correct option."


def shuffle_options(correct: str, incorrect: list[str], seed: int, record_id: str) -> tuple[list[str], str]:
    """(the four options in their shuffled order, the letter of the correct one)."""
    options = [correct, *incorrect]
    order = list(range(4))
    random.Random(f"{seed}/{record_id}").shuffle(order)
    return [options[i] for i in order], LETTERS[order.index(0)]


def problem_text(question: str, options: list[str]) -> str:
    lines = [f"{letter}) {option}" for letter, option in zip(LETTERS, options)]
    return "\n".join([question.strip(), "", *lines, "", INSTRUCTION])


def load_gpqa(path, *, domain: str | None = "Physics", seed: int = 0) -> pd.DataFrame:
    """The rows of a GPQA CSV in `domain`, as a validated frame with columns PROBLEM_COLUMNS."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: header: missing column(s) {missing} (found {reader.fieldnames})")
        records = []
        for row_number, row in enumerate(reader):
            where = f"{path}: row {row_number} (line {reader.line_num})"
            if domain is not None and (row["High-level domain"] or "").strip().lower() != domain.lower():
                continue
            for column in ("Question", *OPTION_COLUMNS):
                if not (row.get(column) or "").strip():
                    raise ValueError(f"{where}: column {column!r} must be a non-empty string, got {row.get(column)!r}")
            record_id = (row.get("Record ID") or "").strip() or f"gpqa/{row_number}"
            options, letter = shuffle_options(row["Correct Answer"].strip(),
                                              [row[c].strip() for c in OPTION_COLUMNS[1:]], seed, record_id)
            explanation = (row.get("Explanation") or "").strip()
            records.append({
                "id": record_id, "problem": problem_text(row["Question"], options),
                "solution": f"{explanation}\n\nThe answer is $\\boxed{{{letter}}}$.".lstrip(), "answer": letter,
                "level": 5, "subject": (row.get("Subdomain") or row["High-level domain"]).strip(),
            })
    if not records:
        raise ValueError(f"{path}: no rows with 'High-level domain' = {domain!r}")
    return validate_problems(pd.DataFrame.from_records(records, columns=PROBLEM_COLUMNS), str(path))
