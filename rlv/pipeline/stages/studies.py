"""Stages of workflow/rules/studies.smk, the verification studies (config/studies/{study}.yaml,
rlv.pipeline.study_specs): `rlv study-config`, `rlv study-pool-problems`, `rlv study-arm` and `rlv study-table`.

- study-config: the workflow config of a base with overrides (the active config with them laid over it), written
  from its params, so only a change to that config reruns the base's DAG.
- study-pool-problems: a seeded sample of the base's training problems, the problems the pool runs sample.
- study-arm: one arm. Its n labelled solutions are drawn from the pool (rlv.baselines.labelled_pool); a verifier
  starts from the base's warm-up model and trains on them: the generative form with L_verify exactly as the separate
  verifier (rlv.baselines.separate_verifier), the bce form with a scalar head (rlv.baselines.verifier_heads), the
  same optimisation. It then scores the test run's scored samples: p_yes and p_no become its verdict, the policy's
  mean_logprob stays. n = 0 scores with the warm-up model as it is. Writes the scored samples and the per-step
  history (its last row's `seconds` is the wall time of training and scoring).
- study-table: every arm and the two references in one table (rlv.analysis.verification_study), and per base the
  paper's comparison (the RL^V run's weighted vote against the test run's majority at 1, 2, 4, ... samples;
  rows of kind `joint`) for each of its joint_pairs, with the own p(Yes) of each further RL^V run (kind
  `joint reference`), Parquet and Markdown; with `partial` (a look at a study still running, never the rule's)
  arms without files are listed as not run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from rlv.pipeline.stages import log, placement, progress, set_threads


@dataclass(frozen=True)
class PoolProblemsParams:
    problems: int
    seed: int


@dataclass(frozen=True)
class ArmParams:
    form: str
    labels: str
    size: int
    batch_size: int
    learning_rate: float
    epochs: float
    seed: int
    instruction: str = ""
    score_batch_size: int = 128
    device: str = "auto"
    precision: str = "auto"
    threads: int = 1


@dataclass(frozen=True)
class StudyTableParams:
    name: str
    labels: dict  # run -> label
    num_bootstrap: int = 1000
    confidence: float = 0.95
    partial: bool = False  # a look at a study still running (by hand; the rule never): arms not run yet are listed so,
    #                        bases without scored test samples yet have no reference rows


def study_config(*, base: str, out: Path, params: dict) -> None:
    """`params`: the base's workflow config (rlv.pipeline.study_specs.base_config), written as YAML."""
    import yaml

    from rlv.rollouts import write_text_atomic
    write_text_atomic(yaml.safe_dump(params, sort_keys=False), out)
    log(f"wrote {out}: the workflow config of study base {base!r}")


def pool_problems(*, data: Path, out: Path, params: PoolProblemsParams) -> None:
    import pandas as pd

    from rlv.rollouts import write_parquet_atomic
    problems = pd.read_parquet(data)
    if params.problems > len(problems):
        raise SystemExit(f"{data}: pool.problems is {params.problems} but the split holds {len(problems)} problems")
    write_parquet_atomic(problems.sample(n=params.problems, random_state=params.seed).reset_index(drop=True), out)
    log(f"{out}: {params.problems} of the {len(problems)} problems of {data}")


