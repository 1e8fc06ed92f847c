"""Training rollouts through the project's decoder (rlv.inference.decoding) instead of transformers' `generate`.

TRL's trainers sample a step's rollouts with `generate`: the G copies of a prompt are separate rows that each
prefill the prompt, the cache grows by concatenation, and every row runs until the batch's longest is done.
`DecoderRollouts._generate_single_turn` hands the same prompts to `sample_and_score` instead: a run of equal
consecutive prompts (TRL's sampler repeats each prompt G times in a row; a group split over processes is a run on
each) is prefilled once for its copies, the cache is preallocated, finished rows leave the batch.

The sampling law is TRL's: softmax(logits / temperature), truncated to top_k and then top_p as transformers'
warpers do; each row stops at the first of the trainer's `eos_token_ids` (EOS and the end of turn: rlv.models sets
both in the generation config), the stop kept, at most max_completion_length tokens. Completion ids are returned as
sampled (a padding token inside a completion included), which is what TRL's `generate` path returns, so the rest of
TRL (masks, truncation flags, rewards, log-probs) runs unchanged. Under bf16 the decoder runs in autocast, as the
training forward does.

Randomness: each call seeds its own generator from (args.seed, global_step, process, call within the step): a
resumed run samples the rollouts an uninterrupted one samples without restoring any RNG state, and processes sample
independently.

TRL's own path stays where the decoder does not apply: vLLM (use_vllm), transformers' continuous batching,
multimodal prompts, min_p, a repetition penalty, extra generation_kwargs, FSDP, or rollout_decoder = "transformers"
(kept to measure one against the other).
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext

import torch
from trl import GRPOTrainer
from trl.models.utils import unwrap_model_for_generation

from rlv.inference.decoding import sample_and_score

DECODERS = ("rlv", "transformers")


def prompt_runs(prompt_ids: list[list[int]]) -> tuple[list[list[int]], list[int]]:
    """The distinct prompts of consecutive runs of equal prompts, and each run's length."""
    prompts: list[list[int]] = []
    counts: list[int] = []
    for ids in prompt_ids:
        if prompts and prompts[-1] == list(ids):
            counts[-1] += 1
        else:
            prompts.append(list(ids))
            counts.append(1)
    return prompts, counts


def rollout_seed(seed: int, step: int, process: int, call: int) -> int:
    """A 63-bit generator seed for one call of one process at one optimizer step."""
    digest = hashlib.sha256(f"rollouts {seed} {step} {process} {call}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


class DecoderRollouts:
    """Mixin for TRL's GRPO and RLOO trainers: rollouts from rlv.inference.decoding (see the module docstring)."""

    rollout_decoder = "rlv"  # or "transformers": TRL's generate

    def _decoder_applies(self, images, multimodal_fields) -> bool:
        args = self.args
        return (self.rollout_decoder == "rlv" and not self.use_vllm
                and not getattr(self, "use_transformers_continuous_batching", False)
                and not images and not multimodal_fields and self.min_p is None
                and self.repetition_penalty == 1.0 and not args.generation_kwargs
                and not getattr(self, "is_fsdp_enabled", False))

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, *args, **kwargs):
        if not self._decoder_applies(images, multimodal_fields):
            return super()._generate_single_turn(prompt_ids, images, multimodal_fields, *args, **kwargs)
        completion_ids = self.decode(prompt_ids, self.max_completion_length)
        # GRPO's returns (ids, sampling log-probs or None); RLOO's returns the ids alone
        return (completion_ids, None) if isinstance(self, GRPOTrainer) else completion_ids

    def decode(self, prompt_ids: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        """One completion per prompt (in order), sampled with the rollouts' law by the model being trained."""
        step = self.state.global_step
        if getattr(self, "_rollout_calls", (None, 0))[0] != step:
            self._rollout_calls = (step, 0)
        call = self._rollout_calls[1]
        self._rollout_calls = (step, call + 1)
        prompts, counts = prompt_runs(prompt_ids)
        device = self.accelerator.device
        autocast = (torch.autocast(device.type, dtype=torch.bfloat16) if self.args.bf16 else nullcontext())
        with (unwrap_model_for_generation(self.model_wrapped, self.accelerator,
                                          gather_deepspeed3_params=self.args.ds3_gather_for_generation,
                                          gradient_checkpointing_kwargs=self.args.gradient_checkpointing_kwargs)
              as model, autocast):
            results = sample_and_score(
                model, prompts, counts, self.temperature, max_new_tokens,
                rollout_seed(self.args.seed, step, self.accelerator.process_index, call),
                self.eos_token_ids, self._tokenizer.pad_token_id, top_k=self.top_k or 0,
                top_p=1.0 if self.top_p is None else self.top_p, keep_padding=True)
        return [result["completion_ids"] for result in results]
