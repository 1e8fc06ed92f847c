"""Every problem source behind one call: `load_problems(spec, name)` -> a validated frame of problem records.

`spec` is one entry of the config's `datasets` section; `source` picks the reader:

    synthetic  the seeded arithmetic generator (`rlv.tasks.synthetic.generate`; handled by `rlv data`)
    math_dir   Hendrycks' MATH directory tree {path}/{split}/{subject}/{n}.json  (`rlv.tasks.math_dir`)
    jsonl      one JSON object per line, MATH500's fields by default             (`rlv.tasks.jsonl`)
    parquet    a Parquet file, read row by row as the JSONL loader reads lines
    hf         a Hugging Face dataset: `datasets.load_dataset(id, name, split)` for a hub id (read from the local
               cache unless HF_HUB_OFFLINE=0 and a network are present), a local dataset directory, or a local
               data file (.json, .jsonl, .parquet, .csv, .arrow) as that split
    aime       AIME JSONL (id, problem, solution, answer, url): level fixed at 5, subject "AIME" unless `subject`
    gpqa       GPQA's CSV, one high-level domain (default Physics), options shuffled into A-D (`rlv.tasks.gpqa`)

The file sources (all but synthetic and gpqa) read each row through `rlv.tasks.fields`: the spec's `fields`
(where each record field is: names, dotted paths, lists), `answer_format` (gsm8k), `answer_from_solution`,
`default_level`, `default_subject`, `subject`, and one policy for unusable rows (`unusable_rows`: skip, the
default, with a count and the first ids in the log, or error). math_dir takes `unusable_rows`, `unknown_level` and
`subject` only: its layout is fixed.

After loading, optional filters keep rows whose `level` is in `levels` and whose `subject` is in
`subjects`; `limit` keeps the first N rows (in the source's own order). Errors name the file and row,
or the dataset name and the config key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rlv.tasks.fields import Row, collect, row_spec
from rlv.tasks.jsonl import load_jsonl_problems

__all__ = ["HF_FILE_BUILDERS", "ROW_OPTIONS", "SOURCES", "load_aime", "load_hf_problems", "load_parquet_problems",
           "load_problems"]

SOURCES = ("synthetic", "math_dir", "jsonl", "parquet", "hf", "aime", "gpqa")
# the spec keys of the row reader (rlv.tasks.fields.row_spec), and those math_dir takes
ROW_OPTIONS = ("fields", "id_field", "default_level", "default_subject", "subject", "answer_from_solution",
               "answer_format", "unusable_rows", "unknown_level")
_MATH_DIR_OPTIONS = ("unusable_rows", "unknown_level", "subject")
HF_FILE_BUILDERS = {".json": "json", ".jsonl": "json", ".parquet": "parquet", ".csv": "csv", ".arrow": "arrow"}


def _policy(options: dict, skip_unknown_level: bool | None) -> dict:
    if skip_unknown_level is not None:  # the older keyword
        options.setdefault("unknown_level", "skip" if skip_unknown_level else "error")
    return options


def _rows(rows, source: str, stem: str):
    for row_number, row in enumerate(rows):
        yield Row(f"{source}: row {row_number}", f"row {row_number}", f"{stem}/{row_number}", row)


def load_parquet_problems(path, *, log=None, skipped: dict | None = None, skip_unknown_level: bool | None = None,
                          **options) -> pd.DataFrame:
    """A Parquet file of problem rows, normalised as JSONL lines are (options: `rlv.tasks.fields.row_spec`'s)."""
    import pyarrow.parquet as pq
    spec = row_spec(**_policy(options, skip_unknown_level))
    path = Path(path)
    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for unreadable files
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from exc
    return collect(_rows(rows, str(path), path.stem), str(path), spec, log=log, skipped=skipped,
                   empty=f"{path}: no problems (no rows)")


def _hf_rows(dataset: str, split: str, name: str | None, cache_dir: str | None):
    """The rows of a hub dataset, a local dataset directory or a local data file (as split `split`)."""
    import datasets
    local = Path(dataset)
    if local.is_file():
        builder = HF_FILE_BUILDERS.get(local.suffix.lower())
        if builder is None:
            raise ValueError(f"{local}: not a data file the datasets library reads as such (suffixes "
                             f"{sorted(HF_FILE_BUILDERS)}); for a dataset directory give the directory")
        try:
            return datasets.load_dataset(builder, data_files={split: str(local)}, split=split, cache_dir=cache_dir)
        except Exception as exc:  # noqa: BLE001 - the builders raise many types for a malformed file
            raise ValueError(f"{local}: the local {builder} file could not be read as a dataset "
                             f"({type(exc).__name__}: {exc})") from exc
    if local.is_dir():
        try:
            return datasets.load_dataset(str(local), name, split=split, cache_dir=cache_dir)
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"{local}: the local dataset directory could not be read (config {name!r}, split "
                             f"{split!r}; {type(exc).__name__}: {exc})") from exc
    try:
        return datasets.load_dataset(dataset, name, split=split, cache_dir=cache_dir)
    except (ConnectionError, FileNotFoundError) as exc:
        raise ValueError(
            f"Hugging Face dataset {dataset!r} (config {name!r}, split {split!r}) could not be loaded: it is not "
            f"a local file or directory and not in the local cache, and the Hub is not reachable (HF_HUB_OFFLINE="
            f"{int(bool(datasets.config.HF_HUB_OFFLINE))}). Download it once with network access "
            f"(HF_HUB_OFFLINE=0), or point the dataset's `path` at a local copy. ({type(exc).__name__}: {exc})"
        ) from exc


