"""Stage parameters (rlv/pipeline/params.py): what every rule passes parses into its stage's typed parameters for
every shipped config, the RL run's parameters cover the schema's keys, and the JSON a rule passes stays as it
was (a changed JSON reruns that job for every user with results)."""

import dataclasses

import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO
from rlv.pipeline.manifest import load_manifest
from rlv.pipeline.params import as_json
from rlv.pipeline.plan import Plan
from rlv.pipeline.study_specs import study_arms
from rlv.pipeline.registry import STAGES
from rlv.pipeline.stages import evaluate, models, parse_params
from rlv.training.params import RLParams

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
CONFIGS = ["config/config.yaml", ".test/config/config.yaml", "config/paper.yaml", "config/paper_long_cot.yaml"]


def plan_of(path: str) -> Plan:
    config = yaml.safe_load((REPO / path).read_text())
    validate(config, str(SCHEMA))
    for spec in (config.get("datasets") or {}).values():  # the paper configs name files a user brings
        spec.pop("path", None)
    return Plan(config, searches_dir=REPO / "config" / "searches", studies_dir=REPO / "config" / "studies")


def stage_params(plan: Plan, studies: bool = True):
    """(subcommand, the dict a rule passes) for every job the plan holds; the studies' jobs where `studies` (they are
    written for the default config, whose runs and test split they name)."""
    yield "base-model", plan.base_model_params()
    for run in plan.rl_runs:
        yield "train", plan.rl_params(run)
    for run in ["base", *plan.rl_runs]:
        yield "sample", plan.sample_params(run)
    yield "score", plan.score_params()
    yield "score-head", plan.head_score_params()
    yield "sweep", plan.sweep_params()
    for dataset in plan.datasets:
        yield "efficiency", plan.efficiency_params(dataset)
    yield "summary", plan.summary_params()
    yield "design-table", plan.bootstrap_params(dataset="test")
    if plan.separate_verifier:
        yield "train-verifier", plan.separate_verifier_params()
    for form in plan.head_runs:
        yield "train-verifier-head", plan.head_params(form)
    if plan.judge:
        yield "judge", plan.judge_params()
    if plan.sequential:
        for run in (plan.sequential["base_run"], plan.sequential["verifier_run"]):
            yield "sample-budgets", plan.budget_params(run)
        yield "sequential-tables", plan.sequential_table_params()
    for study, spec in (plan.studies if studies else {}).items():
        for base, base_spec in spec["bases"].items():
            yield "study-pool-problems", plan.study_pool_problems_params(study, base)
            for run in base_spec["pool_runs"]:
                yield "sample", plan.study_pool_params(study, run)
        for arm in study_arms(spec):
            yield "study-arm", plan.study_arm_params(study, arm.base, arm.name)
        yield "study-table", plan.study_table_params(study)


@pytest.mark.parametrize("path", CONFIGS)
def test_every_rules_params_parse_into_its_stages_type(path):
    plan = plan_of(path)
    parsed = [parse_params(STAGES[stage][1], params, stage)
              for stage, params in stage_params(plan, studies=not path.startswith("config/paper"))]
    assert len(parsed) >= 9
    for entry in load_manifest():  # every figure of the manifest has its rule's parameters
        assert isinstance(plan.figure_params(entry["name"]), dict)


def test_rl_params_has_one_field_per_key_of_an_rl_run():
    schema = yaml.safe_load(SCHEMA.read_text())
    keys = set(schema["definitions"]["rl_params"]["properties"]) - {"label"}
    assert {field.name for field in dataclasses.fields(RLParams)} == keys | {"instruction", "threads", "device", "precision"}


def test_unknown_and_missing_keys_are_named():
    from rlv.pipeline import ConfigError
    with pytest.raises(ConfigError, match=r"rlv sweep --params: unknown key\(s\) \['num_subset'\]"):
        parse_params(evaluate.SweepParams, {"num_subset": 3}, "sweep")
    with pytest.raises(ConfigError, match=r"rlv sweep --params: missing key\(s\) \['ns', 'strategies'"):
        parse_params(evaluate.SweepParams, {}, "sweep")
    with pytest.raises(ConfigError, match=r"rlv base-model --params warmup: missing key\(s\) \['check_share'\]"):
        parse_params(models.BaseModelParams, {"seed": 0, "warmup": {"steps": 1, "batch_size": 1, "learning_rate": 0.1,
                                                                    "warmup_steps": 0}}, "base-model")
    parsed = parse_params(models.BaseModelParams, {"seed": 0, "warmup": {"steps": 1, "batch_size": 1, "learning_rate": 0.1,
                                                                         "warmup_steps": 0, "check_share": 0.2}},
                          "base-model")
    assert parsed.warmup == models.Warmup(1, 1, 0.1, 0, 0.2)


def test_the_test_configs_rule_params_are_the_json_they_always_were():
    plan = plan_of(".test/config/config.yaml")
    assert as_json(plan.sample_params("grpo_v")) == (
        '{"batch_size": 64, "instruction": "", "max_new_tokens": 48, "num_samples": 8, "seed": 0, "self_score": true, '
        '"shard_problems": 8, "temperature": 1.0}')
    assert as_json(plan.rl_params("grpo_v_easy")) == (
        '{"beta": 0.0, "checkpoint_every": 2, "epsilon": 0.2, "instruction": "", "learning_rate": 5e-05, '
        '"loss_type": "dapo", "max_completion_length": 48, "num_generations": 4, "num_iterations": 1, '
        '"prompts_per_step": 4, "seed": 0, "steps": 3, "temperature": 1.0, "train_levels": [1, 2, 3], '
        '"trainer": "grpo", "verify_coef": 1.0}')
    assert as_json(plan.score_params()) == '{"batch_size": 64, "instruction": ""}'


def test_the_summary_receives_the_judges_samples_and_the_sweeps_subsets():
    """With a judge in the config the summary's claims name its pseudo-run, the summary rule reads its scored
    samples on the parallel-scaling dataset, and the compute ratio's curves use the sweep's vote subsets."""
    plan = plan_of(".test/config/config.yaml")
    claims = plan.summary_params()["claims"]
    assert claims["judge_run"] == "grpo+judge" and claims["num_subsets"] == 50
    assert "results/rollouts/scored/grpo+judge/test.parquet" in plan.comparison_scores()
    assert len(plan.comparison_scores()) == len(set(plan.comparison_scores()))
    config = yaml.safe_load((REPO / ".test/config/config.yaml").read_text())
    del config["judge"]
    without = Plan(config, searches_dir=REPO / "config" / "searches")
    assert without.summary_params()["claims"]["judge_run"] is None
    assert not any("+judge" in path for path in without.comparison_scores())
