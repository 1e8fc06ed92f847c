"""The generative verifier of RL^V: the policy itself answers "Yes" or "No" to a question about its solution.

Verification input: the chat transcript of the problem and the solution, then the verification question as a
second user turn, then the assistant prefix:

    <user> problem <assistant> solution <end> <user> Is this solution correct? Answer Yes or No <end> <assistant>

The token ids after the solution (the "verification suffix") are the same for every rollout, so they are
rendered once from the tokenizer's own chat template (around a sentinel solution) and appended to the ids of
each prompt + completion; a completion's trailing EOS is dropped first because the suffix re-opens with it.

Training (RL^V): L_verify = cross-entropy of the next token at the last position against "Yes" if the
rollout's reward is 1 else "No" (full-vocabulary softmax, mean over rollouts).
Scoring: s = p("Yes") from the same softmax; one forward pass per solution also yields the mean token
log-prob of the solution under the policy (a free baseline verifier), because the solution's tokens precede
the suffix and a causal model does not look ahead. The prompt, shared by the N solutions of a problem, is
run once and its key/value cache reused (see `score_solutions`); the hf sampler scores its samples on its
own cache instead and runs only the question (`rlv.inference.decoding`). The mean runs over every generated
token, the closing end-of-turn token included (a chat template's suffix opens with it), so an empty answer
still has a score.
Training with the RL loss, `fused_layout` places the suffix inside the RL loss's own batch (see
`rlv.training.trainers`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import DynamicCache

VERIFICATION_QUESTION = "Is this solution correct? Answer Yes or No"
_SENTINEL = "\u2063SOLUTION\u2063"


def answer_token_ids(tokenizer) -> tuple[int, int]:
    """Ids of the single tokens "Yes" and "No"; raises if the tokenizer splits either."""
    ids = []
    for word in ("Yes", "No"):
        encoded = tokenizer.encode(word, add_special_tokens=False)
        if len(encoded) != 1:
            raise ValueError(f"the tokenizer splits {word!r} into {len(encoded)} tokens; the verifier needs one")
        ids.append(encoded[0])
    return ids[0], ids[1]


def verification_suffix_ids(tokenizer, question: str = VERIFICATION_QUESTION) -> list[int]:
    """Token ids that follow a solution: end of its turn, the question as a user turn, the assistant prefix."""
    messages = [{"role": "user", "content": "problem"}, {"role": "assistant", "content": _SENTINEL},
                {"role": "user", "content": question}]
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    suffix = text[text.index(_SENTINEL) + len(_SENTINEL):]
    return tokenizer.encode(suffix, add_special_tokens=False)


def end_of_turn_id(tokenizer) -> int | None:
    """The token that closes an assistant turn in the tokenizer's chat template (ChatML's <|im_end|>, Llama 3's
    <|eot_id|>), or None when the template writes nothing after the turn's text."""
    messages = [{"role": "user", "content": "problem"}, {"role": "assistant", "content": _SENTINEL}]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    after = tokenizer.encode(text[text.index(_SENTINEL) + len(_SENTINEL):], add_special_tokens=False)
    return after[0] if after else None


def stop_ids(tokenizer) -> list[int]:
    """Where generation stops: the tokenizer's EOS and the chat template's end of turn. They differ for some
    models (Qwen2.5-Math's EOS is <|endoftext|>, its turns end with <|im_end|>): a model that wrote past the end
    of its turn would have text graded after it, and the verification suffix would follow two turn ends."""
    ids = [tokenizer.eos_token_id, end_of_turn_id(tokenizer)]
    return sorted({i for i in ids if i is not None})


def drop_ids(tokenizer) -> set[int]:
    """Tokens stripped from the end of a completion before the verification suffix: the stops and padding."""
    return {*stop_ids(tokenizer), tokenizer.pad_token_id}


def strip_trailing(ids: list[int], drop: set[int]) -> list[int]:
    end = len(ids)
    while end and ids[end - 1] in drop:
        end -= 1
    return ids[:end]


