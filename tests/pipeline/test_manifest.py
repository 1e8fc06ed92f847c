"""The figure manifest is the one list of figures: the rules, the figure registry, the captions, the README
and the report's front page all agree with it."""

import re

import pytest

from conftest import REPO
from rlv.figures import FIGURES
from rlv.pipeline.manifest import (COLUMNS, TARGETS, load_manifest, markdown_table, replace_between_markers,
                                   rst_table)

# figure rules live in figures.smk; those of figures built by their own target beside it, in experiments.smk,
# sequential.smk (whose rules are indented under `if SEQUENTIAL:`) and studies.smk
RULES = "\n".join(re.sub(r"^    ", "", (REPO / "workflow" / "rules" / name).read_text(), flags=re.M)
                  for name in ("figures.smk", "experiments.smk", "sequential.smk", "studies.smk"))
ENTRIES = load_manifest()
BUILT = [e for e in ENTRIES if e["status"] == "built"]
PLANNED = [e for e in ENTRIES if e["status"] == "planned"]


def test_names_and_rules_are_unique_and_every_paper_figure_is_listed():
    assert len({e["name"] for e in ENTRIES}) == len(ENTRIES) and len({e["rule"] for e in ENTRIES}) == len(ENTRIES)
    assert {"parallel_scaling", "training_dynamics", "overview", "generalization", "strategies",
            "verifier_quality", "verifier_form"} <= {e["name"] for e in BUILT}
    assert {"sequential_parallel", "adaptive_length"} <= {e["name"] for e in BUILT}


@pytest.mark.parametrize("entry", BUILT, ids=lambda e: e["name"])
def test_a_built_figure_has_its_rule_caption_module_and_report_entry(entry):
    name = entry["name"]
    assert re.search(rf"^rule {entry['rule']}:", RULES, re.M), f"no rule {entry['rule']} in figures.smk/experiments.smk"
    block = RULES.split(f"rule {entry['rule']}:")[1].split("\nrule ")[0]
    assert f'report("results/figures/{name}.png", **FIGURE_REPORT["{name}"])' in block
    assert f"rlv figure {name} " in block and f'"results/figures/{name}.pdf"' in block
    assert (REPO / entry["caption"]).read_text().strip() and name in FIGURES


@pytest.mark.parametrize("entry", BUILT, ids=lambda e: e["name"])
def test_a_built_figure_names_its_module_table_modules_and_test_as_files(entry):
    assert entry["module"] == f"rlv/figures/{entry['name']}.py" and (REPO / entry["module"]).is_file()
    assert entry["test"] == f"tests/figures/test_{entry['name']}.py" and (REPO / entry["test"]).is_file()
    assert all((REPO / module).is_file() and module.startswith("rlv/") for module in entry["tables"])


def test_a_planned_figure_has_no_rule_and_no_caption():
    for entry in PLANNED:  # none is planned now: every manifest entry is built
        assert f"rule {entry['rule']}:" not in RULES and "caption" not in entry and entry["name"] not in FIGURES


@pytest.mark.parametrize("entry", [e for e in BUILT if e.get("target")], ids=lambda e: e["name"])
def test_a_figure_with_a_target_is_that_targets_input_and_labelled_so(entry):
    block = RULES.split(f"rule {entry['target']}:")[1].split("\nrule ")[0]
    assert f'"results/figures/{entry["name"]}.png"' in block and f'"results/figures/{entry["name"]}.pdf"' in block
    assert f"| built by target {entry['target']} (not in rule all) |" in markdown_table(ENTRIES)


def test_the_lambda_sweep_is_built_by_its_own_target():
    assert {e["name"]: e.get("target") for e in BUILT}.get("lambda_sweep") == "lambda_sweep"


def test_every_figure_rule_is_in_the_manifest():
    assert set(re.findall(r"^rule (figure_\w+):", RULES, re.M)) == {e["rule"] for e in BUILT}


def test_readme_and_report_front_page_show_the_manifest():
    for name, (render, comment) in TARGETS.items():
        text = (REPO / name).read_text()
        assert replace_between_markers(text, render(ENTRIES), comment) == text, \
            f"{name} differs from workflow/manifest.yaml: run python -m rlv.pipeline.manifest"
    assert "| `results/figures/parallel_scaling.png` | `figure_parallel_scaling` |" in markdown_table(ENTRIES)
    assert (":status: planned" in rst_table(ENTRIES)) == bool(PLANNED)


def test_the_report_table_is_two_columns_the_claim_and_a_field_list_of_the_rest():
    """The front page's form (narrow enough to sit beside the workflow graph), parsed by docutils as Snakemake does,
    with no warning (a lone "-" would open a bullet list)."""
    from docutils.core import publish_doctree
    from docutils.nodes import field_list, row, table

    tree = publish_doctree(rst_table(ENTRIES), settings_overrides={"halt_level": 2, "report_level": 2})
    (manifest,) = [node for node in tree.findall(table) if "manifest" in node["classes"]]
    header, *rows = manifest.findall(row)
    assert [cell.astext() for cell in header.children] == [COLUMNS[0], ", ".join(COLUMNS[1:])]
    assert len(rows) == len(ENTRIES)
    for entry, entry_row in zip(ENTRIES, rows):
        claim, fields = entry_row.children
        (listed,) = fields.findall(field_list)
        values = {field[0].astext(): field[1].astext() for field in listed.children}
        assert claim.astext() == entry["claim"] and list(values) == list(COLUMNS[1:])
        assert values["rule"] == entry["rule"] and values["tables from"] == (", ".join(entry.get("tables", [])) or "-")


def test_a_bad_status_is_named(tmp_path):
    bad = tmp_path / "manifest.yaml"
    bad.write_text("figures:\n  - {name: x, claim: c, rule: figure_x, status: done}\n")
    with pytest.raises(ValueError, match="figure 'x' has status 'done'"):
        load_manifest(bad)


@pytest.mark.parametrize("missing", ["caption", "category", "module", "tables", "test"])
def test_a_built_figure_without_its_files_is_named(tmp_path, missing):
    fields = {"caption": "c", "category": "k", "module": "m", "tables": "[]", "test": "t"}
    listed = ", ".join(f"{key}: {value}" for key, value in fields.items() if key != missing)
    bad = tmp_path / "manifest.yaml"
    bad.write_text(f"figures:\n  - {{name: x, claim: c, rule: figure_x, status: built, {listed}}}\n")
    with pytest.raises(ValueError, match="built figure 'x' needs a caption, a category, its module, the modules of its "
                                         "tables and its test"):
        load_manifest(bad)


@pytest.mark.parametrize("extra", ["status: planned, target: x",
                                   "status: built, caption: c, category: k, module: m, tables: [], test: t, target: 'a b'"])
def test_a_bad_target_is_named(tmp_path, extra):
    bad = tmp_path / "manifest.yaml"
    bad.write_text(f"figures:\n  - {{name: x, claim: c, rule: figure_x, {extra}}}\n")
    with pytest.raises(ValueError, match="figure 'x': target must be a rule name"):
        load_manifest(bad)
