"""config/datasets.yaml, the catalogue of ready `datasets:` entries: each validates against the schema's `dataset`
definition, and a config listing all of them, pointed at fixtures in each dataset's published layout
(tests/fixtures/datasets/), runs the `rlv data` stage: rows loaded, rows skipped and why, and the share of
reference answers (and worked solutions) the grader accepts, per dataset."""

import copy
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import yaml

from conftest import REPO
from helpers import FIXTURES, SCHEMA
from rlv.pipeline.stages import data as data_stage
from rlv.tasks.grading import grade

CATALOGUE = yaml.safe_load((REPO / "config" / "datasets.yaml").read_text(encoding="utf-8"))["datasets"]
DATASETS = FIXTURES / "datasets"
FIXTURE = {  # entry -> a few rows in its dataset's published layout
    "math": DATASETS / "MATH", "math_jsonl": DATASETS / "math_train.jsonl",
    "math500": FIXTURES / "math500_sample.jsonl", "minerva_math": DATASETS / "minerva_math_test.jsonl",
    "gsm8k": DATASETS / "gsm8k_test.jsonl", "aime24": DATASETS / "aime24.jsonl",
    "amc23": DATASETS / "amc23_test.jsonl", "olympiadbench": DATASETS / "olympiadbench_OE_TO_maths_en_COMP.jsonl",
}
# entry -> (rows loaded, {skip reason: ids}, answers, worked solutions the grader accepts / non-empty solutions)
EXPECTED = {
    "math": (5, {"at 'Level ?'": ["geometry/6005.json"],
                 "with an empty \\boxed{}": ["number_theory/7115.json", "number_theory/7117.json"]},
             ["5", "2", "9", "\\frac{1}{4}", "2{,}000"], (5, 5)),
    "math_jsonl": (5, {"at 'Level ?'": ["math_train/5"], "with an empty \\boxed{}": ["math_train/6", "math_train/7"]},
                   ["5", "2", "9", "\\frac{1}{4}", "2{,}000"], (5, 5)),
    "math500": (3, {}, ["1024", "\\frac{3}{2}", "-2, 2"], (3, 3)),
    "minerva_math": (3, {}, ["1.6", "4e33", "\\frac{e^{-2 t}}{15}"], (3, 3)),
    "gsm8k": (4, {}, ["18", "3", "70000", "1200"], (4, 4)),
    "aime24": (3, {}, ["204", "113", "371"], (2, 3)),  # AIME 2024 I/1's AoPS solution ends without a box
    "amc23": (3, {}, ["27", "36", "-1"], (0, 0)),
    "olympiadbench": (4, {}, ["2", "\\frac{1}{2 n+2}", "2^{1009}", "1, 2"], (0, 4)),  # prose solutions, no box
}


def _dataset_schema() -> dict:
    schema = yaml.safe_load(Path(SCHEMA).read_text(encoding="utf-8"))
    return {"$schema": schema["$schema"], "definitions": schema["definitions"], "$ref": "#/definitions/dataset"}


def test_the_catalogue_lists_every_benchmark_and_validates():
    assert set(CATALOGUE) == set(FIXTURE)
    schema = _dataset_schema()
    for spec in CATALOGUE.values():
        jsonschema.validate(spec, schema)
    with pytest.raises(jsonschema.ValidationError, match="'questin' was unexpected"):
        jsonschema.validate({**CATALOGUE["gsm8k"], "fields": {"questin": "question"}}, schema)
    with pytest.raises(jsonschema.ValidationError, match="'drop' is not one of"):
        jsonschema.validate({**CATALOGUE["math"], "unusable_rows": "drop"}, schema)


def on_fixtures(tmp_path) -> dict:
    """The catalogue's entries, each pointed at its fixture (OlympiadBench's hub id replaced by the local file)."""
    specs = {}
    for name, spec in copy.deepcopy(CATALOGUE).items():
        spec.pop("id", None)
        spec["path"] = str(FIXTURE[name])
        if spec["source"] == "hf":
            spec["cache_dir"] = str(tmp_path / "hf_cache")
        specs[name] = spec
    return specs


def test_every_entry_runs_the_data_stage_on_its_published_layout(tmp_path, monkeypatch):
    messages = []
    monkeypatch.setattr(data_stage, "log", messages.append)
    report = []
    for name, spec in on_fixtures(tmp_path).items():
        start = len(messages)
        data_stage.problems(out=tmp_path / f"{name}.parquet", params={**spec, "seed": 0}, dataset=name)
        frame = pd.read_parquet(tmp_path / f"{name}.parquet")
        log = "\n".join(messages[start:])
        rows, skipped, answers, (solutions_ok, with_solution) = EXPECTED[name]
        assert len(frame) == rows and list(frame["answer"]) == answers, name
        for reason, ids in skipped.items():
            assert f"{len(ids)} problem(s) {reason}: {', '.join(ids)}" in log, (name, log)
        assert f"{rows} problems, {sum(map(len, skipped.values()))} rows skipped" in log, (name, log)
        boxed = sum(grade(f"\\boxed{{{a}}}", a) for a in frame["answer"])
        solved = [grade(s, a) for s, a in zip(frame["solution"], frame["answer"]) if s.strip()]
        assert boxed == rows and (sum(solved), len(solved)) == (solutions_ok, with_solution), name
        assert f"the grader accepts {rows}/{rows} reference answers" in log, (name, log)
        report.append(f"{name:14} {rows:3} loaded  {sum(map(len, skipped.values())):2} skipped  answers {boxed}/{rows}"
                      f"  solutions {sum(solved)}/{len(solved)}")
        assert frame["level"].between(1, 5).all() and frame["id"].is_unique and (frame["problem"] != "").all()
    print("\n" + "\n".join(report))


def test_what_each_dataset_records(tmp_path):
    from rlv.tasks.loaders import load_problems
    specs = on_fixtures(tmp_path)
    frames = {name: load_problems(spec, name) for name, spec in specs.items()}
    assert list(frames["math"]["id"])[:2] == ["train/algebra/1.json", "train/algebra/24014.json"]
    assert set(frames["math"]["subject"]) == {"Algebra", "Counting & Probability", "Prealgebra"}
    assert frames["math_jsonl"][["problem", "solution", "answer", "level", "subject"]].equals(
        frames["math"][["problem", "solution", "answer", "level", "subject"]])  # the same rows, two layouts
    assert list(frames["minerva_math"]["id"]) == ["0", "1", "2"] and set(frames["minerva_math"]["level"]) == {5}
    assert frames["minerva_math"]["subject"].iloc[0] == "Introduction to Astronomy (8.282J Spring 2006)"
    gsm8k = frames["gsm8k"]
    assert gsm8k["problem"].iloc[0].startswith("Janet’s ducks") and set(gsm8k["subject"]) == {"GSM8K"}
    assert "<<" not in "".join(gsm8k["solution"]) and gsm8k["solution"].iloc[3].endswith("$\\boxed{1200}$.")
    assert list(frames["aime24"]["id"]) == ["60", "61", "62"] and set(frames["aime24"]["subject"]) == {"AIME"}
    assert set(frames["amc23"]["subject"]) == {"AMC"} and list(frames["amc23"]["solution"]) == ["", "", ""]
    olympiad = frames["olympiadbench"]
    assert list(olympiad["subject"]) == ["Combinatorics", "Algebra", "Number Theory", "Algebra"]
    assert olympiad["problem"].iloc[3] == "In this problem, all numbers are real.\n\nFind all real numbers $x$ such " \
                                         "that $x^{2}-3 x+2=0$."
