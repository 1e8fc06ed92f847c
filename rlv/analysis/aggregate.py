"""
Test-time aggregation: turn a pool of N sampled solutions per problem into accuracy-vs-n curves.

The input is one row per sampled solution: problem_id, sample, answer (None = no answer),
correct, and score columns such as p_yes (the model's own p("Yes") as a verifier) and mean_logprob
(mean token log-prob of the solution under the policy). Every problem has the same pool size n_max.
To report a strategy at budget n <= n_max we do not draw one set of n samples: we average over
k-subsets (k = n) of the pool, which is the same as the expectation over a fresh draw of n samples
from the empirical pool, with far less variance.

pass@n: probability that a random n-subset holds at least one correct solution. Unbiased estimator
1 - C(n_max - c, n) / C(n_max, n), computed as a product so it never overflows.

Best-of-n: pick the highest-scoring solution of the subset, ties broken uniformly at random. Sort the
pool by score ascending; with a strict order the item at ascending rank i (0-based) is the max of a
uniform k-subset with probability C(i, k-1) / C(n, k) (it must be in the subset and the other k-1
members must come from the i items below it). Ties are handled exactly by first replacing each
item's correctness with the mean correctness of its tie group, then using any order inside the
group. Why: for a uniform random subset, the probability that the subset's max score lands in tie
group G is the sum of the strict-order weights over G, whatever order we chose inside G. Given that
it lands in G, uniform tie-breaking plus the symmetry of a uniform subset under swapping two items of
G make every item of G equally likely to be the winner, so the expected correctness is the mean
correctness of G. Summing weight * (group mean) over G gives exactly P(max in G) * mean(G).

Best-of-n among answered samples (`best_of_n_answered:COL`, the paper's variant): plain best-of-n may pick a
sample that wrote no answer (a high p(Yes) on an unfinished solution). The variant ranks every sample without an
answer below every answered one before the same computation (for p(Yes), the same as scoring those samples 0,
up to answered samples scored exactly 0), so a subset picks its best answered sample and scores 0 only when none
of its samples has an answer. Reported beside plain best-of-n, never in its place.

Voting: each subset sums a weight per candidate answer (no-answer samples do not vote); the candidates
with the maximal total win (exact float equality counts as a tie), and the subset scores the
fraction of tied winners that are correct, i.e. the expected value of uniform tie-breaking. A subset
with no answers at all scores 0. Majority vote uses unit weights; weighted vote uses the score as
the weight. For mean_logprob (and any score column whose name ends in "logprob") the weight is
exp(score), the geometric-mean token probability, because vote weights must be non-negative.
Votes enumerate all C(n, k) subsets when there are at most num_subsets of them, otherwise they use
num_subsets random subsets shared by all problems. Everything is vectorized over problems and subsets.
Cost: each score column is sorted and tie-averaged once for every n; votes run over small chunks of
problems so that the gathered (problem, subset, member) cells stay in cache, which is several times
faster than one large gather.

Candidates (`encode_answers`, `answer_clusters`): answers the grader judges equal vote together, so
`\\frac{1}{2}`, `\\dfrac12` and `0.5`, or ` 12` and `12`, are one candidate. The analysis may not import the
grader (rlv.tasks), so the caller passes its equivalence: `equivalent(representative, answer) -> bool`, the
representative in the gold's place (the pipeline's stages pass rlv.tasks.grading.answers_equal). Per problem,
the distinct answer strings are sorted by their count in the problem's pool, most frequent first, then by the
string; each joins the first cluster (in founding order) whose representative it is equivalent to, else it
founds a new cluster and is its representative. A grader's equivalence is neither transitive nor symmetric in
general (a ~ b and b ~ c without a ~ c, e.g. through rounding), so clusters depend on the order of comparison:
comparing with representatives only, never with other members, means every member is equivalent to its
representative and no chain a ~ b ~ c merges an unequal a and c; the most frequent form is the representative,
so a rare odd form is judged against the common one. The order is a function of the problem's multiset of
answers alone (not of the row order) and the equivalence is deterministic, so the clustering is. Identical
strings are one candidate. Fast path: when every answer of a problem is a plain integer (`-?\\d+`, spaces
around allowed) they are clustered by value without calling `equivalent`, which must agree (the grader's
integer path does: `012`, ` 12` and `12` vote together). Without `equivalent` answers are exact strings. A
candidate's correctness is the mean correctness of its samples over the pool (0 or 1 for a grader consistent
with itself). Cost: one `equivalent` call per (distinct answer, earlier representative) pair of a problem.

Uncertainty: a percentile bootstrap over problems of the mean per-problem value; the resamples are
seeded by (seed, n), so every strategy at one n uses the same ones (drawn once). Verifier quality:
threshold accuracy and AUROC (Mann-Whitney with average ranks), pooled over all samples and within
each problem; the within-problem AUROC is the one that matters for picking among a problem's own
samples, since a verifier that only knows problem difficulty has a high pooled AUROC but 0.5 within.
"""

