"""rlv.tasks loaders: the real MATH500 / AIME'24 files and fixtures in the exact formats of Hendrycks' MATH tree,
GPQA's CSV, Parquet and a local Hugging Face dataset all become graded-correctly records; bad rows name file+row."""

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REPO
from helpers import FIXTURES
from rlv.cli import main as rlv_main
from rlv.tasks.grading import grade
from rlv.tasks.gpqa import LETTERS, load_gpqa, shuffle_options
from rlv.tasks.fields import EmptyAnswer
from rlv.tasks.jsonl import UnknownLevel, load_jsonl_problems
from rlv.tasks.loaders import load_aime, load_hf_problems, load_parquet_problems, load_problems
from rlv.tasks.math_dir import load_math_dir
from rlv.tasks.records import PROBLEM_COLUMNS

REAL = REPO.parent / "shared" / "data" / "real"  # beside the repository
GPQA = FIXTURES / "gpqa" / "gpqa_fixture.csv"
DATASETS = FIXTURES / "datasets"  # one small file per benchmark in its published layout (config/datasets.yaml)


def _real(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real data not found: {path} (clone the repo with shared/ beside it)")
    return path


def _boxed(answer: str) -> str:
    return f"The answer is $\\boxed{{{answer}}}$."


# --- real files ---------------------------------------------------------------------------------------------

def test_math500_through_the_dataset_spec_is_graded_correct():
    frame = load_problems({"source": "jsonl", "path": str(_real("math500.jsonl"))}, "math500")
    assert len(frame) == 500 and list(frame.columns) == PROBLEM_COLUMNS
    assert frame["level"].value_counts().sort_index().to_dict() == {1: 43, 2: 90, 3: 105, 4: 128, 5: 134}
    assert frame["subject"].nunique() == 7 and frame["id"].str.match(r"test/[a-z_]+/\d+\.json").all()
    assert all(grade(_boxed(a), a) for a in frame["answer"])
    assert all(grade(s, a) for s, a in zip(frame["solution"], frame["answer"]))  # the worked solutions agree
    hard = load_problems({"source": "jsonl", "path": str(_real("math500.jsonl")), "levels": [5]}, "math500")
    assert len(hard) == 134 and set(hard["level"]) == {5}


def test_aime24_source_fixes_level_and_subject():
    frame = load_problems({"source": "aime", "path": str(_real("aime24.jsonl"))}, "aime24")
    assert len(frame) == 30 and frame["id"].is_unique
    assert set(frame["level"]) == {5} and set(frame["subject"]) == {"AIME"}
    assert all(grade(_boxed(a), a) for a in frame["answer"])
    assert grade(_boxed("25"), "025") and not grade(_boxed("26"), "025")  # zero-padded answers are integers


def test_parquet_and_jsonl_give_the_same_records(tmp_path):
    source = _real("math500.jsonl")
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "math500.parquet")
    from_parquet = load_parquet_problems(tmp_path / "math500.parquet")
    assert from_parquet.equals(load_jsonl_problems(source))


# --- Hendrycks' MATH directory tree -------------------------------------------------------------------------

def test_math_dir_fixture_reads_ids_levels_answers_and_skips_unknown_levels():
    messages = []
    frame = load_math_dir(FIXTURES / "math", "train", log=messages.append)
    assert list(frame["id"]) == ["train/algebra/1.json", "train/algebra/10.json",
                                 "train/counting_and_probability/3.json", "train/geometry/5.json"]
    assert list(frame["level"]) == [2, 3, 4, 5]
    assert list(frame["answer"]) == ["5", "7", "\\frac{1}{2}", "7"]  # nested braces; a brace-less \boxed 7
    assert list(frame["subject"]) == ["Algebra", "Algebra", "Counting & Probability", "Geometry"]
    assert all(grade(_boxed(a), a) for a in frame["answer"]) and grade(_boxed("0.5"), "\\frac{1}{2}")
    assert len(messages) == 1 and "skipped 1 problem(s) at 'Level ?': algebra/2.json" in messages[0]
    with pytest.raises(UnknownLevel, match=r"algebra/2\.json: field 'level'"):
        load_math_dir(FIXTURES / "math", "train", unknown_level="error")
    test = load_problems({"source": "math_dir", "path": str(FIXTURES / "math"), "split": "test", "levels": [5]}, "hard")
    assert list(test["id"]) == ["test/number_theory/8.json"] and list(test["answer"]) == ["2"]


@pytest.mark.parametrize("content, message", [
    ('{"problem": "p", "level": "Level 1"', "invalid JSON"),
    (json.dumps({"problem": "p", "level": "Level 1", "type": "Algebra"}), "field 'solution' must be a non-empty string"),
    (json.dumps({"problem": "p", "level": "Level 1", "type": "Algebra", "solution": "no box"}), "no \\boxed{} answer"),
    (json.dumps({"problem": "p", "level": "Level 9", "type": "Algebra", "solution": "$\\boxed{1}$"}), "field 'level'"),
])
def test_math_dir_malformed_file_names_the_file_and_field(tmp_path, content, message):
    shutil.copytree(FIXTURES / "math", tmp_path / "MATH")
    bad = tmp_path / "MATH" / "train" / "geometry" / "7.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_math_dir(tmp_path / "MATH", "train")
    assert str(bad) in str(info.value) and message in str(info.value)


