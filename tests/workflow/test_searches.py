"""The design searches' targets (workflow/rules/experiments.smk), each outside rule all, run end to end on the
test config after its whole DAG: `miniature` (every arm of every base), `lambda_sweep` (the main DAG's warm-up
reused, its figure drawn) and `rl_methods` (each method's trainer reaching its arms, the per-method table and
figure)."""

import pandas as pd
import pytest
import yaml

from conftest import snakemake
from rlv.pipeline.nested import arm_name


@pytest.mark.slow
def test_miniature_target_runs_every_arm_through_the_dag(test_dag):
    workdir, _ = test_dag
    snakemake("--cores", "2", "miniature", cwd=workdir, offline=True)
    root = workdir / "results" / "experiments"
    rows = pd.read_parquet(root / "miniature.parquet")
    search = yaml.safe_load((workdir / "config" / "searches" / "miniature.yaml").read_text())
    expected = {arm_name(d, c, s) for d, spec in search["designs"].items() for c in search["verify_coefs"]
                for s in search["seeds"]}
    assert set(rows["run"]) == expected | {"base"}
    assert rows[rows["run"] != "base"]["train s"].gt(0).all()
    assert rows[["pass@1", "majority"]].notna().all().all()
    # AUROC is defined exactly when an arm has both right and wrong solutions (the test model may solve none)
    mixed = rows["pass@1"].between(0, 1, inclusive="neither")
    assert (rows["AUROC pooled"].notna() == mixed).all()
    inverse = pd.read_parquet(root / "miniature" / "inverse" / "results" / "data" / "test.parquet")
    assert inverse["problem"].str.startswith("Solve").all()
    longer = pd.read_parquet(root / "miniature" / "arithmetic" / "results" / "rollouts" / "train"
                             / "longer_joint_run_l1_s0.parquet")
    assert longer["step"].max() == 3  # the design's own step count (4 steps) reached the run
    table = (root / "miniature.md").read_text()
    assert all(f"**{design}**" in table for design in search["designs"])
    assert "Nothing to be done" in snakemake("--cores", "2", "miniature", "-n", cwd=workdir)


@pytest.mark.slow
def test_lambda_sweep_target_reuses_the_warm_up_and_draws_its_figure(test_dag):
    workdir, _ = test_dag
    figure = workdir / "results" / "figures" / "lambda_sweep.png"
    assert not figure.exists()  # rule all does not build it
    snakemake("--cores", "2", "lambda_sweep", cwd=workdir, offline=True)
    search = yaml.safe_load((workdir / "config" / "searches" / "lambda_sweep.yaml").read_text())
    rows = pd.read_parquet(workdir / "results" / "experiments" / "lambda_sweep.parquet")
    assert set(rows["run"]) == {"base"} | {arm_name("default", c, 0) for c in search["verify_coefs"]}
    assert rows[["pass@1", "verifier accuracy", "pass@1 low", "pass@1 high"]].notna().all().all()
    assert rows["verifier accuracy low"].le(rows["verifier accuracy"]).all()
    base = workdir / "results" / "experiments" / "lambda_sweep" / "default" / "results"
    assert not (base / "benchmarks" / "base_model.tsv").exists()  # the main DAG's warm-up, copied, not rerun
    assert (base / "models" / "base" / "model.safetensors").read_bytes() == \
        (workdir / "results" / "models" / "base" / "model.safetensors").read_bytes()
    assert figure.exists() and figure.with_suffix(".pdf").exists()
    assert "| verifier accuracy |" in (workdir / "results" / "experiments" / "lambda_sweep.md").read_text()
    assert "Nothing to be done" in snakemake("--cores", "2", "lambda_sweep", "-n", cwd=workdir)


@pytest.mark.slow
def test_rl_methods_target_trains_every_method_and_draws_its_figure(test_dag):
    workdir, _ = test_dag
    figure = workdir / "results" / "figures" / "rl_methods.png"
    assert not figure.exists()  # rule all does not build it
    snakemake("--cores", "2", "rl_methods", cwd=workdir, offline=True)
    search = yaml.safe_load((workdir / "config" / "searches" / "rl_methods.yaml").read_text())
    base = workdir / "results" / "experiments" / "rl_methods" / "default" / "results"
    assert not (base / "benchmarks" / "base_model.tsv").exists()  # the main DAG's warm-up, copied
    for design, spec in search["designs"].items():
        for coef in search["verify_coefs"]:
            run = arm_name(design, coef, 0)
            rollouts = pd.read_parquet(base / "rollouts" / "train" / f"{run}.parquet")
            assert len(rollouts) > 0 and (base / "rollouts" / "scored" / run / "test.parquet").exists()
            log = (base / "logs" / "train_rl" / f"{run}.log").read_text()
            assert ("verify_loss" in log) == (coef > 0)
    vine_metrics = pd.read_csv(base / "models" / arm_name("vineppo", 1.0, 0) / "metrics.csv")
    assert vine_metrics["vine/mc_states"].gt(0).all()  # the VinePPO arm really estimated step values
    efficiency = pd.read_parquet(workdir / "results" / "experiments" / "rl_methods" / "methods.parquet")
    assert set(efficiency["design"]) == set(search["designs"])
    table = (workdir / "results" / "experiments" / "rl_methods" / "methods.md").read_text()
    assert all(f"| {spec['label']} |" in table for spec in search["designs"].values())
    assert figure.exists() and figure.with_suffix(".pdf").exists()
    assert "Nothing to be done" in snakemake("--cores", "2", "rl_methods", "-n", cwd=workdir)