import functools
import itertools
import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

STRATEGIES = ("pass_at_n", "majority", "best_of_n", "best_of_n_answered", "weighted_vote")
_VOTE_GATHER_CELLS = 1 << 14  # problems per vote chunk: bound on (problem, subset, member) cells
_VOTE_TABLE_CELLS = 1 << 20  # and on (problem, subset, answer) cells
_PLAIN_INT = re.compile(r"\s*-?\d+\s*")

Equivalence = Callable[[str, str], bool]


def budgets(n_max: int) -> list[int]:
    """The budgets n a curve is measured at: 1, 2, 4, ... below n_max, and n_max itself."""
    doubling = [2**i for i in range(n_max.bit_length())]
    return doubling + ([n_max] if doubling[-1] != n_max else [])


def pass_at_k(num_correct: np.ndarray, n: int, k: int) -> np.ndarray:
    """Unbiased pass@k per problem: 1 - C(n-c, k)/C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k/i)."""
    c = np.asarray(num_correct)
    if not 1 <= k <= n or np.any((c < 0) | (c > n)):
        raise ValueError(f"need 1 <= k <= n and 0 <= num_correct <= n, got n={n} k={k}")
    i = np.arange(1, n + 1)
    in_product = i > (n - c)[..., None]  # when n-c < k this includes i == k, a zero factor: pass@k = 1
    return 1.0 - np.where(in_product, 1.0 - k / i, 1.0).prod(axis=-1)


def best_of_n(scores: np.ndarray, correct: np.ndarray, k: int) -> np.ndarray:
    """Expected correctness of the top-scoring solution of a uniform k-subset (uniform tie-breaking)."""
    tied_correct = tie_averaged_correctness(scores, correct)
    n = tied_correct.shape[1]
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n} k={k}")
    return tied_correct @ _max_rank_weights(n, k)


