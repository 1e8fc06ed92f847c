"""The paper's "separate verifier" baseline: a second model of the same size trained only as a Yes/No verifier.

It starts from the warm-up base model (the model the RL runs start from) and is trained on the training
rollouts of the base RL run (no verification loss in that run) with RL^V's verification term alone:

    L_verify = cross-entropy of the next token after
               prompt + solution + <end> <user> Is this solution correct? Answer Yes or No <end> <assistant>
               against "Yes" if the rollout's reward is 1 else "No"

(`rlv.verifier.verification_batch`, `forward_logits` and `verification_loss`, the very functions RL^V's
separate verdict pass uses). The verifier reads each completion as the token ids the policy sampled (the store's
`completion_ids`), as RL^V's verdict pass and test-time scoring do: a re-encoding of the text could split a number
differently. The prompt is re-encoded through the chat template, as sampling does.

Optimisation mirrors the RL runs' TRL defaults: AdamW (betas 0.9/0.999, no weight decay) at a constant
learning rate, gradient norm clipped at 1. Each step takes `batch_size` rollouts; rollouts are visited in a
random order seeded by `seed`, every rollout once per epoch (a new order each epoch), so `steps x batch_size`
equal to the number of rollouts is one pass, as RL^V's verifier sees each rollout once.

At test time the trained verifier scores the base RL run's own samples (`rlv score --verdict-only`): p("Yes")
and p("No") come from it, the mean token log-prob stays the policy's. The workflow names the result the
pseudo-run `{base_run}+verifier`, so the sweep and the verifier metrics treat it like any scored run.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
import pandas as pd
import torch

from rlv.rollouts import TRAIN_COLUMNS
from rlv.tasks.chat import prompt_ids
from rlv.verifier import (answer_token_ids, drop_ids, forward_logits, verification_batch, verification_loss,
                          verification_suffix_ids)


def encode_rollouts(tokenizer, rollouts: pd.DataFrame) -> tuple[list[list[int]], list[list[int]], torch.Tensor]:
    """(prompt ids, completion ids, labels) per training rollout: the stored prompt (the whole user turn) through
    the chat template, the completion as its sampled ids (`completion_ids`)."""
    missing = [c for c in ("prompt", "completion_ids", "label") if c not in rollouts.columns]
    if missing:
        raise ValueError(f"training rollouts lack column(s) {missing}; the store has {TRAIN_COLUMNS}")
    cache: dict[str, list[int]] = {}
    prompts = [cache.setdefault(p, prompt_ids(tokenizer, p, "")) for p in rollouts["prompt"]]
    completions = [[int(t) for t in ids] for ids in rollouts["completion_ids"]]
    return prompts, completions, torch.tensor(rollouts["label"].to_numpy(dtype=np.int64))


class VerifierLoss:
    """L_verify of a batch of encoded rollouts, with the tokenizer's suffix, answer ids and padding."""

    def __init__(self, tokenizer):
        self.yes_id, self.no_id = answer_token_ids(tokenizer)
        self.suffix = verification_suffix_ids(tokenizer)
        self.drop_ids = drop_ids(tokenizer)
        self.pad_id = tokenizer.pad_token_id

    def __call__(self, model, prompts, completions, labels) -> tuple[torch.Tensor, torch.Tensor]:
        batch = verification_batch(prompts, completions, self.suffix, self.drop_ids, self.pad_id)
        logits = forward_logits(model, {key: value.to(model.device) for key, value in batch.items()}, last_only=True)
        return verification_loss(logits[:, -1], labels.to(model.device), self.yes_id, self.no_id)


def visiting_order(num_rollouts: int, steps: int, batch_size: int, seed: int) -> list[np.ndarray]:
    """Row indices of each step: consecutive slices of seeded permutations, one permutation per epoch."""
    rng = np.random.default_rng(seed)
    needed = steps * batch_size
    order = np.concatenate([rng.permutation(num_rollouts) for _ in range(-(-needed // num_rollouts))])
    return [order[s * batch_size:(s + 1) * batch_size] for s in range(steps)]


def train_separate_verifier(model, tokenizer, rollouts: pd.DataFrame, steps: int, batch_size: int,
                            learning_rate: float, seed: int, log=print, precision=contextlib.nullcontext) -> pd.DataFrame:
    """Train `model` in place on L_verify over `rollouts`; returns the per-step loss and verdict accuracy."""
    if len(rollouts) == 0:
        raise ValueError("no training rollouts to train the separate verifier on")
    torch.manual_seed(seed)
    prompts, completions, labels = encode_rollouts(tokenizer, rollouts)
    loss_of = VerifierLoss(tokenizer)
    return optimize(model, lambda rows: loss_of(model, [prompts[r] for r in rows], [completions[r] for r in rows],
                                                labels[rows]),
                    labels, steps, batch_size, learning_rate, seed, "separate verifier", log, precision)


def optimize(module, loss_of_rows, labels: torch.Tensor, steps: int, batch_size: int, learning_rate: float, seed: int,
             name: str, log=print, precision=contextlib.nullcontext) -> pd.DataFrame:
    """The verifiers' optimisation: AdamW (no weight decay) at a constant rate, gradient norm clipped at 1, one
    step per `visiting_order` batch; `loss_of_rows(rows)` gives (loss, verdict accuracy), computed under the
    `precision()` context (rlv.models.autocast for bf16). Per-step history."""
    optimizer = torch.optim.AdamW(module.parameters(), lr=learning_rate, weight_decay=0.0)
    module.train()
    history, start = [], time.perf_counter()
    for step, rows in enumerate(visiting_order(len(labels), steps, batch_size, seed), start=1):
        with precision():
            loss, accuracy = loss_of_rows(rows)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        history.append({"step": step, "verifier/loss": loss.item(), "verifier/accuracy": accuracy.item(),
                        "label_mean": labels[rows].float().mean().item(), "seconds": time.perf_counter() - start})
        log(f"{name} step {step}/{steps}: loss {loss.item():.4f} accuracy {accuracy.item():.3f} "
            f"({time.perf_counter() - start:.0f}s)")
    module.eval()
    return pd.DataFrame(history)
