"""The generalization figure (rlv/figures/generalization.py): one panel per comparison, drawn from the sweeps of
hand-made samples, and a panel naming a run its dataset has no rows of."""

import pytest

from helpers import generalization_inputs
from rlv.figures import FIGURES


@pytest.fixture(scope="module")
def sweeps():
    _, sweeps, _ = generalization_inputs()
    return sweeps


def test_figure_draws_one_panel_per_comparison(sweeps, tmp_path):
    panels = [{"kind": "in_domain", "dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v"},
              {"kind": "out_of_domain", "dataset": "ood", "base_run": "grpo", "verifier_run": "grpo_v"},
              {"kind": "easy_to_hard", "dataset": "hard", "base_run": "grpo_easy", "verifier_run": "grpo_v_easy"}]
    out = tmp_path / "generalization.png"
    FIGURES["generalization"](sweeps=list(sweeps.values()), out=str(out), params={"panels": panels, "labels": {}})
    assert out.read_bytes()[:4] == b"\x89PNG" and out.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"
    wrong = [{**panels[2], "base_run": "grpo"}]
    with pytest.raises(ValueError, match="no rows for run='grpo' strategy='majority' score='' on dataset 'hard'"):
        FIGURES["generalization"](sweeps=list(sweeps.values()), out=str(out), params={"panels": wrong})
