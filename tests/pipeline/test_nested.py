"""Nested DAGs (rlv/pipeline/nested.py): the design searches' files (schema and cross checks, each error naming its
file and key), their arms, pairs and one workflow config per base, the warm-up copy, and sequential_parallel's own
base config, the record of a nested DAG's targets, against hand-made expectations."""

import json
import os

import pytest
import yaml

from conftest import REPO
from helpers import SEARCHES, read_config
from rlv.analysis.designs import Arm, Design
from rlv.analysis.method_comparison import MethodPair
from rlv.pipeline import ConfigError
from rlv.pipeline.nested import (arm_name, base_config, copy_warm_up, discover_searches, load_search, merge,
                                 method_pairs, own_base_config, record_built, search_arms, search_designs,
                                 snakemake_mtime, validate_search)
from rlv.tasks.worked import FINAL_PHRASE

SEARCH = {"seeds": [0, 1], "verify_coefs": [0.0, 1.0],
          "bases": {"plain": {}, "inv": {"task": {"family": "inverse"}}},
          "designs": {"a": {"base": "plain", "rl": {}, "rationale": "r1"},
                      "b": {"base": "plain", "rl": {"steps": 9}, "rationale": "r2"},
                      "c": {"base": "inv", "rl": {}, "rationale": "r3"}}}
METHODS = {"seeds": [3], "verify_coefs": [0.0, 1.0], "bases": {"default": {}},
           "designs": {"rloo": {"base": "default", "label": "RLOO", "rl": {"trainer": "rloo"}, "rationale": "r"},
                       "vineppo": {"base": "default", "rl": {"trainer": "vineppo", "vine_mc_samples": 2},
                                   "rationale": "v"}}}


def default_config() -> dict:
    return read_config("config/config.yaml")


# --- search files

@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("seeds"), "'seeds' is a required property"),
    (lambda s: s.update(verify_coefs=[1.0]), r"verify_coefs must include 0 \(plain RL"),
    (lambda s: s["designs"]["a"].update(base="nope"), r"designs.a.base must be one of bases \['inv', 'plain'\], "
                                                      "got 'nope'"),
    (lambda s: s["designs"]["b"].update(rationale=" "), r"designs.b.rationale: ' ' does not match"),
    (lambda s: s.update(lambdas=[0.0]), r"Additional properties are not allowed \('lambdas' was unexpected\)"),
    (lambda s: s.update(reuse_main_warm_up=True), r"reuse_main_warm_up needs bases without overrides.*\['inv'\]"),
])
def test_bad_search_files_are_named(change, message):
    search = yaml.safe_load(yaml.safe_dump(SEARCH))
    change(search)
    with pytest.raises(ConfigError, match=message) as error:
        validate_search(search, "search.yaml")
    assert str(error.value).startswith("search.yaml: ")


def test_every_shipped_search_is_discovered_and_valid():
    for directory in (SEARCHES, REPO / ".test" / "config" / "searches"):
        searches = discover_searches(directory)
        assert set(searches) == {"miniature", "lambda_sweep", "rl_methods"}
        assert searches["lambda_sweep"] == load_search(directory / "lambda_sweep.yaml")
    assert discover_searches(REPO / "no" / "such" / "directory") == {}


def test_a_search_file_name_must_be_a_target_name(tmp_path):
    (tmp_path / "lambda-sweep.yaml").write_text(yaml.safe_dump(SEARCH))
    with pytest.raises(ConfigError, match="lambda-sweep.yaml: a design search's file name is its target's name"):
        discover_searches(tmp_path)
    (tmp_path / "lambda-sweep.yaml").unlink()
    (tmp_path / "broken.yaml").write_text("seeds: [0\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml:2:1: not valid YAML: expected .,. or .\]., but got .<stream end>."):
        discover_searches(tmp_path)


def test_merge_lays_nested_mappings_over_and_copies():
    base = {"task": {"family": "expression", "levels": [1, 2]}, "seed": 0}
    merged = merge(base, {"task": {"family": "inverse"}, "seed": 3})
    assert merged == {"task": {"family": "inverse", "levels": [1, 2]}, "seed": 3}
    merged["task"]["levels"].append(3)
    assert base["task"]["levels"] == [1, 2]  # a copy, not the original's lists


# --- arms, designs, pairs

def test_arm_names_are_valid_run_names():
    assert arm_name("d", 0.3, 2) == "d_l0p3_s2" and arm_name("d", 1.0, 0) == "d_l1_s0"


