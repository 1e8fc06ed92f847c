"""Answer grading: is a completion's final answer equivalent to the gold answer?

`grade(completion, gold)` is `answers_equal(gold, extract_boxed(completion))`; `answers_equal` is the grader's
equivalence on two extracted answers, the one the votes of rlv.analysis use to put equal answers together.

1. Extraction (`extract_boxed`): the argument of the LAST `\\boxed` / `\\fbox` of the completion. A brace group
   gives its content (nested braces matched). A brace-less box (`\\boxed 2`, as LaTeX allows and two real MATH
   train solutions write) gives the number that follows (`\\boxed 104`, `\\boxed -2.5`: the whole number, which
   is what its writer means, though LaTeX itself would box only the first digit), else the control word
   (`\\boxed \\pi`), else the one character. No box, an unbalanced last box, or nothing after the command ->
   None, graded wrong: there is deliberately no fallback to the last number, since the RL reward must require the
   answer format.
2. Clean-up of both answers (`_clean`): surrounding whitespace and trailing punctuation are dropped (`.` `,` `;`
   `:` and the LaTeX spaces `\\,` `\\;` `\\:` `\\ ` `\\quad` `~`), also just inside a final `\\text{...}`, so
   `104.`, `104,` and `\\text{104}.` are `104` (`!` stays: it is a factorial); a number alone in `\\text{}` (or
   `\\mathrm{}`, `\\textbf{}`...) is that number (math-verify reads `\\text{17}` as a symbol named 17: equal to
   `17` by name, not to `17.0`). A number written in e-notation,
   the whole answer (`4.5e33`, `1.2e-5`, `3E8`), becomes `4.5\\times 10^{33}`: math-verify would read `e` as
   Euler's number, and the `\\times 10^{k}` form is compared exactly (sympy evaluates it; a float atom would be
   compared at 6 decimal places, where every tiny value equals every other).
3. Integer fast path: if both answers are plain integers (`-?\\d+`, commas allowed as thousands separators)
   they compare as ints, skipping math-verify (the synthetic task is graded hundreds of thousands of times; tests
   check this agrees with math-verify).
4. Choice letters: if both answers are one capital letter, alone or wrapped as `(A)`, `\\text{(A)}`,
   `\\textbf{(A)}`, `\\mathrm{A}`..., they compare as letters.
5. Number literals (`_literal`): integers, decimals, `\\frac{p}{q}` / `\\dfrac pq` / `p/q`, `m\\times 10^{k}`
   and `10^{k}`, with a sign. Two literals with the same exact value are equal; two whose values differ by more
   than 1e-5 are not (math-verify compares floats at 6 decimal places, so it could not say otherwise); a closer
   pair (`\\frac13` vs `0.333333`) goes on to math-verify. This is exact and saves math-verify's parse (an ANTLR
   parse in Python, 2-20 ms per distinct answer), which is what clustering a pool of LaTeX answers mostly costs.
6. Otherwise math-verify: gold and prediction are both parsed as `\\boxed{<answer>}` with
   `LatexExtractionConfig(boxed_match_priority=0)`, then `verify(gold_parsed, pred_parsed)`. Only the extracted
   answer is given to math-verify, so it can never grade some other LaTeX of the completion instead. Two
   shortcuts give math-verify's own verdict without its slowest steps (`_math_verify_equal`; a test checks them
   against plain math-verify on every pair of 30 varied answers): answers whose normalized LaTeX is identical are equal (that
   string is in its parse, and its first comparison is of those strings; this verifies all 500 MATH500
   references against their `answer` field); answers that parse to numbers, finite sets, tuples or intervals of
   numbers are unequal when their sorted values differ in count or by more than 1e-5 (relative beyond 1), which
   its 6-decimal comparisons could not call equal (a percent is left to it: it equates `9\\%` and `9`).

Units (step 6). math-verify's normalization removes a unit after a number: a trailing `\\text{...}` /
`\\mbox{...}` (with its `^2`), and bare unit words from a fixed list that includes single letters (`t`, `m`,
`s`, `h`, `c`, `d`, `g`, `l`...). Removing a bare letter makes `\\boxed{4}` right against the gold `4t`,
`\\boxed{6}` against `6m` (OlympiadBench, where `m` is a variable): a reward a policy could game by dropping
variables. Decision: a bare unit is removed only when the gold has none. If the gold, after its textual unit is
dropped, still ends in a bare unit word (latex2sympy's own `units_regex`), both answers are parsed with units
kept: `6m` is 6*m, so `\\boxed{6}` is wrong and `\\boxed{6m}`, `\\boxed{6 \\text{ m}}` right. Otherwise both are
parsed with unit removal, as before: gold `4` accepts `\\boxed{4\\text{ cm}}` and `\\boxed{4 cm}`; a textual unit
in the gold is an annotation (`15\\mbox{ cm}^2` accepts `\\boxed{15}`). No MATH500 gold has a bare unit.

math-verify times out via signal.alarm, which only works in the main thread; elsewhere the timeouts are disabled
(None). Any exception inside math-verify counts as wrong. Verdicts and parses are cached per string pair / string.
"""

