"""The update's forward/backward in chunks of rollouts of similar length, each cut to its own width.

TRL runs the loss over a micro-batch as one tensor: prompts left-padded to the longest prompt, completions
right-padded to the longest completion. On the default about two fifths of that rectangle is padding (completions
of 90 tokens on average in a window of up to 160), and the forward and backward pay for every cell. Here the
micro-batch's rows are sorted by their real length (prompt + completion tokens) and cut into `chunks` groups of
consecutive rows (as equal in size as integer division allows); each group drops the columns none of its rows
uses (leading prompt padding, trailing completion padding) and runs TRL's loss alone. Padding never enters a
loss (every term is masked), and a rotary model sees only position differences, so each chunk's per-token terms
are those of the full rectangle, and the chunk losses combine into the micro-batch's exactly:

    grpo, dr_grpo (a mean over rows)           L = sum_c (n_c / n) L_c        n_c rows of n in chunk c
    bnpo          (a mean over the tokens)     L = sum_c (T_c / T) L_c        T_c completion tokens of T
    dapo, cispo, vespo (sum / a fixed count)   L = sum_c L_c

`CHUNKABLE` lists them. Where the loss couples rows in another way (the entropy bonus or the high-entropy token
mask, which take means or quantiles over the whole micro-batch; other loss types), the micro-batch runs in one
pass. The number of chunks is fixed by the config, not by the data, so every process runs as many passes (TRL
gathers metrics across processes in each).
"""

from __future__ import annotations

import torch

CHUNKABLE = ("grpo", "dr_grpo", "bnpo", "dapo", "cispo", "vespo")
PROMPT_KEYS = ("prompt_ids", "prompt_mask")


def chunk_rows(lengths: torch.Tensor, chunks: int) -> list[torch.Tensor]:
    """Row indices of each chunk: rows sorted by length (stable), cut into `chunks` consecutive groups whose sizes
    differ by at most one (fewer groups where there are fewer rows)."""
    order = torch.sort(lengths.cpu(), stable=True).indices
    return [group for group in torch.tensor_split(order, min(chunks, len(order))) if len(group)]


def real_lengths(inputs: dict) -> torch.Tensor:
    """Prompt + completion tokens of each rollout."""
    return inputs["prompt_mask"].sum(1) + inputs["completion_mask"].sum(1)


def trimmed(inputs: dict, rows: torch.Tensor) -> dict:
    """The rollouts `rows` of a TRL loss batch, without the columns none of them uses: prompt columns before the first
    real prompt token of any of them, completion columns after the last real completion token of any of them. Every
    tensor aligned with the completion window (masks, ids, log-probs, per-token advantages) is cut alike; per-row
    tensors are indexed; anything else (a scalar token count, None) is kept."""
    rows = rows.to(inputs["prompt_ids"].device)
    prompt_mask = inputs["prompt_mask"][rows]
    completion_mask = inputs["completion_mask"][rows]
    batch, width = inputs["completion_mask"].shape
    used = prompt_mask.any(0).nonzero()
    first = int(used[0]) if len(used) else prompt_mask.size(1)
    real = completion_mask.any(0).nonzero()
    last = int(real[-1]) + 1 if len(real) else 1
    out = {}
    for key, value in inputs.items():
        if not isinstance(value, torch.Tensor) or value.dim() == 0 or value.size(0) != batch:
            out[key] = value
        elif key in PROMPT_KEYS:
            out[key] = value[rows][:, first:]
        elif value.dim() >= 2 and value.size(1) == width:
            out[key] = value[rows][:, :last]
        else:
            out[key] = value[rows]
    return out


def chunk_weight(loss_type: str, inputs: dict, rows: torch.Tensor) -> float:
    """The weight of a chunk's loss in the micro-batch's (module docstring)."""
    if loss_type in ("grpo", "dr_grpo"):
        return len(rows) / inputs["completion_mask"].size(0)
    if loss_type == "bnpo":
        mask = inputs["completion_mask"]
        return float(mask[rows.to(mask.device)].sum() / mask.sum().clamp(min=1))
    return 1.0
