"""RL^V over TRL's value-free RL trainers, and the rollout-store hook.

`VerificationMixin` goes in front of `GRPOTrainer` or `RLOOTrainer` (leave-one-out PPO; TRL keeps it as a
parallel copy of GRPO with the same method names, so one mixin serves both). It changes three methods:

- `_calculate_rewards`: keeps the (gathered) rewards of the batch so they can label the rollouts;
- `_generate_and_score_completions`: adds `verification_labels` (1 if the rollout's reward is 1, else 0) for
  this process's rollouts, and writes every training rollout to the `RolloutStore` (with several processes,
  gathered and written by the main one);
- `_compute_loss`: L = L_RL + verify_coef * L_verify, where L_verify is the Yes/No cross-entropy of
  `rlv.verifier` on the very same rollouts (prompt + completion + verification question). GRPO's loss is
  already divided by the gradient-accumulation steps and RLOO's is not (`loss_is_scaled_for_ga`); L_verify is
  divided the same way as the loss it joins. With `length_chunks` > 1 (GRPO's trainers) L_RL runs in passes over
  rollouts of similar length, each cut to its own width, and is recombined by its reduction
  (`rlv.training.length_chunks`); L_verify is taken once over every row's verdict. TRL logs its per-pass metrics
  (clip ratios, entropy) once per pass, so those logged means weigh the passes alike.
- `_get_per_token_logps_and_entropies` (fused path, the default): both losses share the RL loss's forward pass.
  That pass (TRL's fused LM head, scoring exactly the completion tokens) fills a key/value cache; each row's
  verification suffix then runs as new tokens on it, after the row's last real completion token (its stop and
  padding masked out; `rlv.verifier.continued_verdict_hidden`), and the LM head projects its last hidden state to
  the verdict logits. The RL log-probs are the plain batch's (nothing is added to it), the verdict equals that of
  the separate left-padded pass (RoPE only sees position differences), gradients reach the solution through the
  cache, and the extra compute is the suffix's tokens alone. Under gradient checkpointing transformers drops the
  cache, so there the suffix is written into the batch instead (`rlv.verifier.fused_layout`: each row's suffix
  after its last real token, the batch widened for the longest, the few longest rows and rows whose stripped tail
  is not the start of the suffix verified in a separate pass), and a hook on the backbone keeps the hidden state
  at each row's last suffix token. One backward serves both losses. TRL's old/reference log-prob passes run
  without the suffix, as before. `fuse_verification=False` runs the separate pass for every row (the reference
  the fused paths are tested against).

`VinePPOVerifierTrainer` is GRPO's trainer with `rlv.training.vineppo.VinePPOMixin` in front: per-token advantages
from Monte Carlo step values replace GRPO's group-normalized ones, and the rest (PPO-clip loss, L_verify,
rollout store) is the same code path.

With verify_coef = 0 the mixin still stores rollouts but adds nothing to the loss, so a base RL run and an
RL^V run differ in that one number.

lambda means the same for every trainer: L = L_RL + lambda * s * L_verify, where s puts L_verify in GRPO's units,
the paper's reference. GRPO's loss weighs each completion token by its reduction (a mean over tokens) times the
rollout's group-normalized advantage; another method's loss has its own reduction (TRL's RLOO sums a rollout's
token log-probs, about one completion length more) and its own advantage scale (raw leave-one-out differences,
Monte Carlo value differences). s = sum over tokens of the method's weight x |its advantage|, over the same sum for
GRPO's loss on the same rollouts (group-normalized rewards, `reference_advantages`, the same reduction; a mean over
tokens for RLOO): per batch, exactly 1 for GRPO. So at one lambda the verification term's gradient is about the
same fraction of the RL term's for every method (tested: within a factor of 2 for GRPO, RLOO, LOOP and VinePPO);
s is logged as verifier/scale.
"""

from __future__ import annotations

import torch
from accelerate.utils import gather_object
from transformers import DynamicCache
from trl import GRPOTrainer, RLOOTrainer

from rlv.tasks.grading import extract_boxed
from rlv.verifier import (answer_token_ids, continued_verdict_hidden, forward_logits, fused_layout, kept_lengths,
                          strip_trailing, verification_batch, verification_loss, verification_suffix_ids)
from rlv.training.length_chunks import CHUNKABLE, chunk_rows, chunk_weight, real_lengths, trimmed
from rlv.training.loop import LOOPMixin
from rlv.training.rollout_decoding import DecoderRollouts
from rlv.training.vineppo import VinePPOMixin


