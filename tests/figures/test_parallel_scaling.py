"""The parallel-scaling figure (rlv/figures/parallel_scaling.py) from real sweeps over synthetic scored samples:
PNG and PDF written with no temporary file left, a missing curve named by run and strategy, and the separate
verifier's curve drawn only where it was swept."""

import pytest

from helpers import strategy_scored, sweep_and_verifier, two_run_sweep
from rlv.analysis.efficiency import compute_ratios
from rlv.figures import FIGURES
from rlv.figures.parallel_scaling import curve_specs


@pytest.fixture(scope="module")
def sweep_table():
    return two_run_sweep()


def test_parallel_scaling_writes_png_and_pdf(sweep_table, tmp_path):
    out = tmp_path / "figures" / "parallel_scaling.png"
    FIGURES["parallel_scaling"](sweep_table, str(out), {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v",
                                                         "labels": {"grpo": "GRPO", "grpo_v": "GRPO$^V$"}},
                                efficiency=compute_ratios(sweep_table, "test", "grpo", "grpo_v"))
    assert out.read_bytes()[:4] == b"\x89PNG" and out.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []  # no temporary files left


def test_missing_curve_names_the_run_and_strategy(sweep_table, tmp_path):
    partial = sweep_table[~((sweep_table["run"] == "grpo_v") & (sweep_table["strategy"] == "best_of_n"))]
    with pytest.raises(ValueError, match="run='grpo_v' strategy='best_of_n'"):
        FIGURES["parallel_scaling"](partial, str(tmp_path / "f.png"),
                                    {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v"})


def test_parallel_scaling_marks_the_separate_verifier_only_when_swept(tmp_path):
    specs = curve_specs("grpo", "grpo_v", {}, "grpo+verifier")
    assert [(s["run"], s["strategy"], s["score"]) for s in specs if s["run"] == "grpo+verifier"] == [
        ("grpo+verifier", "weighted_vote", "p_yes")]
    assert len(curve_specs("grpo", "grpo_v", {})) == len(specs) - 1
    curves, _ = sweep_and_verifier(strategy_scored())
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "separate_verifier_run": "grpo+verifier"}
    efficiency = compute_ratios(curves, "test", "grpo", "grpo_v")
    for sweep_rows in (curves, curves[curves["run"] != "grpo+verifier"]):  # without it: drawn without the curve
        FIGURES["parallel_scaling"](sweep_rows, str(tmp_path / "parallel_scaling.png"), params, efficiency=efficiency)
        assert (tmp_path / "parallel_scaling.png").read_bytes()[:4] == b"\x89PNG"
