"""The stages of the design searches (rlv/pipeline/stages/experiments.py): a base's results/ read back into the
arm rows of its table (its sweep and verifier tables, the arms' scored samples, the RL jobs' benchmark files)."""

import math
from pathlib import Path

import pandas as pd
import pytest

from helpers import design_base_tables, design_scored
from rlv.analysis.designs import arm_rows
from rlv.pipeline.nested import search_arms
from rlv.pipeline.stages.experiments import arm_tables, base_results


def write_base_dir(root: Path, runs: dict, timed: dict | None = None) -> Path:
    """A base's results/ with a sweep, a verifier table and scored samples per run ({run: (pass@1, scored)}), and a
    train_rl benchmark file per timed run ({run: seconds})."""
    results = root / "results"
    (results / "metrics" / "sweep").mkdir(parents=True)
    (results / "metrics" / "verifier").mkdir(parents=True)
    sweep, verifier = design_base_tables({run: pass1 for run, (pass1, _) in runs.items()})
    for run, (_, scored) in runs.items():
        (results / "rollouts" / "scored" / run).mkdir(parents=True)
        scored.to_parquet(results / "rollouts" / "scored" / run / "test.parquet")
    sweep.to_parquet(results / "metrics" / "sweep" / "test.parquet")
    verifier.to_parquet(results / "metrics" / "verifier" / "test.parquet")
    for run, seconds in (timed or {}).items():
        (results / "benchmarks" / "train_rl").mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"s": [seconds], "h:m:s": ["0:00:00"]}).to_csv(results / "benchmarks" / "train_rl" / f"{run}.tsv",
                                                                    sep="\t", index=False)
    return root


def test_arm_rows_carry_verifier_accuracy_and_problem_intervals(tmp_path):
    search = {"seeds": [0], "verify_coefs": [0.0, 1.0], "bases": {"plain": {}},
              "designs": {"a": {"base": "plain", "rationale": "r"}}}
    scored = design_scored()
    write_base_dir(tmp_path / "plain", {"base": (0.3, scored), "a_l0_s0": (0.4, scored), "a_l1_s0": (0.5, scored)})
    results = base_results(tmp_path, "plain")
    assert results == tmp_path / "plain" / "results"
    arms = search_arms(search, "plain")
    rows = arm_rows(arms, **arm_tables(results, arms, "test"), num_bootstrap=4000).set_index("run")
    assert list(rows.index) == ["base", "a_l0_s0", "a_l1_s0"]
    assert rows.loc["a_l1_s0", "pass@1"] == 0.5 and rows.loc["a_l1_s0", "pass@1 low"] == pytest.approx(0.4)
    assert rows.loc["a_l1_s0", "pass@1 high"] == pytest.approx(0.55) and rows.loc["a_l1_s0", "majority"] == 0.5
    assert rows.loc["a_l1_s0", "verifier accuracy"] == 0.75  # the verifier table's, for p_yes
    assert rows.loc["a_l1_s0", ["verifier accuracy low", "verifier accuracy high"]].tolist() == \
        pytest.approx([4 / 6, 1.0])
    assert math.isnan(rows.loc["a_l1_s0", "train s"])  # no benchmark file


def test_arm_tables_read_the_timed_jobs_and_the_scored_arms_only(tmp_path):
    search = {"seeds": [0], "verify_coefs": [0.0, 1.0], "bases": {"plain": {}},
              "designs": {"a": {"base": "plain", "rationale": "r"}}}
    write_base_dir(tmp_path / "plain", {"a_l1_s0": (0.5, design_scored())}, timed={"a_l0_s0": 42.5})
    arms = search_arms(search, "plain")
    tables = arm_tables(base_results(tmp_path, "plain"), arms, "test")
    assert set(tables["scored"]) == {"a_l1_s0"}
    assert list(tables["scored"]["a_l1_s0"].columns) == ["problem_id", "correct", "p_yes"]
    assert tables["train_seconds"]["a_l0_s0"] == 42.5
    assert math.isnan(tables["train_seconds"]["a_l1_s0"]) and math.isnan(tables["train_seconds"]["base"])
    assert set(tables["sweep"]["run"]) == set(tables["verifier"]["run"]) == {"a_l1_s0"}
