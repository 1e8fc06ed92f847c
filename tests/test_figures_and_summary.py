"""The parallel-scaling figure and the summary, drawn from a real sweep over synthetic scored samples."""

import numpy as np
import pandas as pd
import pytest

from rlv.aggregate import sweep
from rlv.figures import FIGURES
from rlv.summary import render_summary

STRATEGIES = ["pass_at_n", "majority", "best_of_n:p_yes", "weighted_vote:p_yes", "best_of_n:mean_logprob",
              "weighted_vote:mean_logprob"]


def scored_samples(run: str, skill: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for problem in range(30):
        for sample in range(8):
            correct = rng.random() < skill
            answer = "42" if correct else str(rng.integers(0, 5))
            rows.append({"run": run, "dataset": "test", "problem_id": f"p{problem}", "sample": sample,
                         "answer": answer, "correct": correct, "p_yes": float(np.clip(0.5 + 0.3 * correct
                                                                                      + rng.normal(0, 0.2), 0, 1)),
                         "mean_logprob": float(-rng.random())})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sweep_table():
    return pd.concat([sweep(scored_samples(run, skill, seed), [1, 2, 4, 8], STRATEGIES, 50, 100, 0.95, 0)
                      .assign(run=run, dataset="test") for run, skill, seed in [("grpo", 0.4, 1), ("grpo_v", 0.4, 2)]])


def test_parallel_scaling_writes_png_and_pdf(sweep_table, tmp_path):
    out = tmp_path / "figures" / "parallel_scaling.png"
    FIGURES["parallel_scaling"](sweep_table, str(out), {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v",
                                                         "labels": {"grpo": "GRPO", "grpo_v": "GRPO$^V$"}})
    assert out.read_bytes()[:4] == b"\x89PNG" and out.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []  # no temporary files left


def test_missing_curve_names_the_run_and_strategy(sweep_table, tmp_path):
    partial = sweep_table[~((sweep_table["run"] == "grpo_v") & (sweep_table["strategy"] == "best_of_n"))]
    with pytest.raises(ValueError, match="run='grpo_v' strategy='best_of_n'"):
        FIGURES["parallel_scaling"](partial, str(tmp_path / "f.png"),
                                    {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v"})


def test_summary_reports_each_run_strategy_and_verifier(sweep_table):
    verifier = pd.DataFrame([{"run": "grpo_v", "dataset": "test", "score": "p_yes", "accuracy": 0.7,
                              "auroc_pooled": 0.8, "auroc_within": 0.65, "num_mixed_problems": 20}])
    text = render_summary([sweep_table], [verifier], [1, 4, 8], {"grpo_v": "GRPO$^V$"})
    row = sweep_table[(sweep_table["run"] == "grpo") & (sweep_table["strategy"] == "majority") & (sweep_table["n"] == 4)]
    assert f"{row['accuracy'].iloc[0]:.3f}" in text
    assert "| GRPO$^V$ | weighted p(Yes) |" in text and "| GRPO$^V$ | p_yes | 0.700 | 0.800 | 0.650 | 20 |" in text
