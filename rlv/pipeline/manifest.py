"""The figure manifest (workflow/manifest.yaml): paper claim -> figure -> rule -> the module that draws it, the
modules that compute its tables, its test -> caption; and the same as tables, Markdown for the README and
reStructuredText for the report's front page. `python -m rlv.pipeline.manifest` rewrites both between their
marker lines; the tests fail when either drifts from the manifest. A built figure may name a `target` (a rule
outside rule all that builds it, e.g. an experiment too long for the default run); its status cell says so.
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
        if entry["status"] == "built" and not {"caption", "category", "module", "tables", "test"} <= set(entry):
            raise ValueError(f"{path}: built figure {entry['name']!r} needs a caption, a category, its module, "
                             "the modules of its tables and its test")
        if "target" in entry and (entry["status"] != "built" or not str(entry["target"]).isidentifier()):
            raise ValueError(f"{path}: figure {entry['name']!r}: target must be a rule name, on a built figure only")
    return entries


def rule_all_figures(entries: list[dict]) -> list[str]:
    """The built figures that rule all builds (those with a `target` are that target's)."""
    return [entry["name"] for entry in entries if entry["status"] == "built" and not entry.get("target")]


def report_options(entries: list[dict]) -> dict[str, dict]:
    """report() keywords per built figure; captions relative to workflow/rules/, where the rules are."""
    return {entry["name"]: {"caption": str(Path("..", "..", entry["caption"])), "category": entry["category"]}
            for entry in entries if entry["status"] == "built"}


COLUMNS = ("paper claim", "figure", "rule", "drawn by", "tables from", "test", "status")


def _cells(entry: dict) -> list[str]:
    """The table's cells of one entry; file and rule names quoted as code (`-` where there is none)."""
    built = entry["status"] == "built"
    code = lambda names: ", ".join(f"`{name}`" for name in names) or "-"  # noqa: E731
    status = f"built by target {entry['target']} (not in rule all)" if entry.get("target") else entry["status"]
    return [entry["claim"], code([f"results/figures/{entry['name']}.png"] if built else []), code([entry["rule"]]),
            code([entry["module"]] if built else []), code(entry.get("tables", [])),
            code([entry["test"]] if built else []), status]


def markdown_table(entries: list[dict]) -> str:
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    rows += ["| " + " | ".join(_cells(entry)) + " |" for entry in entries]
    return "\n".join(rows)


def rst_table(entries: list[dict]) -> str:
    """The report's front page form: two columns, the claim and a field list of the other six (figure, rule, drawn
    by, tables from, test, status), one per line. Seven columns of unbreakable file paths need about 1,600 px,
    more than the report's content pane has at any common window width; the field list needs about 420 px (a path
    and its label), and the claims wrap beside it. Class `manifest` is what workflow/report/workflow.rst's style
    selects."""
    rows = [f".. list-table:: Figure manifest: {', '.join(COLUMNS)}", "   :header-rows: 1", "   :class: manifest",
            "   :widths: auto", "", f"   * - {COLUMNS[0]}", f"     - {', '.join(COLUMNS[1:])}"]
    for entry in entries:
        # `` for a quoted name; a lone "-" would open a bullet list, so it is escaped
        cells = [cell.replace("`", "``") if cell != "-" else "\\-" for cell in _cells(entry)]
        rows += [f"   * - {cells[0]}", f"     - :{COLUMNS[1]}: {cells[1]}"]
        rows += [f"       :{column}: {cell}" for column, cell in zip(COLUMNS[2:], cells[2:])]
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
