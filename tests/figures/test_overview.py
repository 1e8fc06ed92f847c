"""The overview figure (rlv/figures/overview.py): a diagram drawn from its parameters alone."""

from rlv.figures import FIGURES


def test_overview_needs_only_params(tmp_path):
    out = tmp_path / "overview.png"
    FIGURES["overview"](out=str(out), params={"verify_coef": 1.0, "n_max": 32})
    assert out.stat().st_size > 20_000 and out.with_suffix(".pdf").exists()
