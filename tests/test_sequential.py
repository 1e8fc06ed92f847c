"""Sequential x parallel scaling and adaptive length: the verbose task, the forced-answer layout, the budgets'
shared reasoning, the per-budget best-strategy ratio by hand, the adaptive stopping rule and its token accounting
against a brute-force loop, the own base's config, the figures, and the target end to end on the test config
(and planned under config/paper_long_cot.yaml)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import snakemake
from test_inverse import _SEGMENT, evaluate
from test_workflow import planned_jobs

from rlv.inference.budget import finished_within, forced_completion, forced_input, phrase_ids, sample_under_budgets
from rlv.tasks.grading import grade
from rlv.analysis.sequential import adaptive_table, own_base_config, ratio_table, strategy_table
from rlv.tasks.synthetic import generate
from rlv.tasks.worked import FINAL_PHRASE

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.mark.parametrize("family", ["inverse", "expression"])
def test_verbose_solutions_check_themselves_and_close_with_the_phrase(family):
    short = generate("train", 200, [1, 2, 3, 4, 5], seed=0, family=family)
    verbose = generate("train", 200, [1, 2, 3, 4, 5], seed=0, family=family, verbose=True)
    assert verbose["problem"].equals(short["problem"]) and verbose["answer"].equals(short["answer"])
    for row in verbose.itertuples(index=False):
        assert row.solution.endswith(f" {FINAL_PHRASE} $\\boxed{{{row.answer}}}$.") and grade(row.solution, row.answer)
        assert "Check" in row.solution and row.solution.count(FINAL_PHRASE) == 1
        for segment in _SEGMENT.findall(row.solution):
            if "=" in segment and "x" not in segment and "boxed" not in segment:
                assert len({evaluate(side) for side in segment.split("=")}) == 1, (row.problem, segment)
    assert verbose["solution"].str.len().mean() > 1.6 * short["solution"].str.len().mean()


def test_the_forced_phrase_is_the_one_the_verbose_solutions_teach():
    assert DEFAULT["sequential_parallel"]["answer_phrase"] == FINAL_PHRASE
    assert DEFAULT["sequential_parallel"]["overrides"]["task"]["verbose"] is True


def test_forced_answer_layout_matches_a_hand_built_sequence(tiny):
    _, tokenizer = tiny
    solution = generate("train", 1, [3], seed=0, family="inverse", verbose=True)["solution"].iloc[0]
    reasoning_text, answer_text = solution.split(f" {FINAL_PHRASE}")
    prompt = [7, 8, 9]
    reasoning = tokenizer.encode(reasoning_text + " more reasoning", add_special_tokens=False)
    budget = len(tokenizer.encode(reasoning_text, add_special_tokens=False))
    phrase = phrase_ids(tokenizer, FINAL_PHRASE)
    # what the warm-up saw: the solution's own tokens up to and including the phrase
    hand_built = tokenizer.encode(f"{reasoning_text} {FINAL_PHRASE}", add_special_tokens=False)
    assert forced_input(prompt, reasoning, budget, phrase) == prompt + hand_built
    answer = tokenizer.encode(answer_text, add_special_tokens=False) + [tokenizer.eos_token_id]
    assert tokenizer.decode(forced_completion(reasoning, budget, phrase, answer), skip_special_tokens=True) == solution
    eos = tokenizer.eos_token_id
    assert finished_within([1, 2, eos], 3, eos) and not finished_within([1, 2, eos], 2, eos)
    assert not finished_within([1, 2, 3], 3, eos) and not finished_within([], 3, eos)


@pytest.fixture(scope="module")
def budget_rows(tiny_model_dir, problems):
    from rlv.models import load_model
    model, tokenizer = load_model(tiny_model_dir)
    rows = sample_under_budgets(model, tokenizer, problems.head(3), [4, 8, 16], 3, 1.0, 5, FINAL_PHRASE, 4, seed=0,
                                run="r", dataset="d")
    return rows, model, tokenizer


def test_budgets_continue_one_reasoning_and_force_only_unfinished_samples(budget_rows):
    rows, _, tokenizer = budget_rows
    eos, phrase = tokenizer.eos_token_id, phrase_ids(tokenizer, FINAL_PHRASE)
    assert len(rows) == 3 * 3 * 3 and set(rows["budget"]) == {4, 8, 16} and rows["forced"].any()
    for (_, sample), group in rows.groupby(["problem_id", "sample"]):
        longest = group[group["budget"] == 16].iloc[0]
        reasoning = list(longest["completion_ids"])[:longest["reasoning_tokens"]]
        for row in group.itertuples(index=False):
            ids = list(row.completion_ids)
            assert row.num_tokens == len(ids) == row.reasoning_tokens + row.forced_tokens
            if row.forced:
                assert ids[:row.budget] == reasoning[:row.budget] and row.reasoning_tokens == row.budget
                assert ids[row.budget:row.budget + len(phrase)] == phrase
                assert len(phrase) <= row.forced_tokens <= len(phrase) + 5
            else:
                assert ids == reasoning and len(ids) <= row.budget and ids[-1] == eos and row.forced_tokens == 0
    assert rows["p_yes"].between(0, 1).all() and (rows["mean_logprob"] <= 0).all()


def test_budget_rows_are_scored_as_rlv_score_scores_them(budget_rows):
    from rlv.tasks.chat import prompt_ids
    from rlv.verifier import answer_token_ids, score_solutions, verification_suffix_ids
    rows, model, tokenizer = budget_rows
    row = rows.iloc[5]
    yes, no = answer_token_ids(tokenizer)
    alone = score_solutions(model, [prompt_ids(tokenizer, row["prompt"], "")], [list(row["completion_ids"])],
                            verification_suffix_ids(tokenizer), yes, no, {tokenizer.eos_token_id, tokenizer.pad_token_id},
                            tokenizer.pad_token_id)
    assert alone["p_yes"][0] == pytest.approx(row["p_yes"], abs=1e-5)
    assert alone["mean_logprob"][0] == pytest.approx(row["mean_logprob"], abs=1e-5)


def _rows(run, budget, table):
    """Budget rows from (problem, sample, answer, correct, p_yes) tuples."""
    return pd.DataFrame([{"run": run, "budget": budget, "problem_id": p, "sample": s, "answer": a, "correct": c,
                          "p_yes": y, "mean_logprob": -1.0, "forced": False, "reasoning_tokens": 10,
                          "forced_tokens": 0, "num_tokens": 10} for p, s, a, c, y in table])


def test_the_best_strategy_per_budget_and_the_ratio_by_hand():
    # base: 4 problems x 3 samples. majority right on p0, p1, p2 (3/4); best-of-N by p(Yes) right on p0 only (1/4)
    base = _rows("base", 8, [("p0", 0, "1", True, .2), ("p0", 1, "1", True, .1), ("p0", 2, "2", False, .3),
                             ("p1", 0, "3", True, .1), ("p1", 1, "3", True, .1), ("p1", 2, "4", False, .9),
                             ("p2", 0, "5", True, .1), ("p2", 1, "5", True, .2), ("p2", 2, "6", False, .8),
                             ("p3", 0, "7", False, .5), ("p3", 1, "7", False, .5), ("p3", 2, "8", True, .1)])
    base.loc[base["problem_id"] == "p0", "p_yes"] = [.9, .1, .3]  # best-of-N picks sample 0 (right) on p0
    # verifier: best-of-N by p(Yes) right everywhere (4/4); majority right on p0, p1 (2/4)
    verifier = _rows("ver", 8, [("p0", 0, "1", True, .9), ("p0", 1, "1", True, .1), ("p0", 2, "2", False, .1),
                                ("p1", 0, "3", True, .1), ("p1", 1, "3", True, .9), ("p1", 2, "4", False, .1),
                                ("p2", 0, "5", False, .1), ("p2", 1, "5", False, .1), ("p2", 2, "6", True, .9),
                                ("p3", 0, "7", False, .1), ("p3", 1, "7", False, .2), ("p3", 2, "8", True, .8)])
    scored = {"base": base, "ver": verifier}
    strategies = ["pass_at_n", "majority", "best_of_n:p_yes"]
    table = strategy_table(scored, strategies, num_bootstrap=200)
    accuracy = table.set_index(["run", "strategy"])["accuracy"]
    assert accuracy[("base", "majority")] == 0.75 and accuracy[("base", "best_of_n:p_yes")] == 0.25
    assert accuracy[("ver", "majority")] == 0.5 and accuracy[("ver", "best_of_n:p_yes")] == 1.0
    assert accuracy[("base", "pass_at_n")] == 1.0 and set(table["mean_tokens"]) == {30.0}
    ratios = ratio_table(scored, table, "base", "ver", strategies, num_bootstrap=500)
    row = ratios.iloc[0]
    assert (row["base_strategy"], row["verifier_strategy"]) == ("majority", "best_of_n:p_yes")
    assert row["ratio"] == pytest.approx(1.0 / 0.75) and row["ci_low"] <= row["ratio"] <= row["ci_high"]
    # the paired bootstrap resamples problems: per problem base (1, 1, 1, 0) and verifier (1, 1, 1, 1)
    rng = np.random.default_rng(0)
    draws = rng.integers(0, 4, size=(500, 4))
    with np.errstate(divide="ignore"):
        ratios_by_hand = 1 / np.array([1, 1, 1, 0])[draws].mean(axis=1)
    assert row["ci_high"] == pytest.approx(np.nanquantile(ratios_by_hand, 0.975, method="inverted_cdf"))


def _random_budget_frame(rng, problems=12, samples=4, budgets=(4, 8, 16)):
    rows = []
    for p in range(problems):
        for s in range(samples):
            length = int(rng.integers(2, 24))  # natural length of the sample's reasoning
            answers = [["1", "2", "3", None][int(rng.integers(4))] for _ in budgets]
            for b, answer in zip(budgets, answers):
                forced = length > b
                answer = answers[-1] if not forced else answer  # a finished sample keeps its answer
                forced_tokens = int(rng.integers(3, 7)) if forced else 0
                rows.append({"run": "r", "problem_id": f"p{p:02d}", "sample": s, "budget": b, "answer": answer,
                             "correct": answer == "1", "p_yes": float(rng.random()), "mean_logprob": -1.0,
                             "forced": forced, "reasoning_tokens": min(length, b), "forced_tokens": forced_tokens,
                             "num_tokens": min(length, b) + forced_tokens})
    return pd.DataFrame(rows)


def _brute_force(frame, tau):
    """Per problem: walk up the budgets, count the tokens sample by sample, stop when confident."""
    budgets = sorted(frame["budget"].unique())
    values, spent = [], []
    for _, problem in frame.groupby("problem_id"):
        forced_so_far = 0
        for k, b in enumerate(budgets):
            at = problem[problem["budget"] == b]
            forced_so_far += at["forced_tokens"].sum()
            weight = {}
            for answer, p in zip(at["answer"], at["p_yes"]):
                if isinstance(answer, str):  # None: no answer, no vote
                    weight[answer] = weight.get(answer, 0.0) + p
            share = max(weight.values()) / at["p_yes"].sum() if weight else 0.0
            if share >= tau or k == len(budgets) - 1:
                winners = [a for a, w in weight.items() if w == max(weight.values())] if weight else []
                values.append(sum(a == "1" for a in winners) / len(winners) if winners else 0.0)
                spent.append(at["reasoning_tokens"].sum() + forced_so_far)
                break
    return np.mean(values), np.mean(spent)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adaptive_stopping_and_token_accounting_against_brute_force(seed):
    frame = _random_budget_frame(np.random.default_rng(seed))
    thresholds = [0.0, 0.3, 0.5, 0.7, 0.9, 1.0, 1.5]
    table = adaptive_table({"r": frame}, thresholds)
    adaptive = table[table["mode"] == "adaptive"].set_index("threshold")
    for tau in thresholds:
        accuracy, tokens = _brute_force(frame, tau)
        assert adaptive.loc[tau, "accuracy"] == pytest.approx(accuracy)
        assert adaptive.loc[tau, "mean_tokens"] == pytest.approx(tokens)
    fixed = table[table["mode"] == "fixed"].set_index("budget")
    for b in (4, 8, 16):
        at = frame[frame["budget"] == b]
        assert fixed.loc[b, "mean_tokens"] == pytest.approx(at.groupby("problem_id")["num_tokens"].sum().mean())
    # tau 0 stops at once: the first fixed budget; tau > 1 never stops early and pays every budget's forced answers
    assert adaptive.loc[0.0, "mean_tokens"] == pytest.approx(fixed.loc[4, "mean_tokens"])
    assert adaptive.loc[1.5, "accuracy"] == pytest.approx(fixed.loc[16, "accuracy"])
    extra = frame[frame["budget"] < 16].groupby("problem_id")["forced_tokens"].sum().mean()
    assert adaptive.loc[1.5, "mean_tokens"] == pytest.approx(fixed.loc[16, "mean_tokens"] + extra)


def test_own_base_config_keeps_the_two_runs_and_drops_the_main_dags_baselines():
    own = own_base_config(DEFAULT)
    assert own["task"]["verbose"] is True and own["rl"]["defaults"]["max_completion_length"] == 256
    assert list(own["rl"]["runs"]) == ["grpo", "grpo_v"] and own["eval"]["runs"] == ["grpo", "grpo_v"]
    assert own["eval"]["datasets"] == ["test"] and set(own["datasets"]) == {"train", "test"}
    assert own["sequential_parallel"]["models"] == "main" and "overrides" not in own["sequential_parallel"]
    assert "separate_verifier" not in own and "runs_by_dataset" not in own["eval"] and "claims" not in own["figures"]
    assert DEFAULT["rl"]["defaults"]["max_completion_length"] == 160  # the active config is untouched


def test_figures_draw_png_and_pdf(tmp_path):
    from rlv.figures import FIGURES
    rng = np.random.default_rng(0)
    scored = {run: _random_budget_frame(rng).assign(run=run) for run in ("a", "b")}
    strategies = ["pass_at_n", "majority", "best_of_n:p_yes", "weighted_vote:p_yes"]
    table = strategy_table(scored, strategies, num_bootstrap=50)
    ratios = ratio_table(scored, table, "a", "b", strategies, num_bootstrap=50)
    FIGURES["sequential_parallel"](budget_strategies=table, ratios=ratios, out=str(tmp_path / "s.png"), params={})
    FIGURES["adaptive_length"](adaptive=adaptive_table(scored, [0.5, 0.9]), out=str(tmp_path / "a.png"), params={})
    for name in ("s", "a"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000 and (tmp_path / f"{name}.pdf").stat().st_size > 0


@pytest.mark.slow
def test_sequential_parallel_target_runs_its_own_base_end_to_end(tmp_path):
    shutil.copytree(REPO / ".test" / "config", tmp_path / "config")
    output = snakemake("--cores", "2", "sequential_parallel", cwd=tmp_path, offline=True)
    assert planned_jobs(output) == {"sequential_config": 1, "sequential_models": 1, "sequential_tables": 1,
                                    "figure_sequential_parallel": 1, "figure_adaptive_length": 1,
                                    "sequential_parallel": 1}
    spec = yaml.safe_load((tmp_path / "config" / "config.yaml").read_text())["sequential_parallel"]
    root = tmp_path / "results" / "experiments" / "sequential_parallel"
    train = pd.read_parquet(root / "results" / "data" / "train.parquet")
    assert train["solution"].str.contains(f" {FINAL_PHRASE} ", regex=False).all()  # the verbose task
    assert {path.name for path in (root / "results" / "models").iterdir()} == {"base", "grpo", "grpo_v"}
    for run in ("grpo", "grpo_v"):
        rows = pd.read_parquet(root / "results" / "rollouts" / "budget" / run / "test.parquet")
        assert len(rows) == 20 * spec["num_samples"] * len(spec["budgets"])
        assert rows["forced"].any() and rows["p_yes"].between(0, 1).all()
    ratios = pd.read_parquet(tmp_path / "results" / "metrics" / "sequential_parallel" / "ratios.parquet")
    assert list(ratios["budget"]) == spec["budgets"]
    adaptive = pd.read_parquet(tmp_path / "results" / "metrics" / "sequential_parallel" / "adaptive.parquet")
    assert len(adaptive) == 2 * (len(spec["budgets"]) + len(spec["thresholds"]))
    assert "| budget (tokens) |" in (tmp_path / "results" / "metrics" / "sequential_parallel" / "ratios.md").read_text()
    for name in ("sequential_parallel", "adaptive_length"):
        assert (tmp_path / "results" / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (tmp_path / "results" / "figures" / f"{name}.pdf").exists()
    assert (tmp_path / "results" / "benchmarks" / "sequential_parallel" / "sequential_models.tsv").exists()
    assert (root / "results" / "benchmarks" / "sample_budgets" / "grpo_v" / "test.tsv").exists()
    assert not (tmp_path / "results" / "models").exists()  # the main DAG's models are not built
    assert "Nothing to be done" in snakemake("--cores", "2", "sequential_parallel", "-n", cwd=tmp_path)


def test_paper_long_cot_plans_the_target_on_its_own_models(tmp_path):
    from test_paper_config import FIXTURE_PATHS
    config = yaml.safe_load((REPO / "config" / "paper_long_cot.yaml").read_text())
    for name in config["datasets"]:
        config["datasets"][name]["path"] = str(FIXTURE_PATHS[name])
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    output = snakemake("-n", "--cores", "2", "sequential_parallel", "-p", cwd=tmp_path)
    jobs = planned_jobs(output)
    assert jobs["sample_budgets"] == 2 and jobs["train_rl"] == 2 and "sequential_models" not in jobs
    spec = config["sequential_parallel"]
    assert spec["models"] == "main" and max(spec["budgets"]) <= config["eval"]["max_new_tokens"]
    assert re.search(r'"budgets": \[' + ", ".join(map(str, spec["budgets"])) + r"\]", output)


@pytest.mark.parametrize("key,value,expected", [
    ("base_run", "ppo", "config key sequential_parallel.base_run: 'ppo' is not a run of rl.runs"),
    ("dataset", "math500", "config key sequential_parallel.dataset: 'math500' is not a dataset of datasets"),
    ("budgets", [64, 32], "config key sequential_parallel.budgets: must ascend"),
    ("models", "both", "On instance['sequential_parallel']['models']"),
])
def test_a_bad_sequential_key_stops_snakemake_naming_it(tmp_path, key, value, expected):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["sequential_parallel"][key] = value
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and expected in result.stdout + result.stderr
