"""Stage `rlv data` (rule problems, workflow/rules/data.smk): one dataset's problem records in one Parquet file.

Its parameters are the dataset's spec (config `datasets.<name>`, the master seed added): with `source` other than
"synthetic" the reader of rlv.tasks.loaders; without a source, or with "synthetic", the synthetic task's generator
(rlv.tasks.synthetic.generate) gets every key its signature accepts (the workflow passes every key of `task`).
The log says how many rows were written and skipped (and why: rlv.tasks.fields' unusable rows), and how many of the
dataset's reference answers, and of its worked solutions, the grader accepts (rlv.tasks.records.grader_acceptance):
a gold answer the grader cannot take back from `\\boxed{answer}` would make every sample of that problem wrong.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from rlv.pipeline.stages import log


def problems(*, out: Path, params: dict, dataset: str | None = None, split: str | None = None) -> None:
    from rlv.rollouts import write_parquet_atomic
    from rlv.tasks.loaders import load_problems
    from rlv.tasks.records import grader_acceptance, validate_problems
    from rlv.tasks.synthetic import generate
    name = dataset or split
    if params.get("source", "synthetic") == "synthetic":
        split = params.get("split") or split or name
        accepted = set(inspect.signature(generate).parameters) - {"split"}
        frame = validate_problems(generate(split, **{k: v for k, v in params.items() if k in accepted}),
                                  f"generated {split} split")
    else:
        skipped = {}
        frame = load_problems(params, name, log=log, skipped=skipped)
        log(f"{name}: {len(frame)} problems, {sum(map(len, skipped.values()))} rows skipped"
            + "".join(f"; {len(ids)} {reason}" for reason, ids in skipped.items()))
    log(acceptance_line(name, grader_acceptance(frame)))
    write_parquet_atomic(frame, out)
    log(f"wrote {len(frame)} {name} problems to {out}")


def acceptance_line(name: str, acceptance: dict) -> str:
    """One log line from rlv.tasks.records.grader_acceptance: the accepted shares and the first rejected ids."""
    def first(ids):
        return f" (not: {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''})" if ids else ""
    line = (f"{name}: the grader accepts {acceptance['answers']}/{acceptance['rows']} reference answers as "
            f"\\boxed{{answer}}{first(acceptance['rejected_answers'])}")
    if acceptance["with_solution"]:
        line += (f" and {acceptance['solutions']}/{acceptance['with_solution']} worked solutions against their "
                 f"answer{first(acceptance['rejected_solutions'])}")
    return line + (" and the dataset has no worked solutions" if not acceptance["with_solution"] else "")