def verification_batch(prompts: list[list[int]], completions: list[list[int]], suffix: list[int],
                       drop_ids: set[int], pad_id: int) -> dict[str, torch.Tensor]:
    """Left-padded prompt + completion + suffix sequences, with the completion's token span per row.

    `completion_start`/`completion_end` index the completion tokens in the padded row (after stripping EOS and
    padding), so their log-probs can be read from the same forward pass."""
    rows = []
    for prompt, completion in zip(prompts, completions, strict=True):
        completion = strip_trailing(list(completion), drop_ids)
        rows.append((list(prompt), completion))
    width = max(len(p) + len(c) + len(suffix) for p, c in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
    starts, ends = [], []
    for row, (prompt, completion) in enumerate(rows):
        sequence = prompt + completion + suffix
        offset = width - len(sequence)
        input_ids[row, offset:] = torch.tensor(sequence)
        attention_mask[row, offset:] = 1
        starts.append(offset + len(prompt))
        ends.append(offset + len(prompt) + len(completion))
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "completion_start": torch.tensor(starts), "completion_end": torch.tensor(ends)}


def fused_layout(input_ids: torch.Tensor, attention_mask: torch.Tensor, completion_width: int, suffix: list[int],
                 drop_ids: set[int], split_long: bool = True) -> dict[str, torch.Tensor]:
    """The RL loss's batch (left-padded prompts, then a right-padded completion window of `completion_width`
    columns) with each row's verification suffix written right after its last real completion token.

    The suffix joins the completion as in `verification_batch`: trailing EOS/padding is dropped and the suffix
    follows; the dropped tail must be a prefix of the suffix (the end-of-turn token it re-opens with), so the
    row still holds every completion token the RL loss scores, at its own column. Columns before each suffix
    are unchanged, so a causal model's outputs there are unchanged too. Short rows take the suffix inside
    their own padding; the longest rows would widen the whole batch, so with `split_long` the batch is widened
    only as far as minimizes (rows x width of the batch) + (rows x width of a separate verification pass over
    the rows left out), i.e. a few very long rows get their verdict from a separate pass. Rows whose tail does
    not join the suffix (e.g. a generated pad token before the EOS) are always left out.
    Returns input_ids and attention_mask (widened as needed), `verdict_index` (the column whose next token is
    the verdict; meaningless where not fused) and `fused` (bool per row: False = verify separately)."""
    rows, width = input_ids.shape
    start = width - completion_width
    window, window_mask = input_ids[:, start:].tolist(), attention_mask[:, start:].tolist()
    prompt_lengths = attention_mask[:, :start].sum(1).tolist()
    plans = []
    for ids, mask in zip(window, window_mask):
        length = sum(mask)
        real = ids[:length]
        kept = len(strip_trailing(real, drop_ids))
        tail = real[kept:]
        plans.append((length, kept, mask[:length] == [1] * length and tail == suffix[:len(tail)]))
    needs = sorted({kept + len(suffix) for _, kept, ok in plans if ok})
    reach = needs[-1] if needs else 0
    if split_long and needs:
        def cost(limit):
            left_out = [prompt_lengths[r] + kept + len(suffix) for r, (_, kept, ok) in enumerate(plans)
                        if ok and kept + len(suffix) > limit]
            separate = (len(left_out) + 1) * max(left_out) if left_out else 0  # +1: the cost of one more pass
            return rows * (start + max(completion_width, limit)) + separate
        reach = min([completion_width, *needs], key=cost)
    plans = [(length, kept, ok and kept + len(suffix) <= max(reach, completion_width)) for length, kept, ok in plans]
    new_width = start + max(completion_width, reach)
    extended = torch.zeros((rows, new_width), dtype=input_ids.dtype, device=input_ids.device)  # 0s: masked out
    extended[:, :width] = input_ids
    extended_mask = torch.zeros((rows, new_width), dtype=attention_mask.dtype, device=attention_mask.device)
    extended_mask[:, :width] = attention_mask
    verdict_index = []
    for row, (length, kept, ok) in enumerate(plans):
        end = start + kept + len(suffix)
        if ok:
            extended[row, start + length:end] = torch.tensor(suffix[length - kept:], dtype=input_ids.dtype)
            extended_mask[row, start + length:end] = 1
        verdict_index.append(end - 1 if ok else new_width - 1)
    return {"input_ids": extended, "attention_mask": extended_mask,
            "verdict_index": torch.tensor(verdict_index, device=input_ids.device),
            "fused": torch.tensor([ok for *_, ok in plans], dtype=torch.bool, device=input_ids.device)}