def load_hf_problems(dataset: str, split: str, *, name: str | None = None, cache_dir: str | None = None, log=None,
                     skipped: dict | None = None, skip_unknown_level: bool | None = None, **options) -> pd.DataFrame:
    """A split of a Hugging Face dataset: a hub id, a local directory of data files, or one local data file."""
    spec = row_spec(**_policy(options, skip_unknown_level))
    rows = _hf_rows(dataset, split, name, cache_dir)
    local = Path(dataset)
    stem = local.stem if local.is_file() else (local.name or dataset)
    source = f"{dataset} [{split}]"
    return collect(_rows(rows, source, stem), source, spec, log=log, skipped=skipped,
                   empty=f"{source}: no problems (no rows)")


def load_aime(path, *, log=None, skipped: dict | None = None, **options) -> pd.DataFrame:
    """AIME JSONL: fields id, problem, solution, answer, url; every problem is level 5, its subject `subject`
    (else `default_subject`, else "AIME")."""
    subject = options.pop("subject", None) or options.pop("default_subject", None) or "AIME"
    options = {"id_field": "id", **options, "default_level": 5, "subject": subject}
    frame = load_jsonl_problems(path, log=log, skipped=skipped, **options)
    return frame.assign(level=5)


def _require(spec: dict, key: str, name: str):
    if spec.get(key) in (None, ""):
        raise ValueError(f"config key datasets.{name}.{key}: required for source {spec.get('source')!r}")
    return spec[key]


def load_problems(spec: dict, name: str, log=None, skipped: dict | None = None) -> pd.DataFrame:
    """The problems of one dataset of the config's `datasets` section (every source except synthetic).
    Unusable rows skipped go to `log` and, by reason, into `skipped` (reason -> ids)."""
    source = spec.get("source")
    options = {key: spec[key] for key in ROW_OPTIONS if key in spec}
    try:
        row_spec(**options)
    except ValueError as exc:
        raise ValueError(f"config key datasets.{name}.{exc}") from None
    fixed = {"math_dir": _MATH_DIR_OPTIONS, "gpqa": ()}.get(source)
    if fixed is not None and set(options) - set(fixed):
        key = sorted(set(options) - set(fixed))[0]
        raise ValueError(f"config key datasets.{name}.{key}: source {source!r} reads a fixed layout and does not "
                         f"take it (it takes {list(fixed) or 'none of the row keys'})")
    read = {"log": log, "skipped": skipped}
    if source == "math_dir":
        from rlv.tasks.math_dir import load_math_dir
        frame = load_math_dir(_require(spec, "path", name), spec.get("split", "train"), **options, **read)
    elif source == "jsonl":
        frame = load_jsonl_problems(_require(spec, "path", name), **options, **read)
    elif source == "parquet":
        frame = load_parquet_problems(_require(spec, "path", name), **options, **read)
    elif source == "hf":
        dataset = spec.get("id") or _require(spec, "path", name)
        if not spec.get("id") and not Path(dataset).exists():
            raise ValueError(f"config key datasets.{name}.path: no such file or directory: {dataset!r}")
        frame = load_hf_problems(dataset, spec.get("split", "test"), name=spec.get("name"),
                                 cache_dir=spec.get("cache_dir"), **options, **read)
    elif source == "aime":
        frame = load_aime(_require(spec, "path", name), **options, **read)
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