def test_math_dir_missing_split_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"MATH/dev: no such directory"):
        load_math_dir(tmp_path / "MATH", "dev")


# --- GPQA's CSV ---------------------------------------------------------------------------------------------

def _options(problem: str) -> dict[str, str]:
    return {line[0]: line[3:] for line in problem.splitlines() if len(line) > 3 and line[0] in LETTERS and line[1:3] == ") "}


def test_gpqa_keeps_physics_and_the_letter_points_at_the_correct_answer():
    import csv
    rows = {r["Record ID"]: r for r in csv.DictReader(GPQA.open(encoding="utf-8", newline=""))}
    frame = load_gpqa(GPQA, domain="Physics", seed=0)
    assert list(frame["id"]) == ["recFixturePhys001", "recFixturePhys002", "recFixturePhys003"]
    assert set(frame["level"]) == {5}
    assert list(frame["subject"]) == ["Relativistic Mechanics", "Quantum Mechanics", "Electromagnetism and Photonics"]
    for record in frame.itertuples():
        source = rows[record.id]
        options = _options(record.problem)
        assert record.answer in LETTERS and options[record.answer] == source["Correct Answer"]
        assert sorted(options.values()) == sorted(source[c] for c in ("Correct Answer", "Incorrect Answer 1",
                                                                     "Incorrect Answer 2", "Incorrect Answer 3"))
        assert record.problem.startswith(source["Question"]) and grade(record.solution, record.answer)
    assert load_gpqa(GPQA, domain="Physics", seed=0).equals(frame)  # same seed, same order
    assert list(load_gpqa(GPQA, seed=1)["answer"]) != list(frame["answer"])
    assert len(load_gpqa(GPQA, domain="chemistry")) == 1 and len(load_gpqa(GPQA, domain=None)) == 5


def test_option_order_depends_on_seed_and_id_only_and_is_uniform():
    letters = [shuffle_options("right", ["w1", "w2", "w3"], 0, f"id{i}")[1] for i in range(800)]
    assert {letter: letters.count(letter) for letter in LETTERS} == pytest.approx({x: 200 for x in LETTERS}, abs=50)
    assert shuffle_options("right", ["w1", "w2", "w3"], 0, "id7") == shuffle_options("right", ["w1", "w2", "w3"], 0, "id7")


def test_grader_accepts_the_boxed_letter_and_only_it():
    for gold in LETTERS:
        for given in LETTERS:
            assert grade(_boxed(given), gold) == (given == gold)
        assert grade(_boxed(f"({gold})"), gold) and grade(_boxed(f"\\text{{{gold}}}"), gold)


def test_gpqa_bad_rows_name_the_file_row_and_column(tmp_path):
    lines = GPQA.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].split(",")
    bad_header = tmp_path / "no_correct.csv"
    bad_header.write_text(",".join(h if h != "Correct Answer" else "Right Answer" for h in header) + "".join(lines[1:]))
    with pytest.raises(ValueError, match=r"no_correct\.csv: header: missing column\(s\) \['Correct Answer'\]"):
        load_gpqa(bad_header)
    import csv
    rows = list(csv.DictReader(GPQA.open(encoding="utf-8", newline="")))
    rows[2]["Incorrect Answer 2"] = " "
    broken = tmp_path / "broken.csv"
    with broken.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValueError, match=r"broken\.csv: row 2 \(line \d+\): column 'Incorrect Answer 2'"):
        load_gpqa(broken)


# --- Hugging Face datasets (local only), Parquet errors, the dispatcher, the CLI -----------------------------

def test_hf_local_dataset_directory(tmp_path):
    (tmp_path / "local").mkdir()
    shutil.copy(FIXTURES / "math500_sample.jsonl", tmp_path / "local" / "test.jsonl")
    frame = load_hf_problems(str(tmp_path / "local"), "test", cache_dir=str(tmp_path / "cache"))
    assert frame.equals(load_jsonl_problems(FIXTURES / "math500_sample.jsonl"))
    spec = {"source": "hf", "path": str(tmp_path / "local"), "split": "test", "cache_dir": str(tmp_path / "cache")}
    assert list(load_problems(spec, "local")["answer"]) == ["1024", "\\frac{3}{2}", "-2, 2"]


def test_hf_hub_id_without_network_or_cache_is_a_clear_error(tmp_path, monkeypatch):
    import datasets
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(ValueError, match=r"'rlv-test-no-such-org/no-such-dataset' .*could not be loaded.*HF_HUB_OFFLINE=1"):
        load_hf_problems("rlv-test-no-such-org/no-such-dataset", "test", cache_dir=str(tmp_path / "cache"))


