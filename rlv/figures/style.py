"""Shared figure plumbing: a non-interactive backend, one style, atomic PNG + PDF output."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from rlv.rollouts import atomic_file  # noqa: E402

sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)


def save_figure(figure, png_path: str | Path) -> None:
    """Write `png_path` and the same figure as PDF beside it, each via a temporary file and a rename."""
    png_path = Path(png_path)
    for path in (png_path, png_path.with_suffix(".pdf")):
        with atomic_file(path, suffix=path.suffix) as tmp:
            figure.savefig(tmp, dpi=160, bbox_inches="tight",
                           metadata={"CreationDate": None} if path.suffix == ".pdf" else None)
    plt.close(figure)
