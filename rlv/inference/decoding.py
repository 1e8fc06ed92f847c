"""The `hf` backend's decoder: N samples per prompt and their self-scores in one pass over the model.

For a batch of distinct prompts, each to be sampled `count` times:

1. Prefill. Each distinct prompt runs once (left-padded to one width); its key/value cache and next-token
   logits are copied to its samples, so the N samples of a problem share one prompt pass.
2. Decode. Each step samples every row's next token by the Gumbel-max trick from the raw logits over the
   temperature, truncated to the top k and the top-p nucleus where set (argmax at temperature 0), and adds the token's
   raw log-prob (temperature 1, as `rlv.verifier.score_solutions` reads it) to the row's sum. The cache is
   one preallocated buffer per layer written in place (`BufferLayer`: no growth by concatenation). A row
   that sampled a stop token (EOS or the chat template's end of turn, `rlv.verifier.stop_ids`) is done; done rows stay in the batch until they are a quarter of it, then leave in one
   gather (compaction), so a step costs what the live rows cost, not what the longest solution's batch does.
3. Self-scoring. Rows are scored as they leave, on their own cache: the verification suffix (the question
   turn of `rlv.verifier`; for a row cut at the token limit, its last sampled token first, since no step ran
   it) runs as one batch of new tokens at the positions that continue each row's solution, with the
   columns written after the row ended masked out; p("Yes") and p("No") are read at the last suffix token.
   This equals `score_solutions` on the stored completion (tested) without its second pass over the
   solution: scoring costs the question's tokens only. The mean log-prob counts every sampled token, the closing
   stop included when it is the suffix's opening token (the end of turn); a row closed by another stop (an EOS
   that is not the end of turn) has that token left out, as `score_solutions` reads it.

A row that sampled the padding token inside its solution (the stored completion drops it, so its cache
does not match the stored text) is flagged in `rescore` for `score_solutions`.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from rlv.verifier import left_padded

COMPACT_SHARE = 4  # done rows leave the batch once they are 1/COMPACT_SHARE of it


class BufferLayer(DynamicLayer):
    """One layer's key/value cache in a preallocated [rows, heads, capacity, dim] buffer, filled in place."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, capacity: int):
        super().__init__()
        self.length = keys.shape[2]
        self.key_buffer = keys.new_empty(*keys.shape[:2], capacity, keys.shape[3])
        self.value_buffer = values.new_empty(*values.shape[:2], capacity, values.shape[3])
        self.key_buffer[:, :, :self.length] = keys
        self.value_buffer[:, :, :self.length] = values
        self.dtype, self.device, self.is_initialized = keys.dtype, keys.device, True
        self._views()

    def _views(self) -> None:
        self.keys = self.key_buffer[:, :, :self.length]
        self.values = self.value_buffer[:, :, :self.length]

    def update(self, key_states, value_states, *args, **kwargs):
        end = self.length + key_states.shape[2]
        self.key_buffer[:, :, self.length:end] = key_states
        self.value_buffer[:, :, self.length:end] = value_states
        self.length = end
        self._views()
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length

    def keep_rows(self, rows: torch.Tensor) -> None:
        """Keep only `rows` (copying the filled columns into a smaller buffer)."""
        for name in ("key_buffer", "value_buffer"):
            old = getattr(self, name)
            new = old.new_empty(len(rows), *old.shape[1:])
            new[:, :, :self.length] = old[rows, :, :self.length]
            setattr(self, name, new)
        self._views()


