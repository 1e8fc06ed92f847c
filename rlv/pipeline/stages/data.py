"""Stage `rlv data` (rule problems, workflow/rules/data.smk): one dataset's problem records in one Parquet file.

Its parameters are the dataset's spec (config `datasets.<name>`, the master seed added): with `source` other than
"synthetic" the reader of rlv.tasks.loaders; without a source, or with "synthetic", the synthetic task's generator
(rlv.tasks.synthetic.generate) gets every key its signature accepts (the workflow passes every key of `task`).
"""

from __future__ import annotations

import inspect
from pathlib import Path

from rlv.pipeline.stages import log


def problems(*, out: Path, params: dict, dataset: str | None = None, split: str | None = None) -> None:
    from rlv.rollouts import write_parquet_atomic
    from rlv.tasks.loaders import load_problems
    from rlv.tasks.records import validate_problems
    from rlv.tasks.synthetic import generate
    name = dataset or split
    if params.get("source", "synthetic") == "synthetic":
        split = params.get("split") or split or name
        accepted = set(inspect.signature(generate).parameters) - {"split"}
        frame = validate_problems(generate(split, **{k: v for k, v in params.items() if k in accepted}),
                                  f"generated {split} split")
    else:
        frame = load_problems(params, name, log=log)
    write_parquet_atomic(frame, out)
    log(f"wrote {len(frame)} {name} problems to {out}")
