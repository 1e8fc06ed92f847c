"""RL^V over TRL's value-free RL trainers, and the rollout-store hook.

`VerificationMixin` goes in front of `GRPOTrainer` or `RLOOTrainer` (leave-one-out PPO; TRL keeps it as a
parallel copy of GRPO with the same method names, so one mixin serves both). It changes three methods:

- `_calculate_rewards`: keeps the (gathered) rewards of the batch so they can label the rollouts;
- `_generate_and_score_completions`: adds `verification_labels` (1 if the rollout's reward is 1, else 0) for
  this process's rollouts, and writes every training rollout to the `RolloutStore`;
- `_compute_loss`: L = L_RL + verify_coef * L_verify, where L_verify is the Yes/No cross-entropy of
  `rlv.verifier` on the very same rollouts (prompt + completion + verification question). GRPO's loss is
  already divided by the gradient-accumulation steps and RLOO's is not (`loss_is_scaled_for_ga`); L_verify is
  divided the same way as the loss it joins.

With verify_coef = 0 the mixin still stores rollouts but adds nothing to the loss, so a base RL run and an
RL^V run differ in that one number.
"""

from __future__ import annotations

import torch
from trl import GRPOTrainer, RLOOTrainer

from rlv.grading import extract_boxed
from rlv.verifier import (answer_token_ids, forward_logits, strip_trailing, verification_batch, verification_loss,
                          verification_suffix_ids)


class VerificationMixin:
    def __init__(self, *args, verify_coef: float = 1.0, rollout_store=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.verify_coef = verify_coef
        self.rollout_store = rollout_store
        tokenizer = self.processing_class
        self.yes_id, self.no_id = answer_token_ids(tokenizer)
        self.verification_suffix = verification_suffix_ids(tokenizer)
        self._drop_ids = {*self.eos_token_ids, tokenizer.pad_token_id}
        self._batch_rewards = None
        self._batch_completions = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        weights = self.reward_weights.to(rewards_per_func.device).unsqueeze(0)
        self._batch_rewards = (rewards_per_func * weights).nansum(dim=1)
        self._batch_completions = completions
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        local = slice(self.accelerator.process_index * len(inputs), (self.accelerator.process_index + 1) * len(inputs))
        rewards = self._batch_rewards[local]
        output["verification_labels"] = (rewards >= 0.5).float()
        if self.model.training and self.rollout_store is not None:
            self._store_rollouts(inputs, rewards, output)
        return output

    def _store_rollouts(self, inputs, rewards, output) -> None:
        lengths = output["completion_mask"].sum(dim=1).tolist()
        rows = []
        for i, example in enumerate(inputs):
            completion = self._batch_completions[i]
            text = completion[-1]["content"] if isinstance(completion, list) else completion
            ids = output["completion_ids"][i, :lengths[i]].tolist()
            rows.append({
                "step": self.state.global_step, "group": i // self.num_generations,
                "sample": i % self.num_generations, "problem_id": example.get("problem_id"),
                "prompt": example["prompt"][-1]["content"], "completion": text, "answer": extract_boxed(text),
                "reward": float(rewards[i]), "label": int(rewards[i] >= 0.5), "num_tokens": int(lengths[i]),
                "truncated": not ids or ids[-1] not in self.eos_token_ids,
            })
        self.rollout_store.append(rows)

    def _compute_loss(self, model, inputs):
        loss = super()._compute_loss(model, inputs)
        if self.verify_coef == 0:
            return loss
        verify_loss, verify_accuracy = self._verification_loss(model, inputs)
        mode = "train" if self.model.training else "eval"
        scaled = self.loss_is_scaled_for_ga and mode == "train"
        normalizer = self.current_gradient_accumulation_steps if scaled else 1.0
        self._metrics[mode]["verifier/loss"].append(verify_loss.item())
        self._metrics[mode]["verifier/accuracy"].append(verify_accuracy.item())
        return loss + self.verify_coef * verify_loss / normalizer

    def _verification_loss(self, model, inputs):
        prompts = [row[mask.bool()].tolist() for row, mask in zip(inputs["prompt_ids"], inputs["prompt_mask"])]
        completions = [strip_trailing(row[mask.bool()].tolist(), self._drop_ids)
                       for row, mask in zip(inputs["completion_ids"], inputs["completion_mask"])]
        batch = verification_batch(prompts, completions, self.verification_suffix, self._drop_ids,
                                   self.processing_class.pad_token_id)
        batch = {k: v.to(inputs["prompt_ids"].device) for k, v in batch.items()}
        last_logits = forward_logits(model, batch, last_only=True)[:, -1]
        return verification_loss(last_logits, inputs["verification_labels"], self.yes_id, self.no_id)


class GRPOVerifierTrainer(VerificationMixin, GRPOTrainer):
    """GRPO^V (GRPO when verify_coef = 0)."""


class RLOOVerifierTrainer(VerificationMixin, RLOOTrainer):
    """Leave-one-out PPO^V (leave-one-out PPO when verify_coef = 0)."""


TRAINERS = {"grpo": GRPOVerifierTrainer, "rloo": RLOOVerifierTrainer}
