"""Design searches (rlv/analysis/designs.py, workflow/rules/experiments.smk): configs, statistics, verdicts and
intervals against hand computations, the warm-up copy, and the `miniature` and `lambda_sweep` targets run end
to end on the test config."""

import math
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, snakemake
from rlv.analysis.designs import (arm_name, arm_rows, base_config, best_design, copy_warm_up, design_verdicts,
                             lambda_points, mean_ci, render_table, snakemake_mtime, validate_search,
                             verifier_accuracy_interval)

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


def test_base_config_drops_what_names_the_main_runs():
    main = {**default_config(), "separate_verifier": {"steps": 3}}
    main["eval"] = {**main["eval"], "runs_by_dataset": {"test": ["grpo"]}}
    main["figures"] = {**main["figures"], "claims": {"easy_to_hard": {"base_run": "grpo"}}}
    config = base_config(main, SEARCH, "plain")
    assert "separate_verifier" not in config and "runs_by_dataset" not in config["eval"]
    assert "claims" not in config["figures"]


def test_arm_names_are_valid_run_names():
    assert arm_name("d", 0.3, 2) == "d_l0p3_s2" and arm_name("d", 1.0, 0) == "d_l1_s0"


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("seeds"), "missing key"),
    (lambda s: s.update(verify_coefs=[1.0]), "must include 0"),
    (lambda s: s["designs"]["a"].update(base="nope"), "designs.a.base"),
    (lambda s: s["designs"]["b"].update(rationale=" "), "designs.b.rationale"),
    (lambda s: s.update(lambdas=[0.0]), r"unknown key\(s\) \['lambdas'\]"),
    (lambda s: s.update(reuse_main_warm_up=True), r"reuse_main_warm_up needs bases without overrides.*\['inv'\]"),
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
                "weighted log-prob": 0.5, "pass@N": 0.8, "verifier accuracy": 0.6, "AUROC pooled": 0.7,
                "log-prob AUROC within": 0.8, "train s": 100.0}
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
    assert "Best design by the search's decision rule (largest mean gain): **a**." not in text  # one design
    assert text.startswith("# The miniature design search\n") and "| verifier accuracy |" in text
    two = render_table({**SEARCH, "designs": {"a": SEARCH["designs"]["a"], "b": SEARCH["designs"]["b"]},
                        "title": "Sweep"}, pd.concat([rows_for([0.6] * 3, [0.5] * 3, [0.75] * 3),
                                                      rows_for([0.5] * 3, [0.5] * 3, [0.75] * 3).assign(design="b")]),
                       "sweep")
    assert two.startswith("# Sweep\n") and "`snakemake --cores all sweep`" in two
    assert "Best design by the search's decision rule (largest mean gain): **a**." in two


def test_best_design_has_the_largest_mean_gain():
    verdicts = pd.DataFrame({"design": ["x", "y", "z"], "gain": [(0.01, 0.1), (0.05, 0.2), (-0.02, 0.01)]})
    assert best_design(verdicts) == "y"


def test_verifier_accuracy_is_hits_over_samples_with_a_problem_bootstrap():
    # problem p: verdicts right, right, wrong (3 samples); problem q: right (1 sample) -> 3/4, not the mean of 2/3 and 1
    scored = pd.DataFrame({"problem_id": ["p", "p", "p", "q"], "correct": [True, False, True, False],
                           "p_yes": [0.9, 0.2, 0.4, 0.1]})
    accuracy, low, high = verifier_accuracy_interval(scored, num_bootstrap=4000, confidence=0.95, seed=0)
    assert accuracy == pytest.approx(0.75)
    # resamples: (p, p) -> 4/6, (p, q) or (q, p) -> 3/4, (q, q) -> 2/2; each extreme has probability 1/4
    assert low == pytest.approx(4 / 6) and high == pytest.approx(1.0)
    assert verifier_accuracy_interval(scored, 4000, 0.4, 0)[1:] == pytest.approx((0.75, 0.75))  # middle 40%: 3/4


def write_base_dir(root: Path, runs: dict) -> Path:
    """A base's results/ with a sweep, a verifier table and scored samples per run: {run: (pass@1, rows)}."""
    (root / "results" / "metrics" / "sweep").mkdir(parents=True)
    (root / "results" / "metrics" / "verifier").mkdir(parents=True)
    sweep, verifier = [], []
    for run, (pass1, scored) in runs.items():
        for strategy, score, n, accuracy in [("pass_at_n", "", 1, pass1), ("pass_at_n", "", 2, 0.9),
                                             ("majority", "", 2, 0.5), ("weighted_vote", "p_yes", 2, 0.55),
                                             ("best_of_n", "p_yes", 2, 0.45), ("weighted_vote", "mean_logprob", 2, 0.5)]:
            sweep.append({"run": run, "strategy": strategy, "score": score, "n": n, "accuracy": accuracy,
                          "ci_low": accuracy - 0.1, "ci_high": accuracy + 0.05})
        for score in ("p_yes", "mean_logprob"):
            verifier.append({"run": run, "score": score, "accuracy": 0.75 if score == "p_yes" else math.nan,
                             "auroc_pooled": 0.6, "auroc_within": 0.55})
        (root / "results" / "rollouts" / "scored" / run).mkdir(parents=True)
        scored.to_parquet(root / "results" / "rollouts" / "scored" / run / "test.parquet")
    pd.DataFrame(sweep).to_parquet(root / "results" / "metrics" / "sweep" / "test.parquet")
    pd.DataFrame(verifier).to_parquet(root / "results" / "metrics" / "verifier" / "test.parquet")
    return root


