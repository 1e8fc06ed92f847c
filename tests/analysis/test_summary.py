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


def test_summary_names_best_of_n_among_answered_samples(sweep_table):
    answered = sweep_table[(sweep_table["strategy"] == "best_of_n") & (sweep_table["score"] == "p_yes")].assign(
        strategy="best_of_n_answered")
    text = render_summary([pd.concat([sweep_table, answered])], [pd.DataFrame(
        columns=["run", "score", "accuracy", "auroc_pooled", "auroc_within", "num_mixed_problems"])], [1, 4], {})
    assert "| grpo_v | best-of-N p(Yes) |" in text and "| grpo_v | best-of-N p(Yes), answered only |" in text


def test_claims_section_states_the_rules_before_the_numbers_and_the_details_after():
    from rlv.analysis.summary import claims_section
    rows = [{"claim": "c1", "measured": "1.5x [1.1, 2.0]", "verdict": "partly", "rule": "the rule of c1",
             "details": ["| a | b |", "|---|---|", "| 1 | 2 |"]},
            {"claim": "c2", "measured": "-", "verdict": "not measured yet", "rule": "the rule of c2"}]
    text = "\n".join(claims_section(rows))
    assert text.index("- c1: the rule of c1.") < text.index("- c2: the rule of c2.") < text.index("| c1 | 1.5x [")
    assert text.index("| c2 | - | not measured yet |") < text.index("### c1") < text.index("| 1 | 2 |")
    assert "### c2" not in text  # no details, no section