def arm(*, base_model: Path, pool: list[Path], samples: Path, out: Path, history: Path, params: ArmParams) -> None:
    import pandas as pd

    from rlv.baselines.labelled_pool import as_training_rollouts, draw
    from rlv.models import autocast, load_model
    from rlv.pipeline.study_specs import optimizer_steps
    from rlv.rollouts import EVAL_COLUMNS, read_rollouts, write_parquet_atomic, write_text_atomic
    set_threads(params.threads)
    start = time.perf_counter()
    where = placement(params)
    frame = read_rollouts(samples, EVAL_COLUMNS + ["mean_logprob"])
    model, tokenizer = load_model(base_model, device=where["device"])
    steps = optimizer_steps(params.size, params.epochs, params.batch_size)
    share, head = float("nan"), None
    if params.size:
        pools = [read_rollouts(path, EVAL_COLUMNS) for path in pool]
        labelled = as_training_rollouts(pd.concat(pools, ignore_index=True))
        share = float(labelled["label"].mean())
        chosen = draw(labelled, params.size, params.labels, params.seed, source=", ".join(map(str, pool)))
        log(f"{params.form} verifier: {params.size} {params.labels} labels of a pool of {len(labelled)} (share "
            f"correct {share:.3f}; drawn {chosen['label'].mean():.3f}), {steps} steps of {params.batch_size} at "
            f"lr {params.learning_rate:g}")
        precision = lambda: autocast(**where)  # noqa: E731
        if params.form == "generative":
            from rlv.baselines.separate_verifier import train_separate_verifier
            trained = train_separate_verifier(model, tokenizer, chosen, steps, params.batch_size, params.learning_rate,
                                              params.seed, log, precision)
        else:
            from rlv.baselines.verifier_heads import HeadVerifier, train_verifier_head
            head = HeadVerifier(model, params.form)
            trained = train_verifier_head(head, tokenizer, chosen, steps, params.batch_size,
                                          params.learning_rate, params.seed, log, precision)
    else:
        if params.form != "generative":
            raise SystemExit(f"rlv study-arm: n = 0 needs form generative, not {params.form!r}")
        untrained = float("nan")  # no training step: loss, accuracy and label mean undefined
        trained = pd.DataFrame({"step": [0], "verifier/loss": [untrained], "verifier/accuracy": [untrained],
                                "label_mean": [untrained], "seconds": [0.0]})
    scores = _score(model if head is None else head, tokenizer, frame, params, where)
    trained = trained.assign(pool_share_correct=share)
    trained.loc[trained.index[-1], "seconds"] = time.perf_counter() - start
    write_parquet_atomic(frame.assign(**scores), out)
    write_text_atomic(trained.to_csv(index=False), history)
    log(f"scored {len(frame)} test samples; mean p_yes {sum(scores['p_yes']) / len(frame):.3f}; "
        f"{time.perf_counter() - start:.0f}s in all")


def _score(verifier, tokenizer, frame, params: ArmParams, where) -> dict:
    """p_yes and p_no of every test sample under the trained verifier: the model's answer to the verification
    question (generative) or the head's score (rlv.baselines.verifier_heads.score_with_head)."""
    from rlv.models import autocast
    from rlv.pipeline.stages.evaluate import encode_prompts
    prompts = encode_prompts(tokenizer, frame["prompt"], params.instruction)
    completions = [list(c) for c in frame["completion_ids"]]
    with progress(len(frame), "score test samples") as bar, autocast(**where):
        if params.form == "generative":
            from rlv.verifier import answer_token_ids, drop_ids, score_solutions, verification_suffix_ids
            yes_id, no_id = answer_token_ids(tokenizer)
            scores = score_solutions(verifier, prompts, completions, verification_suffix_ids(tokenizer), yes_id,
                                     no_id, drop_ids(tokenizer), tokenizer.pad_token_id, params.score_batch_size,
                                     bar.update)
            return {"p_yes": scores["p_yes"], "p_no": scores["p_no"]}
        from rlv.baselines.verifier_heads import score_with_head
        return score_with_head(verifier, tokenizer, prompts, completions, params.score_batch_size, bar.update)


