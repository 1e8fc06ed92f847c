"""rlv.tasks.grading: boxed extraction, math-verify equivalence, the integer fast path, and threads."""

import json
import random
import threading
import time

import pytest

from conftest import REPO
from rlv.tasks import grading
from rlv.tasks.grading import extract_boxed, grade, reward

REAL = REPO.parent / "shared" / "data" / "real"  # beside the repository
MATH500 = REAL / "math500.jsonl"


@pytest.fixture(scope="module")
def math500():
    if not MATH500.exists():
        pytest.skip(f"real data not found: {MATH500} (clone the repo with shared/ beside it)")
    rows = [json.loads(line) for line in MATH500.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 500
    return rows


# --- extract_boxed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (r"so \boxed{42}.", "42"),
        (r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"),
        (r"\boxed{\left( 3, \frac{\pi}{2} \right)}", r"\left( 3, \frac{\pi}{2} \right)"),
        (r"\boxed{{a}{b{c}}}", "{a}{b{c}}"),
        (r"first \boxed{1} then \boxed{2} finally \boxed{3}", "3"),
        (r"\fbox{7}", "7"),
        (r"\boxed{1} and \fbox{2}", "2"),
        (r"\fbox{1} and \boxed{2}", "2"),
        (r"\boxed {5}", "5"),
        (r"\boxed{}", ""),
        (r"\boxed{\frac{1}{2}", None),  # unbalanced
        (r"\boxed{1} then \boxed{2", None),  # last box unbalanced: no silent fallback to an earlier box
        ("the answer is 42", None),
        ("", None),
    ],
)
def test_extract_boxed(text, expected):
    assert extract_boxed(text) == expected


# --- grade -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "completion, gold",
    [
        (r"\boxed{0.5}", r"\frac12"),
        (r"\boxed{\frac12}", "0.5"),
        (r"\boxed{\dfrac{1}{2}}", r"\frac{1}{2}"),
        (r"\boxed{1,000}", "1000"),
        (r"\boxed{1000}", "1,000"),
        (r"\boxed{025}", "25"),
        (r"\boxed{10^{6}}", "1000000"),
        (r"\boxed{\text{Evelyn}}", r"\text{Evelyn}"),
        (r"\boxed{\left(3, \frac{\pi}{2}\right)}", r"\left( 3, \frac{\pi}{2} \right)"),
        (r"The area is \boxed{2\sqrt{2}}.", r"\sqrt{8}"),
        (r"wrong first \boxed{3}, corrected: \boxed{4}", "4"),
    ],
)
def test_equivalent_answers_are_accepted(completion, gold):
    assert grade(completion, gold)


@pytest.mark.parametrize(
    "completion, gold",
    [
        ("The answer is 42.", "42"),  # no box: wrong, no last-number fallback
        ("$42$", "42"),
        (r"Answer: $\frac{1}{2}$", r"\frac12"),
        (r"\boxed{42", "42"),  # unbalanced
        (r"\boxed{}", "0"),
        (r"\boxed{4} ... corrected: \boxed{3}", "4"),  # the last box counts
        (r"\boxed{0.5}", r"\frac13"),
        (r"\boxed{-5}", "5"),
        (r"\boxed{1,2}", "12"),  # a pair, not a thousands separator
        (r"\boxed{x+1}", "x+2"),
        (r"\boxed{42}", ""),
    ],
)
def test_wrong_or_unformatted_answers_are_rejected(completion, gold):
    assert not grade(completion, gold)


INTEGER_PAIRS = [
    ("0", "0"), ("-0", "0"), ("7", "7"), ("7", "8"), ("-3", "-3"), ("-3", "3"), ("025", "25"),
    ("1,000", "1000"), ("1000", "1,000"), ("12,345,678", "12345678"), ("12,345,678", "12345679"),
    ("123456789", "123456788"), ("99999999999999999", "99999999999999999"), (" 42 ", "42"),
    ("204", "204"), ("113", "371"),
]


@pytest.mark.parametrize("pred, gold", INTEGER_PAIRS)
def test_integer_fast_path_agrees_with_math_verify(pred, gold, monkeypatch):
    assert grading._as_int(pred) is not None and grading._as_int(gold) is not None
    fast = grade(rf"\boxed{{{pred}}}", gold)
    slow = grading._math_verify_equal(gold.strip(), pred.strip())
    assert fast == slow == (int(pred.replace(",", "")) == int(gold.replace(",", "")))
    # and the fast path really skips math-verify
    monkeypatch.setattr(grading, "_math_verify_equal", lambda *a: pytest.fail("fast path not taken"))
    assert grade(rf"\boxed{{{pred}}}", gold) == fast


def test_not_plain_integers_do_not_take_fast_path():
    for text in ["1,2", "1,00", "3.0", "10^6", r"\frac12", "1 000", "+5", ""]:
        assert grading._as_int(text) is None, text


def test_reward():
    assert reward([r"\boxed{1}", "1", r"\boxed{0.5}"], ["1", "1", r"\frac{1}{2}"]) == [1.0, 0.0, 1.0]
    with pytest.raises(ValueError):
        reward(["a"], [])


def test_grade_in_worker_thread():
    """math-verify's signal.alarm timeout fails off the main thread: grade must still work there."""
    results, errors = [], []

    def work():
        try:
            results.append(grade(r"\boxed{\frac{1}{2}}", "0.5"))
            results.append(grade(r"\boxed{\sqrt{8}}", r"2\sqrt{2}"))
            results.append(grade(r"\boxed{x^2+1}", "x^2-1"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive() and not errors
    assert results == [True, True, False]


# --- real data: MATH500 ----------------------------------------------------------------------------


def test_math500_reference_solutions_verify(math500):
    start = time.perf_counter()
    failures = [(r["unique_id"], r["answer"], extract_boxed(r["solution"])) for r in math500 if not grade(r["solution"], r["answer"])]
    elapsed = time.perf_counter() - start
    print(f"MATH500 references: {500 - len(failures)}/500 verified in {elapsed:.1f}s")
    assert failures == []


def _derangement(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    while True:
        perm = list(range(n))
        rng.shuffle(perm)
        if all(i != p for i, p in enumerate(perm)):
            return perm


def _same(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def test_math500_shuffled_pairs_are_rejected(math500):
    perm = _derangement(len(math500), seed=0)
    start = time.perf_counter()
    accepted = []
    for row, other in zip(math500, (math500[p] for p in perm)):
        if grade(other["solution"], row["answer"]):
            accepted.append((row["answer"], other["answer"]))
    elapsed = time.perf_counter() - start
    rejection = 1 - len(accepted) / len(math500)
    print(f"MATH500 shuffled: {len(accepted)} accepted, rejection {rejection:.1%}, {elapsed:.1f}s; accepted={accepted}")
    # Every accepted pair must be a pair of identical answers (e.g. both "3"): the grader is not lax.
    assert all(_same(gold, other) for gold, other in accepted), accepted
    assert rejection >= 0.95