def kept_lengths(completion_ids: torch.Tensor, completion_mask: torch.Tensor, drop_ids: set[int]) -> torch.Tensor:
    """Per row of a right-padded completion window: how many of its real tokens are left once trailing stops and
    padding are stripped (`strip_trailing`), i.e. where the verification suffix starts."""
    return torch.tensor([len(strip_trailing(ids[:int(n)].tolist(), drop_ids))
                         for ids, n in zip(completion_ids, completion_mask.sum(1))], device=completion_ids.device)


def continued_verdict_hidden(model, cache, attention_mask: torch.Tensor, completion_width: int, kept: torch.Tensor,
                             suffix: list[int]) -> torch.Tensor:
    """The last hidden state of each row's verification suffix, run as new tokens on `cache`: the key/value cache
    that the RL loss's forward pass over the same batch (left-padded prompts, then a right-padded completion window
    of `completion_width` columns, positions counted by column as TRL's forward counts them) filled. Each row's
    suffix continues its first `kept` completion tokens: the columns after them (the dropped stop, the padding) are
    masked out and the suffix takes the positions that follow, so the verdict equals that of `verification_batch`'s
    own pass (relative positions are what a rotary model sees) while costing only the suffix's tokens; gradients
    reach the solution's tokens through the cache."""
    rows, width = attention_mask.shape
    device = attention_mask.device
    start = width - completion_width
    columns = torch.arange(width, device=device)
    visible = attention_mask.bool() & ((columns < start) | (columns - start < kept[:, None]))
    mask = torch.cat([visible.long(), torch.ones(rows, len(suffix), dtype=torch.long, device=device)], 1)
    positions = (start + kept)[:, None] + torch.arange(len(suffix), device=device)
    ids = torch.tensor(suffix, device=device).expand(rows, -1)
    return model.base_model(input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=cache,
                            use_cache=False).last_hidden_state[:, -1]


def forward_logits(model, batch: dict[str, torch.Tensor], last_only: bool = False) -> torch.Tensor:
    """Logits of a left-padded batch, with positions counted from each row's first real token.

    `last_only` keeps just the final position (the verdict), sparing the vocabulary projection elsewhere."""
    mask = batch["attention_mask"]
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    return model(input_ids=batch["input_ids"], attention_mask=mask, position_ids=position_ids,
                 logits_to_keep=1 if last_only else 0).logits


