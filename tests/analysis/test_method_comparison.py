"""The per-method comparison of a design search (rlv/analysis/method_comparison.py): compute ratios per method
against hand-computed crossings and the Markdown table, from a hand-made sweep of two methods' arms. (The pairs
of a search: tests/pipeline/test_nested.py; the figure: tests/figures/test_rl_methods.py; the rl_methods target:
tests/workflow/test_searches.py.)"""

import math

import pytest

from helpers import method_pair_list, method_sweep
from rlv.analysis.method_comparison import method_efficiency, method_table

PAIRS = method_pair_list()


def test_compute_ratios_per_method_match_hand_crossings():
    efficiency = method_efficiency(PAIRS, {"default": method_sweep()})
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
    sweep = method_sweep()
    efficiency = method_efficiency(PAIRS, {"default": sweep})
    table = method_table(PAIRS, 3, {"default": sweep}, efficiency, title="T")
    rows = [line for line in table.splitlines() if line.startswith("| RLOO") or line.startswith("| vineppo")]
    assert len(rows) == 2
    # RLOO: weighted vote 0.6 over majority 0.55 at N = 8: +9.1%; ratios at levels 0.4, 0.5, 0.55, 0.6
    assert rows[0] == "| RLOO | 0.400 | 0.400 | 0.550 | 0.600 | 0.460 | +9.1% (weighted_vote) | 1.00x, 2.00x, 2.00x, >1.00x |"
    # VinePPO: best-of-N 0.45 over majority 0.3: +50.0%; level 0.3 is majority's own first point (ratio 1)
    assert rows[1].startswith("| vineppo | 0.300 | 0.300 | 0.300 | 0.360 | 0.450 | +50.0% (best_of_n) | 1.00x, >4.00x")
    assert table.startswith("# T\n") and "(seed 3), on the test split" in table
