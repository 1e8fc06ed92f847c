"""A prompted judge baseline: the base RL model writes a short verification of a solution, then gives its verdict.

The model (the base RL run, never trained to verify) judges its own test samples in two steps. Token layout
of one sample, every piece rendered by the tokenizer's own chat template:

    context = prompt ids            <user> problem <end> <assistant>
              + solution ids        the sampled completion, trailing EOS/padding stripped
              + judge suffix        <end> <user> {judge.prompt} <end> <assistant>
    verification = up to judge.max_new_tokens tokens generated after the context, cut after the first EOS
    verdict input = context + verification (trailing EOS/padding stripped)
              + verdict suffix      <end> <user> Is this solution correct? Answer Yes or No <end> <assistant>

The judge and verdict suffixes are `rlv.verifier.verification_suffix_ids` with the judge prompt and with
`rlv.verifier.VERIFICATION_QUESTION`: the same turn boundaries as every other verifier of the project, and a
stripped EOS is re-opened by the suffix, as in `rlv.verifier.verification_batch`. The verdict is read as in
the rest of the project: p("Yes") and p("No") are the full-vocabulary softmax entries of the single tokens
"Yes" and "No" at the last position of the verdict input (not renormalised over the two). Writing and verdict
are one pass of the project's decoder (`rlv.inference.decoding.sample_and_score` with the verdict suffix): each
verification is scored on its own cache when it ends, so the verdict runs only the verdict suffix. So the only difference from the base RL model's
own p("Yes") (rule `score`) is the verification turn it writes first.

Generation (`rlv.inference.decoding`): temperature 0 is greedy decoding (our default: the judge is then a deterministic function of the
solution, as every other scorer is); temperature > 0 samples from the full softmax at that temperature (top-k
and top-p off). Samples are sorted by context length (ties in input order) and judged in batches of
`batch_size`; batch b is seeded with a hash of (seed, b), so a config and seed give the same verifications
on the same machine. Results come back in input order, with the verification's text, its number of generated
tokens (the closing EOS included, as `num_tokens` counts a solution's) and p_yes, p_no.
"""

from __future__ import annotations

import hashlib

import torch

from rlv.inference.decoding import sample_and_score
from rlv.verifier import (answer_token_ids, drop_ids, forward_logits, stop_ids, strip_trailing, verification_batch,
                          verification_suffix_ids)

DEFAULT_PROMPT = "Check this solution: put its answer back into the problem and work it out."


def judge_context(prompt: list[int], completion: list[int], judge_suffix: list[int], drop_ids: set[int]) -> list[int]:
    """Prompt + solution (trailing EOS/padding stripped) + the judge's user turn and assistant prefix."""
    return list(prompt) + strip_trailing(list(completion), drop_ids) + list(judge_suffix)


def _batch_seed(seed: int, batch_index: int) -> int:
    return int(hashlib.sha256(repr(("judge", seed, batch_index)).encode()).hexdigest()[:15], 16)


def judge_solutions(model, tokenizer, prompts: list[list[int]], completions: list[list[int]], prompt_text: str,
                    max_new_tokens: int, temperature: float, batch_size: int, seed: int, progress=None) -> dict:
    """p_yes, p_no, the verification's ids and text and its token count per solution, in input order."""
    stops, pad_id = stop_ids(tokenizer), tokenizer.pad_token_id
    drop = drop_ids(tokenizer)
    yes_id, no_id = answer_token_ids(tokenizer)
    judge_suffix = verification_suffix_ids(tokenizer, prompt_text)
    verdict_suffix = verification_suffix_ids(tokenizer)
    contexts = [judge_context(p, c, judge_suffix, drop) for p, c in zip(prompts, completions, strict=True)]
    limit = getattr(model.config, "max_position_embeddings", None)
    longest = max(map(len, contexts), default=0) + max_new_tokens + len(verdict_suffix)
    if limit is not None and longest > limit:
        raise ValueError(f"judge: the longest verdict input has {longest} tokens, past the model's "
                         f"{limit} positions; lower judge.max_new_tokens or shorten judge.prompt")
    order = sorted(range(len(contexts)), key=lambda i: len(contexts[i]))
    n = len(contexts)
    result = {"p_yes": [0.0] * n, "p_no": [0.0] * n, "verification_ids": [None] * n}
    for batch_index, begin in enumerate(range(0, n, batch_size)):
        chunk = order[begin:begin + batch_size]
        judged = sample_and_score(model, [contexts[i] for i in chunk], [1] * len(chunk), temperature, max_new_tokens,
                                  _batch_seed(seed, batch_index), stops, pad_id, verdict_suffix, yes_id, no_id)
        again = [row for row, one in enumerate(judged) if one["rescore"]]  # a generated padding token
        if again:
            batch = verification_batch([contexts[chunk[row]] for row in again],
                                       [judged[row]["completion_ids"] for row in again], verdict_suffix, drop, pad_id)
            batch = {key: value.to(model.device) for key, value in batch.items()}
            with torch.inference_mode():
                verdict = forward_logits(model, batch, last_only=True)[:, -1].float().softmax(-1).cpu()
            for k, row in enumerate(again):
                judged[row].update(p_yes=verdict[k, yes_id].item(), p_no=verdict[k, no_id].item())
        for row, i in enumerate(chunk):
            result["p_yes"][i], result["p_no"][i] = judged[row]["p_yes"], judged[row]["p_no"]
            result["verification_ids"][i] = judged[row]["completion_ids"]
        if progress is not None:
            progress(len(chunk))
    written = result["verification_ids"]
    result["judge_verification"] = [tokenizer.decode(ids, skip_special_tokens=True) for ids in written]
    result["judge_num_tokens"] = [len(ids) for ids in written]
    return result
