"""Answer grading: is a completion's final answer equivalent to the gold answer?

Algorithm (`grade`):
1. Extract the content of the LAST `\\boxed{...}` / `\\fbox{...}` in the completion, matching nested
   braces. No box (or an unbalanced one) -> wrong: there is deliberately no fallback to the last number,
   since the RL reward must require the answer format.
2. Fast path: if both the boxed answer and the gold are plain integers (`-?\\d+`, commas allowed as
   thousands separators) compare them as ints, skipping math-verify (the synthetic task is graded
   hundreds of thousands of times; tests check this agrees with math-verify).
3. Otherwise math-verify: gold and prediction are both parsed as `\\boxed{<answer>}` with
   `LatexExtractionConfig(boxed_match_priority=0)` (identical strings take the identical parse path;
   this verifies all 500 MATH500 references against their `answer` field), then
   `verify(gold_parsed, pred_parsed)`. Only the extracted last box is given to math-verify, so it can
   never grade some other LaTeX of the completion instead.
math-verify times out via signal.alarm, which only works in the main thread; elsewhere the timeouts
are disabled (None). Any exception inside math-verify counts as wrong.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

from math_verify import LatexExtractionConfig, parse, verify
from math_verify.errors import TimeoutException

__all__ = ["extract_boxed", "grade", "reward"]

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
_INT_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)")
_EXTRACTION = (LatexExtractionConfig(boxed_match_priority=0),)
_TIMEOUT_SECONDS = 5

# math-verify warns once per process when timeouts are disabled (our worker-thread case): expected.
for _name in ("math_verify.parser", "math_verify.grader"):
    logging.getLogger(_name).addFilter(lambda record: "Timeout is disabled" not in record.getMessage())


def extract_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` or `\\fbox{...}` (nested braces balanced), else None."""
    if not text:
        return None
    starts = [m.end() for m in _BOX_RE.finditer(text)]
    if not starts:
        return None
    start = starts[-1]  # index just after the opening brace
    depth = 1
    for i in range(start, len(text)):
        char = text[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return None  # unbalanced


def _as_int(answer: str) -> int | None:
    answer = answer.strip()
    if _INT_RE.fullmatch(answer):
        return int(answer.replace(",", ""))
    return None


def _timeout() -> int | None:
    return _TIMEOUT_SECONDS if threading.current_thread() is threading.main_thread() else None


@lru_cache(maxsize=4096)
def _parse_cached(answer: str, timeout: int | None) -> tuple:
    """math-verify parse of one answer (gold answers repeat across many completions: cache them)."""
    return tuple(parse("\\boxed{" + answer + "}", list(_EXTRACTION), parsing_timeout=timeout))


def _math_verify_equal(gold: str, predicted: str) -> bool:
    timeout = _timeout()
    try:
        gold_parsed = list(_parse_cached(gold, timeout))
        pred_parsed = list(_parse_cached(predicted, timeout))
        if not gold_parsed or not pred_parsed:
            return False
        return bool(verify(gold_parsed, pred_parsed, timeout_seconds=timeout))
    except (Exception, TimeoutException):  # noqa: BLE001 - sympy can raise anything (TimeoutException is a BaseException)
        return False


def grade(completion: str, gold: str) -> bool:
    """True iff the completion's last boxed answer is equivalent to `gold` (see module docstring)."""
    predicted = extract_boxed(completion)
    if predicted is None or not predicted.strip() or gold is None or not str(gold).strip():
        return False
    gold = str(gold)
    gold_int, pred_int = _as_int(gold), _as_int(predicted)
    if gold_int is not None and pred_int is not None:
        return gold_int == pred_int
    return _math_verify_equal(gold.strip(), predicted.strip())


def reward(completions: list[str], answers: list[str]) -> list[float]:
    """1.0 for each completion graded correct against its answer, else 0.0."""
    if len(completions) != len(answers):
        raise ValueError(f"reward: {len(completions)} completions but {len(answers)} answers")
    return [1.0 if grade(c, a) else 0.0 for c, a in zip(completions, answers)]
