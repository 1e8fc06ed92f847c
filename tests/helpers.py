"""Helpers shared between test files: hand-made tables, configs, fixture paths and parsers of Snakemake's output.

Imported as `from helpers import ...` (pytest puts tests/, conftest's directory, on sys.path). No test file imports
another test file: what two of them share lives here. Every helper is a plain function or constant; each test
file wraps what it needs in fixtures of its own."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import yaml
from snakemake.utils import validate

from conftest import REPO

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
SEARCHES = REPO / "config" / "searches"
FIXTURES = REPO / "tests" / "fixtures"
# config/paper.yaml's datasets pointed at fixtures in the real formats
FIXTURE_PATHS = {"train": FIXTURES / "math", "math500": FIXTURES / "math500_sample.jsonl",
                 "math_level5": FIXTURES / "math", "gpqa_physics": FIXTURES / "gpqa" / "gpqa_fixture.csv",
                 "aime24": FIXTURES / "aime_sample.jsonl"}
STRATEGIES = ["pass_at_n", "majority", "best_of_n:p_yes", "weighted_vote:p_yes", "best_of_n:mean_logprob",
              "weighted_vote:mean_logprob"]


# --- configs

def read_config(path: str = "config/config.yaml") -> dict:
    """A config file of the repository as written (no schema defaults filled in)."""
    return yaml.safe_load((REPO / path).read_text())


def validated_config(path: str = "config/config.yaml") -> dict:
    """A config file as Snakemake sees it: validated, the schema's defaults filled in (e.g. task.family)."""
    config = read_config(path)
    validate(config, SCHEMA)
    return config


# --- Snakemake's output

RULE_FAMILIES = {"problems", "base_model", "train_rl", "sample", "score", "sweep", "efficiency",
                 "figure_parallel_scaling", "figure_training_dynamics", "figure_overview", "summary", "all",
                 "figure_generalization", "train_verifier", "score_separate_verifier", "figure_strategies",
                 "figure_verifier_quality", "judge"}
RULE_FAMILIES |= {"train_verifier_head", "score_verifier_head", "figure_verifier_form"}


def planned_jobs(output: str) -> dict[str, int]:
    """The 'Job stats' table of a run or dry run: rule -> count."""
    lines = output[output.index("Job stats:"):].splitlines()[3:]
    stats = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or parts[0] == "total":
            break
        stats[parts[0]] = int(parts[1])
    return stats


# --- worked solutions

SEGMENT = re.compile(r"\$([^$]*)\$")  # a math segment of a problem or solution


def evaluate_side(side: str) -> int:
    """One side of an equation of the inverse family's worked solutions, evaluated in Python (an oracle
    independent of the generator: the LaTeX operators replaced, the charset checked before eval)."""
    expression = side.replace("\\times ", "*").replace("\\div ", "//").strip()
    assert re.fullmatch(r"[0-9+\-*/ ]+", expression), side
    return eval(expression, {"__builtins__": {}}, {})  # noqa: S307 - charset checked above


# --- scored samples and sweeps

def scored_samples(run: str, skill: float, seed: int) -> pd.DataFrame:
    """30 problems x 8 samples, right ("42") with probability `skill`, p(Yes) higher on right answers."""
    rng = np.random.default_rng(seed)
    rows = []
    for problem in range(30):
        for sample in range(8):
            correct = rng.random() < skill
            answer = "42" if correct else str(rng.integers(0, 5))
            rows.append({"run": run, "dataset": "test", "problem_id": f"p{problem}", "sample": sample,
                         "answer": answer, "correct": correct, "p_yes": float(np.clip(0.5 + 0.3 * correct
                                                                                      + rng.normal(0, 0.2), 0, 1)),
                         "mean_logprob": float(-rng.random())})
    return pd.DataFrame(rows)


def two_run_sweep() -> pd.DataFrame:
    """The sweep of two runs (grpo, grpo_v) of equal skill over synthetic scored samples, N = 1, 2, 4, 8."""
    from rlv.analysis.aggregate import sweep
    return pd.concat([sweep(scored_samples(run, skill, seed), [1, 2, 4, 8], STRATEGIES, 50, 100, 0.95, 0)
                      .assign(run=run, dataset="test") for run, skill, seed in [("grpo", 0.4, 1), ("grpo_v", 0.4, 2)]])


