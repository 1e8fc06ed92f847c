"""The one problem record every task produces: MATH's fields (problem, solution, answer, level, subject)
plus a stable id. `validate_problems` checks a frame of them and names the source and row of any fault;
`select_levels` keeps the problems at some levels (an easy-to-hard run's training set); `gradable` keeps the
problems whose worked solution the grader accepts (the warm-up's), and `grader_acceptance` counts the reference
answers and solutions the grader accepts (what `rlv data` reports of every dataset)."""

import pandas as pd

PROBLEM_COLUMNS = ["id", "problem", "solution", "answer", "level", "subject"]


def validate_problems(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Return `frame` restricted to PROBLEM_COLUMNS (in order) after checking every row.

    Raises ValueError naming `source`, the row (0-based position and id) and the column at fault."""
    missing = [c for c in PROBLEM_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}; expected {PROBLEM_COLUMNS}")
    frame = frame[PROBLEM_COLUMNS].reset_index(drop=True)
    for row, record in enumerate(frame.itertuples(index=False)):
        for column in ("id", "problem", "answer"):
            value = getattr(record, column)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{source}: row {row} (id={record.id!r}): column {column!r} must be a non-empty string, got {value!r}")
        if not isinstance(record.solution, str):
            raise ValueError(f"{source}: row {row} (id={record.id!r}): column 'solution' must be a string")
        if not _is_level(record.level):
            raise ValueError(f"{source}: row {row} (id={record.id!r}): column 'level' must be an integer in 1..5, got {record.level!r}")
    duplicated = frame["id"][frame["id"].duplicated()]
    if len(duplicated):
        raise ValueError(f"{source}: row {int(duplicated.index[0])} (id={duplicated.iloc[0]!r}): column 'id' repeats an earlier row; duplicate id(s) {sorted(set(duplicated))[:5]}")
    return frame.astype({"level": "int64"})


def _is_level(value) -> bool:
    if isinstance(value, (bool, str)):
        return False
    try:
        return float(value).is_integer() and 1 <= int(value) <= 5
    except (TypeError, ValueError):
        return False


def select_levels(problems, levels: list[int], key: str):
    """The rows of a problem frame at `levels`; every level must have problems (the error names `key`)."""
    present = set(problems["level"].unique())
    missing = sorted(set(levels) - present)
    if missing:
        raise ValueError(f"config key {key}: levels {missing} have no training problems "
                         f"(the train dataset has levels {sorted(int(v) for v in present)})")
    return problems[problems["level"].isin(levels)].reset_index(drop=True)


def gradable(problems: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """(the problems whose worked solution the grader accepts against their own answer, `grade(solution, answer)`,
    in order; the ids of the others). A warm-up pair must end in a box the reward would pay for: a solution without
    one (an empty solution, GSM8K's `#### 18`, an unparsable box) would teach the base model an answer format the
    grader rejects."""
    from rlv.tasks.grading import grade
    keep = [grade(solution, answer) for solution, answer in zip(problems["solution"], problems["answer"])]
    mask = pd.Series(keep, index=problems.index, dtype=bool)
    return problems[mask].reset_index(drop=True), [str(i) for i in problems.loc[~mask, "id"]]


def grader_acceptance(problems: pd.DataFrame) -> dict:
    """How the grader takes a dataset's own references: `answers` of `rows` reference answers accepted when written
    as `\\boxed{answer}`, and `solutions` of `with_solution` non-empty worked solutions accepted against their answer
    (`grade(solution, answer)`); `rejected_answers` and `rejected_solutions` list the ids of the others."""
    from rlv.tasks.grading import grade
    rejected_answers = [str(i) for i, answer in zip(problems["id"], problems["answer"])
                        if not grade(f"\\boxed{{{answer}}}", answer)]
    with_solution = problems[problems["solution"].str.strip() != ""]
    rejected_solutions = [str(i) for i, solution, answer in zip(with_solution["id"], with_solution["solution"],
                                                                with_solution["answer"]) if not grade(solution, answer)]
    return {"rows": len(problems), "answers": len(problems) - len(rejected_answers),
            "with_solution": len(with_solution), "solutions": len(with_solution) - len(rejected_solutions),
            "rejected_answers": rejected_answers, "rejected_solutions": rejected_solutions}
