"""The verification_scaling figure (rlv/figures/verification_scaling.py): one column per base, each family's line
against n with its intervals, the references as horizontal lines, from hand-made study rows."""

import importlib

import numpy as np
import pandas as pd
import pytest

from rlv.figures import FIGURES

METRICS = ("AUROC within", "AUROC pooled", "balanced accuracy", "weighted vote - majority", "best-of-N - majority")


def row(base, kind, family, label, n, value):
    out = {"base": base, "kind": kind, "family": family, "label": label, "n": n}
    for metric in METRICS:
        out.update({metric: value, f"{metric} low": value - 0.05, f"{metric} high": value + 0.03})
    return out


@pytest.fixture
def drawn(monkeypatch):
    module = importlib.import_module("rlv.figures.verification_scaling")
    figures, save = [], module.save_figure
    monkeypatch.setattr(module, "save_figure", lambda figure, out: (figures.append(figure), save(figure, out)))
    return figures


def test_each_base_has_its_lines_and_references(tmp_path, drawn):
    rows = pd.DataFrame([row("default", "reference", "", "GRPO mean log-prob (reference)", np.nan, 0.7),
                         row("default", "reference", "", "GRPO$^V$ own p(Yes) (reference)", np.nan, 0.55),
                         *[row("default", "arm", "generative", f"generative_n{n}", n, 0.5 + n / 1e5)
                           for n in (0, 2000, 8000)],
                         row("default", "arm", "bce", "bce_n2000", 2000, 0.52),
                         row("sort", "reference", "", "GRPO mean log-prob (reference)", np.nan, 0.8),
                         row("sort", "arm", "generative", "generative_n2000", 2000, 0.9)])
    FIGURES["verification_scaling"](arms=rows, out=str(tmp_path / "vs.png"), params={"title": "t"})
    assert (tmp_path / "vs.png").stat().st_size > 0 and (tmp_path / "vs.pdf").stat().st_size > 0
    axes = drawn[0].axes
    top_default, top_sort = axes[0], axes[1]
    line = next(c for c in top_default.containers if c.get_label() == "generative")
    assert list(line.lines[0].get_xdata()) == [0, 2000, 8000]
    assert list(line.lines[0].get_ydata()) == pytest.approx([0.5, 0.52, 0.58])
    references = [ln.get_ydata()[0] for ln in top_default.get_lines() if ln.get_linestyle() in ("--", "-.")]
    assert references == pytest.approx([0.7, 0.55])
    assert [c.get_label() for c in top_sort.containers] == ["generative"]
    assert top_default.get_title() == "base `default`" and top_sort.get_title() == "base `sort`"


def test_rows_without_an_arm_are_refused(tmp_path):
    rows = pd.DataFrame([row("default", "reference", "", "ref", np.nan, 0.7)])
    with pytest.raises(ValueError, match="at least one arm"):
        FIGURES["verification_scaling"](arms=rows, out=str(tmp_path / "vs.png"), params={})


def joint_row(base, test_label, joint_label, budget, difference):
    return {"base": base, "kind": "joint", "family": "", "label": f"n = {budget}", "n": np.nan, "budget": budget,
            "test label": test_label, "joint label": joint_label, "difference": difference,
            "difference low": difference - 0.02, "difference high": difference + 0.01}


def test_the_papers_comparison_is_a_third_row_with_one_line_per_pair(tmp_path, drawn):
    rows = pd.DataFrame([row("default", "arm", "generative", "generative_n2000", 2000, 0.55),
                         row("sort", "arm", "generative", "generative_n2000", 2000, 0.6),
                         *[joint_row("default", "GRPO", "GRPO^V", n, -0.01 * n) for n in (1, 2, 4)],
                         *[joint_row("sort", "GRPO", "GRPO^V", n, 0.01) for n in (1, 2, 4)],
                         *[joint_row("sort", "grpo_s1", "grpo_v_s1", n, -0.02) for n in (1, 2, 4)]])
    FIGURES["verification_scaling"](arms=rows, out=str(tmp_path / "vs.png"), params={})
    axes = drawn[0].axes
    assert len(axes) == 6  # three rows of two bases
    default, sort = axes[4], axes[5]
    assert [c.get_label() for c in default.containers] == ["GRPO^V vs GRPO (paper's comparison)"]
    assert [c.get_label() for c in sort.containers] == ["GRPO^V vs GRPO (paper's comparison)",
                                                        "grpo_v_s1 vs grpo_s1 (paper's comparison)"]
    line = default.containers[0].lines[0]
    assert list(line.get_xdata()) == [1, 2, 4] and list(line.get_ydata()) == pytest.approx([-0.01, -0.02, -0.04])
    assert default.get_xscale() == "log" and default.get_xlabel() == "n, samples per problem"
