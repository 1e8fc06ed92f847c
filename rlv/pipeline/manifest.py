"""The figure manifest (workflow/manifest.yaml) as tables: Markdown for the README, reStructuredText for the
report's front page. `python -m rlv.pipeline.manifest` rewrites both between their marker lines; the tests
fail when either drifts from the manifest. A built figure may name a `target` (a rule outside rule all that
builds it, e.g. an experiment too long for the default run); its status cell says so.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "workflow" / "manifest.yaml"
STATUSES = ("built", "planned")
START, END = "manifest table: start", "manifest table: end"


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    entries = yaml.safe_load(Path(path).read_text())["figures"]
    for entry in entries:
        if entry.get("status") not in STATUSES:
            raise ValueError(f"{path}: figure {entry.get('name')!r} has status {entry.get('status')!r}, not one of {STATUSES}")
        if entry["status"] == "built" and not {"caption", "category"} <= set(entry):
            raise ValueError(f"{path}: built figure {entry['name']!r} needs a caption and a category")
        if "target" in entry and (entry["status"] != "built" or not str(entry["target"]).isidentifier()):
            raise ValueError(f"{path}: figure {entry['name']!r}: target must be a rule name, on a built figure only")
    return entries


def _cells(entry: dict) -> list[str]:
    built = entry["status"] == "built"
    figure = f"results/figures/{entry['name']}.png" if built else "-"
    status = f"built by target {entry['target']} (not in rule all)" if entry.get("target") else entry["status"]
    return [entry["claim"], figure, entry["rule"], entry.get("caption", "-"), status]


def markdown_table(entries: list[dict]) -> str:
    rows = ["| paper claim | figure | rule | caption | status |", "|---|---|---|---|---|"]
    rows += ["| " + " | ".join(f"`{c}`" if i in (1, 2, 3) and c != "-" else c for i, c in enumerate(_cells(e))) + " |"
             for e in entries]
    return "\n".join(rows)


def rst_table(entries: list[dict]) -> str:
    rows = [".. list-table:: Figure manifest: paper claim, figure, rule, caption, status", "   :header-rows: 1", "",
            "   * - paper claim", "     - figure", "     - rule", "     - caption", "     - status"]
    for entry in entries:
        cells = _cells(entry)
        rows += [f"   * - {cells[0]}"] + [f"     - {c}" for c in cells[1:]]
    return "\n".join(rows)


def replace_between_markers(text: str, table: str, comment: tuple[str, str]) -> str:
    """Swap what lies between the START and END marker lines (written as comments) for `table`."""
    start, end = f"{comment[0]}{START}{comment[1]}", f"{comment[0]}{END}{comment[1]}"
    if start not in text or end not in text:
        raise ValueError(f"markers {start!r} ... {end!r} not found")
    head, rest = text.split(start, 1)
    return f"{head}{start}\n\n{table}\n\n{end}{rest.split(end, 1)[1]}"


TARGETS = {"README.md": (markdown_table, ("<!-- ", " -->")),
           "workflow/report/workflow.rst": (rst_table, (".. ", ""))}


def main() -> None:
    entries = load_manifest()
    for name, (render, comment) in TARGETS.items():
        path = REPO / name
        path.write_text(replace_between_markers(path.read_text(), render(entries), comment))
        print(f"updated {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