def hand_scored(run: str, answers: list[list[str]], p_yes: list[list[float]], dataset: str = "test",
                right: str = "42") -> pd.DataFrame:
    """Samples from a grid of answers (problem x sample) whose right answer is always `right`."""
    return pd.DataFrame([{"run": run, "dataset": dataset, "problem_id": f"p{i}", "sample": j, "answer": answer,
                          "correct": answer == right, "p_yes": p_yes[i][j], "mean_logprob": -1.0}
                         for i, row in enumerate(answers) for j, answer in enumerate(row)])


# The generalization comparisons by hand (right answer "1"):
# majority: p0 right, p1-p3 wrong -> 0.25
GENERALIZATION_BASE = [["1", "1", "2", "3"], ["1", "2", "2", "3"], ["2", "2", "2", "3"], ["2", "2", "2", "3"]]
# p(Yes) 0.9 on the right answers: p0 and p1 right by best-of-N and weighted vote, p2 and p3 have none -> 0.5
GENERALIZATION_VERIFIER = [["1", "1", "2", "3"], ["1", "2", "2", "3"], ["2", "2", "2", "3"], ["2", "2", "2", "3"]]
GENERALIZATION_VERIFIER_P_YES = [[0.9 if a == "1" else 0.1 for a in row] for row in GENERALIZATION_VERIFIER]
GENERALIZATION_WRONG = [["2", "3", "3", "4"]] * 4


def generalization_inputs() -> tuple[dict, dict, dict]:
    """(scored samples by (run, dataset), sweeps by dataset, efficiency on test) of the three comparisons:
    in-domain on test (grpo, grpo_v), easy-to-hard on hard (grpo_easy, grpo_v_easy), out-of-domain on ood
    (grpo, grpo_v, no right answer at all)."""
    from rlv.analysis.aggregate import sweep
    from rlv.analysis.efficiency import compute_ratios
    flat = [[0.5] * 4] * 4

    def scored(run, dataset, answers, p_yes):
        return hand_scored(run, answers, p_yes, dataset, right="1")
    samples = {("grpo", "test"): scored("grpo", "test", GENERALIZATION_BASE, flat),
               ("grpo_v", "test"): scored("grpo_v", "test", GENERALIZATION_VERIFIER, GENERALIZATION_VERIFIER_P_YES),
               ("grpo_easy", "hard"): scored("grpo_easy", "hard", GENERALIZATION_BASE, flat),
               ("grpo_v_easy", "hard"): scored("grpo_v_easy", "hard", GENERALIZATION_VERIFIER,
                                               GENERALIZATION_VERIFIER_P_YES),
               ("grpo", "ood"): scored("grpo", "ood", GENERALIZATION_WRONG, flat),
               ("grpo_v", "ood"): scored("grpo_v", "ood", GENERALIZATION_WRONG, flat)}
    sweeps = {}
    for (run, dataset), frame in samples.items():
        table = sweep(frame, [1, 2, 4], STRATEGIES, 20, 50, 0.95, 0).assign(run=run, dataset=dataset)
        sweeps[dataset] = pd.concat([sweeps.get(dataset), table])
    efficiency = {"test": compute_ratios(sweeps["test"], "test", "grpo", "grpo_v")}
    return samples, sweeps, efficiency


def strategy_scored() -> list[pd.DataFrame]:
    """Scored samples of base, grpo and grpo_v, and grpo's samples re-scored by a separate verifier."""
    frames = [scored_samples(run, 0.45, seed) for seed, run in enumerate(["base", "grpo", "grpo_v"])]
    separate = frames[1].assign(run="grpo+verifier", p_yes=np.clip(frames[1]["p_yes"] * 0.8 + 0.1, 0, 1))
    return [*frames, separate]


