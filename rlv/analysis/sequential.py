"""Sequential x parallel scaling and adaptive length, from budget-forced samples (rlv.inference.budget).

Input: per run, one row per (problem, sample, budget) with answer, correct, p_yes, mean_logprob, forced,
reasoning_tokens and forced_tokens; N = the samples per problem (fixed), budgets b_1 < ... < b_K.

Per budget (`strategy_table`): every test-time strategy of `sweep.strategies` (pass@N excepted, it is no
strategy; it is kept as a reference row) on the whole pool of N samples at that budget, one value per problem
(`rlv.analysis.claims.per_problem_at_n_max`: at n = N every strategy is a function of the pool), its mean with a
percentile bootstrap CI over problems, and the mean tokens per problem spent (sum over the N samples of
reasoning + forced tokens).

RL^V against the base run per budget (`ratio_table`): the accuracy ratio of RL^V's weighted vote by its own
p(Yes) over the base run's majority vote (its best strategy that uses no verifier; pass@N is no strategy), both
strategies fixed in advance (rlv.analysis.claims.VERDICT_STRATEGY, BASE_STRATEGY), with a paired percentile
bootstrap CI over problems (`rlv.analysis.claims.relative_gain`; ratio = 1 + gain). Picking each run's best
strategy on the test problems, as a compute-optimal frontier does, would let RL^V win with a strategy that does
not use its verifier (a vote by the policy's mean log-prob) and would favour whichever run has more strategies
near its best. Apart, never in the ratio: each run's best strategy scored by the mean log-prob among
`strategies` at that budget (picked on the test problems), with its accuracy.

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
So the adaptive rule pays for checks at budgets too small to solve anything (the smallest budgets force an
answer out of almost every sample, forced_tokens each), which a fixed budget never pays; on the default's
verbose task that is about a quarter of its tokens where it stops near the 128-token budget. Every row carries
its forced-answer tokens per problem (`mean_forced_tokens`) and their share of its tokens (`forced_share`), so
the comparison can be read with and without them.

Every vote here, the strategies' and the adaptive confidence's, counts answers equal under `equivalent` (the
stage passes the grader's, rlv.tasks.grading.answers_equal) as one candidate, clustered per problem and budget
as rlv.analysis.aggregate's module docstring says; without it answers are exact strings.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rlv.analysis.aggregate import Equivalence, answer_clusters, bootstrap_ci
from rlv.analysis.claims import (BASE_STRATEGY, VERDICT_STRATEGY, budget_verdict, per_problem_at_n_max, relative_gain,
                                 sequential_row)
from rlv.analysis.efficiency import parse_strategy


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
    """Per budget: RL^V's weighted vote by p(Yes) / the base run's majority vote with a paired bootstrap CI, and
    apart each run's best log-prob strategy of `strategies` (module docstring; `table`: strategy_table's)."""
    logprob = [spec for spec in strategies if parse_strategy(spec)[1].endswith("logprob")]
    rows = []
    for budget in _budgets(scored[verifier_run]):
        values = {run: strategy_values(_at(scored[run], budget), [spec], equivalent)[spec]
                  for run, spec in ((base_run, BASE_STRATEGY), (verifier_run, VERDICT_STRATEGY))}
        gain = relative_gain(values[verifier_run], values[base_run], num_bootstrap, confidence, seed)
        row = {"budget": budget, "base_run": base_run, "verifier_run": verifier_run,
               "base_strategy": BASE_STRATEGY, "verifier_strategy": VERDICT_STRATEGY,
               "base_accuracy": gain["base_accuracy"], "verifier_accuracy": gain["verifier_accuracy"],
               "ratio": gain["gain"] + 1, "ci_low": gain["ci_low"] + 1, "ci_high": gain["ci_high"] + 1,
               "num_problems": gain["num_problems"]}
        for role, run in (("base", base_run), ("verifier", verifier_run)):
            measured = table[(table["run"] == run) & (table["budget"] == budget)].set_index("strategy")["accuracy"]
            best = best_strategy(table, run, budget, logprob) if any(s in measured.index for s in logprob) else ""
            row.update({f"{role}_logprob_strategy": best,
                        f"{role}_logprob_accuracy": float(measured[best]) if best else math.nan})
        rows.append(row)
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


def _share(part: np.ndarray, whole: np.ndarray) -> float:
    """sum(part) / sum(whole), the share of all tokens; NaN when nothing was spent."""
    return float(part.sum() / whole.sum()) if whole.sum() > 0 else math.nan


def adaptive_table(scored: dict[str, pd.DataFrame], thresholds: list[float], score: str = "p_yes",
                   equivalent: Equivalence | None = None) -> pd.DataFrame:
    """Per run: one row per fixed budget and one per threshold tau: accuracy (weighted vote by `score`), mean
    tokens per problem, the mean stopping budget, and the forced-answer tokens per problem with their share of all
    tokens (module docstring). Answers equal under `equivalent` vote as one candidate."""
    rows = []
    for run, frame in scored.items():
        grid = budget_grid(frame, score, equivalent)
        for k, budget in enumerate(grid["budgets"]):
            tokens, forced = grid["reasoning"][:, k] + grid["forced"][:, k], grid["forced"][:, k]
            rows.append({"run": run, "mode": "fixed", "budget": int(budget), "threshold": math.nan,
                         "accuracy": float(grid["value"][:, k].mean()), "mean_tokens": float(tokens.mean()),
                         "mean_stop_budget": float(budget), "mean_forced_tokens": float(forced.mean()),
                         "forced_share": _share(forced, tokens)})
        for tau in thresholds:
            stop, value, tokens = adaptive_stop(grid, float(tau))
            forced = np.cumsum(grid["forced"], axis=1)[np.arange(len(stop)), stop]
            rows.append({"run": run, "mode": "adaptive", "budget": -1, "threshold": float(tau),
                         "accuracy": float(value.mean()), "mean_tokens": float(tokens.mean()),
                         "mean_stop_budget": float(grid["budgets"][stop].mean()),
                         "mean_forced_tokens": float(forced.mean()), "forced_share": _share(forced, tokens)})
    return pd.DataFrame(rows)


def _ratio_cell(row) -> str:
    if math.isnan(row.ratio):
        return "undefined (0/0: neither run is right on any problem)"
    high = "inf" if math.isinf(row.ci_high) else f"{row.ci_high:.2f}"
    return f"{row.ratio:.2f} [{row.ci_low:.2f}, {high}]"


def render_ratios(ratios: pd.DataFrame, table: pd.DataFrame, labels: dict, n: int, dataset: str) -> str:
    """The per-budget ratios as Markdown (the README points to it), with each budget's verdict and the claim's
    (rlv.analysis.claims.sequential_row)."""
    base, verifier = ratios["base_run"].iloc[0], ratios["verifier_run"].iloc[0]
    name = lambda run: labels.get(run, run)  # noqa: E731
    lines = ["# Sequential x parallel scaling: RL^V's verifier against majority vote per budget", "",
             f"Generated by the `sequential_tables` rule from the pipeline's own outputs. Dataset `{dataset}`, "
             f"N = {n} samples per problem at every token budget; at each budget an unfinished sample is forced to "
             "answer (reasoning cut at the budget, the closing phrase appended, the model writes the boxed answer). "
             f"Ratio = {name(verifier)}'s weighted vote by its own p(Yes) / {name(base)}'s majority vote, both "
             "strategies fixed in advance, with a paired 95% bootstrap CI over problems. The paper reports "
             "1.2-1.6x. A budget is reproduced if its ratio is >= 1.2 with its CI above 1, partly if one of the two; "
             "the claim takes the weakest budget's verdict (reproduced only if every budget is); a 0/0 budget is "
             "left out. The log-prob columns (each run's best vote or best-of-N by the policy's mean log-prob, picked "
             "on these problems) are a free verifier, shown apart and never in a verdict.", "",
             f"| budget (tokens) | mean tokens / problem ({name(base)}, {name(verifier)}) | share forced | "
             f"{name(base)} majority | {name(verifier)} weighted p(Yes) | ratio [95% CI] | verdict | "
             f"best log-prob strategy ({name(base)}, {name(verifier)}) |", "|---|---|---|---|---|---|---|---|"]
    for row in ratios.itertuples(index=False):
        at = table[table["budget"] == row.budget].groupby("run")[["mean_tokens", "forced_share"]].first()
        logprob = ", ".join(f"{getattr(row, f'{role}_logprob_accuracy'):.3f} ({getattr(row, f'{role}_logprob_strategy')})"
                            if getattr(row, f"{role}_logprob_strategy", "") else "-" for role in ("base", "verifier"))
        lines.append(f"| {row.budget} | {at.loc[base, 'mean_tokens']:.0f}, {at.loc[verifier, 'mean_tokens']:.0f} | "
                     f"{at.loc[base, 'forced_share']:.2f}, {at.loc[verifier, 'forced_share']:.2f} | "
                     f"{row.base_accuracy:.3f} | {row.verifier_accuracy:.3f} | {_ratio_cell(row)} | "
                     f"{budget_verdict(row) or 'left out'} | {logprob} |")
    lines += ["", f"Verdict on the 1.2-1.6x claim: **{sequential_row(ratios, labels)['verdict']}**."]
    return "\n".join(lines) + "\n"
