"""Every check across config keys (rlv/pipeline/checks.py) as a plain unit test: a broken default config stops
`Plan` with a ConfigError that names the key and what it allows, and every shipped config passes."""

import copy
import re

import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO
from rlv.pipeline import ConfigError
from rlv.pipeline.checks import CHECKS
from rlv.pipeline.plan import Plan

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
SEARCHES = REPO / "config" / "searches"


def load(path) -> dict:
    config = yaml.safe_load((REPO / path).read_text())
    validate(config, SCHEMA)  # fills the schema's defaults, as Snakemake does
    return config


DEFAULT = load("config/config.yaml")


def changed(change) -> dict:
    config = copy.deepcopy(DEFAULT)
    change(config)
    return config


def drop(config: dict, *path):
    node = config
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


@pytest.mark.parametrize("path", ["config/config.yaml", ".test/config/config.yaml", "config/paper.yaml",
                                  "config/paper_long_cot.yaml"])
def test_the_shipped_configs_pass_every_check(path):
    config = load(path)
    for spec in (config.get("datasets") or {}).values():  # the paper configs name files a user brings
        spec.pop("path", None)
    Plan(config, searches_dir=SEARCHES)


BAD = [  # (change of the default config, the message, the check that raises it)
    (lambda c: c["eval"].update(runs=["base", "ppo"]),
     "config key eval.runs: 'ppo' is neither 'base' nor a run of rl.runs", "check_eval_runs"),
    (lambda c: c["figures"]["parallel_scaling"].update(verifier_run="grpo_easy"),
     r"config key figures.parallel_scaling.verifier_run: must be one of eval.runs \(\['base', 'grpo', 'grpo_v'\]\)",
     "check_parallel_scaling_runs"),
    (lambda c: c["figures"]["parallel_scaling"].update(base_run="base"),
     "config key separate_verifier: trains on the training rollouts of figures.parallel_scaling.base_run, which must "
     "then be a run of rl.runs", "check_baselines"),
    (lambda c: c["eval"].update(backend="vllm"),
     "config key eval.backend: 'vllm': the prompted judge .* runs only on the hf backend", "check_baselines"),
    (lambda c: c.pop("separate_verifier"),
     "config key verifier_heads: the heads train with separate_verifier's rollouts", "check_baselines"),
    (lambda c: c["datasets"].pop("train"), "config key datasets: needs a dataset named 'train'", "check_datasets"),
    (lambda c: c["eval"].update(datasets=["test", "math500"]),
     "config key eval.datasets: 'math500' is not a dataset of datasets", "check_datasets"),
    (lambda c: c["eval"].update(datasets=["ood"]) or c["figures"].pop("claims"),
     r"config key figures.parallel_scaling.dataset: must be one of eval.datasets \(\['ood'\]\)", "check_datasets"),
    (lambda c: c.pop("task"), "config key task: required by the synthetic dataset 'train'", "check_datasets"),
    (lambda c: c["datasets"].update(dev={"source": "synthetic"}),
     "config key datasets.dev.split: the synthetic source needs split 'train' or 'test'", "check_datasets"),
    (lambda c: c["datasets"].update(extra={"source": "jsonl", "path": "no/such/file.jsonl"}),
     "config key datasets.extra.path: no such file or directory: 'no/such/file.jsonl'", "check_datasets"),
    (lambda c: c["eval"]["runs_by_dataset"].update(dev=["grpo"]),
     "config key eval.runs_by_dataset.dev: 'dev' is not a dataset of datasets", "check_runs_by_dataset"),
    (lambda c: c["eval"]["runs_by_dataset"].update(ood=["grpo", "ppo"]),
     "config key eval.runs_by_dataset.ood: 'ppo' is neither 'base' nor a run of rl.runs", "check_runs_by_dataset"),
    (lambda c: c["figures"]["claims"].update(out_of_domain="ood2"),
     "config key figures.claims.out_of_domain: 'ood2' is not a dataset of datasets", "check_claim_datasets"),
    (lambda c: c["task"].update(levels=[1, 2]),
     r"config key rl.runs.grpo_easy.train_levels: levels \[3\] are not in the train dataset", "check_train_levels"),
    (lambda c: c["eval"].update(datasets=["test", "ood", "hard", "train"]) or c["eval"]["runs_by_dataset"].update(
        train=["grpo_easy"]),
     r"config key eval.runs_by_dataset.train: must include \['grpo', 'grpo_v'\], the runs compared on every dataset "
     "without a comparison of its own", "check_compared_runs_are_sampled"),
    (lambda c: c["figures"]["claims"].update(easy_to_hard="hard"),
     "config key figures.claims.easy_to_hard: base_run 'grpo' is not sampled on 'hard'",
     "check_compared_runs_are_sampled"),
    (lambda c: c["eval"]["runs_by_dataset"].update(hard=["grpo", "grpo_v"]),
     "config key figures.claims.easy_to_hard: base_run 'grpo_easy' is not sampled on 'hard'",
     "check_compared_runs_are_sampled"),
    (lambda c: c["figures"]["claims"].update(easy_to_hard={"dataset": "hard", "base_run": "grpo_easy",
                                                            "verifier_run": "grpo_v"}),
     "config key figures.claims.easy_to_hard: verifier_run 'grpo_v' is not sampled on 'hard'",
     "check_compared_runs_are_sampled"),
    (lambda c: c["eval"]["runs_by_dataset"].update(ood=["grpo"]),
     "config key figures.claims.out_of_domain: verifier_run 'grpo_v' is not sampled on 'ood'",
     "check_compared_runs_are_sampled"),
    (lambda c: c["datasets"]["ood"].update(family=c["task"]["family"]),
     "config key datasets.ood.family: the out-of-domain dataset 'ood' is drawn from '(expression|inverse)', the "
     "family the train dataset is trained on", "check_out_of_domain"),
    (lambda c: c["datasets"]["train"].update(family="other"),
     "config key datasets.train.family: 'other' means the family train is not", "check_out_of_domain"),
    (lambda c: c["datasets"].update(train={"source": "jsonl", "path": str(REPO / "tests" / "fixtures" /
                                                                          "math500_sample.jsonl")}),
     "config key datasets.ood.family: 'other' needs a synthetic train dataset", "check_out_of_domain"),
    (lambda c: drop(c, "datasets", "hard", "levels") or c["datasets"].update(
        hard={"source": "jsonl", "path": str(REPO / "tests" / "fixtures" / "math500_sample.jsonl")}),
     "config key datasets.hard.levels: the easy-to-hard dataset must name its levels", "check_easy_to_hard"),
    (lambda c: c["eval"]["runs_by_dataset"].update(hard=["grpo_easy", "grpo_v_easy", "grpo"])
     or c["figures"]["claims"].update(easy_to_hard={"dataset": "hard", "base_run": "grpo",
                                                     "verifier_run": "grpo_v_easy"}),
     "config key figures.claims.easy_to_hard: base_run 'grpo' trains on every level", "check_easy_to_hard"),
    (lambda c: c["datasets"]["hard"].update(levels=[3, 4, 5]),
     r"config key datasets.hard.levels: \[3, 4, 5\] must all lie above the levels \[1, 2, 3\]", "check_easy_to_hard"),
    (lambda c: c["rl"]["defaults"].update(vine_mc_samples=4),
     "config key rl.defaults.vine_mc_samples: VinePPO's key, but run 'grpo' has trainer 'grpo'", "check_vineppo_keys"),
    (lambda c: c["rl"]["runs"]["grpo_v"].update(vine_max_steps=2),
     "config key rl.runs.grpo_v.vine_max_steps: VinePPO's key, but run 'grpo_v' has trainer 'grpo'",
     "check_vineppo_keys"),
    (lambda c: c["rl"].update(processes=2) or c["resources"]["train_rl"].update(gpu=1),
     "config key rl.processes: CPU processes \\(gloo\\); a run on GPUs has one process per GPU", "check_training_batches"),
    (lambda c: c["rl"].update(processes=3),
     r"config key rl.runs.grpo: prompts_per_step x num_generations = 128 rollouts do not split over 3 processes",
     "check_training_batches"),
    (lambda c: c["rl"]["runs"]["grpo_v"].update(micro_batch_size=48),
     r"config key rl.runs.grpo_v: micro_batch_size 48 does not divide a process's 128 rollouts",
     "check_training_batches"),
    (lambda c: c["sequential_parallel"].update(verifier_run="ppo"),
     "config key sequential_parallel.verifier_run: 'ppo' is not a run of rl.runs", "check_sequential"),
    (lambda c: c["sequential_parallel"].update(dataset="math500"),
     "config key sequential_parallel.dataset: 'math500' is not a dataset of datasets", "check_sequential"),
    (lambda c: c["sequential_parallel"].update(budgets=[64, 32]),
     r"config key sequential_parallel.budgets: must ascend, got \[64, 32\]", "check_sequential"),
]


