"""Sequential x parallel scaling and adaptive length, from budget-forced samples (rlv.inference.budget).

Input: per run, one row per (problem, sample, budget) with answer, correct, p_yes, mean_logprob, forced,
reasoning_tokens and forced_tokens; N = the samples per problem (fixed), budgets b_1 < ... < b_K.

Per budget (`strategy_table`): every test-time strategy of `sweep.strategies` (pass@N excepted, it is no
strategy; it is kept as a reference row) on the whole pool of N samples at that budget, one value per problem
(`rlv.analysis.claims.per_problem_at_n_max`: at n = N every strategy is a function of the pool), its mean with a
percentile bootstrap CI over problems, and the mean tokens per problem spent (sum over the N samples of
reasoning + forced tokens).

Compute-optimal strategy per budget (`ratio_table`): for each budget and run the strategy with the highest mean
accuracy (first in config order on ties); the ratio = mean accuracy of the verifier run's best / the base run's
best, with a paired percentile bootstrap CI over problems (`rlv.analysis.claims.relative_gain`; ratio = 1 + gain). Each
run's best is picked on the same test problems the ratio is measured on, which favours both runs alike; the CI
does not include that choice.

Adaptive length (`adaptive_table`): per problem go up the budgets; at budget b_k take the weighted vote of the
N samples' answers at b_k by p(Yes); its confidence = the winning answer's total weight / the total weight of
all N samples (unanswered samples count in the total: a sample without an answer is no evidence for any). Stop
at the first b_k whose confidence >= tau, else at b_K; the answer is that vote's (ties: expected correctness
under uniform tie-breaking, as the sweep's votes). Tokens spent on a problem stopped at b_k, summed over its N
samples: the reasoning generated so far, min(L, b_k) (a budget extends the previous budget's reasoning, so it
is generated once), plus the forced-answer tokens of every budget visited, b_1..b_k (each check forces an
answer out of every unfinished sample; those tokens are spent whether or not the search stops there). Verifier
forward passes are not counted. A fixed budget b_k spends min(L, b_k) plus the forced tokens of b_k alone.
Thresholds tau are swept; tau above 1 never stops early (always b_K, with every budget's forced tokens paid).

Every vote here, the strategies' and the adaptive confidence's, counts answers equal under `equivalent` (the
stage passes the grader's, rlv.tasks.grading.answers_equal) as one candidate, clustered per problem and budget
as rlv.analysis.aggregate's module docstring says; without it answers are exact strings.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rlv.analysis.aggregate import Equivalence, answer_clusters, bootstrap_ci
from rlv.analysis.claims import per_problem_at_n_max, relative_gain


def _budgets(frame: pd.DataFrame) -> list[int]:
    return sorted(int(b) for b in frame["budget"].unique())


def _at(frame: pd.DataFrame, budget: int) -> pd.DataFrame:
    return frame[frame["budget"] == budget]


def tokens_per_problem(frame: pd.DataFrame) -> pd.Series:
    """Tokens a fixed budget spends per problem: the sum over its samples of reasoning + forced tokens."""
    return frame.groupby("problem_id")["num_tokens"].sum()


def strategy_values(frame: pd.DataFrame, strategies: list[str], equivalent: Equivalence | None = None
                    ) -> dict[str, pd.Series]:
    """Per-problem value of each strategy on the whole pool (pass_at_n: any sample correct); votes count answers
    equal under `equivalent` as one candidate (rlv.analysis.aggregate)."""
    values = {}
    for spec in strategies:
        if spec == "pass_at_n":
            values[spec] = frame.groupby("problem_id")["correct"].any().astype(float)
        else:
            values[spec] = per_problem_at_n_max(frame, spec, equivalent)
    return values


def strategy_table(scored: dict[str, pd.DataFrame], strategies: list[str], num_bootstrap: int = 1000,
                   confidence: float = 0.95, seed: int = 0, equivalent: Equivalence | None = None) -> pd.DataFrame:
    """One row per (run, budget, strategy): accuracy at N with its bootstrap CI, mean tokens per problem, share
    of samples forced to answer. `scored` maps run -> budget rows."""
    rows = []
    for run, frame in scored.items():
        for budget in _budgets(frame):
            at = _at(frame, budget)
            tokens, n = float(tokens_per_problem(at).mean()), int(at.groupby("problem_id").size().max())
            for spec, values in strategy_values(at, strategies, equivalent).items():
                rng = np.random.default_rng((seed, budget))
                low, high = bootstrap_ci(values.to_numpy(), num_bootstrap, confidence, rng)
                rows.append({"run": run, "budget": budget, "strategy": spec, "n": n,
                             "accuracy": float(values.mean()), "ci_low": low, "ci_high": high,
                             "mean_tokens": tokens, "forced_share": float(at["forced"].mean()),
                             "num_problems": len(values)})
    return pd.DataFrame(rows)


def best_strategy(table: pd.DataFrame, run: str, budget: int, strategies: list[str]) -> str:
    """The strategy (pass@N excluded) with the highest accuracy of `run` at `budget`; config order on ties."""
    rows = table[(table["run"] == run) & (table["budget"] == budget)].set_index("strategy")["accuracy"]
    candidates = [s for s in strategies if s != "pass_at_n" and s in rows.index]
    if not candidates:
        raise ValueError(f"no strategy of {strategies} measured for run {run!r} at budget {budget}")
    return max(candidates, key=lambda s: (rows[s], -candidates.index(s)))


def ratio_table(scored: dict[str, pd.DataFrame], table: pd.DataFrame, base_run: str, verifier_run: str,
                strategies: list[str], num_bootstrap: int = 1000, confidence: float = 0.95, seed: int = 0,
                equivalent: Equivalence | None = None) -> pd.DataFrame:
    """Per budget: each run's best strategy and the accuracy ratio verifier / base with a paired bootstrap CI."""
    rows = []
    for budget in _budgets(scored[verifier_run]):
        best = {run: best_strategy(table, run, budget, strategies) for run in (base_run, verifier_run)}
        values = {run: strategy_values(_at(scored[run], budget), [best[run]], equivalent)[best[run]] for run in best}
        gain = relative_gain(values[verifier_run], values[base_run], num_bootstrap, confidence, seed)
        rows.append({"budget": budget, "base_run": base_run, "verifier_run": verifier_run,
                     "base_strategy": best[base_run], "verifier_strategy": best[verifier_run],
                     "base_accuracy": gain["base_accuracy"], "verifier_accuracy": gain["verifier_accuracy"],
                     "ratio": gain["gain"] + 1, "ci_low": gain["ci_low"] + 1, "ci_high": gain["ci_high"] + 1,
                     "num_problems": gain["num_problems"]})
    return pd.DataFrame(rows)


