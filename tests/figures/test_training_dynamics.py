"""The training-dynamics figure (rlv/figures/training_dynamics.py): runs with and without the verifier's metrics
drawn from hand-made metric tables, and a table without the reward named."""

import numpy as np
import pandas as pd
import pytest

from rlv.figures import FIGURES


def test_training_dynamics_draws_runs_with_and_without_the_verifier(tmp_path):
    steps = np.arange(1, 11)
    plain = pd.DataFrame({"run": "grpo", "step": steps, "reward": np.linspace(0.3, 0.5, 10)})
    joint = plain.assign(run="grpo_v", **{"verifier/loss": np.linspace(0.9, 0.6, 10),
                                          "verifier/accuracy": np.linspace(0.5, 0.7, 10)})
    out = tmp_path / "training_dynamics.png"
    FIGURES["training_dynamics"](metrics=[plain, joint], out=str(out), params={"labels": {"grpo_v": "GRPO$^V$"}})
    assert out.read_bytes()[:4] == b"\x89PNG" and out.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match=r"lack columns \['reward'\]"):
        FIGURES["training_dynamics"](metrics=[plain.drop(columns="reward")], out=str(out), params={})