def test_parquet_bad_row_names_file_row_and_field(tmp_path):
    rows = [{"problem": "1+1?", "answer": "2", "level": "Level 1"}, {"problem": "2+2?", "answer": "4", "level": "Level X"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "bad.parquet")
    with pytest.raises(ValueError, match=r"bad\.parquet: row 1: field 'level'"):
        load_parquet_problems(tmp_path / "bad.parquet")


def test_aime_fixture_and_dispatcher_errors():
    frame = load_aime(FIXTURES / "aime_sample.jsonl")
    assert list(frame["id"]) == ["1", "2"] and list(frame["answer"]) == ["2", "016"] and set(frame["level"]) == {5}
    with pytest.raises(ValueError, match=r"config key datasets\.x\.source: 'csv' is not one of"):
        load_problems({"source": "csv", "path": "x.csv"}, "x")
    with pytest.raises(ValueError, match=r"config key datasets\.x\.path: required for source 'gpqa'"):
        load_problems({"source": "gpqa"}, "x")
    with pytest.raises(ValueError, match=r"config key datasets\.x: no problems left after the filters"):
        load_problems({"source": "aime", "path": str(FIXTURES / "aime_sample.jsonl"), "levels": [1]}, "x")


def test_rlv_data_writes_a_real_source(tmp_path):
    params = {"source": "gpqa", "path": str(GPQA), "domain": "Physics", "seed": 3}
    rlv_main(["data", "--dataset", "gpqa_physics", "--params", json.dumps(params), "--out", str(tmp_path / "g.parquet")])
    import pandas as pd
    assert pd.read_parquet(tmp_path / "g.parquet").equals(load_gpqa(GPQA, seed=3))


# --- the row keys: a fixed layout refuses them, hf reads a local file, aime takes a subject; math_dir's policy ---

def test_hf_reads_a_local_data_file_as_the_split(tmp_path):
    olympiad = DATASETS / "olympiadbench_OE_TO_maths_en_COMP.jsonl"
    frame = load_hf_problems(str(olympiad), "train", cache_dir=str(tmp_path / "cache"), default_level=5,
                             fields={"problem": ["context", "question"], "answer": "final_answer",
                                     "subject": "subfield"})
    assert list(frame["id"]) == ["1606", "1610", "1612", "2001"]
    assert list(frame["answer"]) == ["2", "\\frac{1}{2 n+2}", "2^{1009}", "1, 2"]
    first = frame["solution"].iloc[0]  # OlympiadBench lists alternative solutions: the first is kept
    assert first.startswith("Sergey can determine") and "second solution" not in first
    with pytest.raises(ValueError, match=r"config key datasets\.o\.path: no such file or directory"):
        load_problems({"source": "hf", "path": str(tmp_path / "nowhere.jsonl")}, "o")
    (tmp_path / "rows.txt").write_text("x")
    with pytest.raises(ValueError, match=r"rows\.txt: not a data file the datasets library reads"):
        load_hf_problems(str(tmp_path / "rows.txt"), "test")


def test_aime_source_takes_a_subject():
    amc = DATASETS / "amc23_test.jsonl"
    assert set(load_aime(amc)["subject"]) == {"AIME"}
    frame = load_problems({"source": "aime", "path": str(amc), "subject": "AMC"}, "amc23")
    assert set(frame["subject"]) == {"AMC"} and list(frame["answer"]) == ["27", "36", "-1"]
    by_default = load_problems({"source": "aime", "path": str(amc), "default_subject": "AMC"}, "amc23")
    assert set(by_default["subject"]) == {"AMC"}


def test_fixed_layout_sources_refuse_row_keys():
    with pytest.raises(ValueError, match=r"config key datasets\.m\.fields: source 'math_dir' reads a fixed layout"):
        load_problems({"source": "math_dir", "path": str(DATASETS / "MATH"), "fields": {"subject": "type"}}, "m")


def test_math_dir_policy_and_its_logged_paths(tmp_path):
    messages, skipped = [], {}
    frame = load_math_dir(DATASETS / "MATH", "train", log=messages.append, skipped=skipped)
    assert len(frame) == 5 and skipped == {
        "at 'Level ?'": ["geometry/6005.json"],
        "with an empty \\boxed{}": ["number_theory/7115.json", "number_theory/7117.json"]}
    assert "skipped 1 problem(s) at 'Level ?': geometry/6005.json; 2 problem(s) with an empty \\boxed{}: " \
           "number_theory/7115.json, number_theory/7117.json" in messages[0]
    with pytest.raises(EmptyAnswer, match=r"7115\.json: field 'solution': the solution's \\boxed\{\} is empty"):
        load_math_dir(DATASETS / "MATH", "train", unusable_rows="error", unknown_level="skip")
    shutil.copytree(DATASETS / "MATH", tmp_path / "MATH")
    for path in (tmp_path / "MATH" / "train").glob("*/*.json"):
        if path.name in ("6005.json", "7115.json", "7117.json"):
            continue
        path.unlink()
    with pytest.raises(ValueError, match=r"no problems: all 3 rows are unusable"):
        load_math_dir(tmp_path / "MATH", "train")