class VerificationMixin(DecoderRollouts):
    def __init__(self, *args, verify_coef: float = 1.0, rollout_store=None, fuse_verification: bool = True,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.verify_coef = verify_coef
        self.fuse_verification = fuse_verification
        self.fused_split_long = True  # see `fused_layout`; False widens the batch for every row
        self.fused_on_cache = True  # False: the widened layout even without gradient checkpointing
        self.length_chunks = 1  # the update in chunks of rows of similar length (rlv.training.length_chunks)
        self._fuse_next_pass = False
        self._verdict_logits = None
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
        output["reference_advantages"] = group_normalized(self._batch_rewards, self.num_generations)[local]
        if self.model.training and self.rollout_store is not None:
            self._store_rollouts(inputs, rewards, output)
        return output

    def _store_rollouts(self, inputs, rewards, output) -> None:
        """This process's rollouts as store rows; with several processes they are gathered (in rank order) and the
        main process alone appends them, so the store holds every rollout once."""
        lengths = output["completion_mask"].sum(dim=1).tolist()
        offset = self.accelerator.process_index * len(inputs)  # this process's rows in the step's global batch
        rows = []
        for i, example in enumerate(inputs):
            completion = self._batch_completions[i]
            text = completion[-1]["content"] if isinstance(completion, list) else completion
            ids = output["completion_ids"][i, :lengths[i]].tolist()
            rows.append({
                "step": self.state.global_step, "group": (offset + i) // self.num_generations,
                "sample": (offset + i) % self.num_generations, "problem_id": example.get("problem_id"),
                "prompt": example["prompt"][-1]["content"], "completion": text, "completion_ids": ids,
                "answer": extract_boxed(text),
                "reward": float(rewards[i]), "label": int(rewards[i] >= 0.5), "num_tokens": int(lengths[i]),
                "truncated": not ids or ids[-1] not in self.eos_token_ids,
            })
        if self.accelerator.num_processes > 1:
            rows = gather_object(rows)
        if self.accelerator.is_main_process:
            self.rollout_store.append(rows)

    def _compute_loss(self, model, inputs):
        groups = self._length_chunks(inputs)
        if groups is None:
            loss, verdict_logits = self._rl_loss_and_verdicts(model, inputs)
        else:  # rlv.training.length_chunks: the same loss, less padding
            loss, verdict_parts = 0.0, []
            for rows in groups:
                part, logits = self._rl_loss_and_verdicts(model, trimmed(inputs, rows))
                loss = loss + chunk_weight(self.loss_type, inputs, rows) * part
                verdict_parts.append(logits)
            verdict_logits = None
            if self.verify_coef != 0:  # back in the rows' own order
                verdict_logits = torch.cat(verdict_parts)[torch.argsort(torch.cat(groups)).to(verdict_parts[0].device)]
        if self.verify_coef == 0:
            return loss
        verify_loss, verify_accuracy = verification_loss(verdict_logits, inputs["verification_labels"], self.yes_id,
                                                         self.no_id)
        mode = "train" if self.model.training else "eval"
        scaled = self.loss_is_scaled_for_ga and mode == "train"
        normalizer = self.current_gradient_accumulation_steps if scaled else 1.0
        scale = self._verify_scale(inputs)
        self._metrics[mode]["verifier/loss"].append(verify_loss.item())
        self._metrics[mode]["verifier/accuracy"].append(verify_accuracy.item())
        self._metrics[mode]["verifier/scale"].append(scale)
        return loss + self.verify_coef * scale * verify_loss / normalizer

    def _length_chunks(self, inputs) -> list[torch.Tensor] | None:
        """The chunks of rows the update runs in (rlv.training.length_chunks), or None for one pass: GRPO's losses
        whose reduction allows it, without the entropy terms that couple the rows, with `length_chunks` > 1."""
        if (self.length_chunks <= 1 or not isinstance(self, GRPOTrainer) or self.loss_type not in CHUNKABLE
                or self._entropy_bonus_enabled or self.top_entropy_quantile < 1.0 or "tool_mask" in inputs):
            return None
        return chunk_rows(real_lengths(inputs), self.length_chunks)

    def _rl_loss_and_verdicts(self, model, inputs):
        """TRL's loss over these rollouts, and their verdict logits (None where lambda = 0)."""
        if self.verify_coef == 0:
            return super()._compute_loss(model, inputs), None
        self._fuse_next_pass = self.fuse_verification
        try:
            loss = super()._compute_loss(model, inputs)
        finally:
            self._fuse_next_pass = False
        if self.fuse_verification:
            verdict_logits, self._verdict_logits = self._verdict_logits, None
        else:
            verdict_logits = self._separate_verdict_logits(model, inputs)
        return loss, verdict_logits

    # lambda's unit (see the module docstring): how this trainer's RL loss weighs a rollout's tokens
    sums_tokens = False  # True where the RL loss sums a rollout's token log-probs (TRL's RLOO) instead of averaging

    def _verify_scale(self, inputs) -> float:
        """s: the RL loss's total |advantage| weight over its tokens, over that of GRPO's loss (its group-normalized
        rewards, the same reduction) on the same rollouts; 1 for GRPO itself, and where no rollout has an
        advantage (every group's rewards equal: no RL gradient to compare with)."""
        mask = inputs["completion_mask"].float()
        advantages = inputs["advantages"]
        advantages = advantages if advantages.dim() == 2 else advantages[:, None].expand_as(mask)
        reference = inputs["reference_advantages"][:, None].expand_as(mask)
        if self.sums_tokens:  # per rollout: the sum of its tokens; GRPO's dapo/bnpo reference: the mean over tokens
            own, ref = (advantages.abs() * mask).sum() / mask.size(0), (reference.abs() * mask).sum() / mask.sum()
        else:  # the same token weights on both sides (GRPO's loss_type), which cancel but for `grpo`'s per-rollout mean
            weights = mask / mask.sum(1, keepdim=True).clamp(min=1) if self.loss_type == "grpo" else mask
            own, ref = (advantages.abs() * weights).sum(), (reference.abs() * weights).sum()
        return 1.0 if float(ref) < 1e-8 else float(own / ref)

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep, batch_size=None,
                                           compute_entropy=False, compute_aux_loss=False, **multimodal):
        if not self._fuse_next_pass:
            return super()._get_per_token_logps_and_entropies(
                model, input_ids, attention_mask, logits_to_keep, batch_size=batch_size,
                compute_entropy=compute_entropy, compute_aux_loss=compute_aux_loss, **multimodal)
        self._fuse_next_pass = False
        if compute_aux_loss or any(value is not None for value in multimodal.values()):
            raise NotImplementedError("the fused verification pass supports text-only, non-MoE models")
        unwrapped = self.accelerator.unwrap_model(model)
        if self.fused_on_cache and not unwrapped.is_gradient_checkpointing:
            return self._fused_on_cache(model, unwrapped, input_ids, attention_mask, logits_to_keep, compute_entropy)
        return self._fused_in_layout(model, unwrapped, input_ids, attention_mask, logits_to_keep, compute_entropy)

    def _fused_on_cache(self, model, unwrapped, input_ids, attention_mask, logits_to_keep, compute_entropy):
        """TRL's own forward (its labels: the completion window's real tokens) filling a cache, then the suffix on
        it (see the module docstring)."""
        labels = input_ids.masked_fill(attention_mask == 0, -100)
        labels[:, :-logits_to_keep] = -100
        cache = DynamicCache()
        with self.accelerator.autocast():
            outputs = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels, fused_lm_head=True,
                            past_key_values=cache)
            kept = kept_lengths(input_ids[:, -logits_to_keep:], attention_mask[:, -logits_to_keep:], self._drop_ids)
            hidden = continued_verdict_hidden(unwrapped, cache, attention_mask, logits_to_keep, kept,
                                              self.verification_suffix)
            self._verdict_logits = unwrapped.get_output_embeddings()(hidden)
        entropies = outputs.entropy[:, -logits_to_keep:] if compute_entropy else None
        return outputs.log_probs[:, -logits_to_keep:], entropies, None

    def _fused_in_layout(self, model, unwrapped, input_ids, attention_mask, logits_to_keep, compute_entropy):
        """The suffix written into the batch (`fused_layout`), for gradient checkpointing (see the module
        docstring)."""
        layout = fused_layout(input_ids, attention_mask, logits_to_keep, self.verification_suffix, self._drop_ids,
                              split_long=self.fused_split_long)
        width = input_ids.size(1)
        # TRL's labels (the completion window's real tokens), padded with -100 over the suffix columns
        labels = torch.full_like(layout["input_ids"], -100)
        labels[:, width - logits_to_keep:width] = input_ids[:, -logits_to_keep:].masked_fill(
            attention_mask[:, -logits_to_keep:] == 0, -100)
        captured = []
        hook = unwrapped.base_model.register_forward_hook(
            lambda module, args, output: captured.append(output.last_hidden_state))
        try:
            with self.accelerator.autocast():
                outputs = model(input_ids=layout["input_ids"], attention_mask=layout["attention_mask"], labels=labels,
                                fused_lm_head=True)
        finally:
            hook.remove()
        rows = torch.arange(input_ids.size(0), device=input_ids.device)
        verdict_hidden = captured[0][rows, layout["verdict_index"]]
        verdict_logits = unwrapped.get_output_embeddings()(verdict_hidden)
        if not layout["fused"].all():
            separate = ~layout["fused"]
            verdict_logits = verdict_logits.clone()
            verdict_logits[separate] = self._separate_verdict_logits(
                model, self._split_rollouts(input_ids[separate], attention_mask[separate], logits_to_keep))
        self._verdict_logits = verdict_logits
        span = slice(width - 1 - logits_to_keep, width - 1)  # log_probs[:, t] scores the token at column t + 1
        entropies = outputs.entropy[:, span] if compute_entropy else None
        return outputs.log_probs[:, span], entropies, None

    @staticmethod
    def _split_rollouts(input_ids, attention_mask, completion_width):
        return {"prompt_ids": input_ids[:, :-completion_width], "prompt_mask": attention_mask[:, :-completion_width],
                "completion_ids": input_ids[:, -completion_width:],
                "completion_mask": attention_mask[:, -completion_width:]}

    def _separate_verdict_logits(self, model, inputs):
        """Verdict logits from their own forward pass over prompt + stripped completion + suffix. The pass runs on
        the unwrapped model: whether a row needs it depends on this process's rollouts, so under DDP the other
        processes would not join the collectives of a wrapped forward (its gradients still reach DDP, which
        reduces each parameter's accumulated gradient once per backward)."""
        prompts = [row[mask.bool()].tolist() for row, mask in zip(inputs["prompt_ids"], inputs["prompt_mask"])]
        completions = [strip_trailing(row[mask.bool()].tolist(), self._drop_ids)
                       for row, mask in zip(inputs["completion_ids"], inputs["completion_mask"])]
        batch = verification_batch(prompts, completions, self.verification_suffix, self._drop_ids,
                                   self.processing_class.pad_token_id)
        batch = {k: v.to(inputs["prompt_ids"].device) for k, v in batch.items()}
        with self.accelerator.autocast():
            return forward_logits(self.accelerator.unwrap_model(model), batch, last_only=True)[:, -1]


