"""The summary (rlv/analysis/summary.py) from a real sweep over synthetic scored samples: every run's strategies
and its verifier's metrics. (With the claims' rows: test_claims.py.)"""

import pandas as pd
import pytest

from helpers import two_run_sweep
from rlv.analysis.summary import render_summary


@pytest.fixture(scope="module")
def sweep_table():
    return two_run_sweep()


def test_summary_reports_each_run_strategy_and_verifier(sweep_table):
    verifier = pd.DataFrame([{"run": "grpo_v", "dataset": "test", "score": "p_yes", "accuracy": 0.7,
                              "auroc_pooled": 0.8, "auroc_within": 0.65, "num_mixed_problems": 20}])
    text = render_summary([sweep_table], [verifier], [1, 4, 8], {"grpo_v": "GRPO$^V$"})
    row = sweep_table[(sweep_table["run"] == "grpo") & (sweep_table["strategy"] == "majority") & (sweep_table["n"] == 4)]
    assert f"{row['accuracy'].iloc[0]:.3f}" in text
    assert "| GRPO$^V$ | weighted p(Yes) |" in text and "| GRPO$^V$ | p_yes | 0.700 | 0.800 | 0.650 | 20 |" in text