def answered_first(scores: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """Scores with every unanswered sample moved below every answered one (best_of_n_answered, module docstring):
    answered samples keep their score, unanswered ones all get one value below the lowest finite score."""
    scores, answered = np.asarray(scores, dtype=float), np.asarray(answered, dtype=bool)
    if not np.isfinite(scores[answered]).all():
        raise ValueError("best_of_n needs finite scores")
    floor = (scores[answered].min() if answered.any() else 0.0) - 1.0
    return np.where(answered, scores, floor)


def tie_averaged_correctness(scores: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """(P, n) correctness sorted by ascending score, each tie group replaced by its mean (see module doc)."""
    scores = np.asarray(scores, dtype=float)
    P, n = scores.shape
    if not np.isfinite(scores).all():
        raise ValueError("best_of_n needs finite scores")
    order = np.argsort(scores, axis=1, kind="stable")
    sorted_scores = np.take_along_axis(scores, order, axis=1)
    sorted_correct = np.take_along_axis(np.asarray(correct, dtype=float), order, axis=1)
    starts_group = np.ones((P, n), dtype=bool)
    starts_group[:, 1:] = sorted_scores[:, 1:] != sorted_scores[:, :-1]
    group = np.cumsum(starts_group.ravel()) - 1  # each row starts a new group, so ids never span rows
    group_mean = np.bincount(group, weights=sorted_correct.ravel()) / np.bincount(group)
    return group_mean[group].reshape(P, n)


@functools.lru_cache(maxsize=64)
def _max_rank_weights(n: int, k: int) -> np.ndarray:
    """P(the item at ascending rank i is the max of a uniform k-subset) = C(i, k-1) / C(n, k)."""
    weights = np.array([math.comb(i, k - 1) / math.comb(n, k) for i in range(n)])
    weights.setflags(write=False)
    return weights


def subset_indices(n: int, k: int, num_subsets: int, rng: np.random.Generator) -> np.ndarray:
    """All k-subsets of range(n) if there are at most num_subsets of them, else num_subsets random ones."""
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n} k={k}")
    if math.comb(n, k) <= num_subsets:
        return np.array(list(itertools.combinations(range(n), k)), dtype=np.int64)
    return np.argsort(rng.random((num_subsets, n)), axis=1)[:, :k]


def _answer_correctness(codes, code_correct, num_codes):
    """(P, A) mean correctness of each answer code over the pool (0/1 unless the grader was inconsistent)."""
    P = codes.shape[0]
    answered = codes >= 0
    cell = (np.arange(P)[:, None] * num_codes + codes)[answered]
    count = np.bincount(cell, minlength=P * num_codes)
    hits = np.bincount(cell, weights=np.asarray(code_correct, dtype=float)[answered], minlength=P * num_codes)
    return (hits / np.maximum(count, 1)).reshape(P, num_codes)


def _vote_chunk(codes, weight_sets, code_correct, subsets):
    """Per-problem vote values for each weight matrix (None = one vote per answer), sharing the subset table."""
    P, M = codes.shape[0], subsets.shape[0]
    A = max(int(codes.max()) + 1, 1)
    answer_value = _answer_correctness(codes, code_correct, A)
    # one cell per (problem, subset, answer); unanswered samples go to an extra answer column A, dropped after
    index = np.int32 if P * M * (A + 1) < 2**31 else np.int64
    shifted = np.where(codes >= 0, codes, A).astype(index)
    cell = (np.arange(P * M, dtype=index).reshape(P, M, 1) * (A + 1) + shifted[:, subsets]).ravel()
    counts = np.bincount(cell, minlength=P * M * (A + 1)).reshape(P, M, A + 1)[..., :A]
    present = counts > 0
    values = []
    for weights in weight_sets:  # bincount adds in C order, i.e. in subset order: ties stay exact
        totals = counts if weights is None else np.bincount(
            cell, weights=weights[:, subsets].ravel(), minlength=P * M * (A + 1)).reshape(P, M, A + 1)[..., :A]
        best = np.where(present, totals, -np.inf).max(axis=-1, keepdims=True)
        winners = present & (totals == best)
        num_winners = winners.sum(axis=-1)
        num_correct_winners = (winners * answer_value[:, None, :]).sum(axis=-1)
        value = np.divide(num_correct_winners, num_winners, out=np.zeros((P, M)), where=num_winners > 0)
        values.append(value.mean(axis=1))
    return values


def votes(codes: np.ndarray, weight_sets: list, code_correct: np.ndarray, subsets: np.ndarray) -> list[np.ndarray]:
    """`vote` for several weightings at once (None = majority), building the subset table only once."""
    codes = np.asarray(codes, dtype=np.int64)
    weight_sets = [None if w is None else np.asarray(w, dtype=float) for w in weight_sets]
    subsets = np.asarray(subsets, dtype=np.int64)
    for weights in weight_sets:
        if weights is not None and not (np.isfinite(weights).all() and (weights >= 0).all()):
            raise ValueError("vote weights must be finite and non-negative")
    # small chunks: the gathered (subset, member) cells stay in cache (5x faster than one big gather); the
    # (subset, answer) tables, answers + the no-answer column, are only bounded in memory
    answers = int(codes.max(initial=0)) + 2
    rows = max(1, min(_VOTE_GATHER_CELLS // (len(subsets) * subsets.shape[1]),
                      _VOTE_TABLE_CELLS // (len(subsets) * answers)))
    chunks = [
        _vote_chunk(codes[s : s + rows], [None if w is None else w[s : s + rows] for w in weight_sets],
                    np.asarray(code_correct)[s : s + rows], subsets)
        for s in range(0, len(codes), rows)
    ]
    if not chunks:
        return [np.zeros(0) for _ in weight_sets]
    return [np.concatenate([chunk[i] for chunk in chunks]) for i in range(len(weight_sets))]


def vote(codes: np.ndarray, weights: np.ndarray, code_correct: np.ndarray, subsets: np.ndarray) -> np.ndarray:
    """Expected correctness of a (weighted) vote, averaged over subsets. codes: (P, n) ints, -1 = no answer."""
    return votes(codes, [weights], code_correct, subsets)[0]


def _sorted_pool(frame):
    """Sort by (problem_id, sample) and check every problem has the same number of samples."""
    if len(frame) == 0:
        raise ValueError("no samples")
    if frame.duplicated(["problem_id", "sample"]).any():
        raise ValueError("duplicate (problem_id, sample) rows")
    counts = frame.groupby("problem_id").size()
    if counts.nunique() > 1:
        n_max = counts.max()
        short = counts[counts != n_max]
        listing = ", ".join(f"{pid!r} has {c}" for pid, c in short.head(10).items())
        raise ValueError(f"every problem needs {n_max} samples, but {len(short)} do not: {listing}")
    return frame.sort_values(["problem_id", "sample"], ignore_index=True), int(counts.max())


def _matrix(pool, column, n):
    return pool[column].to_numpy().reshape(-1, n)


def _cluster_problem(texts: list[str], counts: np.ndarray, equivalent: Equivalence) -> tuple[np.ndarray, np.ndarray]:
    """(cluster code, index of the representative) of each distinct answer of one problem (module docstring)."""
    order = sorted(range(len(texts)), key=lambda i: (-counts[i], texts[i]))
    code, representative = np.empty(len(texts), np.int64), np.empty(len(texts), np.int64)
    if all(_PLAIN_INT.fullmatch(text) for text in texts):
        founded = {}  # value -> cluster code
        for i in order:
            code[i] = founded.setdefault(int(texts[i]), len(founded))
        first = {code[i]: i for i in reversed(order)}
        representative[:] = [first[c] for c in code]
        return code, representative
    representatives = []
    for i in order:
        found = next((c for c, r in enumerate(representatives) if equivalent(texts[r], texts[i])), None)
        if found is None:
            found = len(representatives)
            representatives.append(i)
        code[i], representative[i] = found, representatives[found]
    return code, representative


def _candidates(frame: pd.DataFrame, equivalent: Equivalence | None) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `frame`: its candidate's code within its problem (-1 = no answer) and its representative
    answer (None = no answer)."""
    answered = frame["answer"].notna().to_numpy()
    grouped = frame.loc[answered, ["problem_id", "answer"]].groupby(["problem_id", "answer"], sort=True)
    group, sizes = grouped.ngroup().to_numpy(), grouped.size()
    problems = sizes.index.get_level_values(0)
    starts = np.flatnonzero(np.r_[True, problems[1:] != problems[:-1]]) if len(sizes) else np.zeros(0, np.int64)
    texts = np.asarray(sizes.index.get_level_values(1), dtype=object)
    if equivalent is None:  # exact strings: a distinct answer's rank within its problem
        first = np.repeat(starts, np.diff(np.r_[starts, len(sizes)]))
        code, representative = np.arange(len(sizes)) - first, np.arange(len(sizes))
    else:
        code, representative = np.empty(len(sizes), np.int64), np.empty(len(sizes), np.int64)
        counts = sizes.to_numpy()
        for start, stop in zip(starts, np.r_[starts[1:], len(sizes)]):
            texts_here = [str(t) for t in texts[start:stop]]
            code[start:stop], local = _cluster_problem(texts_here, counts[start:stop], equivalent)
            representative[start:stop] = start + local
    codes = np.full(len(frame), -1, dtype=np.int64)
    codes[answered] = code[group]
    representatives = np.full(len(frame), None, dtype=object)
    representatives[answered] = texts[representative[group]]
    return codes, representatives


def answer_clusters(frame: pd.DataFrame, equivalent: Equivalence | None = None) -> pd.Series:
    """Each row's candidate answer: the representative of its answer's cluster within its problem (module
    docstring), None for no answer; indexed like `frame`. Without `equivalent`, the answer itself."""
    return pd.Series(_candidates(frame, equivalent)[1], index=frame.index, name="answer")


def encode_answers(frame: pd.DataFrame, equivalent: Equivalence | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes (P, n) int with -1 = no answer, correct (P, n) bool, problem_ids) sorted by problem and sample.
    Codes number the candidates within each problem: equal answers under `equivalent` share one (module
    docstring); without it, equal strings."""
    pool, n = _sorted_pool(frame)
    codes, _ = _candidates(pool, equivalent)
    problem_ids = pool["problem_id"].to_numpy()[::n]
    return codes.reshape(-1, n), _matrix(pool, "correct", n).astype(bool), problem_ids


def bootstrap_ci(
    values: np.ndarray, num_resamples: int, confidence: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of values, resampling problems with replacement."""
    lows, highs = bootstrap_cis(np.asarray(values, dtype=float)[None], num_resamples, confidence, rng)
    return float(lows[0]), float(highs[0])


def bootstrap_cis(values: np.ndarray, num_resamples: int, confidence: float, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """`bootstrap_ci` for each row of (S, P) values, all rows resampling the same problems."""
    values = np.asarray(values, dtype=float)
    resamples = rng.integers(0, values.shape[1], size=(num_resamples, values.shape[1]))
    quantiles = [np.quantile(row[resamples].mean(axis=1), [(1 - confidence) / 2, (1 + confidence) / 2])
                 for row in values]
    return np.array([q[0] for q in quantiles]), np.array([q[1] for q in quantiles])


def _grouped_auroc(groups, scores, labels):
    """Mann-Whitney AUROC per group (average ranks for ties); NaN for groups missing a class."""
    data = pd.DataFrame({"group": groups, "score": scores, "positive": np.asarray(labels, dtype=bool)})
    data["rank"] = data.groupby("group")["score"].rank(method="average")
    data["positive_rank"] = data["rank"].where(data["positive"], 0.0)
    per_group = data.groupby("group").agg(
        n=("positive", "size"), n_pos=("positive", "sum"), rank_sum=("positive_rank", "sum")
    )
    n_neg = per_group["n"] - per_group["n_pos"]
    u = per_group["rank_sum"] - per_group["n_pos"] * (per_group["n_pos"] + 1) / 2
    return (u / (per_group["n_pos"] * n_neg)).where((per_group["n_pos"] > 0) & (n_neg > 0))


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """P(score of a random positive > score of a random negative), ties counting 1/2. NaN if a class is absent."""
    return float(_grouped_auroc(np.zeros(len(scores)), scores, labels).iloc[0]) if len(scores) else math.nan


def within_problem_auroc(frame: pd.DataFrame, score_col: str) -> float:
    """Mean AUROC over problems that have both correct and incorrect samples (NaN if there are none)."""
    per_problem = _grouped_auroc(frame["problem_id"].to_numpy(), frame[score_col].to_numpy(), frame["correct"])
    return float(per_problem.mean()) if per_problem.notna().any() else math.nan


def verifier_metrics(frame: pd.DataFrame, score_col: str = "p_yes", threshold: float = 0.5) -> dict:
    """Threshold accuracy (NaN unless scores are probabilities), pooled and within-problem AUROC."""
    scores = frame[score_col].to_numpy(dtype=float)
    correct = frame["correct"].to_numpy(dtype=bool)
    is_probability = bool(((scores >= 0) & (scores <= 1)).all())
    fraction_correct = frame.groupby("problem_id")["correct"].mean()
    return {
        "accuracy": float(np.mean((scores > threshold) == correct)) if is_probability else math.nan,
        "auroc_pooled": auroc(scores, correct),
        "auroc_within": within_problem_auroc(frame, score_col),
        "num_mixed_problems": int(((fraction_correct > 0) & (fraction_correct < 1)).sum()),
    }


def _parse_strategy(spec, columns):
    strategy, _, score = spec.partition(":")
    needs_score = strategy in ("best_of_n", "best_of_n_answered", "weighted_vote")
    if strategy not in STRATEGIES or needs_score != bool(score):
        raise ValueError(f"unknown strategy {spec!r}; use pass_at_n, majority, best_of_n:COL, best_of_n_answered:COL "
                         "or weighted_vote:COL")
    if score and score not in columns:
        raise ValueError(f"strategy {spec!r} needs score column {score!r}, not in the samples")
    return strategy, score


def _vote_weights(scores, score_col):
    return np.exp(scores) if score_col.endswith("logprob") else scores


def sweep(
    frame: pd.DataFrame,
    ns: list[int],
    strategies: list[str],
    num_subsets: int = 200,
    num_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    equivalent: Equivalence | None = None,
) -> pd.DataFrame:
    """Accuracy with a bootstrap CI for every (strategy, n). Deterministic given seed. The votes count answers
    equal under `equivalent` (e.g. rlv.tasks.grading.answers_equal) as one candidate; without it, equal strings."""
    parsed = [_parse_strategy(spec, frame.columns) for spec in strategies]
    pool, n_max = _sorted_pool(frame)
    codes, correct, problem_ids = encode_answers(pool, equivalent)
    scores = {score: _matrix(pool, score, n_max).astype(float) for _, score in parsed if score}
    bad_ns = [n for n in ns if not 1 <= n <= n_max]
    if bad_ns:
        raise ValueError(f"budgets {bad_ns} are outside 1..{n_max} (the pool size)")
    tied = {(strategy, score): tie_averaged_correctness(
                scores[score] if strategy == "best_of_n" else answered_first(scores[score], codes >= 0), correct)
            for strategy, score in parsed if strategy in ("best_of_n", "best_of_n_answered")}
    rows = []
    for n in ns:
        # fixed streams per (seed, n): subsets and bootstrap resamples don't depend on the other requests
        subsets = subset_indices(n_max, n, num_subsets, np.random.default_rng((seed, n, 0)))
        voting = [(strategy, score) for strategy, score in parsed if strategy in ("majority", "weighted_vote")]
        weight_sets = [None if strategy == "majority" else _vote_weights(scores[score], score)
                       for strategy, score in voting]
        voted = dict(zip(voting, votes(codes, weight_sets, correct, subsets))) if voting else {}
        results = []
        for strategy, score in parsed:
            if strategy == "pass_at_n":
                per_problem = pass_at_k(correct.sum(axis=1), n_max, n)
            elif strategy in ("best_of_n", "best_of_n_answered"):
                per_problem = tied[(strategy, score)] @ _max_rank_weights(n_max, n)
            else:
                per_problem = voted[(strategy, score)]
            results.append((strategy, score, per_problem))
        # every strategy at one n resamples the same problems: the stream is seeded by (seed, n) alone
        stacked = np.stack([per_problem for *_, per_problem in results])
        lows, highs = bootstrap_cis(stacked, num_bootstrap, confidence, np.random.default_rng((seed, n, 1)))
        for (strategy, score, per_problem), low, high in zip(results, lows, highs):
            rows.append((strategy, score, n, float(per_problem.mean()), float(low), float(high), len(problem_ids)))
    columns = ["strategy", "score", "n", "accuracy", "ci_low", "ci_high", "num_problems"]
    return pd.DataFrame(rows, columns=columns)