def vote_confidence(frame: pd.DataFrame, score: str = "p_yes", equivalent: Equivalence | None = None) -> pd.Series:
    """Per problem: the weighted vote's winning answer's weight / the total weight of all its samples (answers
    equal under `equivalent` are one candidate)."""
    weights = frame[score].to_numpy(dtype=float)
    data = pd.DataFrame({"problem_id": frame["problem_id"].to_numpy(),
                         "answer": answer_clusters(frame, equivalent).to_numpy(), "weight": weights})
    total = data.groupby("problem_id")["weight"].sum()
    winning = data.dropna(subset=["answer"]).groupby(["problem_id", "answer"])["weight"].sum().groupby(level=0).max()
    share = (winning.reindex(total.index).fillna(0.0) / total.where(total > 0)).fillna(0.0)
    return share.clip(upper=1.0)


def budget_grid(frame: pd.DataFrame, score: str = "p_yes", equivalent: Equivalence | None = None
                ) -> dict[str, np.ndarray]:
    """(P, K) arrays over problems and budgets: confidence, vote value, reasoning tokens and forced tokens (sums
    over the N samples), plus the problem ids and budgets."""
    budgets = _budgets(frame)
    problems = sorted(frame["problem_id"].unique())
    grid = {name: np.zeros((len(problems), len(budgets))) for name in ("confidence", "value", "reasoning", "forced")}
    for k, budget in enumerate(budgets):
        at = _at(frame, budget)
        grid["confidence"][:, k] = vote_confidence(at, score, equivalent).reindex(problems).to_numpy()
        grid["value"][:, k] = per_problem_at_n_max(at, f"weighted_vote:{score}", equivalent).reindex(problems).to_numpy()
        sums = at.groupby("problem_id")[["reasoning_tokens", "forced_tokens"]].sum().reindex(problems)
        grid["reasoning"][:, k] = sums["reasoning_tokens"].to_numpy()
        grid["forced"][:, k] = sums["forced_tokens"].to_numpy()
    return {**grid, "problems": np.array(problems), "budgets": np.array(budgets)}