def table(*, study: Path, arms: list[Path], histories: list[Path], references: list[Path], out: Path, rows_out: Path,
          params: StudyTableParams) -> None:
    """`arms`/`histories`: every arm's files, `{base}/arms/{arm}.parquet` and `.csv` (matched to the study's arms
    by those names, in any order); `references`: per base in the study's order, the scored test samples of its
    table_runs (the test run's, the reference run's, then the joint pairs' other runs)."""
    import pandas as pd

    from rlv.analysis.verification_study import joint_against_base, measure, render, verdict
    from rlv.pipeline.study_specs import (describe_bases, describe_families, joint_pairs, load_study, study_arms,
                                          table_runs)
    from rlv.rollouts import write_parquet_atomic, write_text_atomic
    from rlv.tasks.grading import answers_equal
    spec = load_study(study)
    boot = (params.num_bootstrap, params.confidence, spec["seed"])
    planned = study_arms(spec)
    scored_files, history_files = _by_arm(arms, ".parquet"), _by_arm(histories, ".csv")
    missing = [f"{a.base}/{a.name}" for a in planned if (a.base, a.name) not in scored_files
               or (a.base, a.name) not in history_files]
    if missing and not params.partial:
        raise SystemExit(f"rlv study-table: {study}: no scored file or history for arm(s) {missing}")
    runs = {base: table_runs(spec, base) for base in spec["bases"]}
    if len(references) != sum(map(len, runs.values())):
        raise SystemExit(f"rlv study-table: {sum(map(len, runs.values()))} reference files expected (per base, the "
                         f"scored test samples of runs {runs}), got {len(references)}")
    test = spec["test"]
    rows, start = [], 0

    def label(run: str) -> str:
        return params.labels.get(run, run)

    for base in spec["bases"]:
        paths = dict(zip(runs[base], references[start:start + len(runs[base])]))
        start += len(runs[base])
        joint_rows = []  # the paper's comparisons, after the base's arms
        if params.partial and not all(Path(path).exists() for path in paths.values()):
            log(f"partial: base {base} lacks scored test samples of some of {sorted(paths.values())}")
        else:
            scored = {run: pd.read_parquet(path) for run, path in paths.items()}
            logprob = measure(scored[test["run"]], *boot, score="mean_logprob", equivalent=answers_equal)
            rows.append({"base": base, "kind": "reference", "family": "", "label":
                         f"{label(test['run'])} mean log-prob (reference)", **logprob})
            measured = set()  # RL^V runs whose own p(Yes) has its row
            for index, (base_run, verifier_run) in enumerate(joint_pairs(spec, base)):
                if verifier_run not in measured:
                    measured.add(verifier_run)
                    own = measure(scored[verifier_run], *boot, equivalent=answers_equal)
                    rows.append({"base": base, "kind": "reference" if index == 0 else "joint reference",
                                 "family": "", "label": f"{label(verifier_run)} own p(Yes), its own samples"
                                 + (" (reference)" if index == 0 else ""), **own})
                joint_rows += [{"base": base, "kind": "joint", "family": "", "label": f"n = {row['budget']}",
                                "test label": label(base_run), "joint label": label(verifier_run), **row}
                               for row in joint_against_base(scored[base_run], scored[verifier_run], *boot,
                                                             equivalent=answers_equal).to_dict("records")]
        for arm_spec in (a for a in planned if a.base == base):
            if (base, arm_spec.name) not in scored_files or (base, arm_spec.name) not in history_files:
                rows.append({"base": base, "kind": "not run", "family": arm_spec.family, "label": arm_spec.name,
                             "n": arm_spec.size, "steps": arm_spec.steps})
                continue
            history = pd.read_csv(history_files[base, arm_spec.name])
            tail = history["verifier/loss"].tail(max(1, len(history) // 10))
            rows.append({"base": base, "kind": "arm", "family": arm_spec.family, "label": arm_spec.name,
                         "n": arm_spec.size, "steps": arm_spec.steps, "loss": float(tail.mean()),
                         "wall s": float(history["seconds"].iloc[-1]),
                         "pool share correct": float(history["pool_share_correct"].iloc[-1]),
                         **measure(pd.read_parquet(scored_files[base, arm_spec.name]), *boot,
                                   equivalent=answers_equal)})
        rows += joint_rows
    frame = pd.DataFrame(rows)
    frame["verdict"] = [verdict(row, spec["target_within_auroc"]) if row["kind"] == "arm" else
                        "not run" if row["kind"] == "not run" else "" for _, row in frame.iterrows()]
    write_parquet_atomic(frame, rows_out)
    samples = (f"each base's `{test['run']}` run on its {test['dataset']} split; the reference RL^V run "
               f"`{test['reference_run']}` on its own")
    write_text_atomic(render(spec.get("title", f"The {params.name} study"), params.name, samples,
                             spec["target_within_auroc"], describe_bases(spec), describe_families(spec), frame), out)
    log(f"wrote {out} and {rows_out}: {len(planned)} arms; " + json.dumps(
        frame[frame["kind"] == "arm"]["verdict"].value_counts().to_dict()))


def _by_arm(paths: list[Path], suffix: str) -> dict[tuple[str, str], Path]:
    """(base, arm) -> path, read from paths `.../{base}/arms/{arm}{suffix}`."""
    found = {}
    for path in map(Path, paths):
        if path.suffix != suffix or path.parent.name != "arms":
            raise SystemExit(f"rlv study-table: {path} is not an arm's file (.../{{base}}/arms/{{arm}}{suffix})")
        found[path.parent.parent.name, path.stem] = path
    return found
