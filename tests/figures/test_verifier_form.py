"""The verifier-form figure (rlv/figures/verifier_form.py) from a real sweep over synthetic scored samples: its
curves are the sweep's rows, its bars the verifier table's; drawn with or without the heads. (The
verifier_heads config: tests/workflow/test_config_validation.py and tests/pipeline/test_nested.py.)"""

import pytest

from helpers import head_tables
from rlv.figures import FIGURES
from rlv.figures.verifier_form import curve_specs, form_scorers, metric_bars

FORMS = [{"run": "grpo+verifier", "form": "generative"}, {"run": "grpo+bce", "form": "bce"},
         {"run": "grpo+regression", "form": "regression"}]
PARAMS = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "forms": FORMS,
          "labels": {"grpo": "GRPO", "grpo_v": "GRPO$^V$", "grpo+bce": "GRPO + BCE head"}}


@pytest.fixture(scope="module")
def tables():
    return head_tables()


def test_scorers_curves_and_bars_come_from_the_tables(tables):
    curves, verifier, grpo = tables
    scorers = form_scorers(PARAMS, set(curves["run"]))
    assert [(s["run"], s["form"]) for s in scorers] == [("grpo_v", "unified"), ("grpo+verifier", "generative"),
                                                       ("grpo+bce", "bce"), ("grpo+regression", "regression")]
    assert scorers[2]["label"] == "GRPO + BCE head"  # the form is already in the label
    assert scorers[3]["label"] == "grpo+regression (regression head)"
    specs = curve_specs(PARAMS, scorers)
    assert (specs[0]["run"], specs[0]["strategy"]) == ("grpo", "majority")
    assert {(s["run"], s["strategy"]) for s in specs[1:-1]} == {(s["run"], k) for s in scorers
                                                                for k in ("best_of_n", "weighted_vote")}
    bars = metric_bars(verifier, curves, "test", scorers, PARAMS)
    assert list(zip(bars["run"], bars["score"])) == [(s["run"], "p_yes") for s in scorers] + [("grpo", "mean_logprob")]
    bce = bars[bars["run"] == "grpo+bce"].iloc[0]
    row = verifier[(verifier["run"] == "grpo+bce") & (verifier["score"] == "p_yes")].iloc[0]
    assert bce["auroc_within"] == row["auroc_within"] and bce["accuracy"] == row["accuracy"]
    share = grpo["correct"].mean()  # pass@1 of the base run's samples, which every form scores
    assert bce["majority_accuracy"] == pytest.approx(max(share, 1 - share))
    assert form_scorers(PARAMS, {"grpo", "grpo_v"}) == scorers[:1]  # a sweep without the forms: only the unified


def test_figure_writes_png_and_pdf_with_or_without_the_heads(tables, tmp_path):
    curves, verifier, _ = tables
    for rows in (curves, curves[~curves["run"].isin(["grpo+bce", "grpo+regression"])]):
        FIGURES["verifier_form"](sweep=rows, verifier=verifier, out=str(tmp_path / "verifier_form.png"), params=PARAMS)
        assert (tmp_path / "verifier_form.png").read_bytes()[:4] == b"\x89PNG"
        assert (tmp_path / "verifier_form.pdf").read_bytes()[:4] == b"%PDF"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
