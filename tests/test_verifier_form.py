"""The verifier-form figure from a real sweep over synthetic scored samples (its curves are the sweep's rows, its
bars the verifier table's), and the verifier_heads config: schema errors name the key, a config without
separate_verifier stops Snakemake, design-search bases drop the section."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate
from test_config_validation import DELETE, REPO, SCHEMA, with_value
from test_figures_and_summary import STRATEGIES, scored_samples

from rlv.analysis.aggregate import sweep, verifier_metrics
from rlv.figures import FIGURES
from rlv.figures.verifier_form import curve_specs, form_scorers, metric_bars

FORMS = [{"run": "grpo+verifier", "form": "generative"}, {"run": "grpo+bce", "form": "bce"},
         {"run": "grpo+regression", "form": "regression"}]
PARAMS = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "forms": FORMS,
          "labels": {"grpo": "GRPO", "grpo_v": "GRPO$^V$", "grpo+bce": "GRPO + BCE head"}}


@pytest.fixture(scope="module")
def tables():
    grpo, grpo_v = scored_samples("grpo", 0.45, 1), scored_samples("grpo_v", 0.45, 2)
    rng = np.random.default_rng(5)
    heads = [grpo.assign(run=run, p_yes=np.clip(grpo["p_yes"] + rng.normal(0, 0.1, len(grpo)), 0, 1))
             for run in ("grpo+verifier", "grpo+bce", "grpo+regression")]
    frames = [grpo, grpo_v, *heads]
    curves = pd.concat([sweep(f, [1, 2, 4, 8], STRATEGIES, 30, 50, 0.95, 0).assign(run=f["run"].iloc[0], dataset="test")
                        for f in frames], ignore_index=True)
    verifier = pd.DataFrame([{"run": f["run"].iloc[0], "dataset": "test", "score": score, **verifier_metrics(f, score)}
                             for f in frames for score in ("p_yes", "mean_logprob")])
    return curves, verifier, grpo


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


@pytest.mark.parametrize("path,value,expected", [
    ("verifier_heads.forms", ["hinge"], "is not one of ['bce', 'regression']"),
    ("verifier_heads.forms", [], "should be non-empty"),
    ("verifier_heads.forms", ["bce", "bce"], "has non-unique elements"),
    ("verifier_heads.forms", DELETE, "'forms' is a required property"),
    ("verifier_heads.steps", 10, "Additional properties are not allowed ('steps' was unexpected)"),
    ("verifier_heads.labels", {"bce": 3}, "is not of type 'string'"),
])
def test_bad_verifier_heads_name_the_key(path, value, expected):
    with pytest.raises(WorkflowError) as error:
        validate(with_value(path, value), SCHEMA)
    assert expected in str(error.value)
    key = path.split(".")[-1] if value is not DELETE else path.split(".")[-2]
    assert f"'{key}'" in str(error.value)


def test_heads_without_a_separate_verifier_stop_snakemake(tmp_path):
    config = with_value("separate_verifier", {})
    del config["separate_verifier"]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "config key verifier_heads: the heads train with separate_verifier's" in result.stdout + result.stderr


def test_design_bases_drop_the_heads_with_the_separate_verifier():
    from rlv.analysis.designs import base_config
    from test_experiments import SEARCH, default_config
    config = base_config({**default_config(), "separate_verifier": {"steps": 3}, "verifier_heads": {"forms": ["bce"]}},
                         SEARCH, "plain")
    assert "separate_verifier" not in config and "verifier_heads" not in config


def test_verifier_quality_keeps_only_the_heads_scores(tables):
    from rlv.figures.verifier_quality import scorer_rows
    _, verifier, _ = tables
    rows = scorer_rows(verifier, "test", {"base_run": "grpo", "verifier_run": "grpo_v",
                                          "separate_verifier_run": "grpo+verifier",
                                          "head_runs": ["grpo+bce", "grpo+regression"]})
    assert list(zip(rows["run"], rows["score"])) == [
        ("grpo", "p_yes"), ("grpo", "mean_logprob"), ("grpo_v", "p_yes"), ("grpo_v", "mean_logprob"),
        ("grpo+verifier", "p_yes"), ("grpo+bce", "p_yes"), ("grpo+regression", "p_yes")]
