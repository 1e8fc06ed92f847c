"""Plan(config) (rlv/pipeline/plan.py) on the generalization comparisons, against hand-made expectations: the
levels each RL run trains on, the family each synthetic dataset is drawn from (`other` resolved), the
comparisons and the runs sampled on each dataset. (A broken config naming its key: test_checks.py.)"""

import copy

from helpers import SEARCHES, validated_config
from rlv.pipeline.plan import Plan
from rlv.tasks.synthetic import generate


def default_config() -> dict:
    """config/config.yaml as Snakemake sees it (the schema's defaults filled in, e.g. task.family)."""
    return validated_config("config/config.yaml")


def plan_of(config: dict) -> Plan:
    return Plan(config, searches_dir=SEARCHES)


# --- the levels of an RL run

def test_the_easy_runs_train_on_levels_1_to_3_and_the_hard_set_holds_4_and_5():
    config = default_config()
    plan = plan_of(config)
    assert plan.train_levels("grpo_easy") == plan.train_levels("grpo_v_easy") == [1, 2, 3]
    assert plan.train_levels("grpo") is None
    easy = config["rl"]["runs"]["grpo_easy"], config["rl"]["runs"]["grpo_v_easy"]
    assert (easy[0]["verify_coef"], easy[1]["verify_coef"]) == (0.0, 1.0)
    for family in ("expression", "inverse"):
        hard = generate("test", 10, config["datasets"]["hard"]["levels"], seed=0, family=family)
        assert hard["level"].tolist() == [4, 5] * 5


def test_dataset_levels_are_their_own_else_the_tasks():
    plan = plan_of(default_config())
    assert plan.dataset_levels("hard") == [4, 5]
    assert plan.dataset_levels("test") == plan.dataset_levels("ood") == [1, 2, 3, 4, 5]  # task.levels


# --- the out-of-domain family

def test_other_resolves_to_the_family_train_is_not():
    config = default_config()
    config["task"]["family"] = "expression"
    plan = plan_of(config)
    assert plan.dataset_family("ood") == "inverse" and plan.dataset_family("test") == "expression"
    assert plan.trained_family() == "expression"
    switched = copy.deepcopy(config)
    switched["task"]["family"] = "inverse"
    plan = plan_of(switched)
    assert plan.dataset_family("ood") == "expression" and plan.dataset_family("train") == "inverse"
    explicit = copy.deepcopy(config)
    explicit["datasets"]["train"]["family"] = "inverse"  # train's own family decides, not task.family
    plan = plan_of(explicit)
    assert plan.dataset_family("ood") == "expression"
    # an explicit family is taken as it is. (This config trains on the family ood is drawn from, which
    # Plan's checks reject, test_checks.py; the resolution alone is read off the constructed plan's config.)
    plan.config["datasets"]["ood"]["family"] = "inverse"
    assert plan.dataset_family("ood") == "inverse"


# --- comparisons and runs per dataset

def test_comparisons_and_runs_per_dataset():
    config = default_config()
    plan = plan_of(config)  # every check across keys passes
    assert plan.comparisons == {
        "in_domain": {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v"},
        "out_of_domain": {"dataset": "ood", "base_run": "grpo", "verifier_run": "grpo_v"},
        "easy_to_hard": {"dataset": "hard", "base_run": "grpo_easy", "verifier_run": "grpo_v_easy"}}
    assert plan.runs_on("test") == ["base", "grpo", "grpo_v"]
    assert plan.runs_on("hard") == ["grpo_easy", "grpo_v_easy"]
    # a claim on a dataset that is defined but not sampled (left over under --configfile) is left out
    config["eval"]["datasets"] = ["test", "ood"]
    assert list(plan_of(config).comparisons) == ["in_domain", "out_of_domain"]


def test_comparison_on_a_dataset_is_its_own_else_the_in_domain_runs():
    plan = plan_of(default_config())
    assert plan.comparison_on("hard") == {"dataset": "hard", "base_run": "grpo_easy", "verifier_run": "grpo_v_easy"}
    assert plan.comparison_on("ood") == {"dataset": "ood", "base_run": "grpo", "verifier_run": "grpo_v"}
    assert plan.comparison_on("train") == {"dataset": "train", "base_run": "grpo", "verifier_run": "grpo_v"}
