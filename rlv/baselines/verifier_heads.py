"""Verifier heads: the separate verifier's backbone and rollouts with a scalar head in place of the Yes/No answer.

The paper's ablation of the verifier's form compares RL^V's generative verifier (p("Yes") as the next token
after a verification question) with a discriminative one. Here each form starts from the warm-up base model,
trains on the training rollouts of the base RL run and fine-tunes the whole backbone, exactly as the
separate verifier does (rlv.baselines.separate_verifier: the same sampled ids of each completion, the same AdamW at a
constant rate without weight decay, gradient norm clipped at 1, the same seeded visiting order, steps and
batch size); only the read-out and the loss differ:

    h      = the backbone's last hidden state (after its final norm) at the last token of the solution,
             reading prompt + solution (the chat-templated user turn, then the completion with its trailing
             EOS/padding stripped; no verification question)
    z      = w . h + b          (a linear head, one output)
    bce:         L = mean over the batch of BCE(sigmoid(z), y),  y = the rollout's 0/1 label (reward >= 0.5)
    regression:  L = mean over the batch of (z - r)^2,           r = the rollout's reward

The read-out position is the last solution token because it is the last position that has read the whole
solution and nothing else: the generative verifier reads the same stripped solution and then the question,
and a truncated solution (no EOS) and a finished one are read at the same kind of position. With left
padding it is the batch's last column.

Scores on test samples (`score_with_head`): p_yes = sigmoid(z) for bce and z clipped to [0, 1] for
regression, so the sweep's best-of-N, weighted vote and verifier metrics (threshold 0.5, AUROC) apply
unchanged; p_no = 1 - p_yes. The workflow writes them over the base RL run's scored samples (the policy's
mean token log-prob stays) as the pseudo-runs `{base_run}+bce` and `{base_run}+regression`.

A head verifier is saved as a model directory: the fine-tuned backbone as the usual causal-LM checkpoint
(safetensors + tokenizer, loadable by rlv.models.load_model; its LM head is unused) plus the head in
`verifier_head.safetensors` and its form in `verifier_head.json`; loading reads safetensors only.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from rlv.baselines.separate_verifier import encode_rollouts, optimize
from rlv.verifier import drop_ids, verification_batch

FORMS = ("bce", "regression")
HEAD_WEIGHTS = "verifier_head.safetensors"
HEAD_CONFIG = "verifier_head.json"


class HeadVerifier(torch.nn.Module):
    """A causal LM's backbone with a linear scalar head on the last hidden state of each row."""

    def __init__(self, model, form: str):
        super().__init__()
        if form not in FORMS:
            raise ValueError(f"unknown verifier head form {form!r}; use one of {FORMS}")
        self.model, self.form = model, form
        self.head = torch.nn.Linear(model.config.hidden_size, 1, device=model.device, dtype=model.dtype)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """z per row of a left-padded batch: the head on the hidden state of the last column."""
        batch = {key: value.to(self.model.device) for key, value in batch.items()}
        mask = batch["attention_mask"]
        hidden = self.model.base_model(input_ids=batch["input_ids"], attention_mask=mask,
                                       position_ids=(mask.cumsum(-1) - 1).clamp(min=0)).last_hidden_state
        return self.head(hidden[:, -1]).squeeze(-1).float()

    def probability(self, z: torch.Tensor) -> torch.Tensor:
        """The score in [0, 1] written as p_yes: sigmoid(z) (bce) or z clipped to [0, 1] (regression)."""
        return torch.sigmoid(z) if self.form == "bce" else z.clamp(0.0, 1.0)