@pytest.mark.parametrize("change, message, check", BAD, ids=[f"{check}:{message[:50]}" for _, message, check in BAD])
def test_a_broken_rule_names_the_key(change, message, check):
    with pytest.raises(ConfigError, match=message) as error:
        Plan(changed(change), searches_dir=SEARCHES)
    raised_in = [frame.name for frame in error.traceback]
    assert check in raised_in or {"trained_family", "dataset_family"} & set(raised_in), raised_in


def test_every_check_has_a_case():
    covered = {check for _, _, check in BAD} | {"check_searches"}
    assert {check.__name__ for check in CHECKS} == covered


def test_a_bad_search_file_stops_the_plan_naming_the_file(tmp_path):
    (tmp_path / "sweep.yaml").write_text("seeds: [0]\nverify_coefs: [1.0]\nbases: {b: {}}\n"
                                         "designs: {d: {base: b, rationale: r}}\n")
    with pytest.raises(ConfigError, match=re.escape(f"{tmp_path / 'sweep.yaml'}: verify_coefs must include 0")):
        Plan(copy.deepcopy(DEFAULT), searches_dir=tmp_path)
    (tmp_path / "sweep.yaml").rename(tmp_path / "my-sweep.yaml")
    with pytest.raises(ConfigError, match="a design search's file name is its target's name"):
        Plan(copy.deepcopy(DEFAULT), searches_dir=tmp_path)


def test_checks_run_in_order_so_the_first_broken_rule_is_named():
    config = changed(lambda c: c["eval"].update(runs=["base", "ppo"]) or c["sequential_parallel"].update(budgets=[2, 1]))
    with pytest.raises(ConfigError, match="config key eval.runs"):
        Plan(config, searches_dir=SEARCHES)
