"""The miniature design search (rlv/experiments.py, workflow/rules/experiments.smk): configs, statistics,
verdicts against hand computations, and the `miniature` target run end to end on the test config."""

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, snakemake
from rlv.experiments import arm_name, base_config, best_design, design_verdicts, mean_ci, render_table, validate_search

SEARCH = {"seeds": [0, 1], "verify_coefs": [0.0, 1.0],
          "bases": {"plain": {}, "inv": {"task": {"family": "inverse"}}},
          "designs": {"a": {"base": "plain", "rl": {}, "rationale": "r1"},
                      "b": {"base": "plain", "rl": {"steps": 9}, "rationale": "r2"},
                      "c": {"base": "inv", "rl": {}, "rationale": "r3"}}}


def default_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


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


def test_arm_names_are_valid_run_names():
    assert arm_name("d", 0.3, 2) == "d_l0p3_s2" and arm_name("d", 1.0, 0) == "d_l1_s0"


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("seeds"), "missing key"),
    (lambda s: s.update(verify_coefs=[1.0]), "must include 0"),
    (lambda s: s["designs"]["a"].update(base="nope"), "designs.a.base"),
    (lambda s: s["designs"]["b"].update(rationale=" "), "designs.b.rationale"),
])
def test_bad_search_files_are_named(change, message):
    search = yaml.safe_load(yaml.safe_dump(SEARCH))
    change(search)
    with pytest.raises(ValueError, match=message) as error:
        validate_search(search, "search.yaml")
    assert "search.yaml" in str(error.value)


def test_mean_ci_is_the_t_interval():
    mean, half = mean_ci([0.5, 0.6, 0.7])
    assert mean == pytest.approx(0.6)
    assert half == pytest.approx(4.303 * 0.1 / math.sqrt(3))  # sd 0.1, t(0.975, 2) = 4.303
    assert mean_ci([0.4])[0] == 0.4 and math.isnan(mean_ci([0.4])[1])


def rows_for(gains_weighted, majority, within):
    rows = []
    for seed, (w, m, a) in enumerate(zip(gains_weighted, majority, within)):
        base = {"base": "plain", "design": "a", "seed": seed, "n_max": 32, "pass@1": 0.4, "best-of-N p(Yes)": 0.4,
                "weighted log-prob": 0.5, "pass@N": 0.8, "AUROC pooled": 0.7, "log-prob AUROC within": 0.8,
                "train s": 100.0}
        rows.append({**base, "verify_coef": 0.0, "run": f"a_l0_s{seed}", "majority": m, "weighted p(Yes)": m,
                     "AUROC within": 0.5})
        rows.append({**base, "verify_coef": 1.0, "run": f"a_l1_s{seed}", "majority": m, "weighted p(Yes)": w,
                     "AUROC within": a})
    return pd.DataFrame(rows)


def test_verdict_pairs_seeds_and_needs_both_conditions():
    met = design_verdicts(rows_for([0.60, 0.62, 0.61], [0.50, 0.51, 0.52], [0.75, 0.72, 0.74])).iloc[0]
    assert met["gain"][0] == pytest.approx(0.1) and met["met"]
    low_auroc = design_verdicts(rows_for([0.60, 0.62, 0.61], [0.50, 0.51, 0.52], [0.65, 0.66, 0.64])).iloc[0]
    assert not low_auroc["met"]
    noisy = design_verdicts(rows_for([0.60, 0.45, 0.61], [0.50, 0.51, 0.52], [0.75, 0.72, 0.74])).iloc[0]
    assert noisy["gain"][0] > 0 and noisy["gain"][0] - noisy["gain"][1] < 0 and not noisy["met"]


def test_render_table_lists_every_design_and_verdict():
    text = render_table({**SEARCH, "designs": {"a": SEARCH["designs"]["a"]}},
                        rows_for([0.60, 0.62, 0.61], [0.50, 0.51, 0.52], [0.75, 0.72, 0.74]))
    assert "**a** (base `plain`): r1" in text
    assert "| a | 0 | 0.400 ± 0.000 |" in text and "| a | 1 |" in text
    assert "| a | 0.100 ± 0.025 | 0.737 ± 0.038 | yes |" in text
    assert "Best design by the search's decision rule (largest mean gain): **a**." in text


def test_best_design_has_the_largest_mean_gain():
    verdicts = pd.DataFrame({"design": ["x", "y", "z"], "gain": [(0.01, 0.1), (0.05, 0.2), (-0.02, 0.01)]})
    assert best_design(verdicts) == "y"


def test_miniature_target_runs_every_arm_through_the_dag(test_dag):
    workdir, _ = test_dag
    snakemake("--cores", "2", "miniature", cwd=workdir, offline=True)
    root = workdir / "results" / "experiments"
    rows = pd.read_parquet(root / "miniature.parquet")
    search = yaml.safe_load((workdir / "config" / "miniature.yaml").read_text())
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