def verification_loss(last_logits: torch.Tensor, labels: torch.Tensor, yes_id: int, no_id: int
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy of "Yes" (label 1) / "No" (label 0) at the answer position, and the accuracy of
    the verdict argmax(p(Yes), p(No)) against the labels."""
    targets = torch.where(labels.bool(), torch.tensor(yes_id), torch.tensor(no_id)).to(last_logits.device)
    loss = F.cross_entropy(last_logits.float(), targets)
    says_yes = last_logits[:, yes_id] > last_logits[:, no_id]
    accuracy = (says_yes == labels.bool()).float().mean()
    return loss, accuracy


def _prompt_prefixes(model, prompts: list[list[int]], pad_id: int, batch_size: int):
    """Key/value cache of each distinct prompt (left-padded to one width) and its next-token log-probs."""
    ids, mask = left_padded(prompts, pad_id, model.device)
    layers, logprobs = None, []
    for begin in range(0, len(prompts), batch_size):
        chunk = slice(begin, begin + batch_size)
        out = model.base_model(input_ids=ids[chunk], attention_mask=mask[chunk],
                          position_ids=(mask[chunk].cumsum(-1) - 1).clamp(min=0), use_cache=True)
        logprobs.append(model.get_output_embeddings()(out.last_hidden_state[:, -1]).float().log_softmax(-1))
        pieces = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
        layers = pieces if layers is None else [(torch.cat([k, nk]), torch.cat([v, nv]))
                                                for (k, v), (nk, nv) in zip(layers, pieces)]
    return layers, mask, torch.cat(logprobs)


def left_padded(sequences: list[list[int]], pad_id: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, sequences))
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, width - len(sequence):] = torch.tensor(sequence, dtype=torch.long)
        mask[row, width - len(sequence):] = 1
    return ids.to(device), mask.to(device)


@torch.inference_mode()
def score_solutions(model, prompts: list[list[int]], completions: list[list[int]], suffix: list[int],
                    yes_id: int, no_id: int, drop_ids: set[int], pad_id: int, batch_size: int = 64,
                    progress=None) -> dict[str, list[float]]:
    """p("Yes"), p("No") and the solution's mean token log-prob, one prefill per solution.

    The N solutions of a problem share its prompt, so each distinct prompt is run once and its key/value
    cache is copied to its solutions; each solution then runs only its own tokens (completion with trailing
    EOS/padding stripped, then the suffix), right-padded, at positions continuing its prompt. Solutions are
    sorted by that length and batched, so padding stays small, and the vocabulary projection runs only where
    it is read: the positions that predict a scored solution token and the verdict position. The first
    solution token is predicted by the prompt's last position. Results come back in input order."""
    distinct: dict[tuple[int, ...], int] = {}
    prompt_of = [distinct.setdefault(tuple(p), len(distinct)) for p in prompts]
    layers, prompt_mask, first_logprobs = _prompt_prefixes(model, [list(p) for p in distinct], pad_id, batch_size)
    prompt_lengths = prompt_mask.sum(1)
    lm_head = model.get_output_embeddings()
    tails = []
    for completion in completions:
        kept = strip_trailing(list(completion), drop_ids)
        counted = len(kept) + (1 if completion and completion[-1] == suffix[0] else 0)  # + the closing EOS
        tails.append((kept + list(suffix), counted))
    order = sorted(range(len(tails)), key=lambda i: len(tails[i][0]))
    p_yes, p_no, mean_logprob = [0.0] * len(order), [0.0] * len(order), [0.0] * len(order)
    device = model.device
    for begin in range(0, len(order), batch_size):
        chunk = order[begin:begin + batch_size]
        rows = torch.tensor([prompt_of[i] for i in chunk], device=device)
        width = len(tails[chunk[-1]][0])
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, i in enumerate(chunk):
            ids[row, :len(tails[i][0])] = torch.tensor(tails[i][0])
            mask[row, :len(tails[i][0])] = 1
        ids, mask = ids.to(device), mask.to(device)
        columns = torch.arange(width, device=device)
        cache = DynamicCache(ddp_cache_data=[(k[rows], v[rows]) for k, v in layers])
        hidden = model.base_model(input_ids=ids, attention_mask=torch.cat([prompt_mask[rows], mask], 1),
                                  position_ids=prompt_lengths[rows, None] + columns, past_key_values=cache,
                                  use_cache=False).last_hidden_state
        lengths = mask.sum(1)
        verdict = lm_head(hidden[torch.arange(len(chunk), device=device), lengths - 1]).float().softmax(-1)
        # token j >= 1 of a tail is predicted at tail position j - 1; token 0 by the prompt's last position
        counted = torch.tensor([tails[i][1] for i in chunk], device=device)
        row_index, position = (columns[None, :-1] < (counted - 1)[:, None]).nonzero(as_tuple=True)
        logprobs = lm_head(hidden[row_index, position]).float().log_softmax(-1)
        token_logprobs = torch.zeros(len(chunk), width, device=device)
        token_logprobs[row_index, position + 1] = logprobs.gather(-1, ids[row_index, position + 1, None]).squeeze(-1)
        token_logprobs[:, 0] = first_logprobs[rows].gather(-1, ids[:, :1]).squeeze(-1)
        sums = (token_logprobs * (columns[None] < counted[:, None])).sum(1)
        means = torch.where(counted > 0, sums / counted.clamp(min=1), torch.zeros((), device=device))
        verdict, means = verdict.cpu(), means.cpu()
        for row, i in enumerate(chunk):
            p_yes[i], p_no[i] = verdict[row, yes_id].item(), verdict[row, no_id].item()
            mean_logprob[i] = means[row].item()
        if progress is not None:
            progress(len(chunk))
    return {"p_yes": p_yes, "p_no": p_no, "mean_logprob": mean_logprob}
