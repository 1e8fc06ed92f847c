"""`snakemake --report` opened in a real headless Chromium: every figure loads, every caption is there.

Chromium comes from Debian (scripts/install-system-packages.sh); Playwright drives it through its
`executable_path`, so no browser is downloaded."""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from conftest import REPO, snakemake
from rlv.pipeline.manifest import load_manifest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def report_figures() -> list[tuple[str, str, str]]:
    """(output path, category, caption file) of every built figure of the manifest (the rules take theirs from it)
    that rule all builds (a figure with a `target` is in that target's report, not in rule all's)."""
    return [(f"results/figures/{e['name']}.png", e["category"], str(REPO / e["caption"]))
            for e in load_manifest() if e["status"] == "built" and not e.get("target")]


def first_sentence(caption_file: str) -> str:
    text = " ".join(Path(caption_file).read_text().split())
    return text.split(". ")[0]


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: CI installs it with scripts/install-system-packages.sh")
        pytest.skip("chromium is not installed (scripts/install-system-packages.sh)")
    return path


@pytest.mark.slow
def test_report_in_a_real_browser(test_dag, chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    workdir, _ = test_dag
    report = tmp_path / "report.html"
    snakemake("--report", str(report), cwd=workdir)
    figures = report_figures()
    assert [f[0] for f in figures] == [f"results/figures/{name}.png" for name in
                                       ("overview", "parallel_scaling", "training_dynamics", "generalization",
                                        "strategies", "verifier_form", "verifier_quality")]
    assert "Figure manifest" in report.read_text()  # the front page's table

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(report.as_uri())
        assert "Snakemake Report" in page.title()
        page.screenshot(path=str(tmp_path / "front.png"))
        front = imread(tmp_path / "front.png")[..., :3]
        for path, category, caption_file in figures:
            page.get_by_text("Results").first.click()
            page.get_by_text(category).first.click()
            row = page.get_by_text(path).locator("xpath=ancestor::tr[1]")
            row.locator("a[iconname=eye]").click()
            page.wait_for_function("Array.from(document.images).some(i => i.src.startsWith('data:image/png'))")
            widths = page.evaluate("Array.from(document.images).filter(i => i.src.startsWith('data:image/png'))"
                                   ".map(i => i.complete ? i.naturalWidth : 0)")
            assert widths and all(w > 500 for w in widths), f"{path}: image did not load ({widths})"
            screenshot = tmp_path / f"{Path(path).stem}.png"
            page.screenshot(path=str(screenshot))
            pixels = imread(screenshot)
            changed = np.abs(pixels[..., :3] - front).max(axis=-1) > 0.1
            assert pixels.shape[:2] == (900, 1400) and changed.mean() > 0.05, f"{path}: the view shows no figure"
            row.locator("a[iconname=information-circle]").click()
            page.get_by_text(first_sentence(caption_file)[:60]).first.wait_for(timeout=5000)
            page.goto(report.as_uri())
        browser.close()
