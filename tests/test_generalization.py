"""Generalization (rlv/generalization.py, rlv/figures/generalization.py, the claims): the RL level filter, the
out-of-domain family and the config checks against hand-made expectations, the claims between the runs each
comparison names, the figure, and the test DAG's generalization outputs."""

import copy
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from conftest import REPO
from rlv.analysis.aggregate import sweep
from rlv.analysis.claims import claim_rows
from rlv.analysis.efficiency import compute_ratios
from rlv.figures import FIGURES
from rlv.generalization import check_generalization, comparisons, dataset_family, eval_runs, run_train_levels
from rlv.tasks.records import select_levels
from rlv.tasks.synthetic import generate

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
STRATEGIES = ["pass_at_n", "majority", "best_of_n:p_yes", "weighted_vote:p_yes", "best_of_n:mean_logprob",
              "weighted_vote:mean_logprob"]


def default_config() -> dict:
    """config/config.yaml as Snakemake sees it (the schema's defaults filled in, e.g. task.family)."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate(config, SCHEMA)
    return config


# --- the level filter of an RL run ---

def test_select_levels_keeps_exactly_the_named_levels_in_order():
    problems = pd.DataFrame({"id": list("abcdefg"), "level": [1, 4, 2, 5, 3, 1, 4]})
    kept = select_levels(problems, [1, 3], "rl.runs.x.train_levels")
    assert kept["id"].tolist() == ["a", "e", "f"] and kept.index.tolist() == [0, 1, 2]
    assert select_levels(problems, [4, 5, 1, 2, 3], "k")["id"].tolist() == list("abcdefg")


def test_select_levels_names_the_key_when_a_level_has_no_problems():
    problems = pd.DataFrame({"id": ["a", "b"], "level": [1, 2]})
    with pytest.raises(ValueError, match=r"config key rl.runs.grpo_easy.train_levels: levels \[3, 5\] have no "
                                         r"training problems \(the train dataset has levels \[1, 2\]\)"):
        select_levels(problems, [1, 3, 5], "rl.runs.grpo_easy.train_levels")


def test_the_easy_runs_train_on_levels_1_to_3_and_the_hard_set_holds_4_and_5():
    config = default_config()
    assert run_train_levels(config, "grpo_easy") == run_train_levels(config, "grpo_v_easy") == [1, 2, 3]
    assert run_train_levels(config, "grpo") is None
    easy = config["rl"]["runs"]["grpo_easy"], config["rl"]["runs"]["grpo_v_easy"]
    assert (easy[0]["verify_coef"], easy[1]["verify_coef"]) == (0.0, 1.0)
    for family in ("expression", "inverse"):
        hard = generate("test", 10, config["datasets"]["hard"]["levels"], seed=0, family=family)
        assert hard["level"].tolist() == [4, 5] * 5


# --- the out-of-domain family ---

def test_other_resolves_to_the_family_train_is_not():
    config = default_config()
    config["task"]["family"] = "expression"
    assert dataset_family(config, "ood") == "inverse" and dataset_family(config, "test") == "expression"
    switched = copy.deepcopy(config)
    switched["task"]["family"] = "inverse"
    assert dataset_family(switched, "ood") == "expression" and dataset_family(switched, "train") == "inverse"
    explicit = copy.deepcopy(config)
    explicit["datasets"]["train"]["family"] = "inverse"  # train's own family decides, not task.family
    assert dataset_family(explicit, "ood") == "expression"
    explicit["datasets"]["ood"]["family"] = "inverse"
    assert dataset_family(explicit, "ood") == "inverse"


def test_the_ood_set_shares_no_problem_with_any_training_problem():
    ood = generate("test", 40, [1, 2, 3, 4, 5], seed=0, family="inverse")
    train = generate("train", 400, [1, 2, 3, 4, 5], seed=0)
    assert ood["problem"].str.startswith("Solve $").all() and train["problem"].str.startswith("Compute $").all()
    assert not set(ood["problem"]) & set(train["problem"]) and not set(ood["id"]) & set(train["id"])


def test_comparisons_and_runs_per_dataset():
    config = default_config()
    assert comparisons(config) == {
        "in_domain": {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v"},
        "out_of_domain": {"dataset": "ood", "base_run": "grpo", "verifier_run": "grpo_v"},
        "easy_to_hard": {"dataset": "hard", "base_run": "grpo_easy", "verifier_run": "grpo_v_easy"}}
    assert eval_runs(config, "test") == ["base", "grpo", "grpo_v"]
    assert eval_runs(config, "hard") == ["grpo_easy", "grpo_v_easy"]
    check_generalization(config)
    # a claim on a dataset that is defined but not sampled (left over under --configfile) is left out
    config["eval"]["datasets"] = ["test", "ood"]
    assert list(comparisons(config)) == ["in_domain", "out_of_domain"]
    check_generalization(config)


# --- bad configs name their key ---

def changed(change) -> dict:
    config = default_config()
    change(config)
    return config


BAD = [
    (lambda c: c["datasets"]["ood"].update(family=c["task"]["family"]),
     "config key datasets.ood.family: the out-of-domain dataset 'ood' is drawn from '(expression|inverse)', the "
     "family the train dataset is trained on"),
    (lambda c: c["task"].update(levels=[1, 2]), r"config key rl.runs.grpo_easy.train_levels: levels \[3\] are not "
                                               r"in the train dataset"),
    (lambda c: c["datasets"]["hard"].update(levels=[3, 4, 5]), r"config key datasets.hard.levels: \[3, 4, 5\] must "
                                                               r"all lie above the levels \[1, 2, 3\]"),
    (lambda c: c["figures"]["claims"].update(easy_to_hard="hard"), "config key figures.claims.easy_to_hard: "
                                                                   "base_run 'grpo' is not sampled on 'hard'"),
    (lambda c: c["eval"]["runs_by_dataset"].update(hard=["grpo", "grpo_v"]),
     "config key figures.claims.easy_to_hard: base_run 'grpo_easy' is not sampled on 'hard'"),
    (lambda c: c["figures"]["claims"].update(easy_to_hard={"dataset": "hard", "base_run": "grpo_easy",
                                                            "verifier_run": "grpo_v"}),
     "config key figures.claims.easy_to_hard: verifier_run 'grpo_v' is not sampled on 'hard'"),
    (lambda c: c["eval"]["runs_by_dataset"].update(hard=["grpo_easy", "grpo_v_easy", "grpo"])
     or c["figures"]["claims"].update(easy_to_hard={"dataset": "hard", "base_run": "grpo",
                                                     "verifier_run": "grpo_v_easy"}),
     "config key figures.claims.easy_to_hard: base_run 'grpo' trains on every level"),
    (lambda c: c["eval"]["runs_by_dataset"].update(ood=["grpo"]), "config key figures.claims.out_of_domain: "
                                                                  "verifier_run 'grpo_v' is not sampled on 'ood'"),
    (lambda c: c["figures"]["claims"].update(out_of_domain="ood2"), "config key figures.claims.out_of_domain: "
                                                                    "'ood2' is not a dataset of datasets"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[message[:60] for _, message in BAD])
def test_bad_generalization_config_names_the_key(change, message):
    with pytest.raises(ValueError, match=message):
        check_generalization(changed(change))


@pytest.mark.parametrize("path, value, key", [
    (("rl", "runs", "grpo_easy", "train_levels"), [0, 1], "train_levels"),
    (("rl", "runs", "grpo_easy", "train_levels"), [6], "train_levels"),
    (("datasets", "ood", "family"), "arithmetic", "family"),
    (("figures", "claims", "easy_to_hard"), {"dataset": "hard", "verifer_run": "x"}, "easy_to_hard"),
])
def test_schema_rejects_unknown_levels_and_families(path, value, key):
    config = default_config()
    node = config
    for name in path[:-1]:
        node = node[name]
    node[path[-1]] = value
    with pytest.raises(WorkflowError) as error:
        validate(config, SCHEMA)
    assert f"'{key}'" in str(error.value)


def test_snakemake_stops_before_any_job_when_the_ood_family_is_trained_on(tmp_path):
    (tmp_path / "config").mkdir()
    config = changed(lambda c: c["datasets"]["ood"].update(family=c["task"]["family"]))
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "config key datasets.ood.family" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


# --- the claims compare the runs each comparison names ---

def hand_scored(run: str, dataset: str, answers: list[list[str]], p_yes: list[list[float]]) -> pd.DataFrame:
    """Samples whose right answer is always "1"."""
    return pd.DataFrame([{"run": run, "dataset": dataset, "problem_id": f"p{i}", "sample": j, "answer": answer,
                          "correct": answer == "1", "p_yes": p_yes[i][j], "mean_logprob": -1.0}
                         for i, row in enumerate(answers) for j, answer in enumerate(row)])


# majority: p0 right, p1-p3 wrong -> 0.25
BASE = [["1", "1", "2", "3"], ["1", "2", "2", "3"], ["2", "2", "2", "3"], ["2", "2", "2", "3"]]
# p(Yes) 0.9 on the right answers: p0 and p1 right by best-of-N and weighted vote, p2 and p3 have none -> 0.5
VERIFIER = [["1", "1", "2", "3"], ["1", "2", "2", "3"], ["2", "2", "2", "3"], ["2", "2", "2", "3"]]
VERIFIER_P_YES = [[0.9 if a == "1" else 0.1 for a in row] for row in VERIFIER]
WRONG = [["2", "3", "3", "4"]] * 4


@pytest.fixture(scope="module")
def claim_inputs():
    flat = [[0.5] * 4] * 4
    scored = {("grpo", "test"): hand_scored("grpo", "test", BASE, flat),
              ("grpo_v", "test"): hand_scored("grpo_v", "test", VERIFIER, VERIFIER_P_YES),
              ("grpo_easy", "hard"): hand_scored("grpo_easy", "hard", BASE, flat),
              ("grpo_v_easy", "hard"): hand_scored("grpo_v_easy", "hard", VERIFIER, VERIFIER_P_YES),
              ("grpo", "ood"): hand_scored("grpo", "ood", WRONG, flat),
              ("grpo_v", "ood"): hand_scored("grpo_v", "ood", WRONG, flat)}
    sweeps = {}
    for (run, dataset), frame in scored.items():
        table = sweep(frame, [1, 2, 4], STRATEGIES, 20, 50, 0.95, 0).assign(run=run, dataset=dataset)
        sweeps[dataset] = pd.concat([sweeps.get(dataset), table])
    efficiency = {"test": compute_ratios(sweeps["test"], "test", "grpo", "grpo_v")}
    return scored, sweeps, efficiency


def test_easy_to_hard_claim_compares_the_easy_runs_and_a_0_over_0_gain_is_not_reproduced(claim_inputs):
    scored, sweeps, efficiency = claim_inputs
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "num_bootstrap": 200,
              "easy_to_hard": {"dataset": "hard", "base_run": "grpo_easy", "verifier_run": "grpo_v_easy"},
              "out_of_domain": "ood"}
    labels = {"grpo_easy": "GRPO (1-3)", "grpo_v_easy": "GRPO^V (1-3)"}
    rows = {row["claim"]: row for row in claim_rows(sweeps, efficiency, scored, params, labels)}
    hard = rows["generalizes easy-to-hard (dataset `hard`)"]
    # 0.5 vs 0.25: +100%, between the runs trained on levels 1-3 (grpo and grpo_v have no samples on `hard`)
    assert hard["measured"].startswith("+100.0% [") and "GRPO^V (1-3)" in hard["measured"]
    assert "0.500 vs GRPO (1-3) majority 0.250 at N=4, 4 problems" in hard["measured"]
    ood = rows["generalizes out of domain (dataset `ood`)"]
    assert ood["measured"].startswith("undefined (0/0)") and ood["verdict"] == "not reproduced"


# --- the figure ---

def test_figure_draws_one_panel_per_comparison(claim_inputs, tmp_path):
    _, sweeps, _ = claim_inputs
    panels = [{"kind": "in_domain", "dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v"},
              {"kind": "out_of_domain", "dataset": "ood", "base_run": "grpo", "verifier_run": "grpo_v"},
              {"kind": "easy_to_hard", "dataset": "hard", "base_run": "grpo_easy", "verifier_run": "grpo_v_easy"}]
    out = tmp_path / "generalization.png"
    FIGURES["generalization"](sweeps=list(sweeps.values()), out=str(out), params={"panels": panels, "labels": {}})
    assert out.read_bytes()[:4] == b"\x89PNG" and out.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"
    wrong = [{**panels[2], "base_run": "grpo"}]
    with pytest.raises(ValueError, match="no rows for run='grpo' strategy='majority' score='' on dataset 'hard'"):
        FIGURES["generalization"](sweeps=list(sweeps.values()), out=str(out), params={"panels": wrong})


# --- the test DAG ---

@pytest.mark.slow
def test_dag_builds_the_generalization_datasets_runs_figure_and_claims(test_dag):
    workdir, _ = test_dag
    results = workdir / "results"
    train = pd.read_parquet(results / "data" / "train.parquet")
    ood = pd.read_parquet(results / "data" / "ood.parquet")
    hard = pd.read_parquet(results / "data" / "hard.parquet")
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    validate(config, SCHEMA)
    opening = {"expression": "Compute $", "inverse": "Solve $"}
    assert train["problem"].str.startswith(opening[dataset_family(config, "train")]).all()
    assert ood["problem"].str.startswith(opening[dataset_family(config, "ood")]).all()
    assert len(ood) == 6 and dataset_family(config, "ood") != dataset_family(config, "train")
    assert not set(ood["id"]) & set(train["id"])
    assert len(hard) == 6 and set(hard["level"]) == {4, 5}
    level = dict(zip(train["id"], train["level"]))
    for run in ("grpo_easy", "grpo_v_easy"):
        rollouts = pd.read_parquet(results / "rollouts" / "train" / f"{run}.parquet")
        assert {level[p] for p in rollouts["problem_id"]} <= {1, 2, 3}
    assert set(pd.read_parquet(results / "metrics" / "sweep" / "hard.parquet")["run"]) == {"grpo_easy", "grpo_v_easy"}
    assert {"grpo", "grpo_v"} <= set(pd.read_parquet(results / "metrics" / "sweep" / "ood.parquet")["run"])
    assert (results / "figures" / "generalization.png").stat().st_size > 10_000
    summary = (results / "summary.md").read_text()
    for claim in ("generalizes easy-to-hard (dataset `hard`)", "generalizes out of domain (dataset `ood`)"):
        assert f"| {claim} |" in summary