def head_loss(form: str, z: torch.Tensor, labels: torch.Tensor, rewards: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """The form's loss (BCE of sigmoid(z) against the labels, or MSE of z against the rewards) and the verdict
    accuracy (z > 0, resp. z > 0.5, against the labels)."""
    labels, rewards = labels.to(z.device), rewards.to(z.device)
    if form == "bce":
        loss = F.binary_cross_entropy_with_logits(z, labels.float())
        verdict = z > 0
    elif form == "regression":
        loss = F.mse_loss(z, rewards.float())
        verdict = z > 0.5
    else:
        raise ValueError(f"unknown verifier head form {form!r}; use one of {FORMS}")
    return loss, (verdict == labels.bool()).float().mean()


def head_batch(tokenizer, prompts: list[list[int]], completions: list[list[int]]) -> dict[str, torch.Tensor]:
    """Left-padded prompt + stripped completion: the generative verifier's batch without the question."""
    return verification_batch(prompts, completions, [], drop_ids(tokenizer), tokenizer.pad_token_id)


def train_verifier_head(verifier: HeadVerifier, tokenizer, rollouts: pd.DataFrame, steps: int, batch_size: int,
                        learning_rate: float, seed: int, log=print, precision=contextlib.nullcontext) -> pd.DataFrame:
    """Train backbone and head in place on the form's loss; returns the per-step loss and verdict accuracy."""
    if len(rollouts) == 0:
        raise ValueError(f"no training rollouts to train the {verifier.form} verifier head on")
    torch.manual_seed(seed)
    verifier.head.reset_parameters()  # the head's initial weights follow the seed too; its bias starts at 0
    torch.nn.init.zeros_(verifier.head.bias)
    prompts, completions, labels = encode_rollouts(tokenizer, rollouts)
    rewards = torch.tensor(rollouts["reward"].to_numpy(dtype=float))

    def loss_of_rows(rows):
        z = verifier(head_batch(tokenizer, [prompts[r] for r in rows], [completions[r] for r in rows]))
        return head_loss(verifier.form, z, labels[rows], rewards[rows])

    return optimize(verifier, loss_of_rows, labels, steps, batch_size, learning_rate, seed,
                    f"{verifier.form} verifier head", log, precision)


def save_head(verifier: HeadVerifier, directory: str | Path) -> None:
    """The head's weight and bias as safetensors and its form as JSON (the backbone saves itself)."""
    directory = Path(directory)
    save_file({"weight": verifier.head.weight.detach().contiguous(), "bias": verifier.head.bias.detach().contiguous()},
              directory / HEAD_WEIGHTS)
    (directory / HEAD_CONFIG).write_text(json.dumps({"form": verifier.form,
                                                     "hidden_size": verifier.model.config.hidden_size}) + "\n")


def load_head_verifier(directory: str | Path, dtype: torch.dtype = torch.float32,
                       device: str | torch.device = "cpu") -> tuple[HeadVerifier, object]:
    """A saved head verifier and its tokenizer: backbone via rlv.models.load_model, head from safetensors."""
    from rlv.models import load_model
    directory = Path(directory)
    if not (directory / HEAD_WEIGHTS).exists():
        raise ValueError(f"{directory} holds no verifier head ({HEAD_WEIGHTS}); train one with rlv train-verifier-head")
    model, tokenizer = load_model(directory, dtype, device)
    spec = json.loads((directory / HEAD_CONFIG).read_text())
    verifier = HeadVerifier(model, spec["form"])
    verifier.head.load_state_dict(load_file(directory / HEAD_WEIGHTS))
    verifier.eval()
    return verifier, tokenizer


@torch.inference_mode()
def score_with_head(verifier: HeadVerifier, tokenizer, prompts: list[list[int]], completions: list[list[int]],
                    batch_size: int = 64, progress=None) -> dict[str, list[float]]:
    """p_yes (the head's score in [0, 1]) and p_no = 1 - p_yes per solution, in input order.
    Solutions are batched in order of length, so padding stays small."""
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]) + len(completions[i]))
    z = torch.zeros(len(order))
    for begin in range(0, len(order), batch_size):
        chunk = order[begin:begin + batch_size]
        z[chunk] = verifier(head_batch(tokenizer, [prompts[i] for i in chunk], [completions[i] for i in chunk])).cpu()
        if progress is not None:
            progress(len(chunk))
    p_yes = verifier.probability(z)
    return {"p_yes": p_yes.tolist(), "p_no": (1 - p_yes).tolist()}