def group_normalized(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """GRPO's advantages of the whole (gathered) batch: each reward minus its group's mean, over the group's standard
    deviation (+1e-4, as TRL); groups are consecutive runs of `group_size` rollouts of one prompt."""
    groups = rewards.view(-1, group_size)
    return ((groups - groups.mean(1, keepdim=True)) / (groups.std(1, keepdim=True) + 1e-4)).view(-1)


class GRPOVerifierTrainer(VerificationMixin, GRPOTrainer):
    """GRPO^V (GRPO when verify_coef = 0): lambda in its own units, the paper's definition (scale 1)."""

    def _verify_scale(self, inputs) -> float:
        return 1.0


class RLOOVerifierTrainer(VerificationMixin, RLOOTrainer):
    """RLOO^V (TRL's RLOO, REINFORCE with a leave-one-out baseline, when verify_coef = 0)."""

    sums_tokens = True


class LOOPVerifierTrainer(LOOPMixin, VerificationMixin, GRPOTrainer):
    """LOOP^V (LOOP, leave-one-out PPO, when verify_coef = 0): GRPO's per-token PPO-clip loss and epochs with raw
    leave-one-out advantages (rlv.training.loop)."""


class VinePPOVerifierTrainer(VinePPOMixin, VerificationMixin, GRPOTrainer):
    """VinePPO^V (VinePPO when verify_coef = 0): GRPO's loss with Monte Carlo per-step advantages."""


TRAINERS = {"grpo": GRPOVerifierTrainer, "rloo": RLOOVerifierTrainer, "loop": LOOPVerifierTrainer,
            "vineppo": VinePPOVerifierTrainer}
