"""The sequential_parallel target (workflow/rules/sequential.smk) through Snakemake: end to end on the test config
with its own base, planned under config/paper_long_cot.yaml on the main DAG's models, and stopped before any job
by a bad sequential_parallel key that the error names."""

import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from conftest import REPO, snakemake
from helpers import FIXTURE_PATHS, planned_jobs
from rlv.tasks.worked import FINAL_PHRASE


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
