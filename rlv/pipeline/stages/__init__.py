"""The body of each `rlv <stage>`, one module per rule file (data, models, train, evaluate, figures, experiments,
sequential). A stage reads its input files, calls the library and writes its outputs atomically.

Each stage takes named paths and its parameters as a frozen dataclass (its fields and their defaults are the one
list of what the stage accepts); `parse_params` builds one from the `--params` mapping, naming any unknown key,
missing key or malformed nested section. Stages whose parameters are a whole mapping by nature (a dataset's loader
spec, a workflow config, a figure's keys) take a dict.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import types
import typing

from rlv.pipeline import ConfigError


def parse_params(kind, values, stage: str, where: str = ""):
    """`values` as the dataclass `kind` (nested dataclass fields from nested mappings); a dict kind passes through.
    Raises ConfigError naming the stage and the key (`where`: the enclosing keys of a nested section)."""
    at = f"rlv {stage} --params{f' {where}' if where else ''}"
    if not isinstance(values, dict):
        raise ConfigError(f"{at}: expected a mapping, got {type(values).__name__}")
    if kind is dict:
        return dict(values)
    fields = {field.name: field for field in dataclasses.fields(kind)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"{at}: unknown key(s) {unknown}; it takes {sorted(fields)}")
    missing = [name for name, field in fields.items() if name not in values and field.default is dataclasses.MISSING
               and field.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{at}: missing key(s) {missing}")
    hints = {name: _dataclass_in(hint) for name, hint in typing.get_type_hints(kind).items()}
    nested = {name: parse_params(hints[name], value, stage, f"{where}.{name}" if where else name)
              for name, value in values.items() if hints[name] is not None and value is not None}
    return kind(**{**values, **nested})


def _dataclass_in(hint):
    """The dataclass a field's type names (alone or in `X | None`), else None."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    return next((option for option in options if dataclasses.is_dataclass(option)), None)


def log(message: str) -> None:
    """One timestamped line on stderr (the job's log)."""
    print(f"[rlv {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def progress(total: int, desc: str):
    """A progress bar on stderr, redrawn at most every 5 s; off where stderr is not a terminal (a job's log)."""
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, file=sys.stderr, mininterval=5, disable=None)


def set_threads(threads: int) -> None:
    import torch
    torch.set_num_threads(threads)


def placement(params) -> dict:
    """{device, dtype} of a stage's `device` and `precision` keys (rlv.models.resolve_device / resolve_dtype), as
    rlv.models.load_model and autocast take them."""
    from rlv.models import resolve_device, resolve_dtype
    device = resolve_device(params.device)
    return {"device": device, "dtype": resolve_dtype(params.precision, device)}