def test_designs_and_arms_follow_the_search_order():
    assert search_designs(SEARCH)[1] == Design("b", "plain", "r2", {"steps": 9}, "b")
    arms = search_arms(SEARCH, "inv")
    assert arms[0] == Arm("inv", "warm start", None, None, "base")
    assert [(a.design, a.verify_coef, a.seed, a.run) for a in arms[1:]] == [
        ("c", 0.0, 0, "c_l0_s0"), ("c", 0.0, 1, "c_l0_s1"), ("c", 1.0, 0, "c_l1_s0"), ("c", 1.0, 1, "c_l1_s1")]


def test_pairs_are_the_lambda_0_and_largest_lambda_arms_of_the_first_seed():
    pairs = method_pairs(METHODS)
    assert [(p.design, p.label, p.base_run, p.verifier_run) for p in pairs] == [
        ("rloo", "RLOO", "rloo_l0_s3", "rloo_l1_s3"), ("vineppo", "vineppo", "vineppo_l0_s3", "vineppo_l1_s3")]
    assert pairs[0] == MethodPair("rloo", "default", "RLOO", "rloo_l0_s3", "rloo_l1_s3")
    with pytest.raises(ValueError, match="verify_coef above 0"):
        method_pairs({**METHODS, "verify_coefs": [0.0]})


# --- one workflow config per base

def test_base_config_holds_one_run_per_design_lambda_and_seed():
    config = base_config(default_config(), SEARCH, "plain")
    runs = config["rl"]["runs"]
    assert sorted(runs) == sorted(arm_name(d, c, s) for d in "ab" for c in (0.0, 1.0) for s in (0, 1))
    assert runs["b_l1_s1"] == {"steps": 9, "trainer": "grpo", "verify_coef": 1.0, "seed": 1}
    assert config["eval"]["runs"] == ["base", *runs]
    assert config["figures"]["parallel_scaling"] == {"dataset": "test", "base_run": "a_l0_s0", "verifier_run": "a_l1_s0"}
    assert config["rl"]["defaults"] == default_config()["rl"]["defaults"]  # RL overrides stay per run
    inverse = base_config(default_config(), SEARCH, "inv")
    assert inverse["task"]["family"] == "inverse" and inverse["task"]["levels"] == [1, 2, 3, 4, 5]
    assert sorted(inverse["rl"]["runs"]) == ["c_l0_s0", "c_l0_s1", "c_l1_s0", "c_l1_s1"]


def test_base_config_drops_what_names_the_main_runs():
    main = {**default_config(), "separate_verifier": {"steps": 3}}
    main["eval"] = {**main["eval"], "runs_by_dataset": {"test": ["grpo"]}}
    main["figures"] = {**main["figures"], "claims": {"easy_to_hard": {"base_run": "grpo"}}}
    config = base_config(main, SEARCH, "plain")
    assert "separate_verifier" not in config and "runs_by_dataset" not in config["eval"]
    assert "claims" not in config["figures"]


def test_design_bases_drop_the_heads_with_the_separate_verifier():
    config = base_config({**default_config(), "separate_verifier": {"steps": 3}, "verifier_heads": {"forms": ["bce"]}},
                         SEARCH, "plain")
    assert "separate_verifier" not in config and "verifier_heads" not in config


def test_a_design_names_its_trainer_and_grpo_is_the_default():
    validate_search(METHODS, "search")
    config = {"rl": {"runs": {}}, "eval": {"runs": []}, "figures": {"parallel_scaling": {}}}
    runs = base_config(config, {**METHODS, "designs": {**METHODS["designs"],
                                                       "plain": {"base": "default", "rationale": "g"}}},
                       "default")["rl"]["runs"]
    assert runs[arm_name("rloo", 1.0, 3)] == {"trainer": "rloo", "verify_coef": 1.0, "seed": 3}
    assert runs[arm_name("vineppo", 0.0, 3)] == {"trainer": "vineppo", "vine_mc_samples": 2, "verify_coef": 0.0, "seed": 3}
    assert runs[arm_name("plain", 0.0, 3)]["trainer"] == "grpo"


def test_search_bases_drop_the_main_dags_judge_and_sequential_sections():
    """Both name the main DAG's runs (figures.parallel_scaling.base_run, sequential_parallel's runs), which a
    search base replaces by its arms; kept, the sequential check stops every search base before its first job."""
    config = {"rl": {"runs": {}}, "eval": {"runs": []}, "figures": {"parallel_scaling": {}},
              "judge": {"prompt": "p"}, "sequential_parallel": {"base_run": "grpo"}}
    out = base_config(config, METHODS, "default")
    assert "judge" not in out and "sequential_parallel" not in out


