"""The per-method comparison of a design search (rl_methods): arm pairs, compute ratios per method against
hand-computed crossings, the Markdown table, the figure; the trainer a design names reaches its arms; the
rl_methods target on the test DAG."""

import math

import pandas as pd
import pytest
import yaml
from conftest import snakemake

from rlv.analysis.designs import arm_name, base_config, validate_search
from rlv.figures import FIGURES
from rlv.analysis.method_comparison import method_efficiency, method_pairs, method_table

SEARCH = {"seeds": [3], "verify_coefs": [0.0, 1.0], "bases": {"default": {}},
          "designs": {"rloo": {"base": "default", "label": "RLOO", "rl": {"trainer": "rloo"}, "rationale": "r"},
                      "vineppo": {"base": "default", "rl": {"trainer": "vineppo", "vine_mc_samples": 2},
                                  "rationale": "v"}}}
NS = [1, 2, 4, 8]


def sweep_rows(run: str, curves: dict) -> list[dict]:
    return [{"dataset": "test", "run": run, "strategy": spec.partition(":")[0], "score": spec.partition(":")[2],
             "n": n, "accuracy": a, "ci_low": a - 0.05, "ci_high": a + 0.05, "num_problems": 100}
            for spec, accuracies in curves.items() for n, a in zip(NS, accuracies)]


def toy_sweep() -> pd.DataFrame:
    flat = [0.4, 0.4, 0.4, 0.4]
    rows = sweep_rows("rloo_l0_s3", {"pass_at_n": [0.4, 0.5, 0.6, 0.7], "majority": [0.4, 0.45, 0.5, 0.55],
                                     "best_of_n:p_yes": flat, "weighted_vote:p_yes": flat})
    rows += sweep_rows("rloo_l1_s3", {"pass_at_n": [0.4, 0.5, 0.6, 0.7], "majority": flat,
                                      "best_of_n:p_yes": [0.4, 0.42, 0.44, 0.46],
                                      "weighted_vote:p_yes": [0.4, 0.5, 0.55, 0.6]})
    rows += sweep_rows("vineppo_l0_s3", {"pass_at_n": [0.3, 0.4, 0.5, 0.6], "majority": [0.3, 0.3, 0.3, 0.3],
                                         "best_of_n:p_yes": flat, "weighted_vote:p_yes": flat})
    rows += sweep_rows("vineppo_l1_s3", {"pass_at_n": [0.3, 0.4, 0.5, 0.6], "majority": flat,
                                         "best_of_n:p_yes": [0.3, 0.35, 0.4, 0.45],
                                         "weighted_vote:p_yes": [0.3, 0.32, 0.34, 0.36]})
    return pd.DataFrame(rows)


def test_pairs_are_the_lambda_0_and_largest_lambda_arms_of_the_first_seed():
    pairs = method_pairs(SEARCH)
    assert [(p["design"], p["label"], p["base_run"], p["verifier_run"]) for p in pairs] == [
        ("rloo", "RLOO", "rloo_l0_s3", "rloo_l1_s3"), ("vineppo", "vineppo", "vineppo_l0_s3", "vineppo_l1_s3")]
    with pytest.raises(ValueError, match="verify_coef above 0"):
        method_pairs({**SEARCH, "verify_coefs": [0.0]})


def test_compute_ratios_per_method_match_hand_crossings():
    efficiency = method_efficiency(SEARCH, {"default": toy_sweep()})
    rloo = efficiency[(efficiency["design"] == "rloo") & (efficiency["verifier_strategy"] == "weighted_vote:p_yes")]
    # RL^V weighted vote reaches 0.5 at N=2; RLOO's majority reaches 0.5 at N=4: ratio 2. 0.55 at N=4 vs majority's
    # 0.55 at N=8: 2. 0.6 at N=8: majority never gets there (ratio >= 8/8 = 1).
    by_n = rloo.set_index("level_n")
    assert by_n.loc[2, "ratio"] == pytest.approx(2.0) and by_n.loc[4, "ratio"] == pytest.approx(2.0)
    assert math.isnan(by_n.loc[8, "ratio"]) and by_n.loc[8, "ratio_at_least"] == pytest.approx(1.0)
    # the level at N=1 (0.4) equals majority's first point: N_base(0.4) = 1, ratio 1
    assert by_n.loc[1, "ratio"] == pytest.approx(1.0)
    vine = efficiency[(efficiency["design"] == "vineppo") & (efficiency["verifier_strategy"] == "best_of_n:p_yes")]
    assert vine.set_index("level_n").loc[2, "ratio_at_least"] == pytest.approx(4.0)  # majority flat at 0.3 < 0.35
    assert set(efficiency["label"]) == {"RLOO", "vineppo"}