def test_arm_rows_carry_verifier_accuracy_and_problem_intervals(tmp_path):
    search = {"seeds": [0], "verify_coefs": [0.0, 1.0], "bases": {"plain": {}},
              "designs": {"a": {"base": "plain", "rationale": "r"}}}
    scored = pd.DataFrame({"problem_id": ["p", "p", "p", "q"], "correct": [True, False, True, False],
                           "p_yes": [0.9, 0.2, 0.4, 0.1]})
    base_dir = write_base_dir(tmp_path / "plain", {"base": (0.3, scored), "a_l0_s0": (0.4, scored),
                                                   "a_l1_s0": (0.5, scored)})
    rows = arm_rows(search, "plain", base_dir, num_bootstrap=4000).set_index("run")
    assert list(rows.index) == ["base", "a_l0_s0", "a_l1_s0"]
    assert rows.loc["a_l1_s0", "pass@1"] == 0.5 and rows.loc["a_l1_s0", "pass@1 low"] == pytest.approx(0.4)
    assert rows.loc["a_l1_s0", "pass@1 high"] == pytest.approx(0.55) and rows.loc["a_l1_s0", "majority"] == 0.5
    assert rows.loc["a_l1_s0", "verifier accuracy"] == 0.75  # the verifier table's, for p_yes
    assert rows.loc["a_l1_s0", ["verifier accuracy low", "verifier accuracy high"]].tolist() == \
        pytest.approx([4 / 6, 1.0])
    assert math.isnan(rows.loc["a_l1_s0", "train s"])  # no benchmark file


def test_lambda_points_use_seed_intervals_with_seeds_and_problem_intervals_without():
    def arm(coef, seed, pass1, accuracy):
        return {"design": "a", "verify_coef": coef, "seed": seed, "pass@1": pass1, "pass@1 low": pass1 - 0.1,
                "pass@1 high": pass1 + 0.2, "verifier accuracy": accuracy, "verifier accuracy low": accuracy - 0.05,
                "verifier accuracy high": accuracy + 0.01}
    warm = {"design": "warm start", "verify_coef": math.nan, "seed": math.nan, "pass@1": 0.3, "verifier accuracy": 0.5}
    seeds = lambda_points(pd.DataFrame([warm, arm(1.0, 0, 0.4, 0.6), arm(1.0, 1, 0.5, 0.7), arm(1.0, 2, 0.6, 0.8),
                                        arm(0.0, 0, 0.5, 0.5), arm(0.0, 1, 0.5, 0.5)]))
    assert seeds["verify_coef"].tolist() == [0.0, 1.0] and seeds["interval"].tolist() == ["seeds", "seeds"]
    one = seeds.iloc[1]  # sd 0.1 over three seeds: half-width 4.303 * 0.1 / sqrt(3)
    half = 4.303 * 0.1 / math.sqrt(3)
    assert one["pass@1"] == pytest.approx(0.5) and one["pass@1 low"] == pytest.approx(0.5 - half)
    assert one["verifier accuracy high"] == pytest.approx(0.7 + half)
    assert seeds.iloc[0]["pass@1 low"] == pytest.approx(0.5)  # identical seeds: zero width
    single = lambda_points(pd.DataFrame([warm, arm(0.3, 0, 0.4, 0.6)])).iloc[0]
    assert single["interval"] == "problems" and single["seeds"] == 1
    assert (single["pass@1 low"], single["pass@1 high"]) == pytest.approx((0.3, 0.6))
    assert (single["verifier accuracy low"], single["verifier accuracy high"]) == pytest.approx((0.55, 0.61))


def test_lambda_sweep_figure_draws_png_and_pdf(tmp_path):
    from rlv.figures import FIGURES
    rows = pd.DataFrame([{"design": "warm start", "verify_coef": math.nan, "seed": math.nan, "pass@1": 0.3,
                          "verifier accuracy": 0.5}] +
                        [{"design": "a", "verify_coef": c, "seed": 0, "pass@1": 0.4 + c / 10, "pass@1 low": 0.35,
                          "pass@1 high": 0.6, "verifier accuracy": 0.6, "verifier accuracy low": 0.55,
                          "verifier accuracy high": 0.65} for c in (0.0, 0.3, 1.0)])
    FIGURES["lambda_sweep"](arms=rows, out=str(tmp_path / "lambda_sweep.png"), params={})
    assert (tmp_path / "lambda_sweep.png").stat().st_size > 0 and (tmp_path / "lambda_sweep.pdf").stat().st_size > 0


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


def test_lambda_sweep_target_reuses_the_warm_up_and_draws_its_figure(test_dag):
    workdir, _ = test_dag
    figure = workdir / "results" / "figures" / "lambda_sweep.png"
    assert not figure.exists()  # rule all does not build it
    snakemake("--cores", "2", "lambda_sweep", cwd=workdir, offline=True)
    search = yaml.safe_load((workdir / "config" / "lambda_sweep.yaml").read_text())
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

