"""Budget forcing: N solutions per problem under growing token budgets, with a forced answer at each budget.

Sequential scaling gives the model more tokens to think; the paper's long-CoT experiments sample under a
budget B and, where the reasoning has not ended by then, force an answer. Algorithm, per problem:

1. Sample N completions once, up to B_max = max(budgets) tokens (`rlv.inference.sampling.generate`, ancestral sampling
   at the eval temperature, as `rlv.inference.sampling`), each cut after its first end-of-turn token.
2. For each budget b, each sample is read at b. A sample that ended (end-of-turn) within b tokens is finished:
   its completion is unchanged. Otherwise its first b tokens (the reasoning so far) are followed by the
   forced-answer phrase (config `answer_phrase`, the phrase the warm-up's solutions close with, e.g. "The final
   answer is") and a continuation of at most `forced_tokens` tokens sampled after it, in which the model writes
   the boxed answer:

       prompt | reasoning[:b] | phrase | continuation (<= forced_tokens, cut after end-of-turn)

   A phrase that closes a reasoning block (R1's "\n</think>\n\nThe final answer is") is cut after its closing
   tag for a sample whose reasoning[:b] already closed that block (it wrote "</think>" and went on): it gets the
   rest of the phrase, as written, so the block is never closed twice (`phrase_for`).

   The budgets are prefixes of one generation, so the sample at budget b' > b extends the one at b: the same
   reasoning, continued. (In distribution this is what growing the budget of a running generation does.)
3. Each (sample, budget) completion is graded and scored by the model itself: p("Yes") to the verification
   question and the mean token log-prob (`rlv.verifier.score_solutions`, as `rlv score`).

Rows: one per (problem, sample, budget), the evaluation rollout columns plus `budget`, `forced`,
`reasoning_tokens` = min(natural length, b), `forced_tokens` (phrase + continuation; 0 if finished) and
`num_tokens` = their sum, the tokens that budget spends on that sample. Seeds: the reasoning batches by
(seed, "reasoning", batch), the forced continuations by (seed, "forced", budget, batch); so a config and
seed reproduce the same rows. Backend: transformers only (no vLLM, no resumable shards yet).
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from rlv.tasks.grading import extract_boxed, grade
from rlv.inference.sampling import generate
from rlv.tasks.chat import prompt_ids
from rlv.verifier import answer_token_ids, drop_ids, score_solutions, stop_ids, verification_suffix_ids

BUDGET_COLUMNS = ["run", "dataset", "problem_id", "sample", "budget", "prompt", "completion", "completion_ids",
                  "answer", "correct", "forced", "reasoning_tokens", "forced_tokens", "num_tokens", "truncated",
                  "seed", "p_yes", "p_no", "mean_logprob"]


def _seed(*key) -> int:
    return int(hashlib.sha256(repr(key).encode()).hexdigest()[:15], 16)


def phrase_ids(tokenizer, phrase: str) -> list[int]:
    """Token ids of the forced-answer phrase as it follows a sentence of a solution: a phrase that opens with
    white space (e.g. R1's "\\n</think>\\n\\n...") as written, any other with one space before it."""
    return tokenizer.encode(phrase if phrase[:1].isspace() else " " + phrase, add_special_tokens=False)


def phrase_for(tokenizer, reasoning: list[int], phrase: str) -> list[int]:
    """The forced-answer phrase's ids after this reasoning: the whole phrase (`phrase_ids`), or, where the phrase
    holds a closing tag (e.g. "</think>") that the decoded reasoning already contains, what follows the tag."""
    tag = re.search(r"</[^<>\s]+>", phrase)
    if tag and tag.group(0) in tokenizer.decode(reasoning, skip_special_tokens=False):
        rest = phrase[tag.end():]
        return tokenizer.encode(rest, add_special_tokens=False) if rest.strip() else []
    return phrase_ids(tokenizer, phrase)


def finished_within(ids: list[int], budget: int, stops: int | set[int]) -> bool:
    """Did the completion end (a stop token: EOS or end of turn) within `budget` tokens?"""
    stops = {stops} if isinstance(stops, int) else stops
    return len(ids) <= budget and bool(ids) and ids[-1] in stops


def forced_input(prompt: list[int], reasoning: list[int], budget: int, phrase: list[int]) -> list[int]:
    """What the model continues from when a budget runs out: the prompt, the first `budget` reasoning tokens,
    the forced-answer phrase."""
    return list(prompt) + list(reasoning[:budget]) + list(phrase)


def forced_completion(reasoning: list[int], budget: int, phrase: list[int], continuation: list[int]) -> list[int]:
    """The completion a budget yields for an unfinished sample: reasoning cut at the budget, phrase, answer."""
    return list(reasoning[:budget]) + list(phrase) + list(continuation)


def _generate_batched(model, tokenizer, inputs: list[list[int]], temperature: float, max_new_tokens: int,
                      batch_size: int, key: tuple) -> list[list[int]]:
    out = []
    for index, begin in enumerate(range(0, len(inputs), batch_size)):
        out += generate(model, tokenizer, inputs[begin:begin + batch_size], temperature, max_new_tokens,
                        _seed(*key, index))
    return out


def sample_under_budgets(model, tokenizer, problems: pd.DataFrame, budgets: list[int], num_samples: int,
                         temperature: float, forced_tokens: int, answer_phrase: str, batch_size: int, seed: int,
                         instruction: str = "", score_batch_size: int = 64, run: str = "", dataset: str = "",
                         log=None) -> pd.DataFrame:
    """Every (problem, sample, budget) row, graded and self-scored (see the module docstring)."""
    budgets = sorted(set(int(b) for b in budgets))
    stops = set(stop_ids(tokenizer))
    encoded = {pid: prompt_ids(tokenizer, text, instruction) for pid, text in zip(problems["id"], problems["problem"])}
    jobs = sorted(((pid, text, answer, s) for pid, text, answer in zip(problems["id"], problems["problem"],
                                                                        problems["answer"])
                   for s in range(num_samples)), key=lambda job: (len(encoded[job[0]]), job[0], job[3]))
    reasoning = _generate_batched(model, tokenizer, [encoded[pid] for pid, *_ in jobs], temperature, max(budgets),
                                  batch_size, (seed, "reasoning"))
    if log:
        log(f"sampled {len(jobs)} reasonings up to {max(budgets)} tokens")
    rows = []
    for budget in budgets:
        open_rows = [i for i, ids in enumerate(reasoning) if not finished_within(ids, budget, stops)]
        phrases = {i: phrase_for(tokenizer, reasoning[i][:budget], answer_phrase) for i in open_rows}
        inputs = [forced_input(encoded[jobs[i][0]], reasoning[i], budget, phrases[i]) for i in open_rows]
        continued = _generate_batched(model, tokenizer, inputs, temperature, forced_tokens, batch_size,
                                      (seed, "forced", budget))
        continuation = dict(zip(open_rows, continued))
        for i, (pid, text, answer, sample) in enumerate(jobs):
            forced = i in continuation
            ids = forced_completion(reasoning[i], budget, phrases[i], continuation[i]) if forced else list(reasoning[i])
            completion = tokenizer.decode(ids, skip_special_tokens=True)
            thinking = min(len(reasoning[i]), budget)
            rows.append({"problem_id": pid, "sample": sample, "budget": budget, "prompt": text,
                         "completion": completion, "completion_ids": ids, "answer": extract_boxed(completion),
                         "correct": grade(completion, answer), "forced": forced, "reasoning_tokens": thinking,
                         "forced_tokens": len(ids) - thinking, "num_tokens": len(ids),
                         "truncated": not ids or ids[-1] not in stops})
        if log:
            log(f"budget {budget}: {len(open_rows)} of {len(jobs)} samples forced to answer")
    frame = pd.DataFrame.from_records(rows)
    yes_id, no_id = answer_token_ids(tokenizer)
    prompts = [encoded[pid] for pid in frame["problem_id"]]
    scores = score_solutions(model, prompts, [list(c) for c in frame["completion_ids"]],
                             verification_suffix_ids(tokenizer), yes_id, no_id, drop_ids(tokenizer),
                             tokenizer.pad_token_id, score_batch_size)
    frame = frame.assign(**scores, run=run, dataset=dataset, seed=seed)[BUDGET_COLUMNS]
    return frame.sort_values(["budget", "problem_id", "sample"], ignore_index=True)