def adaptive_stop(grid: dict[str, np.ndarray], tau: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(stopping budget index, value, tokens spent) per problem for threshold tau (see the module docstring)."""
    confident = grid["confidence"] >= tau
    confident[:, -1] = True  # the last budget always stops
    stop = confident.argmax(axis=1)
    rows = np.arange(len(stop))
    tokens = grid["reasoning"][rows, stop] + np.cumsum(grid["forced"], axis=1)[rows, stop]
    return stop, grid["value"][rows, stop], tokens


def adaptive_table(scored: dict[str, pd.DataFrame], thresholds: list[float], score: str = "p_yes",
                   equivalent: Equivalence | None = None) -> pd.DataFrame:
    """Per run: one row per fixed budget and one per threshold tau: accuracy (weighted vote by `score`) and mean
    tokens per problem; adaptive rows also carry the mean stopping budget. Answers equal under `equivalent` vote
    as one candidate."""
    rows = []
    for run, frame in scored.items():
        grid = budget_grid(frame, score, equivalent)
        for k, budget in enumerate(grid["budgets"]):
            rows.append({"run": run, "mode": "fixed", "budget": int(budget), "threshold": math.nan,
                         "accuracy": float(grid["value"][:, k].mean()),
                         "mean_tokens": float((grid["reasoning"][:, k] + grid["forced"][:, k]).mean()),
                         "mean_stop_budget": float(budget)})
        for tau in thresholds:
            stop, value, tokens = adaptive_stop(grid, float(tau))
            rows.append({"run": run, "mode": "adaptive", "budget": -1, "threshold": float(tau),
                         "accuracy": float(value.mean()), "mean_tokens": float(tokens.mean()),
                         "mean_stop_budget": float(grid["budgets"][stop].mean())})
    return pd.DataFrame(rows)


def render_ratios(ratios: pd.DataFrame, table: pd.DataFrame, labels: dict, n: int, dataset: str) -> str:
    """The per-budget ratios as Markdown (the README points to it)."""
    base, verifier = ratios["base_run"].iloc[0], ratios["verifier_run"].iloc[0]
    name = lambda run: labels.get(run, run)  # noqa: E731
    lines = ["# Sequential x parallel scaling: compute-optimal strategy per budget", "",
             f"Generated by the `sequential_tables` rule from the pipeline's own outputs. Dataset `{dataset}`, "
             f"N = {n} samples per problem at every token budget; at each budget an unfinished sample is forced to "
             "answer (reasoning cut at the budget, the closing phrase appended, the model writes the boxed answer). "
             f"For each budget and run the best test-time strategy at N; ratio = {name(verifier)} best / "
             f"{name(base)} best, with a paired 95% bootstrap CI over problems (the best strategies are picked on "
             "the same problems). The paper reports 1.2-1.6x.", "",
             f"| budget (tokens) | mean tokens / problem ({name(base)}, {name(verifier)}) | share forced | "
             f"{name(base)} best | {name(verifier)} best | ratio [95% CI] |", "|---|---|---|---|---|---|"]
    for row in ratios.itertuples(index=False):
        at = table[table["budget"] == row.budget].groupby("run")[["mean_tokens", "forced_share"]].first()
        lines.append(f"| {row.budget} | {at.loc[base, 'mean_tokens']:.0f}, {at.loc[verifier, 'mean_tokens']:.0f} | "
                     f"{at.loc[base, 'forced_share']:.2f}, {at.loc[verifier, 'forced_share']:.2f} | "
                     f"{row.base_accuracy:.3f} ({row.base_strategy}) | {row.verifier_accuracy:.3f} "
                     f"({row.verifier_strategy}) | " + (f"{row.ratio:.2f} [{row.ci_low:.2f}, {row.ci_high:.2f}] |"
                                                       if row.base_accuracy > 0 else "undefined (base accuracy 0) |"))
    return "\n".join(lines) + "\n"
