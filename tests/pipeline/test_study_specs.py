"""Verification study files (rlv/pipeline/study_specs.py): validation that names the key, the arms a file plans, where each
base's files live, and the study files the project ships."""

import copy
from pathlib import Path

import pytest

from rlv.pipeline import ConfigError
from helpers import STUDY
from rlv.pipeline.plan import Plan
from rlv.pipeline.study_specs import (base_config, base_root, base_targets, check_joint_runs, check_runs,
                                      describe_bases, discover_studies, joint_pairs, pool_problems, study_arms,
                                      table_runs, validate_study)

REPO = Path(__file__).resolve().parents[2]

def test_arms_in_file_order_with_the_family_overrides():
    validate_study(STUDY, "s.yaml")
    arms = study_arms(STUDY)
    assert [(a.base, a.name) for a in arms] == [("default", "generative_n0"), ("default", "generative_n20"),
                                                 ("sort", "generative_n0"), ("sort", "generative_n20"),
                                                 ("sort", "fast_n30")]
    fast = arms[-1]
    assert (fast.form, fast.labels, fast.learning_rate, fast.epochs, fast.batch_size) == ("bce", "within", 1e-3, 3, 8)
    assert fast.steps == 12 and arms[1].steps == 5 and arms[0].steps == 0  # ceil(30 * 3 / 8), ceil(20 * 2 / 8)


def test_a_base_caps_its_cost_with_pool_problems_and_max_size():
    study = copy.deepcopy(STUDY)
    study["bases"]["sort"].update(pool_problems=3, max_size=20)
    validate_study(study, "s.yaml")
    assert [(a.base, a.name) for a in study_arms(study)] == [("default", "generative_n0"), ("default", "generative_n20"),
                                                              ("sort", "generative_n0"), ("sort", "generative_n20")]
    assert pool_problems(study, "sort") == 3 and pool_problems(study, "default") == 10
    assert "pool from base; pool_problems 3; max_size 20)" in describe_bases(study)["sort"]
    study["bases"]["sort"]["max_size"] = -1
    with pytest.raises(ConfigError, match="s.yaml: bases.sort.max_size: -1 is less than the minimum of 0"):
        validate_study(study, "s.yaml")


def test_where_a_base_lives_and_what_its_dag_builds():
    assert base_root("vs", STUDY, "default") == "" and base_root("vs", STUDY, "sort") == "results/studies/vs/sort/"
    assert base_targets(STUDY, "sort") == ["results/data/train.parquet", "results/models/base",
                                           "results/rollouts/scored/grpo/test.parquet",
                                           "results/rollouts/scored/grpo_v/test.parquet"]
    assert "results/models/grpo" in base_targets(STUDY, "default")


def test_a_base_adds_joint_pairs_whose_runs_its_dag_samples():
    study = copy.deepcopy(STUDY)
    study["bases"]["sort"]["overrides"]["rl"] = {"runs": {"grpo_s1": {"verify_coef": 0.0, "seed": 1},
                                                          "grpo_v_s1": {"verify_coef": 1.0, "seed": 1}}}
    study["bases"]["sort"]["joint"] = [{"base_run": "grpo_s1", "verifier_run": "grpo_v_s1"},
                                       {"base_run": "grpo", "verifier_run": "grpo_v_s1"}]
    validate_study(study, "s.yaml")
    assert joint_pairs(study, "sort") == [("grpo", "grpo_v"), ("grpo_s1", "grpo_v_s1"), ("grpo", "grpo_v_s1")]
    assert table_runs(study, "sort") == ["grpo", "grpo_v", "grpo_s1", "grpo_v_s1"]
    assert table_runs(study, "default") == ["grpo", "grpo_v"]
    assert base_targets(study, "sort")[-2:] == ["results/rollouts/scored/grpo_s1/test.parquet",
                                                "results/rollouts/scored/grpo_v_s1/test.parquet"]
    config = {"rl": {"runs": {"grpo": {"verify_coef": 0.0}, "grpo_v": {"verify_coef": 1.0}}}}
    check_joint_runs(study, "sort", base_config(config, study, "sort"), "s.yaml")
    with pytest.raises(ConfigError, match=r"s.yaml: bases.sort.joint\[0\].base_run: 'grpo_s1' is not an RL run of "
                                          r"the base's config \(\['grpo', 'grpo_v'\]\)"):
        check_joint_runs(study, "sort", config, "s.yaml")
    study["bases"]["sort"]["joint"][1]["verifier_run"] = "grpo_s1"
    with pytest.raises(ConfigError, match=r"bases.sort.joint\[1\].verifier_run: 'grpo_s1' trains without the "
                                          "verification loss"):
        check_joint_runs(study, "sort", base_config(config, study, "sort"), "s.yaml")
    study["bases"]["sort"]["joint"][1].pop("verifier_run")
    with pytest.raises(ConfigError, match="s.yaml: bases.sort.joint.1: 'verifier_run' is a required property"):
        validate_study(study, "s.yaml")


@pytest.mark.parametrize("edit, message", [
    (lambda s: s["families"]["fast"].update(bases=["wide"]), r"families.fast.bases: \['wide'\] are not among bases"),
    (lambda s: s["families"]["fast"].update(sizes=[0]), r"families.fast.sizes: n = 0 \(the untrained warm-up model\) "
                                                         "needs form generative"),
    (lambda s: s["families"]["fast"].update(labels="sideways"), "families.fast.labels: 'sideways' is not one of"),
    (lambda s: s["pool"].pop("num_samples"), "pool: 'num_samples' is a required property"),
    (lambda s: s.update(target_within_auroc=0.4), "target_within_auroc: 0.4 is less than or equal to"),
])
def test_a_bad_study_names_the_key(edit, message):
    study = copy.deepcopy(STUDY)
    edit(study)
    with pytest.raises(ConfigError, match=f"s.yaml: {message}"):
        validate_study(study, "s.yaml")


def test_runs_must_be_the_configs():
    check_runs(STUDY, ["grpo", "grpo_v"], "s.yaml")
    with pytest.raises(ConfigError, match=r"s.yaml: test.reference_run: 'grpo_v' is not base or an RL run"):
        check_runs(STUDY, ["grpo"], "s.yaml")
    study = copy.deepcopy(STUDY)
    study["test"]["run"] = "base"
    with pytest.raises(ConfigError, match="test.run: an RL run, not the warm-up model"):
        check_runs(study, ["grpo", "grpo_v"], "s.yaml")


def test_the_shipped_studies_are_valid_and_plan_against_their_configs():
    from rlv.pipeline.config import read_yaml
    for config_dir in (REPO / "config", REPO / ".test" / "config"):
        studies = discover_studies(config_dir / "studies")
        assert "verification_scaling" in studies
        plan = Plan(read_yaml(config_dir / "config.yaml"), workflow_dir=REPO, searches_dir=config_dir / "searches",
                    studies_dir=config_dir / "studies")
        for name in studies:
            spec = plan.study(name)
            for arm in study_arms(spec):
                params = plan.study_arm_params(name, arm.base, arm.name)
                assert params["size"] == arm.size and params["seed"] == spec["seed"]