def sweep_and_verifier(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sweep (N = 1, 2, 4, 8) and the verifier table (p_yes, mean_logprob) of scored frames, one run each."""
    from rlv.analysis.aggregate import sweep, verifier_metrics
    curves = pd.concat([sweep(f, [1, 2, 4, 8], STRATEGIES, 30, 50, 0.95, 0).assign(run=f["run"].iloc[0], dataset="test")
                        for f in frames], ignore_index=True)
    verifier = pd.DataFrame([{"run": f["run"].iloc[0], "dataset": "test", "score": score, **verifier_metrics(f, score)}
                             for f in frames for score in ("p_yes", "mean_logprob")])
    return curves, verifier


def head_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(sweep, verifier table, grpo's samples) of grpo, grpo_v and grpo's samples scored by the three verifier
    forms (grpo+verifier, grpo+bce, grpo+regression)."""
    grpo, grpo_v = scored_samples("grpo", 0.45, 1), scored_samples("grpo_v", 0.45, 2)
    rng = np.random.default_rng(5)
    heads = [grpo.assign(run=run, p_yes=np.clip(grpo["p_yes"] + rng.normal(0, 0.1, len(grpo)), 0, 1))
             for run in ("grpo+verifier", "grpo+bce", "grpo+regression")]
    curves, verifier = sweep_and_verifier([grpo, grpo_v, *heads])
    return curves, verifier, grpo


# --- a design search's base by hand

def design_base_tables(pass_at_1: dict[str, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A base's sweep and verifier tables on test, one run each ({run: its pass@1}): pass@2 0.9, majority 0.5,
    weighted vote by p(Yes) 0.55, best-of-N 0.45, weighted log-prob 0.5 (CIs -0.1/+0.05); verifier accuracy 0.75
    for p_yes, AUROC pooled 0.6 and within 0.55."""
    sweep, verifier = [], []
    for run, pass1 in pass_at_1.items():
        for strategy, score, n, accuracy in [("pass_at_n", "", 1, pass1), ("pass_at_n", "", 2, 0.9),
                                             ("majority", "", 2, 0.5), ("weighted_vote", "p_yes", 2, 0.55),
                                             ("best_of_n", "p_yes", 2, 0.45), ("weighted_vote", "mean_logprob", 2, 0.5)]:
            sweep.append({"run": run, "strategy": strategy, "score": score, "n": n, "accuracy": accuracy,
                          "ci_low": accuracy - 0.1, "ci_high": accuracy + 0.05})
        for score in ("p_yes", "mean_logprob"):
            verifier.append({"run": run, "score": score, "accuracy": 0.75 if score == "p_yes" else math.nan,
                             "auroc_pooled": 0.6, "auroc_within": 0.55})
    return pd.DataFrame(sweep), pd.DataFrame(verifier)


def design_scored() -> pd.DataFrame:
    """Scored samples of two problems: p's verdicts right, right, wrong (3 samples), q's right (1 sample)."""
    return pd.DataFrame({"problem_id": ["p", "p", "p", "q"], "correct": [True, False, True, False],
                         "p_yes": [0.9, 0.2, 0.4, 0.1]})


# --- the method comparison (rl_methods) by hand

METHOD_NS = [1, 2, 4, 8]


def method_sweep_rows(run: str, curves: dict) -> list[dict]:
    return [{"dataset": "test", "run": run, "strategy": spec.partition(":")[0], "score": spec.partition(":")[2],
             "n": n, "accuracy": a, "ci_low": a - 0.05, "ci_high": a + 0.05, "num_problems": 100}
            for spec, accuracies in curves.items() for n, a in zip(METHOD_NS, accuracies)]


def method_sweep() -> pd.DataFrame:
    """The sweep of two methods' arms (rloo, vineppo; lambda 0 and 1, seed 3) with hand-picked curves."""
    flat = [0.4, 0.4, 0.4, 0.4]
    rows = method_sweep_rows("rloo_l0_s3", {"pass_at_n": [0.4, 0.5, 0.6, 0.7], "majority": [0.4, 0.45, 0.5, 0.55],
                                            "best_of_n:p_yes": flat, "weighted_vote:p_yes": flat})
    rows += method_sweep_rows("rloo_l1_s3", {"pass_at_n": [0.4, 0.5, 0.6, 0.7], "majority": flat,
                                             "best_of_n:p_yes": [0.4, 0.42, 0.44, 0.46],
                                             "weighted_vote:p_yes": [0.4, 0.5, 0.55, 0.6]})
    rows += method_sweep_rows("vineppo_l0_s3", {"pass_at_n": [0.3, 0.4, 0.5, 0.6], "majority": [0.3, 0.3, 0.3, 0.3],
                                                "best_of_n:p_yes": flat, "weighted_vote:p_yes": flat})
    rows += method_sweep_rows("vineppo_l1_s3", {"pass_at_n": [0.3, 0.4, 0.5, 0.6], "majority": flat,
                                                "best_of_n:p_yes": [0.3, 0.35, 0.4, 0.45],
                                                "weighted_vote:p_yes": [0.3, 0.32, 0.34, 0.36]})
    return pd.DataFrame(rows)


def method_pair_list():
    """The pairs of method_sweep's arms, as rlv.pipeline.nested.method_pairs makes them for such a search."""
    from rlv.analysis.method_comparison import MethodPair
    return [MethodPair("rloo", "default", "RLOO", "rloo_l0_s3", "rloo_l1_s3"),
            MethodPair("vineppo", "default", "vineppo", "vineppo_l0_s3", "vineppo_l1_s3")]


# --- budget-forced samples (sequential x parallel scaling)

def random_budget_frame(rng, problems=12, samples=4, budgets=(4, 8, 16)) -> pd.DataFrame:
    """Budget rows of one run `r`: each sample has a natural reasoning length; under a smaller budget it is forced
    (forced tokens 3-6, a random answer), else it keeps its answer at the largest budget."""
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


# --- RL trainers on the tiny model

def parity_reward(completions, **_):
    """A reward with mixed outcomes even for an untrained model: 1 if the completion has an even length."""
    return [float(len(c[-1]["content"]) % 2 == 0) for c in completions]


def make_trainer(kind, tiny, problems, tmp_path, verify_coef=1.0, steps=2, **overrides):
    """A GRPO^V or leave-one-out PPO^V trainer on the tiny model with a rollout store, 2 prompts x 4 generations."""
    from rlv.rollouts import RolloutStore
    from rlv.training.params import RLParams
    from rlv.training.run import prompt_dataset, trl_config
    from rlv.training.trainers import TRAINERS
    model, tokenizer = tiny
    params = RLParams(**{"trainer": kind, "verify_coef": verify_coef, "steps": steps, "learning_rate": 1e-3,
                         "prompts_per_step": 2, "num_generations": 4, "max_completion_length": 12, "temperature": 1.0,
                         "beta": 0.0, "seed": 0, **overrides})
    store = RolloutStore(tmp_path / "rollouts.parquet", run=kind, seed=0)
    trainer = TRAINERS[kind](model=model, reward_funcs=[parity_reward], args=trl_config(params, str(tmp_path / "out")),
                             train_dataset=prompt_dataset(problems.head(16), ""), processing_class=tokenizer,
                             verify_coef=verify_coef, rollout_store=store)
    return trainer, store


def training_rollouts(problems, count: int, tokenizer) -> pd.DataFrame:
    """Rollouts in the training store's format: each problem's worked solution (label 1) or a wrong one (0), its ids
    the tokenizer's encoding with EOS."""
    from rlv.rollouts import TRAIN_COLUMNS
    rows = []
    for i, record in enumerate(problems.head(count).itertuples(index=False)):
        correct = i % 3 != 0
        completion = record.solution if correct else record.solution.replace(str(record.answer), "7", 1)
        rows.append({"run": "grpo", "step": 0, "group": i, "sample": 0, "problem_id": record.id,
                     "prompt": record.problem, "completion": completion,
                     "completion_ids": tokenizer.encode(completion, add_special_tokens=False) + [tokenizer.eos_token_id],
                     "answer": None, "reward": float(correct),
                     "label": int(correct), "num_tokens": 0, "truncated": False, "seed": 0})
    return pd.DataFrame(rows, columns=TRAIN_COLUMNS)


# A small verification study (config/studies's schema): two bases, a family on both and one on the sort base only.
STUDY = {
    "seed": 0, "target_within_auroc": 0.65, "pool": {"problems": 10, "num_samples": 4},
    "test": {"dataset": "test", "run": "grpo", "reference_run": "grpo_v"},
    "verifier": {"batch_size": 8, "learning_rate": 1e-4, "epochs": 2},
    "bases": {"default": {"overrides": {}, "pool_runs": ["base", "grpo"], "rationale": "as it is"},
              "sort": {"overrides": {"task": {"family": "sort"}}, "pool_runs": ["base"], "rationale": "sorting"}},
    "families": {"generative": {"form": "generative", "labels": "natural", "sizes": [0, 20], "bases": ["default", "sort"],
                                "rationale": "data"},
                 "fast": {"form": "bce", "labels": "within", "sizes": [30], "bases": ["sort"], "epochs": 3,
                          "learning_rate": 1e-3, "rationale": "optimisation"}},
}
