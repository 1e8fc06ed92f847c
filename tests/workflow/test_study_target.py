"""The verification_scaling target (workflow/rules/studies.smk), outside rule all, end to end on the test config
after its whole DAG: the main DAG's base and a sort base with a DAG of its own, the labelled pools, every arm, the
table with the references and the figure; a second call has nothing to do, an edited study file reruns only the
table, and a rerun of a base's own DAG keeps its models, pools and arms."""

import json

import pandas as pd
import pytest
import yaml

from conftest import snakemake
from rlv.pipeline.nested import snakemake_mtime
from rlv.pipeline.study_specs import study_arms


@pytest.mark.slow
def test_verification_scaling_target_runs_every_arm(test_dag):
    workdir, _ = test_dag
    snakemake("--cores", "2", "verification_scaling", cwd=workdir, offline=True)
    study = yaml.safe_load((workdir / "config" / "studies" / "verification_scaling.yaml").read_text())
    root = workdir / "results" / "studies"
    rows = pd.read_parquet(root / "verification_scaling.parquet")
    arms = rows[rows["kind"] == "arm"]
    planned = study_arms(study)  # the table lists them base by base, each base's in the file's order
    assert [(a.base, a.name) for base in study["bases"] for a in planned if a.base == base] == \
        list(zip(arms["base"], arms["label"]))
    assert len(rows[rows["kind"] == "reference"]) == 2 * len(study["bases"])
    joint = rows[rows["kind"] == "joint"]  # the paper's comparison per base, and the sort base's further pair
    assert list(dict.fromkeys(zip(joint["base"], joint["test label"], joint["joint label"]))) == [
        ("default", "GRPO", "GRPO$^V$"), ("sort", "GRPO", "GRPO$^V$"), ("sort", "GRPO", "grpo_v_s1")]
    assert list(rows[rows["kind"] == "joint reference"]["label"]) == ["grpo_v_s1 own p(Yes), its own samples"]
    assert arms["wall s"].gt(0).all() and set(arms["verdict"]) <= {"chance", "separates", "target", "n/a"}
    for base, runs in (("default", ["base", "grpo"]), ("sort", ["base"])):
        pools = [pd.read_parquet(root / "verification_scaling" / base / "pool" / f"{run}.parquet") for run in runs]
        assert all(len(pool) == 12 * 4 for pool in pools)
    sort_problems = pd.read_parquet(root / "verification_scaling" / "sort" / "pool" / "problems.parquet")
    assert sort_problems["problem"].str.startswith("Sort the digits of").all()
    history = pd.read_csv(root / "verification_scaling" / "default" / "arms" / "generative_longer_n8.csv")
    assert len(history) == 2  # ceil(8 x 2 / 8): the family's own epochs
    table = (root / "verification_scaling.md").read_text()
    assert "## Base `sort`" in table and "## Verdict" in table and "| bce_n16 | 16 | 2 |" in table
    assert (workdir / "results" / "figures" / "verification_scaling.png").stat().st_size > 0
    assert "Nothing to be done" in snakemake("--cores", "2", "verification_scaling", "-n", cwd=workdir)
    # an edited study file reruns the table, never a base's DAG
    study_file = workdir / "config" / "studies" / "verification_scaling.yaml"
    study_file.write_text(study_file.read_text().replace("rationale: ", "rationale: Edited. ", 1))
    planned = snakemake("--cores", "2", "verification_scaling", "-n", cwd=workdir)
    assert "study_table" in planned and "study_config" not in planned and "study_base" not in planned
    # a rerun of the sort base's DAG (its config changed, here by a comment) keeps the models up to date in it, and
    # the pools and arms, which read only files that did not change
    sort_root = root / "verification_scaling" / "sort"
    kept = [*(sort_root / "results" / "models").iterdir(), *(sort_root / "pool").iterdir(),
            *(sort_root / "arms").iterdir()]
    times = {path: snakemake_mtime(path) for path in kept}
    config_file = sort_root / "config" / "config.yaml"
    config_file.write_text("# edited\n" + config_file.read_text())  # Snakemake skips a newer file of equal content
    arms = [str(path.relative_to(workdir)) for path in kept if path.suffix == ".csv"]  # not the table: it is edited
    output = snakemake("--cores", "2", *arms, cwd=workdir, offline=True)
    assert "localcheckpoint study_base_verification_scaling_sort:" in output
    assert "localrule study_arm:" not in output and "localrule study_pool:" not in output
    assert {path: snakemake_mtime(path) for path in kept} == times
    nested = (workdir / "results" / "logs" / "studies" / "verification_scaling" / "sort" / "study_base.log").read_text()
    assert "Nothing to be done" in nested
    assert json.loads((sort_root / "built.json").read_text())["results/models/base"] == \
        times[sort_root / "results" / "models" / "base"]
