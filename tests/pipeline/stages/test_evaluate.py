"""The evaluation stages (rlv/pipeline/stages/evaluate.py) on files: an N_max that is not a power of two is swept
at N_max itself and reaches the summary."""

import copy

import pandas as pd

from conftest import REPO
from helpers import scored_samples, validated_config
from rlv.pipeline.plan import Plan
from rlv.pipeline.stages import parse_params
from rlv.pipeline.stages.evaluate import SweepParams, sweep
from rlv.pipeline.stages.figures import SummaryParams, summary


def test_an_n_max_of_six_is_swept_and_summarised(tmp_path):
    config = copy.deepcopy(validated_config())
    config["eval"]["num_samples"] = 6
    plan = Plan(config, searches_dir=REPO / "config" / "searches")
    assert plan.sweep_params()["ns"] == [1, 2, 4, 6]
    paths = []
    for run, skill in (("grpo", 0.4), ("grpo_v", 0.5)):
        frame = scored_samples(run, skill, seed=len(paths))
        paths.append(tmp_path / f"{run}.parquet")
        frame[frame["sample"] < 6].to_parquet(paths[-1])
    sweep(scores=paths, out=tmp_path / "sweep.parquet", verifier_out=tmp_path / "verifier.parquet",
          params=parse_params(SweepParams, {**plan.sweep_params(), "num_subsets": 20, "num_bootstrap": 50}, "sweep"))
    table = pd.read_parquet(tmp_path / "sweep.parquet")
    assert sorted(table["n"].unique()) == [1, 2, 4, 6]
    params = parse_params(SummaryParams, {**plan.summary_params(), "claims": None}, "summary")
    summary(sweeps=[tmp_path / "sweep.parquet"], verifiers=[tmp_path / "verifier.parquet"], efficiency=None,
            scores=None, sequential=None, out=tmp_path / "summary.md", params=params)
    assert "| N=1 | N=4 | N=6 |" in (tmp_path / "summary.md").read_text()


def test_a_power_of_two_n_max_keeps_its_sweep():
    assert Plan(copy.deepcopy(validated_config()), searches_dir=REPO / "config" / "searches").sweep_params()["ns"] == \
        [1, 2, 4, 8, 16, 32]