def truncated(scaled: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Tempered logits with the tokens outside the top k, then outside the top-p nucleus, set to -inf (the order
    and rule of transformers' TopK and TopP warpers: the smallest-probability tokens whose cumulative mass is at
    most 1 - top_p leave, the most likely token always stays). top_k = 0 and top_p = 1 keep every token."""
    if 0 < top_k < scaled.shape[-1]:
        scaled = scaled.masked_fill(scaled < scaled.topk(top_k).values[..., -1:], float("-inf"))
    if top_p < 1.0:
        ascending, order = scaled.sort(-1)
        drop = ascending.softmax(-1).cumsum(-1) <= 1 - top_p
        drop[..., -1] = False
        scaled = scaled.scatter(-1, order, ascending.masked_fill(drop, float("-inf")))
    return scaled


def _next_tokens(logits: torch.Tensor, temperature: float, generator: torch.Generator, top_k: int = 0,
                 top_p: float = 1.0) -> torch.Tensor:
    if temperature == 0:
        return logits.argmax(-1)
    uniform = torch.rand(logits.shape, generator=generator, device=generator.device).clamp_(
        min=torch.finfo(torch.float32).tiny)
    return (truncated(logits.float() / temperature, top_k, top_p) - (-uniform.log()).log()).argmax(-1)


@torch.inference_mode()
def sample_and_score(model, prompts: list[list[int]], counts: list[int], temperature: float, max_new_tokens: int,
                     seed: int, stop_ids: int | list[int], pad_id: int, suffix: list[int] | None = None,
                     yes_id: int = -1, no_id: int = -1, top_k: int = 0, top_p: float = 1.0,
                     keep_padding: bool = False) -> list[dict]:
    """`counts[i]` samples of each distinct prompt `prompts[i]`, in (prompt, sample) order: per sample its
    completion ids (cut after the first stop token, EOS or end of turn, kept; a padding token sampled inside is
    dropped unless `keep_padding`: RL trains on the tokens as sampled), and with `suffix` its p_yes, p_no
    and mean_logprob (the mean raw log-prob of its tokens, the stop included) and `rescore` (see the module
    docstring). Sampling is from softmax(logits / temperature) over the top_k / top_p truncation (`truncated`).
    Every tensor, the random generator included, lives on the model's device; a seed gives the same samples on the
    same device."""
    device = model.device
    generator = torch.Generator(device=device).manual_seed(seed)
    stops = torch.tensor([stop_ids] if isinstance(stop_ids, int) else sorted(stop_ids), device=device)
    prompt_ids, prompt_mask = left_padded(prompts, pad_id, device)
    out = model.base_model(input_ids=prompt_ids, attention_mask=prompt_mask,
                           position_ids=(prompt_mask.cumsum(-1) - 1).clamp(min=0), use_cache=True)
    lm_head = model.get_output_embeddings()
    copies = torch.repeat_interleave(torch.arange(len(prompts), device=device), torch.tensor(counts, device=device))
    total, width = len(copies), prompt_ids.shape[1]
    capacity = width + max_new_tokens + 1
    cache = DynamicCache()
    cache.layers = [BufferLayer(layer.keys[copies], layer.values[copies], capacity)
                    for layer in out.past_key_values.layers]
    logits = lm_head(out.last_hidden_state[copies, -1])
    prompt_mask, prompt_lengths = prompt_mask[copies], prompt_mask[copies].sum(1)
    mask = torch.cat([prompt_mask, torch.ones(total, capacity - width, dtype=torch.long, device=device)], 1)
    tokens = torch.full((total, max_new_tokens), pad_id, dtype=torch.long, device=device)
    sampled = torch.zeros(total, dtype=torch.long, device=device)  # tokens sampled per row
    logprob_sums = torch.zeros(total, dtype=torch.float64, device=device)
    last_logprobs = torch.zeros(total, dtype=torch.float64, device=device)  # of each row's latest token
    results: list[dict] = [{} for _ in range(total)]
    rows = torch.arange(total, device=device)  # batch row -> sample index
    done = torch.zeros(total, dtype=torch.bool, device=device)  # per batch row
    ended = torch.zeros(total, dtype=torch.bool, device=device)  # per sample: sampled a stop token
    for step in range(max_new_tokens):
        chosen = _next_tokens(logits, temperature, generator, top_k, top_p)
        live = ~done
        index = rows[live]
        tokens[index, step] = chosen[live]
        sampled[index] += 1
        step_logprobs = logits[live].float().log_softmax(-1).gather(-1, chosen[live, None]).squeeze(-1).double()
        logprob_sums[index] += step_logprobs
        last_logprobs[index] = step_logprobs
        finished = live & torch.isin(chosen, stops)
        ended[rows[finished]] = True
        done |= finished
        if step == max_new_tokens - 1 or bool(done.all()):
            break
        if int(done.sum()) * COMPACT_SHARE >= len(rows):
            if suffix is not None:
                _score_leaving(model, cache, done, rows, tokens, sampled, ended, prompt_mask, prompt_lengths,
                               suffix, pad_id, yes_id, no_id, results)
            keep = (~done).nonzero().squeeze(1)
            for layer in cache.layers:
                layer.keep_rows(keep)
            rows, chosen, mask, prompt_mask, prompt_lengths, done = (
                rows[keep], chosen[keep], mask[keep], prompt_mask[keep], prompt_lengths[keep], done[keep])
        hidden = model.base_model(input_ids=chosen[:, None], attention_mask=mask[:, :width + step + 1],
                                  position_ids=(prompt_lengths + step)[:, None], past_key_values=cache,
                                  use_cache=True).last_hidden_state
        logits = lm_head(hidden[:, -1])
    if suffix is not None:
        _score_leaving(model, cache, torch.ones(len(rows), dtype=torch.bool, device=device), rows, tokens, sampled,
                       ended, prompt_mask, prompt_lengths, suffix, pad_id, yes_id, no_id, results)
    counted = sampled.clone()
    if suffix is not None:  # a stop other than the suffix's opening token is not counted (as score_solutions)
        other_stop = ended & (tokens.gather(1, (sampled - 1).clamp(min=0)[:, None]).squeeze(1) != suffix[0])
        logprob_sums = logprob_sums - torch.where(other_stop, last_logprobs, torch.zeros_like(last_logprobs))
        counted = counted - other_stop.long()
    means = torch.where(counted > 0, logprob_sums / counted.clamp(min=1), torch.zeros_like(logprob_sums)).cpu()
    tokens, sampled = tokens.cpu(), sampled.cpu()
    stop_set = set(stops.tolist())
    for sample in range(total):
        ids = tokens[sample, :sampled[sample]].tolist()
        # padding sampled inside a solution is dropped; a closing stop is kept even where it is also the padding
        # token (Qwen's EOS and padding are both <|endoftext|>)
        kept = ids if keep_padding else [
            t for i, t in enumerate(ids) if t != pad_id or (i == len(ids) - 1 and t in stop_set)]
        results[sample]["completion_ids"] = kept
        if suffix is not None:
            results[sample]["mean_logprob"] = means[sample].item()
            results[sample]["rescore"] = len(kept) != len(ids)
    return results


def _score_leaving(model, cache, leaving, rows, tokens, sampled, ended, prompt_mask, prompt_lengths, suffix,
                   pad_id, yes_id, no_id, results) -> None:
    """p("Yes") and p("No") of the batch rows in `leaving`, on a copy of their cache (see the module docstring)."""
    device = tokens.device
    batch_rows = leaving.nonzero().squeeze(1)
    samples = rows[batch_rows]
    filled = cache.layers[0].length - prompt_mask.shape[1]  # decoded columns in the cache
    new = [suffix if ended[s] else [int(tokens[s, sampled[s] - 1])] + suffix for s in samples.tolist()]
    width = max(map(len, new))
    ids = torch.full((len(new), width), pad_id, dtype=torch.long)
    new_mask = torch.zeros_like(ids)
    for row, sequence in enumerate(new):
        ids[row, :len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        new_mask[row, :len(sequence)] = 1
    ids, new_mask = ids.to(device), new_mask.to(device)
    ran = sampled[samples] - 1  # the last sampled token never ran
    cached_mask = (torch.arange(filled, device=device)[None] < ran[:, None]).long()
    part = DynamicCache(ddp_cache_data=[(layer.keys[batch_rows], layer.values[batch_rows]) for layer in cache.layers])
    hidden = model.base_model(input_ids=ids, attention_mask=torch.cat([prompt_mask[batch_rows], cached_mask, new_mask], 1),
                              position_ids=(prompt_lengths[batch_rows] + ran)[:, None] + torch.arange(width, device=device),
                              past_key_values=part, use_cache=False).last_hidden_state
    last = new_mask.sum(1) - 1
    verdict = model.get_output_embeddings()(hidden[torch.arange(len(new), device=device), last]).float().softmax(-1).cpu()
    for row, sample in enumerate(samples.tolist()):
        results[sample]["p_yes"] = verdict[row, yes_id].item()
        results[sample]["p_no"] = verdict[row, no_id].item()
