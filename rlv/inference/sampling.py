"""Test-time sampling: N solutions per problem, graded, in the evaluation rollout format.

Backend `hf` (the CPU default): `rlv.inference.decoding.sample_and_score`, ancestral sampling at the configured
temperature (top-k and top-p off) in batches of `batch_size` samples; the samples of one problem are
consecutive rows, share one prompt pass, and problems are sorted by prompt length, so a batch pads little.
With `scorer` (the digest `scorer_digest` of the model and instruction) the model also scores its samples as
they finish (p("Yes"), p("No"), mean token log-prob, on the sampling pass's own cache: the verification
question is all that runs), and the rows carry that digest in column `scorer`, so `rlv score` can keep them.
Problems are cut into shards of consecutive problems in that order; each shard is written as soon as it is
done, so a killed job resumes at the first missing shard. Randomness is seeded per (seed, shard, batch), so a given config and seed reproduce the same samples
whether or not the job was interrupted.

Backend `vllm` (rlv.inference.backends): the same prompt ids, shards and rows, but the completions of a shard come from
one request to a vLLM engine in its own environment: per problem, N samples at the same temperature (top-k and
top-p off), sample i seeded with seed(problem) + i, where seed(problem) hashes (seed, problem id); so a sample's
seed does not depend on batching or sharding. Its completions are cut and cleaned as `generate` cuts them (after the
first stop token, EOS or end of turn, which is kept; padding tokens dropped).
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pandas as pd

from rlv.inference.decoding import sample_and_score
from rlv.tasks.chat import prompt_ids
from rlv.tasks.grading import extract_boxed, grade
from rlv.rollouts import EVAL_COLUMNS, SCORE_COLUMNS, write_parquet_atomic
from rlv.verifier import answer_token_ids, drop_ids, score_solutions, stop_ids, verification_suffix_ids


def generate(model, tokenizer, prompts: list[list[int]], temperature: float, max_new_tokens: int, seed: int
             ) -> list[list[int]]:
    """One sampled completion per prompt (rlv.inference.decoding; runs of equal prompts share one prefill), cut after
    the first stop token (kept) and without padding."""
    groups = [(list(prompt), len(list(run))) for prompt, run in itertools.groupby(map(tuple, prompts))]
    results = sample_and_score(model, [prompt for prompt, _ in groups], [count for _, count in groups], temperature,
                               max_new_tokens, seed, stop_ids(tokenizer), tokenizer.pad_token_id)
    return [result["completion_ids"] for result in results]


def sample_solutions(model, tokenizer, problems: pd.DataFrame, num_samples: int, temperature: float,
                     max_new_tokens: int, batch_size: int, seed: int, instruction: str = "", run: str = "",
                     dataset: str = "", progress=None, shard_dir: str | Path | None = None,
                     shard_problems: int = 50, engine=None, scorer: str | None = None) -> pd.DataFrame:
    """All samples of all problems, in (problem_id, sample) order. With `shard_dir`, each shard of
    `shard_problems` problems is written there as it completes and reused by a rerun. With `engine` (a
    rlv.inference.backends VllmEngine) the completions come from it and `model` and `batch_size` are unused. With
    `scorer` (the `hf` backend only: the scorer digest of `model` and `instruction`), every sample is also
    scored by the model and the rows carry SCORE_COLUMNS and `scorer`."""
    if scorer is not None and engine is not None:
        raise ValueError("sample_solutions: scorer= scores on the hf decoder's cache; the vllm engine scores apart")
    encoded = {pid: prompt_ids(tokenizer, text, instruction) for pid, text in zip(problems["id"], problems["problem"])}
    order = sorted(zip(problems["id"], problems["problem"], problems["answer"]), key=lambda r: len(encoded[r[0]]))
    frames = []
    for shard, begin in enumerate(range(0, len(order), shard_problems)):
        path = Path(shard_dir) / f"shard-{shard:05d}.parquet" if shard_dir is not None else None
        if path is not None and path.exists():
            frame = pd.read_parquet(path)
            if progress is not None:
                progress(len(frame))
        else:
            jobs = [(pid, text, answer, s) for pid, text, answer in order[begin:begin + shard_problems]
                    for s in range(num_samples)]
            if engine is not None:
                frame = _sample_jobs_engine(engine, tokenizer, jobs, encoded, num_samples, temperature,
                                            max_new_tokens, seed, progress=progress)
            else:
                frame = _sample_jobs(model, tokenizer, jobs, encoded, temperature, max_new_tokens, batch_size,
                                     (seed, shard), progress=progress, score=scorer is not None)
            columns = EVAL_COLUMNS + (SCORE_COLUMNS + ["scorer"] if scorer is not None else [])
            frame = frame.assign(run=run, dataset=dataset, seed=seed, scorer=scorer)[columns]
            if path is not None:
                write_parquet_atomic(frame, path)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).sort_values(["problem_id", "sample"], ignore_index=True)


def _sample_jobs(model, tokenizer, jobs, encoded, temperature, max_new_tokens, batch_size, key, progress=None,
                 score=False):
    rows = []
    scoring = {}
    if score:
        yes_id, no_id = answer_token_ids(tokenizer)
        scoring = {"suffix": verification_suffix_ids(tokenizer), "yes_id": yes_id, "no_id": no_id}
    for batch_index, begin in enumerate(range(0, len(jobs), batch_size)):
        chunk = jobs[begin:begin + batch_size]
        batch_seed = int(hashlib.sha256(repr((*key, batch_index)).encode()).hexdigest()[:15], 16)
        groups = [(pid, len(list(members))) for pid, members in itertools.groupby(chunk, key=lambda job: job[0])]
        results = sample_and_score(model, [encoded[pid] for pid, _ in groups], [count for _, count in groups],
                                   temperature, max_new_tokens, batch_seed, stop_ids(tokenizer),
                                   tokenizer.pad_token_id, **scoring)
        batch_rows = _rows(tokenizer, chunk, [result["completion_ids"] for result in results])
        if score:
            rescore = [i for i, result in enumerate(results) if result["rescore"]]
            if rescore:  # a sampled padding token: score the stored completion (rlv.inference.decoding)
                again = score_solutions(model, [encoded[chunk[i][0]] for i in rescore],
                                        [results[i]["completion_ids"] for i in rescore], scoring["suffix"],
                                        scoring["yes_id"], scoring["no_id"], drop_ids(tokenizer),
                                        tokenizer.pad_token_id)
                for j, i in enumerate(rescore):
                    results[i].update({name: again[name][j] for name in SCORE_COLUMNS})
            for row, result in zip(batch_rows, results):
                row.update({name: result[name] for name in SCORE_COLUMNS})
        rows.extend(batch_rows)
        if progress is not None:
            progress(len(chunk))
    return pd.DataFrame.from_records(rows)


def scorer_digest(model_dir: str | Path, instruction: str) -> str:
    """What computes the self-scores of a model's samples: a SHA-256 over the model directory's weight files
    (safetensors) and the instruction appended to each problem (it changes the prompts scored)."""
    digest = hashlib.sha256(repr(("rlv-scorer", instruction)).encode())
    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{model_dir}: no *.safetensors weights to take the scorer digest of")
    for path in files:
        digest.update(path.name.encode())
        with open(path, "rb") as weights:
            for block in iter(lambda: weights.read(1 << 24), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _rows(tokenizer, jobs, completions) -> list[dict]:
    rows, stops = [], stop_ids(tokenizer)
    for (pid, text, answer, sample), ids in zip(jobs, completions, strict=True):
        completion = tokenizer.decode(ids, skip_special_tokens=True)
        rows.append({"problem_id": pid, "sample": sample, "prompt": text, "completion": completion,
                     "completion_ids": ids, "answer": extract_boxed(completion),
                     "correct": grade(completion, answer), "num_tokens": len(ids),
                     "truncated": not ids or ids[-1] not in stops})
    return rows


def problem_seed(seed: int, problem_id) -> int:
    """The `vllm` backend's seed of a problem's first sample (60 bits, so seed + sample fits any engine)."""
    return int(hashlib.sha256(repr((seed, str(problem_id))).encode()).hexdigest()[:15], 16)


def _sample_jobs_engine(engine, tokenizer, jobs, encoded, num_samples, temperature, max_new_tokens, seed,
                        progress=None):
    problems = list(dict.fromkeys(pid for pid, *_ in jobs))
    stops = stop_ids(tokenizer)
    outputs = engine.sample([encoded[pid] for pid in problems], [problem_seed(seed, pid) for pid in problems],
                            num_samples, temperature, max_new_tokens, stops)
    by_problem = dict(zip(problems, outputs))
    completions = []
    for pid, _, _, sample in jobs:
        ids, _reason = by_problem[pid][sample]
        end = next((i + 1 for i, token in enumerate(ids) if token in stops), len(ids))
        completions.append([t for i, t in enumerate(ids[:end])  # a closing stop stays even if it is the padding
                            if t != tokenizer.pad_token_id or (i == end - 1 and t in stops)])
    if progress is not None:
        progress(len(jobs))
    return pd.DataFrame.from_records(_rows(tokenizer, jobs, completions))