def test_table_has_one_row_per_method_with_its_gain_and_ratios():
    sweep = toy_sweep()
    efficiency = method_efficiency(SEARCH, {"default": sweep})
    table = method_table(SEARCH, {"default": sweep}, efficiency, title="T")
    rows = [line for line in table.splitlines() if line.startswith("| RLOO") or line.startswith("| vineppo")]
    assert len(rows) == 2
    # RLOO: weighted vote 0.6 over majority 0.55 at N = 8: +9.1%; ratios at levels 0.4, 0.5, 0.55, 0.6
    assert rows[0] == "| RLOO | 0.400 | 0.400 | 0.550 | 0.600 | 0.460 | +9.1% (weighted_vote) | 1.00x, 2.00x, 2.00x, >1.00x |"
    # VinePPO: best-of-N 0.45 over majority 0.3: +50.0%; level 0.3 is majority's own first point (ratio 1)
    assert rows[1].startswith("| vineppo | 0.300 | 0.300 | 0.300 | 0.360 | 0.450 | +50.0% (best_of_n) | 1.00x, >4.00x")


def test_rl_methods_figure_draws_one_panel_per_method(tmp_path):
    sweep = toy_sweep()
    efficiency = method_efficiency(SEARCH, {"default": sweep})
    FIGURES["rl_methods"](sweeps=[sweep], efficiency=efficiency, out=str(tmp_path / "m.png"), params={})
    assert (tmp_path / "m.png").stat().st_size > 0 and (tmp_path / "m.pdf").stat().st_size > 0


def test_a_design_names_its_trainer_and_grpo_is_the_default():
    validate_search(SEARCH, "search")
    config = {"rl": {"runs": {}}, "eval": {"runs": []}, "figures": {"parallel_scaling": {}}}
    runs = base_config(config, {**SEARCH, "designs": {**SEARCH["designs"], "plain": {"base": "default", "rationale": "g"}}},
                       "default")["rl"]["runs"]
    assert runs[arm_name("rloo", 1.0, 3)] == {"trainer": "rloo", "verify_coef": 1.0, "seed": 3}
    assert runs[arm_name("vineppo", 0.0, 3)] == {"trainer": "vineppo", "vine_mc_samples": 2, "verify_coef": 0.0, "seed": 3}
    assert runs[arm_name("plain", 0.0, 3)]["trainer"] == "grpo"


def test_search_bases_drop_the_main_dags_judge_and_sequential_sections():
    """Both name the main DAG's runs (figures.parallel_scaling.base_run, sequential_parallel's runs), which a
    search base replaces by its arms; kept, the sequential check stops every search base before its first job."""
    config = {"rl": {"runs": {}}, "eval": {"runs": []}, "figures": {"parallel_scaling": {}},
              "judge": {"prompt": "p"}, "sequential_parallel": {"base_run": "grpo"}}
    out = base_config(config, SEARCH, "default")
    assert "judge" not in out and "sequential_parallel" not in out


@pytest.mark.slow
def test_rl_methods_target_trains_every_method_and_draws_its_figure(test_dag):
    workdir, _ = test_dag
    figure = workdir / "results" / "figures" / "rl_methods.png"
    assert not figure.exists()  # rule all does not build it
    snakemake("--cores", "2", "rl_methods", cwd=workdir, offline=True)
    search = yaml.safe_load((workdir / "config" / "rl_methods.yaml").read_text())
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