def test_a_base_without_a_design_is_named():
    with pytest.raises(ConfigError, match="base 'other' has no design"):
        base_config(default_config(), {**SEARCH, "bases": {**SEARCH["bases"], "other": {}}}, "other")


# --- the warm-up copy (reuse_main_warm_up)

def test_copy_warm_up_copies_once_keeping_times_and_again_when_the_source_is_newer(tmp_path):
    source, dest = tmp_path / "main" / "results", tmp_path / "base" / "results"
    (source / "data").mkdir(parents=True)
    (source / "models" / "base").mkdir(parents=True)
    (source / "data" / "train.parquet").write_bytes(b"problems")
    (source / "models" / "base" / "model.safetensors").write_bytes(b"weights")
    (source / "models" / "base" / ".snakemake_timestamp").touch()
    os.utime(source / "models" / "base" / ".snakemake_timestamp", ns=(10**18, 10**18))
    copied = copy_warm_up(source, dest)
    assert sorted(copied) == sorted(str(dest / p) for p in ("data/train.parquet", "models/base"))
    assert (dest / "models" / "base" / "model.safetensors").read_bytes() == b"weights"
    for relative in ("data/train.parquet", "models/base"):
        assert snakemake_mtime(dest / relative) == snakemake_mtime(source / relative)
    assert snakemake_mtime(dest / "models" / "base") == 10**18  # the timestamp file Snakemake reads
    assert copy_warm_up(source, dest) == []
    (source / "models" / "base" / "model.safetensors").write_bytes(b"new weights")
    os.utime(source / "models" / "base" / ".snakemake_timestamp", ns=(2 * 10**18, 2 * 10**18))
    assert copy_warm_up(source, dest) == [str(dest / "models" / "base")]
    assert (dest / "models" / "base" / "model.safetensors").read_bytes() == b"new weights"
    assert not list(dest.glob("**/.*.tmp"))
    with pytest.raises(FileNotFoundError, match="reuse_main_warm_up"):
        copy_warm_up(tmp_path / "nowhere", dest)


def test_the_record_of_a_nested_dag_holds_each_targets_time_and_is_not_written_while_one_is_missing(tmp_path):
    (tmp_path / "results" / "models" / "base").mkdir(parents=True)
    (tmp_path / "results" / "models" / "base" / ".snakemake_timestamp").touch()
    os.utime(tmp_path / "results" / "models" / "base" / ".snakemake_timestamp", ns=(10**18, 10**18))
    (tmp_path / "results" / "train.parquet").write_bytes(b"problems")
    os.utime(tmp_path / "results" / "train.parquet", ns=(3, 5))
    out = tmp_path / "built.json"
    targets = ["results/models/base", "results/train.parquet"]
    assert record_built(tmp_path, targets, out) == {"results/models/base": 10**18, "results/train.parquet": 5}
    assert json.loads(out.read_text()) == {"results/models/base": 10**18, "results/train.parquet": 5}
    out.write_text("the last record")
    with pytest.raises(FileNotFoundError, match=r"did not build \['results/models/grpo'\]"):
        record_built(tmp_path, [*targets, "results/models/grpo"], out)
    assert out.read_text() == "the last record" and not list(tmp_path.glob(".*.tmp"))


# --- sequential_parallel's own base

def test_own_base_config_keeps_the_two_runs_and_drops_the_main_dags_baselines():
    default = default_config()
    own = own_base_config(default)
    assert own["task"]["verbose"] is True and own["rl"]["defaults"]["max_completion_length"] == 256
    assert list(own["rl"]["runs"]) == ["grpo", "grpo_v"] and own["eval"]["runs"] == ["grpo", "grpo_v"]
    assert own["eval"]["datasets"] == ["test"] and set(own["datasets"]) == {"train", "test"}
    assert own["sequential_parallel"]["models"] == "main" and "overrides" not in own["sequential_parallel"]
    assert "separate_verifier" not in own and "runs_by_dataset" not in own["eval"] and "claims" not in own["figures"]
    assert default["rl"]["defaults"]["max_completion_length"] == 160  # the active config is untouched


def test_the_forced_phrase_is_the_one_the_verbose_solutions_teach():
    default = default_config()
    assert default["sequential_parallel"]["answer_phrase"] == FINAL_PHRASE
    assert default["sequential_parallel"]["overrides"]["task"]["verbose"] is True
