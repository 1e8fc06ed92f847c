"""Every problem source behind one call: `load_problems(spec, name)` -> a validated frame of problem records.

`spec` is one entry of the config's `datasets` section; `source` picks the reader:

    synthetic  the seeded arithmetic generator (`rlv.tasks.synthetic.generate`; handled by `rlv data`)
    math_dir   Hendrycks' MATH directory tree {path}/{split}/{subject}/{n}.json  (`rlv.tasks.math_dir`)
    jsonl      one JSON object per line with MATH500's fields                   (`rlv.tasks.jsonl`)
    parquet    a Parquet file with the same fields (read with pyarrow, row by row as the JSONL loader)
    hf         a Hugging Face dataset: `datasets.load_dataset(id or path, name, split)`; a hub id is read
               from the local cache unless HF_HUB_OFFLINE=0 and a network are present
    aime       AIME JSONL (id, problem, solution, answer, url, year): level fixed at 5, subject "AIME"
    gpqa       GPQA's CSV, one high-level domain (default Physics), options shuffled into A-D (`rlv.tasks.gpqa`)

After loading, optional filters keep rows whose `level` is in `levels` and whose `subject` is in
`subjects`; `limit` keeps the first N rows (in the source's own order). Errors name the file and row,
or the dataset name and the config key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rlv.tasks.jsonl import UnknownLevel, load_jsonl_problems, record_from_mapping
from rlv.tasks.records import PROBLEM_COLUMNS, validate_problems

__all__ = ["SOURCES", "load_aime", "load_hf_problems", "load_parquet_problems", "load_problems"]

SOURCES = ("synthetic", "math_dir", "jsonl", "parquet", "hf", "aime", "gpqa")
_RECORD_OPTIONS = ("id_field", "default_level", "default_subject", "answer_from_solution")


def _records(rows, source: str, stem: str, skip_unknown_level: bool, **options) -> pd.DataFrame:
    records = []
    for row_number, row in enumerate(rows):
        try:
            records.append(record_from_mapping(row, f"{source}: row {row_number}", f"{stem}/{row_number}", **options))
        except UnknownLevel:
            if not skip_unknown_level:
                raise
    if not records:
        raise ValueError(f"{source}: no problems")
    return validate_problems(pd.DataFrame.from_records(records, columns=PROBLEM_COLUMNS), source)


def load_parquet_problems(path, *, skip_unknown_level: bool = False, **options) -> pd.DataFrame:
    """A Parquet file of problem rows (MATH500's fields or the record's own), normalised as JSONL lines are."""
    import pyarrow.parquet as pq
    path = Path(path)
    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for unreadable files
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from exc
    return _records(rows, str(path), path.stem, skip_unknown_level, **options)


def load_hf_problems(dataset: str, split: str, *, name: str | None = None, cache_dir: str | None = None,
                     skip_unknown_level: bool = False, **options) -> pd.DataFrame:
    """A split of a Hugging Face dataset (a hub id or a local directory of data files)."""
    import datasets
    try:
        rows = datasets.load_dataset(dataset, name, split=split, cache_dir=cache_dir)
    except (ConnectionError, FileNotFoundError) as exc:
        raise ValueError(
            f"Hugging Face dataset {dataset!r} (config {name!r}, split {split!r}) could not be loaded: it is not "
            f"a local directory and not in the local cache, and the Hub is not reachable (HF_HUB_OFFLINE="
            f"{int(bool(datasets.config.HF_HUB_OFFLINE))}). Download it once with network access "
            f"(HF_HUB_OFFLINE=0), or point the dataset's `path` at a local copy. ({type(exc).__name__}: {exc})"
        ) from exc
    return _records(rows, f"{dataset} [{split}]", Path(dataset).name or dataset, skip_unknown_level, **options)


def load_aime(path) -> pd.DataFrame:
    """AIME JSONL: fields id, problem, solution, answer, url, year; every problem is level 5, subject AIME."""
    frame = load_jsonl_problems(path, id_field="id", default_level=5, default_subject="AIME")
    return frame.assign(level=5, subject="AIME")


def _require(spec: dict, key: str, name: str):
    if spec.get(key) in (None, ""):
        raise ValueError(f"config key datasets.{name}.{key}: required for source {spec.get('source')!r}")
    return spec[key]


def load_problems(spec: dict, name: str, log=None) -> pd.DataFrame:
    """The problems of one dataset of the config's `datasets` section (every source except synthetic)."""
    source = spec.get("source")
    options = {key: spec[key] for key in _RECORD_OPTIONS if key in spec}
    skip = spec.get("unknown_level", "skip") == "skip"
    if source == "math_dir":
        from rlv.tasks.math_dir import load_math_dir
        frame = load_math_dir(_require(spec, "path", name), spec.get("split", "train"),
                              unknown_level=spec.get("unknown_level", "skip"), log=log)
    elif source == "jsonl":
        frame = load_jsonl_problems(_require(spec, "path", name), **options)
    elif source == "parquet":
        frame = load_parquet_problems(_require(spec, "path", name), skip_unknown_level=skip, **options)
    elif source == "hf":
        dataset = spec.get("id") or _require(spec, "path", name)
        frame = load_hf_problems(dataset, spec.get("split", "test"), name=spec.get("name"),
                                 cache_dir=spec.get("cache_dir"), skip_unknown_level=skip, **options)
    elif source == "aime":
        frame = load_aime(_require(spec, "path", name))
    elif source == "gpqa":
        from rlv.tasks.gpqa import load_gpqa
        frame = load_gpqa(_require(spec, "path", name), domain=spec.get("domain", "Physics"),
                          seed=spec.get("seed", 0))
    else:
        raise ValueError(f"config key datasets.{name}.source: {source!r} is not one of {list(SOURCES[1:])}")
    return select(frame, spec, name)


def select(frame: pd.DataFrame, spec: dict, name: str) -> pd.DataFrame:
    """Rows kept by the spec's `levels`, `subjects` and `limit` filters (in that order)."""
    if spec.get("levels") is not None:
        frame = frame[frame["level"].isin(spec["levels"])]
    if spec.get("subjects") is not None:
        frame = frame[frame["subject"].isin(spec["subjects"])]
    if spec.get("limit") is not None:
        frame = frame.head(spec["limit"])
    if frame.empty:
        raise ValueError(f"config key datasets.{name}: no problems left after the filters "
                         f"(levels={spec.get('levels')}, subjects={spec.get('subjects')})")
    return frame.reset_index(drop=True)
