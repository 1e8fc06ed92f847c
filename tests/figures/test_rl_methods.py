"""The rl_methods figure (rlv/figures/rl_methods.py): one panel per method of a design search, drawn from a
hand-made sweep of two methods' arms and their compute ratios; each panel's curves; no method, no figure."""

import importlib

import pytest

from helpers import method_pair_list, method_sweep
from rlv.analysis.method_comparison import method_efficiency
from rlv.figures import FIGURES
from rlv.figures.rl_methods import method_specs


@pytest.fixture
def drawn(monkeypatch):
    """The figures rl_methods saves, kept open for a look at their panels."""
    module = importlib.import_module("rlv.figures.rl_methods")  # the package binds the name to the function
    figures, save = [], module.save_figure
    monkeypatch.setattr(module, "save_figure", lambda figure, out: (figures.append(figure), save(figure, out)))
    return figures


def test_method_specs_compare_the_base_methods_majority_with_its_rlv_arm():
    specs = method_specs("rloo_l0_s3", "rloo_l1_s3", "RLOO")
    assert [(s["run"], s["strategy"], s["score"]) for s in specs] == [
        ("rloo_l0_s3", "majority", ""), ("rloo_l1_s3", "best_of_n", "p_yes"), ("rloo_l1_s3", "weighted_vote", "p_yes"),
        ("rloo_l0_s3", "pass_at_n", ""), ("rloo_l1_s3", "pass_at_n", "")]
    assert specs[0]["label"] == "RLOO: majority vote" and specs[2]["label"] == "RLOO$^V$: weighted vote"
    assert [s["ls"] for s in specs] == ["-", "-", "-", "--", "--"]  # pass@N dashed: the ceiling


def test_rl_methods_figure_draws_one_panel_per_method(tmp_path, drawn):
    sweep = method_sweep()
    efficiency = method_efficiency(method_pair_list(), {"default": sweep})
    FIGURES["rl_methods"](sweeps=[sweep], efficiency=efficiency, out=str(tmp_path / "m.png"), params={})
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "m.pdf").read_bytes()[:4] == b"%PDF"
    panels = [axis for axis in drawn[0].axes if axis.get_title(loc="left")]
    assert [axis.get_title(loc="left") for axis in panels] == ["RLOO", "vineppo"]
    labels = [line.get_label() for line in panels[1].get_lines() if not line.get_label().startswith("_")]
    assert labels[:3] == ["vineppo: majority vote", "vineppo$^V$: best-of-N", "vineppo$^V$: weighted vote"]


def test_rl_methods_needs_a_method_and_names_a_missing_arm(tmp_path):
    sweep = method_sweep()
    efficiency = method_efficiency(method_pair_list(), {"default": sweep})
    with pytest.raises(ValueError, match="rl_methods needs the compute-ratio rows of at least one method"):
        FIGURES["rl_methods"](sweeps=[sweep], efficiency=efficiency.iloc[:0], out=str(tmp_path / "m.png"), params={})
    without = sweep[sweep["run"] != "vineppo_l1_s3"]
    with pytest.raises(ValueError, match="no rows for run='vineppo_l1_s3' strategy='best_of_n' score='p_yes'"):
        FIGURES["rl_methods"](sweeps=[without], efficiency=efficiency, out=str(tmp_path / "m.png"), params={})
    assert not (tmp_path / "m.png").exists()
