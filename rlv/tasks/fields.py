"""Problem records out of the rows of a published file: the per-dataset field mapping, the answer formats and the
one policy for unusable rows, shared by every file source (rlv.tasks.jsonl, rlv.tasks.loaders, rlv.tasks.math_dir).

Field mapping (`row_spec(fields=...)`, a dataset spec's `fields`): each record field (problem, solution, answer,
level, subject, id) is read from the row field a path names: a name (`question`) or a dotted path into nested
objects and lists (`meta.level`, `solutions.0`; a name that holds a dot is found as is first). `problem` may list
several paths, joined by a blank line, missing or null ones left out (OlympiadBench's `[context, question]`).
Defaults are MATH500's names; the id is `unique_id`, else `id`, else "{file stem}/{row}".

Values: strings as they are; an integer, or an integral float, as an integer (AMC'23's `27.0` -> "27"); lists: an
answer's elements joined by ", " (OlympiadBench's `final_answer`), a solution's first element (OlympiadBench lists
alternative solutions); an answer wrapped in `$...$` loses the dollars.

The answer: the `answer` field; with `answer_format="gsm8k"`, the text after the last `####` of that field (commas
of thousands dropped), and the rationale before it, its calculator notes `<<48/2=24>>` removed and the answer boxed
at its end, becomes the solution; with `answer_from_solution`, a row without an answer field takes its solution's
last box (`solution_answer`: `rlv.tasks.grading.extract_boxed`, and a brace-less `\\boxed 2` as in a few MATH train
files).

Malformed rows stop the load with a ValueError naming the file, the row, the field and the fields the row has
(values cut to 80 characters): a row that is not an object, a field missing, a value of the wrong type, a level not
in 1..5, an empty problem, a solution without any box when the answer comes from it, an answer holding GSM8K's
`#### <answer>` line without `answer_format="gsm8k"`.

Unusable rows are well-formed rows whose publisher left them without a level or an answer (`UnusableRow`): a
"Level ?" (a few MATH problems), an empty `\\boxed{}` (MATH train's number_theory/7115.json and 7117.json, two
multiple-choice items whose answer was lost), an empty or null answer field. With `unusable_rows="skip"` (the
default) `collect` leaves them out and logs their count and the first ids per reason; "error" stops at the first.
`unknown_level` (the older key) sets the policy of "Level ?" rows alone."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from rlv.tasks.records import PROBLEM_COLUMNS, validate_problems
from rlv.tasks.worked import FINAL_PHRASE

__all__ = ["ANSWER_FORMATS", "POLICIES", "RECORD_FIELDS", "EmptyAnswer", "Row", "RowPolicy", "RowSpec",
           "UnknownLevel", "UnusableRow", "collect", "gsm8k_answer", "lookup", "parse_level", "read_record",
           "row_spec", "show", "solution_answer"]

RECORD_FIELDS = ("problem", "solution", "answer", "level", "subject", "id")
ANSWER_FORMATS = ("plain", "gsm8k")
POLICIES = ("skip", "error")
SHOWN = 5  # ids named per skip reason in the log
LONG_ANSWER = 200  # characters: a longer (or multi-line) gold answer is likely a worked solution, and is logged
MISSING = object()

_LEVEL_RE = re.compile(r"\s*(?:level\s*)?([1-5])\s*", re.IGNORECASE)
_UNKNOWN_LEVEL_RE = re.compile(r"\s*(?:level\s*)?\?\s*", re.IGNORECASE)
_BARE_BOX_RE = re.compile(r"\\boxed +([^\s$\\{}]+)")
_THOUSANDS_RE = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_CALCULATOR_RE = re.compile(r"<<[^<>]*>>")
_DOLLARS_RE = re.compile(r"\$+([^$]+?)\$+", re.DOTALL)


class UnusableRow(ValueError):
    """A well-formed row its publisher left without a level or an answer; `reason` groups it in the skip log."""
    reason = "unusable"

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(f"{message} (unusable_rows: skip leaves such rows out)")
        self.reason = reason or self.reason
        self.label = None  # the row's id, set once known


class UnknownLevel(UnusableRow):
    """A row whose level is given as unknown ("Level ?", as in a few of Hendrycks' MATH problems)."""
    reason = "at 'Level ?'"


class EmptyAnswer(UnusableRow):
    """A row whose answer is empty: an empty `\\boxed{}`, an empty or null answer field, nothing after `####`."""
    reason = "with an empty answer"


def show(value, limit: int = 80) -> str:
    """repr(value), cut after `limit` characters with the full length noted (a list-valued field can be kilobytes)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... [{len(text):,} characters]"


def _fields_of(row: Mapping) -> str:
    names = [str(name) for name in row]
    return show(names, 300)


def _error(where: str, field: str, message: str, row: Mapping | None = None) -> ValueError:
    present = f"; the row has fields {_fields_of(row)}" if row is not None else ""
    return ValueError(f"{where}: field {field!r}: {message}{present}")


def lookup(row: Mapping, path: str):
    """The value at `path` (a field name, or a dotted path through objects and list indices), else MISSING."""
    if path in row:
        return row[path]
    node = row
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def parse_level(value, where: str, field: str = "level") -> int:
    """An int in 1..5 from an int, an integral float or a "Level N" string; "Level ?" raises UnknownLevel."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value) \
            and float(value).is_integer() and 1 <= value <= 5:
        return int(value)
    if isinstance(value, str):
        match = _LEVEL_RE.fullmatch(value)
        if match:
            return int(match.group(1))
        if _UNKNOWN_LEVEL_RE.fullmatch(value):
            raise UnknownLevel(f"{where}: field {field!r}: level is unknown ({value!r})")
    raise _error(where, field, f"level must be an int in 1..5 or 'Level N', got {show(value)}")


def solution_answer(solution: str) -> str | None:
    """The answer a solution gives: its last box's content (`rlv.tasks.grading.extract_boxed`), else a brace-less
    `\\boxed 5`; "" for an empty box, None without any box."""
    from rlv.tasks.grading import extract_boxed
    answer = extract_boxed(solution)
    if answer is None:
        bare = _BARE_BOX_RE.findall(solution or "")
        answer = bare[-1] if bare else None
    return None if answer is None else answer.strip()


def gsm8k_answer(text: str) -> tuple[str, str] | None:
    """(rationale, answer) of a GSM8K answer field "...\\n#### 1,200": the answer with the commas of thousands
    dropped ("1200"); None without a `####` line."""
    rationale, mark, answer = text.rpartition("####")
    if not mark:
        return None
    answer = answer.strip()
    if _THOUSANDS_RE.fullmatch(answer):
        answer = answer.replace(",", "")
    return rationale, answer


def _gsm8k_solution(rationale: str, answer: str) -> str:
    """The rationale as a worked solution in this project's format: calculator notes removed, the answer boxed."""
    text = _CALCULATOR_RE.sub("", rationale).strip()
    return f"{text}\n{FINAL_PHRASE} $\\boxed{{{answer}}}$.".lstrip()


@dataclass(frozen=True)
class RowSpec:
    """Where one dataset's rows keep each record field, and what to do with their unusable rows (see `row_spec`)."""
    problem: tuple[str, ...] = ("problem",)
    solution: str = "solution"
    answer: str = "answer"
    level: str = "level"
    subject: str = "subject"
    id: str | None = None  # None: unique_id, else id, else the row's fallback id
    answer_format: str = "plain"
    answer_from_solution: bool = False
    default_level: int | None = None
    default_subject: str | None = None
    fixed_subject: str | None = None
    unusable_rows: str = "skip"
    unknown_level: str | None = None


def row_spec(*, fields: Mapping | None = None, id_field: str | None = None, level_field: str | None = None,
             subject_field: str | None = None, default_level: int | None = None, default_subject: str | None = None,
             subject: str | None = None, answer_from_solution: bool = False, answer_format: str = "plain",
             unusable_rows: str = "skip", unknown_level: str | None = None) -> RowSpec:
    """A RowSpec from a dataset spec's keys. `fields` maps record fields to row paths; `id_field`, `level_field` and
    `subject_field` are older spellings of fields.id/level/subject; `subject` replaces every row's subject.
    Raises ValueError starting with the key at fault ("fields.questin: ...")."""
    fields = dict(fields or {})
    unknown = [key for key in fields if key not in RECORD_FIELDS]
    if unknown:
        raise ValueError(f"fields.{unknown[0]}: not a record field (the record fields: {list(RECORD_FIELDS)})")
    for key, old in (("id", id_field), ("level", level_field), ("subject", subject_field)):
        if old is not None:
            fields.setdefault(key, old)
    for key, value in fields.items():
        paths = value if key == "problem" and isinstance(value, (list, tuple)) else [value]
        if not paths or not all(isinstance(path, str) and path for path in paths):
            allowed = "a field name or dotted path" + (", or a list of them" if key == "problem" else "")
            raise ValueError(f"fields.{key}: must be {allowed}, got {show(value)}")
    if answer_format not in ANSWER_FORMATS:
        raise ValueError(f"answer_format: must be one of {list(ANSWER_FORMATS)}, got {answer_format!r}")
    for key, value in (("unusable_rows", unusable_rows), ("unknown_level", unknown_level)):
        if value is not None and value not in POLICIES:
            raise ValueError(f"{key}: must be one of {list(POLICIES)}, got {value!r}")
    if default_level is not None:
        parse_level(default_level, "default_level", "default_level")
    problem = fields.get("problem", "problem")
    return RowSpec(problem=tuple(problem) if isinstance(problem, (list, tuple)) else (problem,),
                   solution=fields.get("solution", "solution"), answer=fields.get("answer", "answer"),
                   level=fields.get("level", "level"), subject=fields.get("subject", "subject"), id=fields.get("id"),
                   answer_format=answer_format, answer_from_solution=bool(answer_from_solution),
                   default_level=default_level, default_subject=default_subject, fixed_subject=subject,
                   unusable_rows=unusable_rows or "skip", unknown_level=unknown_level)


# --- one row ------------------------------------------------------------------------------------------------

def _scalar_text(value) -> str | None:
    """A string, or a number as text (integral floats as integers); None for other types. NaN is empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if math.isnan(value):
            return ""
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return None


def _read_id(row: Mapping, where: str, fallback_id: str, spec: RowSpec) -> str:
    paths = [spec.id] if spec.id else ["unique_id", "id"]
    for path in paths:
        value = lookup(row, path)
        if value is MISSING or value is None or value == "":
            continue
        text = _scalar_text(value)
        if text is None or not text.strip():
            raise _error(where, path, f"an id must be a string or an integer, got {show(value)}")
        return text
    if spec.id:
        raise _error(where, spec.id, "missing id", row)
    return fallback_id


def _read_level(row: Mapping, where: str, spec: RowSpec) -> int:
    value = lookup(row, spec.level)
    if value is MISSING or value is None:
        if spec.default_level is None:
            raise _error(where, spec.level, "missing level and no default_level given", row)
        return parse_level(spec.default_level, where, "default_level")
    return parse_level(value, where, spec.level)


def _read_subject(row: Mapping, where: str, spec: RowSpec) -> str:
    if spec.fixed_subject is not None:
        return spec.fixed_subject
    value = lookup(row, spec.subject)
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if value is MISSING or value is None:
        return spec.default_subject if spec.default_subject is not None else ""
    if not isinstance(value, str):
        raise _error(where, spec.subject, f"must be a string, got {show(value)}")
    return value.strip()


def _read_solution(row: Mapping, where: str, spec: RowSpec) -> str:
    value = lookup(row, spec.solution)
    if isinstance(value, (list, tuple)):  # alternative solutions (OlympiadBench): the first
        value = value[0] if len(value) else None
    if value is MISSING or value is None:
        return ""
    if not isinstance(value, str):
        raise _error(where, spec.solution, f"must be a string or a list of strings, got {show(value)}")
    return value


def _read_problem(row: Mapping, where: str, spec: RowSpec) -> str:
    parts = []
    for path in spec.problem:
        value = lookup(row, path)
        if value is MISSING or (value is None and len(spec.problem) > 1):
            continue
        if not isinstance(value, str) or (len(spec.problem) == 1 and not value.strip()):
            raise _error(where, path, f"must be a non-empty string, got {show(value)}")
        if value.strip():
            parts.append(value if len(spec.problem) == 1 else value.strip())
    if not parts:
        names = spec.problem[0] if len(spec.problem) == 1 else list(spec.problem)
        raise _error(where, str(names), "missing problem text", row)
    return "\n\n".join(parts)


def _answer_text(value, where: str, field: str) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(part for part in (_answer_text(v, where, field) for v in value) if part)
    text = _scalar_text(value)
    if text is None:
        raise _error(where, field, f"must be a string, a number or a list of them, got {show(value)}")
    text = text.strip()
    dollars = _DOLLARS_RE.fullmatch(text)
    return dollars.group(1).strip() if dollars else text


def _read_answer(row: Mapping, where: str, spec: RowSpec, solution: str) -> tuple[str, str]:
    """(answer, solution): the solution changes only for a GSM8K rationale."""
    value = lookup(row, spec.answer)
    if spec.answer_format == "gsm8k":
        if value is MISSING:
            raise _error(where, spec.answer, "missing (answer_format gsm8k reads the rationale and '#### <answer>' "
                                             "from it)", row)
        if not isinstance(value, str):
            raise _error(where, spec.answer, f"must be a string ending in '#### <answer>', got {show(value)}")
        parts = gsm8k_answer(value)
        if parts is None:
            raise _error(where, spec.answer, f"no '#### <answer>' line (answer_format gsm8k), got {show(value)}")
        rationale, answer = parts
        if not answer:
            raise EmptyAnswer(f"{where}: field {spec.answer!r}: nothing after '####'", "with nothing after '####'")
        return answer, solution if solution.strip() else _gsm8k_solution(rationale, answer)
    if (value is MISSING or value is None) and spec.answer_from_solution:
        answer = solution_answer(solution)
        if answer is None:
            raise _error(where, spec.solution, f"no answer field and no \\boxed{{}} answer in the solution "
                                               f"{show(solution)}")
        if not answer:
            raise EmptyAnswer(f"{where}: field {spec.solution!r}: the solution's \\boxed{{}} is empty (its answer was "
                              f"lost)", "with an empty \\boxed{}")
        return _answer_text(answer, where, spec.solution), solution
    if value is MISSING:
        hint = (" (or answer_from_solution: true, to take the solution's last \\boxed{})"
                if lookup(row, spec.solution) is not MISSING else "")
        raise _error(where, spec.answer, f"missing; set fields.answer to the field with the final answer{hint}", row)
    answer = "" if value is None else _answer_text(value, where, spec.answer)
    if not answer:
        raise EmptyAnswer(f"{where}: field {spec.answer!r}: the answer is empty ({show(value)})")
    if "####" in answer:
        raise _error(where, spec.answer, f"holds a GSM8K rationale with a '#### <answer>' line, not an answer: set "
                                         f"answer_format: gsm8k (got {show(answer)})")
    return answer, solution


def read_record(row, where: str, fallback_id: str, spec: RowSpec) -> dict:
    """One problem record from a source row; errors start with `where` (file and row). A malformed row raises
    ValueError; an unusable one UnusableRow (after every field was checked, so a malformed row is never skipped)."""
    if not isinstance(row, Mapping):
        raise _error(where, "<json>", f"expected a JSON object, got {type(row).__name__}")
    problem_id = _read_id(row, where, fallback_id, spec)
    problem = _read_problem(row, where, spec)
    unusable = None
    try:
        level = _read_level(row, where, spec)
    except UnusableRow as exc:
        unusable, level = exc, None
    subject = _read_subject(row, where, spec)
    solution = _read_solution(row, where, spec)
    try:
        answer, solution = _read_answer(row, where, spec, solution)
    except UnusableRow as exc:
        unusable, answer = unusable or exc, None
    if unusable is not None:
        unusable.label = problem_id
        raise unusable
    return {"id": problem_id, "problem": problem, "solution": solution, "answer": answer, "level": level,
            "subject": subject}


# --- a whole source -----------------------------------------------------------------------------------------

class Row(NamedTuple):
    """One row of a source: `where` starts its errors, `location` names it in a repeated-id error ("line 3"),
    `fallback_id` is its id when it has none, `label` names it in the skip log (default: its id)."""
    where: str
    location: str
    fallback_id: str
    data: object
    label: str | None = None


class RowPolicy:
    """What a load does with unusable rows: "skip" (count them by reason) or "error" (raise the first)."""

    def __init__(self, unusable_rows: str | None = "skip", unknown_level: str | None = None):
        for key, value in (("unusable_rows", unusable_rows), ("unknown_level", unknown_level)):
            if value is not None and value not in POLICIES:
                raise ValueError(f"{key} must be 'skip' or 'error', got {value!r}")
        self.unusable_rows, self.unknown_level = unusable_rows or "skip", unknown_level
        self.skipped: dict[str, list[str]] = {}

    def skip(self, error: UnusableRow, label: str) -> None:
        policy = self.unknown_level if isinstance(error, UnknownLevel) and self.unknown_level else self.unusable_rows
        if policy == "error":
            raise error
        self.skipped.setdefault(error.reason, []).append(label)

    def summary(self) -> str:
        return "; ".join(f"{len(labels)} problem(s) {reason}: {', '.join(labels[:SHOWN])}"
                         f"{' ...' if len(labels) > SHOWN else ''}" for reason, labels in self.skipped.items())


def collect(rows: Iterable[Row], source: str, spec: RowSpec, *, read: Callable | None = None, log=None,
            skipped: dict | None = None, empty: str | None = None) -> pd.DataFrame:
    """The validated frame of every usable row. `read(data, where, fallback_id)` builds a record (default
    `read_record` with `spec`); unusable rows follow `spec`'s policy, and their count and first ids by reason go
    to `log` and into `skipped` (reason -> labels); a repeated id names both rows."""
    read = read or (lambda data, where, fallback_id: read_record(data, where, fallback_id, spec))
    policy = RowPolicy(spec.unusable_rows, spec.unknown_level)
    records, first_seen, total = [], {}, 0
    for row in rows:
        total += 1
        try:
            record = read(row.data, row.where, row.fallback_id)
        except UnusableRow as error:
            policy.skip(error, row.label or error.label or row.location)
            continue
        first = first_seen.setdefault(record["id"], row.location)
        if first != row.location:
            raise ValueError(f"{row.where}: field 'id': {record['id']!r} repeats the id of {first}")
        records.append(record)
    if skipped is not None:
        for reason, labels in policy.skipped.items():
            skipped.setdefault(reason, []).extend(labels)
    if policy.skipped and log:
        log(f"{source}: skipped {policy.summary()} (of {total} rows; unusable_rows: error stops at them instead)")
    if not records:
        raise ValueError(empty if not total and empty else
                         f"{source}: no problems: all {total} rows are unusable ({policy.summary() or 'none read'})")
    long = [r["id"] for r in records if "\n" in r["answer"] or len(r["answer"]) > LONG_ANSWER]
    if long and log:
        log(f"{source}: warning: {len(long)} gold answer(s) span several lines or exceed {LONG_ANSWER} characters, "
            f"like a worked solution: {', '.join(long[:SHOWN])}; check the dataset's fields.answer")
    return validate_problems(pd.DataFrame.from_records(records, columns=PROBLEM_COLUMNS), source)
