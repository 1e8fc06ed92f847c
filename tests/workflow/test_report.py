"""`snakemake --report` opened in a real headless Chromium: every figure loads, every caption is there, and the
front page shows the workflow graph and the figure manifest side by side or one below the other, never one over
the other.

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


@pytest.fixture(scope="module")
def report(test_dag, tmp_path_factory):
    workdir, _ = test_dag
    path = tmp_path_factory.mktemp("report") / "report.html"
    snakemake("--report", str(path), cwd=workdir)
    return path


@pytest.mark.slow
def test_report_in_a_real_browser(report, chromium, tmp_path):
    from playwright.sync_api import sync_playwright

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


# The front page's boxes (viewport pixels, [left, top, right, bottom]) with its scrolling pane (Snakemake's content
# area) at its top-left: the manifest table (found by its caption), its rows' cells, the workflow graph (the
# #rulegraph element and the canvas or svg vega draws in it, which may overflow it) and the pane's visible box.
FRONT_PAGE_BOXES = """() => {
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const table = Array.from(document.querySelectorAll("table"))
        .find(t => t.caption && t.caption.textContent.startsWith("Figure manifest"));
    const graph = document.querySelector("#rulegraph");
    let pane = table.parentElement;
    while (pane !== document.body && !["auto", "scroll"].includes(getComputedStyle(pane).overflowY)) {
        pane = pane.parentElement;
    }
    pane.scrollTop = 0;
    pane.scrollLeft = 0;
    const [left, top, right, bottom] = box(pane);
    const rows = table.querySelectorAll(":scope > * > tr");
    return {table: box(table), rows: rows.length, cells: Array.from(rows).flatMap(row => Array.from(row.children, box)),
            graph: [graph, ...graph.querySelectorAll("canvas, svg.marks")].map(box), width: window.innerWidth,
            pane: [left, top, right - (pane.offsetWidth - pane.clientWidth),  // less a scrollbar, if shown
                   bottom - (pane.offsetHeight - pane.clientHeight)]};
}"""


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.slow
@pytest.mark.parametrize("width", [1000, 1400, 1900])
def test_front_page_graph_and_manifest_do_not_overlap(report, chromium, tmp_path, width):
    """At a narrow, a common and a wide window the workflow graph is never drawn over the manifest table, and the
    table lies wholly inside the content pane scrolled to its top-left: no cell is cut off at the right (or needs
    horizontal scrolling) nor above the top (a vertically centred pane cannot scroll up to what overflows there)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(report.as_uri())
        page.wait_for_selector("#rulegraph canvas, #rulegraph svg.marks")
        boxes = page.evaluate(FRONT_PAGE_BOXES)
        page.screenshot(path=str(tmp_path / f"front_{width}.png"))
        browser.close()
    table, graphs, (left, top, right, _) = boxes["table"], boxes["graph"], boxes["pane"]
    where = f"at {width} px: table {table}, graph {graphs}, pane {boxes['pane']}; screenshot in {tmp_path}"
    assert boxes["rows"] == len(load_manifest()) + 1, where
    assert not any(overlap(graph, table) for graph in graphs), f"the graph is drawn over the manifest {where}"
    assert right <= boxes["width"], where
    cut = [cell for cell in [table, *boxes["cells"]] if cell[0] < left or cell[2] > right]
    assert not cut, f"{len(cut)} boxes of the manifest are cut off at the side {where}"
    assert table[1] >= top, f"the manifest's top is above the pane's, where no scrolling reaches {where}"
