"""The Snakemake DAG: lint, dry runs of the default config, and the whole test config end to end (with its
generalization datasets, runs, figure and claims), including a forced rerun of one rule and the rebuild of a
single target."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import validate

from conftest import REPO, offline_prefix, snakemake
from helpers import RULE_FAMILIES, SCHEMA, planned_jobs, validated_config
from rlv.pipeline.plan import Plan


def test_lint_is_clean():
    assert "Congratulations, your workflow is in a good condition" in snakemake("--lint")


def test_default_config_dry_run_has_every_rule_family(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    jobs = planned_jobs(snakemake("-n", "--cores", "2", cwd=tmp_path))
    assert set(jobs) == RULE_FAMILIES
    # runs grpo, grpo_v, grpo_easy, grpo_v_easy; samples: test by base, grpo, grpo_v; ood by grpo, grpo_v; hard by
    # grpo_easy, grpo_v_easy
    assert jobs["train_rl"] == 4 and jobs["sample"] == 7 and jobs["score"] == 7


@pytest.mark.slow
def test_dag_ran_without_network(test_dag):
    if not offline_prefix():
        pytest.skip("unshare -n is not permitted here: the DAG ran with the machine's network")
    probe = subprocess.run([*offline_prefix(), sys.executable, "-c",
                            "import socket; print(sorted(n for _, n in socket.if_nameindex()))"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() in ("[]", "['lo']")  # only a loopback that is down


@pytest.mark.slow
def test_data_and_samples_are_byte_identical_when_rerun(test_dag, tmp_path):
    workdir, _ = test_dag
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    rlv = [sys.executable, "-m", "rlv.cli"]
    data_params = {"num_problems": config["task"]["test_problems"], "levels": config["task"]["levels"],
                   "seed": config["seed"], "test_fraction": config["task"]["test_fraction"]}
    subprocess.run([*rlv, "data", "--split", "test", "--params", json.dumps(data_params), "--out",
                    str(tmp_path / "test.parquet")], check=True, capture_output=True)
    assert (tmp_path / "test.parquet").read_bytes() == (workdir / "results" / "data" / "test.parquet").read_bytes()
    sample_params = {k: config["eval"][k] for k in ("num_samples", "temperature", "max_new_tokens", "batch_size",
                                                    "shard_problems")}
    sample_params.update(seed=config["seed"], instruction=config["instruction"], self_score=True)  # as rule sample
    subprocess.run([*rlv, "sample", "--model", str(workdir / "results" / "models" / "grpo_v"), "--data",
                    str(tmp_path / "test.parquet"), "--run", "grpo_v", "--dataset", "test", "--params",
                    json.dumps(sample_params), "--threads", str(config["eval"]["threads"]), "--out",
                    str(tmp_path / "eval.parquet")], check=True, capture_output=True)
    original = workdir / "results" / "rollouts" / "eval" / "grpo_v" / "test.parquet"
    assert (tmp_path / "eval.parquet").read_bytes() == original.read_bytes()


@pytest.mark.slow
def test_whole_dag_produces_every_output(test_dag):
    workdir, output = test_dag
    results = workdir / "results"
    assert planned_jobs(output) == {"problems": 4, "base_model": 1, "train_rl": 4, "sample": 7, "score": 7,
                                    "sweep": 3, "efficiency": 3, "figure_generalization": 1,
                                    "figure_parallel_scaling": 1,
                                    "figure_training_dynamics": 1, "figure_overview": 1, "summary": 1, "all": 1,
                                    "train_verifier": 1, "score_separate_verifier": 2, "figure_strategies": 1,
                                    "train_verifier_head": 2, "score_verifier_head": 2, "figure_verifier_form": 1,
                                    "figure_verifier_quality": 1, "judge": 1}
    for name in ("parallel_scaling", "training_dynamics", "overview", "strategies", "verifier_quality",
                 "verifier_form"):
        for ext in ("png", "pdf"):
            assert (results / "figures" / f"{name}.{ext}").stat().st_size > 10_000
    ratios = pd.read_parquet(results / "metrics" / "efficiency" / "test.parquet")
    assert set(ratios["verifier_strategy"]) == {"best_of_n:p_yes", "weighted_vote:p_yes"} and len(ratios) == 2 * 4
    assert (results / "figures" / "parallel_scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    train = pd.read_parquet(results / "data" / "train.parquet")
    test = pd.read_parquet(results / "data" / "test.parquet")
    assert not set(train["problem"]) & set(test["problem"])
    for run in ("grpo", "grpo_v"):
        rollouts = pd.read_parquet(results / "rollouts" / "train" / f"{run}.parquet")
        assert len(rollouts) == 3 * 4 * 4 and sorted(rollouts["step"].unique()) == [0, 1, 2]
        assert (results / "models" / run / "model.safetensors").exists()
        assert not list((results / "models" / run).glob("*.bin"))
        assert list((results / "models" / run / "tensorboard").glob("events.out.tfevents*"))
        assert len(pd.read_csv(results / "models" / run / "metrics.csv")) == 3
        assert not (results / "checkpoints" / run).exists()
    assert not list(results.rglob("*.shards")) and not list(results.rglob(".*.tmp"))
    for run in ("base", "grpo", "grpo_v"):
        scored = pd.read_parquet(results / "rollouts" / "scored" / run / "test.parquet")
        assert len(scored) == 20 * 8
        assert scored["p_yes"].between(0, 1).all() and (scored["mean_logprob"] <= 0).all()
    sweep = pd.read_parquet(results / "metrics" / "sweep" / "test.parquet")
    policy = pd.read_parquet(results / "rollouts" / "scored" / "grpo" / "test.parquet")
    assert sorted(sweep["n"].unique()) == [1, 2, 4, 8]
    assert set(sweep["run"]) == {"base", "grpo", "grpo_v", "grpo+verifier", "grpo+judge", "grpo+bce", "grpo+regression"}
    # the prompted judge: grpo's samples with grpo's p(Yes) after a written verification, on test only
    judge = pd.read_parquet(results / "rollouts" / "scored" / "grpo+judge" / "test.parquet")
    assert set(judge["run"]) == {"grpo+judge"} and judge["p_yes"].between(0, 1).all()
    assert judge["mean_logprob"].equals(policy["mean_logprob"]) and judge["correct"].equals(policy["correct"])
    assert judge["judge_num_tokens"].between(1, 16).all() and judge["judge_verification"].map(type).eq(str).all()
    assert not (results / "rollouts" / "scored" / "grpo+judge" / "ood.parquet").exists()
    # the separate verifier: trained on grpo's rollouts, its p(Yes) on grpo's samples, grpo's own log-prob kept
    separate = pd.read_parquet(results / "rollouts" / "scored" / "grpo+verifier" / "test.parquet")
    assert set(separate["run"]) == {"grpo+verifier"} and separate["p_yes"].between(0, 1).all()
    assert separate["mean_logprob"].equals(policy["mean_logprob"]) and separate["correct"].equals(policy["correct"])
    assert len(pd.read_csv(results / "models" / "grpo+verifier" / "metrics.csv")) == 3
    # the verifier heads: trained as the separate verifier is, their scores on grpo's test samples only
    for form in ("bce", "regression"):
        model = results / "models" / f"grpo+{form}"
        assert (model / "verifier_head.safetensors").exists() and not list(model.glob("*.bin"))
        assert len(pd.read_csv(model / "metrics.csv")) == 3
        head = pd.read_parquet(results / "rollouts" / "scored" / f"grpo+{form}" / "test.parquet")
        assert set(head["run"]) == {f"grpo+{form}"} and head["p_yes"].between(0, 1).all()
        assert (head["p_no"] - (1 - head["p_yes"])).abs().max() < 1e-6
        assert head["mean_logprob"].equals(policy["mean_logprob"]) and head["correct"].equals(policy["correct"])
        assert not (results / "rollouts" / "scored" / f"grpo+{form}" / "ood.parquet").exists()
        for rule in (f"train_verifier/grpo+{form}", f"score/grpo+{form}/test"):
            assert (results / "benchmarks" / f"{rule}.tsv").exists() and (results / "logs" / f"{rule}.log").exists()
    assert (results / "benchmarks" / "figures" / "verifier_form.tsv").exists()
    verifier = pd.read_parquet(results / "metrics" / "verifier" / "test.parquet")
    assert ("grpo+verifier", "p_yes") in set(zip(verifier["run"], verifier["score"]))
    summary = (results / "summary.md").read_text()
    assert "GRPO$^V$" in summary and "AUROC within problem" in summary
    assert "## Paper claims" in summary and "| 1.2-1.6x with sequential x parallel scaling |" in summary
    assert "### Iso-accuracy compute ratio" in summary
    for rule in ("problems/train", "base_model", "train_rl/grpo_v", "sample/grpo/test", "sweep/test",
                 "train_verifier/grpo+verifier", "score/grpo+verifier/test", "figures/verifier_quality",
                 "judge/grpo+judge/test"):
        assert (results / "benchmarks" / f"{rule}.tsv").exists()
        assert (results / "logs" / f"{rule}.log").exists()


@pytest.mark.slow
def test_forcerun_reruns_one_rule_and_what_follows(test_dag):
    workdir, _ = test_dag
    upstream = workdir / "results" / "rollouts" / "scored" / "grpo" / "test.parquet"
    stamp = upstream.stat().st_mtime_ns
    jobs = planned_jobs(snakemake("--cores", "2", "--forcerun", "sweep", cwd=workdir))
    assert jobs == {"sweep": 3, "efficiency": 3, "figure_parallel_scaling": 1, "figure_generalization": 1,
                    "figure_strategies": 1, "figure_verifier_quality": 1, "figure_verifier_form": 1,
                    "summary": 1, "all": 1}
    assert upstream.stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_single_target_rebuilds_only_what_it_needs(test_dag):
    workdir, _ = test_dag
    (workdir / "results" / "figures" / "parallel_scaling.png").unlink()
    jobs = planned_jobs(snakemake("--cores", "2", "results/figures/parallel_scaling.png", cwd=workdir))
    assert jobs == {"figure_parallel_scaling": 1}
    assert "Nothing to be done" in snakemake("--cores", "2", "-n", cwd=workdir)


@pytest.mark.slow
def test_dag_builds_the_generalization_datasets_runs_figure_and_claims(test_dag):
    workdir, _ = test_dag
    results = workdir / "results"
    train = pd.read_parquet(results / "data" / "train.parquet")
    ood = pd.read_parquet(results / "data" / "ood.parquet")
    hard = pd.read_parquet(results / "data" / "hard.parquet")
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    validate(config, SCHEMA)
    plan = Plan(config, searches_dir=workdir / "config" / "searches")
    opening = {"expression": "Compute $", "inverse": "Solve $"}
    assert train["problem"].str.startswith(opening[plan.dataset_family("train")]).all()
    assert ood["problem"].str.startswith(opening[plan.dataset_family("ood")]).all()
    assert len(ood) == 6 and plan.dataset_family("ood") != plan.dataset_family("train")
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


@pytest.mark.slow
def test_the_terminal_shows_progress_not_what_jobs_print(test_dag):
    _, output = test_dag
    assert "steps (100%) done" in output
    dict_lines = [line for line in output.splitlines() if line.lstrip().startswith("{'") or "'loss':" in line]
    assert dict_lines == []


@pytest.mark.slow
def test_models_and_summary_record_their_provenance(test_dag):
    from rlv.pipeline.provenance import code_version
    from rlv.pipeline.registry import STAGES
    workdir, _ = test_dag
    results = workdir / "results"
    plan = Plan(validated_config(workdir / "config" / "config.yaml"), searches_dir=workdir / "config" / "searches")
    for model, stage in (("base", "base-model"), ("grpo_v", "train"), ("grpo+verifier", "train-verifier"),
                         ("grpo+bce", "train-verifier-head")):
        record = json.loads((results / "models" / model / "provenance.json").read_text())
        function = STAGES[stage][0]
        assert record["source_digest"] == code_version()["source_digest"]
        assert record["stage"] == f"{function.__module__}.{function.__name__}"
        assert record["stage_digest"] == plan.code_digest(stage) and record["seed"] == 0
        assert len(record["params_digest"]) == 12
    summary = (results / "summary.md").read_text()
    assert f"source digest {code_version()['source_digest']}; config digest " in summary and ", seed 0." in summary


@pytest.mark.slow
def test_a_code_change_reruns_the_stages_that_run_it_and_what_follows(test_dag, tmp_path):
    """A copy of the project, imported instead of this one: unchanged it plans nothing; with the judge's module
    edited it plans the judge and what depends on its scores, nothing upstream and no other stage."""
    workdir, _ = test_dag
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("Snakefile", "workflow", "profiles", "rlv"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)

    def dry_run():
        env = {**os.environ, "PYTHONPATH": str(copy), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--snakefile",
                                 str(copy / "Snakefile")], cwd=workdir, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout + result.stderr

    assert "Nothing to be done" in dry_run()
    judge = copy / "rlv" / "baselines" / "judge.py"
    judge.write_text(judge.read_text() + "\nJUDGED_BY_A_NEW_VERSION = True\n")
    assert planned_jobs(dry_run()) == {"judge": 1, "sweep": 1, "efficiency": 1, "figure_parallel_scaling": 1,
                                       "figure_generalization": 1, "figure_strategies": 1,
                                       "figure_verifier_quality": 1, "figure_verifier_form": 1, "summary": 1, "all": 1}