from __future__ import annotations

import cmath
import logging
import re
import threading
from fractions import Fraction
from functools import lru_cache

from latex2sympy2_extended.math_normalization import (
    NormalizationConfig,
    normalize_latex,
    unit_superscript_regex,
    units_regex,
)
from math_verify import LatexExtractionConfig, parse, verify
from math_verify.errors import TimeoutException
from sympy import Basic, FiniteSet, Interval, Set, Tuple
from sympy.core.relational import Relational

__all__ = ["answers_equal", "extract_boxed", "grade", "reward"]

_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])\s*")
# a brace-less box's argument: a whole number, else a control word or symbol, else one character
_BARE_ARGUMENT_RE = re.compile(r"-?\d+(?:\.\d+)?|\\[A-Za-z]+|\\[^A-Za-z\s]|[^\s{}$\\]")
_INT_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)")
_TRAILING_RE = re.compile(r"(?:\s|[.,;:~]|\\[,;: ]|\\q?quad(?![A-Za-z]))+$")
_TEXT_TRAILING_RE = re.compile(r"(\\(?:text|textbf|textrm|textnormal|mbox|mathrm)\s*\{[^{}]*?)(?:\s|[.,;:])+\}$")
_TEXT_NUMBER_RE = re.compile(r"\\(?:text|textbf|textrm|textnormal|mathrm|mathbf|mbox)\s*\{\s*(-?(?:\d+(?:\.\d*)?|\.\d+))\s*\}")
_E_NOTATION_RE = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))\s*[eE]\s*([+-]?\d+)")
_WRAPPED_RE = re.compile(r"\\(?:text|textbf|textrm|textnormal|mathrm|mathbf|mbox)\s*\{(.*)\}|\((.*)\)")
_LETTER_RE = re.compile(r"[A-Z]")
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
_LITERAL_RES = (  # (pattern, value of its groups or None)
    (re.compile(rf"({_NUMBER})"), lambda m: Fraction(m[1])),
    (re.compile(r"\\[dt]?frac\s*(?:\{\s*(\d+)\s*\}|(\d))\s*(?:\{\s*(\d+)\s*\}|(\d))"),
     lambda m: Fraction(int(m[1] or m[2]), int(m[3] or m[4]))),
    (re.compile(r"(\d+)\s*/\s*(\d+)"), lambda m: Fraction(int(m[1]), int(m[2]))),
    (re.compile(rf"(?:({_NUMBER})\s*(?:\\times|\\cdot)\s*)?10\s*\^\s*(?:\{{\s*([+-]?\d+)\s*\}}|(\d))"),
     lambda m: _scientific(m[1] or "1", int(m[2] or m[3]))),
)
_LITERAL_TOLERANCE = Fraction(1, 10**5)
_VALUE_TOLERANCE = 1e-5
_STRIP_UNITS = LatexExtractionConfig(boxed_match_priority=0)  # math-verify's default normalization: units=True
_KEEP_UNITS = LatexExtractionConfig(
    boxed_match_priority=0,
    normalization_config=NormalizationConfig(basic_latex=True, units=False, malformed_operators=True, nits=True,
                                             boxed="all", equations=False))
_TIMEOUT_SECONDS = 5

# math-verify warns once per process when timeouts are disabled (our worker-thread case): expected.
for _name in ("math_verify.parser", "math_verify.grader"):
    logging.getLogger(_name).addFilter(lambda record: "Timeout is disabled" not in record.getMessage())


def extract_boxed(text: str) -> str | None:
    """Argument of the last `\\boxed` or `\\fbox`: a brace group's content (nested braces balanced), or a
    brace-less box's number / control word / character; else None."""
    if not text:
        return None
    boxes = list(_BOX_RE.finditer(text))
    if not boxes:
        return None
    start = boxes[-1].end()
    if start >= len(text):
        return None
    if text[start] != "{":
        bare = _BARE_ARGUMENT_RE.match(text, start)
        return bare.group() if bare else None
    depth = 1
    for i in range(start + 1, len(text)):
        char = text[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    return None  # unbalanced


@lru_cache(maxsize=1 << 16)
def _clean(answer: str) -> str:
    """Whitespace and trailing punctuation dropped; a number in e-notation as `m\\times 10^{k}`."""
    previous = None
    while answer != previous:
        previous = answer
        answer = _TEXT_TRAILING_RE.sub(r"\1}", _TRAILING_RE.sub("", answer.strip()))
        text_number = _TEXT_NUMBER_RE.fullmatch(answer)
        if text_number:
            answer = text_number[1]
    e_notation = _E_NOTATION_RE.fullmatch(answer)
    if e_notation:
        answer = f"{e_notation[1]}\\times 10^{{{int(e_notation[2])}}}"
    return answer


def _as_int(answer: str) -> int | None:
    answer = answer.strip()
    if _INT_RE.fullmatch(answer):
        return int(answer.replace(",", ""))
    return None


def _choice_letter(answer: str) -> str | None:
    """`A` for `A`, `(A)`, `\\text{(A)}`, `\\textbf{(A)}`, `\\mathrm{A}`...; None if not one capital letter."""
    for _ in range(4):
        answer = answer.strip()
        wrapped = _WRAPPED_RE.fullmatch(answer)
        if not wrapped:
            break
        answer = wrapped[1] if wrapped[1] is not None else wrapped[2]
    return answer if _LETTER_RE.fullmatch(answer) else None


def _literal(answer: str) -> Fraction | None:
    """The exact value of a signed number literal (see the module docstring, step 5), else None."""
    sign = 1
    answer = answer.strip()
    if answer and answer[0] in "+-":
        sign, answer = (-1 if answer[0] == "-" else 1), answer[1:].lstrip()
    for pattern, value in _LITERAL_RES:
        match = pattern.fullmatch(answer)
        if match:
            try:
                number = value(match)
            except ZeroDivisionError:
                return None
            return None if number is None else sign * number
    return None


def _scientific(mantissa: str, exponent: int) -> Fraction | None:
    """mantissa x 10^exponent; None beyond any float's range (math-verify decides rather than a huge integer)."""
    return Fraction(mantissa) * Fraction(10) ** exponent if abs(exponent) <= 400 else None


def _timeout() -> int | None:
    return _TIMEOUT_SECONDS if threading.current_thread() is threading.main_thread() else None


@lru_cache(maxsize=1 << 14)
def _has_bare_unit(answer: str) -> bool:
    """Does the answer end in a bare unit word (`4t`, `6m`, `5 cm`) once its textual unit is dropped?"""
    text = normalize_latex(answer, _KEEP_UNITS.normalization_config)
    text = unit_superscript_regex.sub("", text).strip() or text
    return units_regex.search(text) is not None


@lru_cache(maxsize=1 << 14)
def _parse_cached(answer: str, keep_units: bool, timeout: int | None) -> tuple:
    """math-verify parse of one answer (answers repeat across many completions and comparisons: cache them)."""
    config = _KEEP_UNITS if keep_units else _STRIP_UNITS
    return tuple(parse("\\boxed{" + answer + "}", [config], parsing_timeout=timeout))


@lru_cache(maxsize=1 << 16)
def _normalized(answer: str, keep_units: bool) -> str:
    """math-verify's normalized LaTeX of an answer: the string its parse returns beside the expression."""
    return normalize_latex(answer, (_KEEP_UNITS if keep_units else _STRIP_UNITS).normalization_config)


def _number(expr) -> complex | None:
    if not isinstance(expr, Basic) or isinstance(expr, (Set, Tuple, Relational)) or not expr.is_number:
        return None
    try:
        value = complex(expr.evalf(30))
    except (TypeError, ValueError, ArithmeticError):
        return None
    return value if cmath.isfinite(value) else None


@lru_cache(maxsize=1 << 14)
def _values(answer: str, keep_units: bool, timeout: int | None) -> tuple[complex, ...] | None:
    """The sorted numeric values of an answer that parses to a number, a finite set or tuple of numbers, or an
    interval between numbers (its two ends); None for anything else, or a percent (math-verify equates 9% and 9)."""
    if re.search(r"%|percent|pct", _normalized(answer, keep_units)):
        return None
    parsed = _parse_cached(answer, keep_units, timeout)
    expr = parsed[0] if parsed else None
    if isinstance(expr, Interval):
        elements = [expr.start, expr.end]
    elif isinstance(expr, (FiniteSet, Tuple)):
        elements = list(expr.args)
    else:
        elements = [expr]
    values = [_number(element) for element in elements]
    if not values or any(value is None for value in values):
        return None
    return tuple(sorted(values, key=lambda value: (value.real, value.imag)))


def _values_apart(gold: tuple[complex, ...] | None, predicted: tuple[complex, ...] | None) -> bool:
    """Do two answers' numeric values differ beyond anything math-verify could call equal? Its equal numbers,
    sets, tuples and intervals have as many values (a number is a singleton set) each within its 6-decimal
    float rounding; beyond 1e-5 (relative beyond 1) they differ."""
    if gold is None or predicted is None:
        return False
    return len(gold) != len(predicted) or any(
        abs(g - p) > _VALUE_TOLERANCE * max(1.0, abs(g), abs(p)) for g, p in zip(gold, predicted))


@lru_cache(maxsize=1 << 16)
def _math_verify_equal(gold: str, predicted: str) -> bool:
    """math-verify's verdict, with two shortcuts that give its own answer without its slowest steps: identical
    normalized strings are equal (its first comparison, without the parse), and answers whose numeric values
    differ (`_values_apart`) are not, without its comparison (sympy set algebra and simplify, ~10 ms a pair)."""
    timeout = _timeout()
    try:
        keep_units = _has_bare_unit(gold)
        gold_text, pred_text = _normalized(gold, keep_units), _normalized(predicted, keep_units)
        if gold_text and gold_text == pred_text:
            return True
        gold_parsed = list(_parse_cached(gold, keep_units, timeout))
        pred_parsed = list(_parse_cached(predicted, keep_units, timeout))
        if not gold_parsed or not pred_parsed:
            return False
        if _values_apart(_values(gold, keep_units, timeout), _values(predicted, keep_units, timeout)):
            return False
        return bool(verify(gold_parsed, pred_parsed, timeout_seconds=timeout))
    except (Exception, TimeoutException):  # noqa: BLE001 - sympy can raise anything (TimeoutException is a BaseException)
        return False


def answers_equal(gold: str | None, predicted: str | None) -> bool:
    """True iff the extracted answer `predicted` is equivalent to `gold` (module docstring, steps 2-6)."""
    if gold is None or predicted is None:
        return False
    gold, predicted = _clean(str(gold)), _clean(str(predicted))
    if not gold or not predicted:
        return False
    gold_int, pred_int = _as_int(gold), _as_int(predicted)
    if gold_int is not None and pred_int is not None:
        return gold_int == pred_int
    gold_letter, pred_letter = _choice_letter(gold), _choice_letter(predicted)
    if gold_letter is not None and pred_letter is not None:
        return gold_letter == pred_letter
    gold_value, pred_value = _literal(gold), _literal(predicted)
    if gold_value is not None and pred_value is not None:
        if gold_value == pred_value:
            return True
        if abs(gold_value - pred_value) > _LITERAL_TOLERANCE:
            return False
    return _math_verify_equal(gold, predicted)


def grade(completion: str, gold: str) -> bool:
    """True iff the completion's last boxed answer is equivalent to `gold` (see module docstring)."""
    return answers_equal(gold, extract_boxed(completion))


def reward(completions: list[str], answers: list[str]) -> list[float]:
    """1.0 for each completion graded correct against its answer, else 0.0."""
    if len(completions) != len(answers):
        raise ValueError(f"reward: {len(completions)} completions but {len(answers)} answers")
    return [1.0 if grade(c, a) else 0.0 for c, a in zip(completions, answers)]
