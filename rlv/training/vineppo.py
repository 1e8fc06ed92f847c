"""VinePPO (Kazemnejad et al., 2024): per-step values from Monte Carlo rollouts, per-token PPO advantages.

A completion of L tokens is cut into reasoning steps. Each step ends after a token whose text contains one of
`step_markers` ("\\n" for real reasoning traces; the embedded task writes one sentence per step, so its
markers are "\\n" and "."). More than `max_steps` steps are merged into `max_steps` chunks of consecutive
steps (as equal in step count as integer division allows), which bounds the cost. The boundaries
b_0 = 0 < b_1 < ... < b_S = L define the states s_k = prompt + completion[:b_k]:

- V(s_0), the prompt's value: with `prompt_value` "monte_carlo" (the default, as the reference), the mean 0/1
  reward of `mc_samples` continuations sampled from the prompt itself (one estimate per distinct prompt, shared
  by its group); with "leave_one_out", the mean reward of the other G - 1 rollouts of the same prompt (no extra
  generation, but a baseline from the very group being scored; with G = 1, 0);
- V(s_k), 0 < k < S: the mean 0/1 reward of `mc_samples` continuations sampled from s_k by the current policy
  (same temperature and top-p/top-k as the rollouts; each continuation may use the rollout's remaining token
  budget, max_completion_length - b_k, so it is cut where the rollout would have been);
- V(s_S) = the rollout's own reward (the terminal state's value is its reward).

Identical states (same prompt and prefix, frequent within a group) are estimated once, from `mc_samples`
continuations. Every token of step k gets the advantage A_k = V(s_{k+1}) - V(s_k) (the TD error with
gamma = lambda = 1 and the reward at the end only, as in VinePPO). With `whiten` (the default, as the
reference's `whiten_advantages: true`) the advantages are then whitened over the batch's completion tokens:
every process's tokens of the step's rollouts, which here are one optimizer step's batch, pooled,

    A <- (A - mean) / sqrt(var + 1e-8),    mean and unbiased variance over those tokens,

as the reference's `masked_whiten(distributed=True, unbiased_variance=True)`. The loss is TRL's GRPO PPO-clip
loss, which takes a (B, T) advantages tensor as it is; nothing else changes, so the RL^V verification loss and
the rollout store work unchanged (`VerificationMixin`). The reference's epochs and KL are run keys:
`num_iterations: 2` (its `num_epochs_per_iteration`) and `beta: 1.0e-4` (its `init_kl_coef`; TRL then keeps a
reference model and adds beta times the same k3 estimator, exp(q - p) - (q - p) - 1, to each token's loss).

Taken from the reference (McGill-NLP/VinePPO, configs polIter_*_vineppo_MATH): `mc_samples` = 9 continuations
per state, at most 20 estimated step states (`max_step_for_value_estimation`), the Monte Carlo prompt value, the
whitening, 2 epochs, the KL coefficient 1e-4, the clip range 0.2 (`epsilon`), and the reduction of its loss (a
mean over the batch's tokens: `loss_type: dapo`). What differs: past `max_steps` the reference stops estimating
(the tokens after its 20th step get advantage 0), here the steps are merged into `max_steps` chunks, each
valued; it splits MATH solutions at line breaks and at sentence ends outside LaTeX, here at tokens containing a
marker (a "." marker would also split decimals); its KL term is clipped to [0, 10] per token and summed over a
completion's tokens, TRL's is unclipped and reduced like the policy loss (so beta = 1e-4 weighs it about one
completion length less); each epoch there is several minibatches with their own whitening, here one optimizer
step over the whole step's rollouts, whitened once when they are generated; a continuation or rollout cut by the
length limit scores what the grader gives its text (the reference gives it the unfinished-response penalty, 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch.nn.utils.rnn import pad_sequence


def step_ends(token_texts: Sequence[str], step_markers: Sequence[str]) -> list[int]:
    """End positions (exclusive) of the natural steps: after each token containing a marker, and at the end."""
    ends = [i + 1 for i, text in enumerate(token_texts) if any(marker in text for marker in step_markers)]
    if not ends or ends[-1] != len(token_texts):
        ends.append(len(token_texts))
    return ends


def step_boundaries(token_texts: Sequence[str], step_markers: Sequence[str], max_steps: int) -> list[int]:
    """[0, b_1, ..., L]: the step ends, merged into at most `max_steps` chunks of consecutive steps."""
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    if not token_texts:
        return [0]
    ends = step_ends(token_texts, step_markers)
    chunks = min(max_steps, len(ends))
    # chunk j holds steps [j * S // chunks, (j + 1) * S // chunks): it ends where its last step ends
    return [0] + [ends[(j + 1) * len(ends) // chunks - 1] for j in range(chunks)]


def step_advantages(boundaries: Sequence[int], values: Sequence[float], width: int) -> torch.Tensor:
    """Per-token advantages of one completion: tokens [b_k, b_{k+1}) get V(s_{k+1}) - V(s_k); 0 past b_S."""
    if len(values) != len(boundaries):
        raise ValueError(f"{len(boundaries)} boundaries need as many values, got {len(values)}")
    advantages = torch.zeros(width)
    for k in range(len(boundaries) - 1):
        advantages[boundaries[k]:boundaries[k + 1]] = values[k + 1] - values[k]
    return advantages


def leave_one_out_means(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """Each reward's group mean without itself (groups of `group_size` consecutive rewards); 0 for groups of 1."""
    if group_size == 1:
        return torch.zeros_like(rewards)
    grouped = rewards.view(-1, group_size)
    return ((grouped.sum(dim=1, keepdim=True) - grouped) / (group_size - 1)).reshape(-1)


def monte_carlo_values(states: Sequence[tuple], mc_samples: int,
                       rollout_rewards: Callable[[list[tuple]], Sequence[float]]) -> tuple[list[float], int]:
    """The mean reward of `mc_samples` continuations from each state; identical states are estimated once.

    `rollout_rewards` gets the unique states, each repeated `mc_samples` times in a row, and returns one
    reward per entry. Returns the value of every state (in order) and the number of unique states."""
    unique = list(dict.fromkeys(states))
    if not unique:
        return [], 0
    rewards = torch.as_tensor(list(rollout_rewards([s for s in unique for _ in range(mc_samples)])), dtype=torch.float)
    if rewards.numel() != len(unique) * mc_samples:
        raise ValueError(f"rollout_rewards returned {rewards.numel()} rewards for {len(unique) * mc_samples} rollouts")
    means = torch.nan_to_num(rewards, nan=0.0).view(len(unique), mc_samples).mean(dim=1).tolist()
    value_of = dict(zip(unique, means))
    return [value_of[s] for s in states], len(unique)


def masked_whiten(values: torch.Tensor, mask: torch.Tensor,
                  reduce: Callable[[torch.Tensor], torch.Tensor] = lambda totals: totals) -> torch.Tensor:
    """(values - mean) / sqrt(var + 1e-8) where `mask` is 1, 0 elsewhere: mean and unbiased (Bessel) variance over
    the masked entries. `reduce` sums the tensor [sum, sum of squares, count] over processes, so the statistics
    are those of every process's entries pooled (identity: this process's alone)."""
    weights = mask.to(torch.float64)
    x = values.to(torch.float64)
    total, squares, count = reduce(torch.stack([(x * weights).sum(), (x * x * weights).sum(), weights.sum()])).tolist()
    if count == 0:
        return torch.zeros_like(values)
    mean = total / count
    variance = max(squares - count * mean * mean, 0.0) / max(count - 1, 1)
    return ((x - mean) / math.sqrt(variance + 1e-8) * weights).to(values.dtype)


PROMPT_VALUES = ("monte_carlo", "leave_one_out")


class VinePPOMixin:
    """Replaces the per-sequence advantages of a GRPO trainer (with `VerificationMixin`, whose batch rewards
    it reads) by VinePPO's per-token advantages."""

    def __init__(self, *args, vine_mc_samples: int = 9, vine_max_steps: int = 20,
                 vine_step_markers: Sequence[str] = ("\n",), vine_whiten: bool = True,
                 vine_prompt_value: str = "monte_carlo", **kwargs):
        super().__init__(*args, **kwargs)
        if vine_mc_samples < 1 or vine_max_steps < 1 or not vine_step_markers:
            raise ValueError("VinePPO needs vine_mc_samples >= 1, vine_max_steps >= 1 and at least one step marker")
        if vine_prompt_value not in PROMPT_VALUES:
            raise ValueError(f"vine_prompt_value must be one of {PROMPT_VALUES}, got {vine_prompt_value!r}")
        self.vine_mc_samples, self.vine_max_steps = vine_mc_samples, vine_max_steps
        self.vine_step_markers = list(vine_step_markers)
        self.vine_whiten, self.vine_prompt_value = vine_whiten, vine_prompt_value

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return output
        local = len(inputs)
        start = self.accelerator.process_index * local
        rewards = torch.nan_to_num(self._batch_rewards.float().cpu(), nan=0.0)
        group_values = leave_one_out_means(rewards, self.num_generations)[start:start + local]
        rewards = rewards[start:start + local]
        prompts = [row[mask.bool()].tolist() for row, mask in zip(output["prompt_ids"].cpu(), output["prompt_mask"].cpu())]
        lengths = output["completion_mask"].sum(dim=1).tolist()
        completions = [output["completion_ids"][i, :lengths[i]].tolist() for i in range(local)]
        boundaries = [step_boundaries(self.processing_class.batch_decode([[t] for t in ids]), self.vine_step_markers,
                                      self.vine_max_steps) for ids in completions]
        # the states valued by continuations: the interior ones, and the prompt (k = 0) unless its group values it
        first = 0 if self.vine_prompt_value == "monte_carlo" else 1
        estimated = [(i, k) for i, bounds in enumerate(boundaries) for k in range(first, len(bounds) - 1)]
        states = [(tuple(prompts[i]), tuple(completions[i][:boundaries[i][k]])) for i, k in estimated]
        values, unique = monte_carlo_values(states, self.vine_mc_samples,
                                            lambda batch: self._continuation_rewards(batch, inputs, prompts))
        value_at = dict(zip(estimated, values))
        width = output["completion_ids"].size(1)
        advantages = torch.zeros(local, width)
        prompt_values = []
        for i, bounds in enumerate(boundaries):
            if len(bounds) > 1:  # an empty completion has no step
                prompt_values.append(value_at[(i, 0)] if first == 0 else float(group_values[i]))
                interior_values = [value_at[(i, k)] for k in range(1, len(bounds) - 1)]
                advantages[i] = step_advantages(bounds, [prompt_values[-1], *interior_values, float(rewards[i])], width)
        mask = output["completion_mask"].bool().cpu()
        metrics = self._metrics["train"]
        metrics["vine/steps"].append(sum(len(b) - 1 for b in boundaries) / max(len(boundaries), 1))
        metrics["vine/mc_states"].append(float(unique))
        metrics["vine/mc_continuations"].append(float(unique * self.vine_mc_samples))
        metrics["vine/abs_advantage"].append(advantages.abs()[mask].mean().item() if mask.any() else 0.0)  # unwhitened
        metrics["vine/prompt_value"].append(sum(prompt_values) / max(len(prompt_values), 1))
        if self.vine_whiten:  # over every process's completion tokens of the step
            device = self.accelerator.device
            advantages = masked_whiten(advantages, mask,
                                       lambda totals: self.accelerator.reduce(totals.to(device), reduction="sum").cpu())
        output["advantages"] = advantages.to(output["completion_ids"].device)
        return output

    def _continuation_rewards(self, states: list[tuple], inputs: list[dict], prompts: list[list[int]]) -> list[float]:
        """Sample one continuation per entry of `states` (prompt ids, prefix ids) and grade prefix + continuation
        with the trainer's (weighted, callable) reward functions against the example of that prompt."""
        example_of = {tuple(p): inputs[i] for i, p in enumerate(prompts)}
        texts = []
        for start in range(0, len(states), self.args.per_device_train_batch_size):
            chunk = states[start:start + self.args.per_device_train_batch_size]
            for (prompt, prefix), continuation in zip(chunk, self._sample_continuations(chunk)):
                texts.append(self.processing_class.decode(list(prefix) + continuation, skip_special_tokens=True))
        examples = [example_of[prompt] for prompt, _ in states]
        conversational = isinstance(examples[0]["prompt"], list)
        completions = [[{"role": "assistant", "content": t}] for t in texts] if conversational else texts
        keys = [key for key in examples[0] if key not in ("prompt", "completion", "completion_ids")]
        kwargs = {key: [example[key] for example in examples] for key in keys}
        total = torch.zeros(len(states))
        for func, weight in zip(self.reward_funcs, self.reward_weights.tolist()):
            if isinstance(func, torch.nn.Module):
                raise NotImplementedError("VinePPO's Monte Carlo values support callable reward functions only")
            scores = func(prompts=[e["prompt"] for e in examples], completions=completions, completion_ids=None,
                          trainer_state=self.state, **kwargs)
            total += weight * torch.tensor([float("nan") if s is None else s for s in scores]).nan_to_num(0.0)
        return total.tolist()

    def _sample_continuations(self, states: list[tuple]) -> list[list[int]]:
        """One continuation per (prompt ids, prefix ids), sampled with the rollouts' law, cut at the first EOS (kept)
        and at the rollout's remaining budget max_completion_length - len(prefix). Through the rollouts' decoder
        (`rlv.training.rollout_decoding`) where it applies, else transformers' `generate`."""
        budgets = [self.max_completion_length - len(prefix) for _, prefix in states]
        limit = max(max(budgets), 1)
        if hasattr(self, "decode") and self._decoder_applies(None, None):
            rows = self.decode([list(prompt) + list(prefix) for prompt, prefix in states], limit)
        else:
            rows = self._generate_continuations(states, limit)
        out = []
        for row, budget in zip(rows, budgets):
            row = list(row)[:max(budget, 0)]
            ends = [j for j, token in enumerate(row) if token in self.eos_token_ids]
            out.append(row[:ends[0] + 1] if ends else row)
        return out

    def _generate_continuations(self, states: list[tuple], limit: int) -> list[list[int]]:
        """Up to `limit` new tokens after each (prompt ids, prefix ids), from transformers' `generate`."""
        device = self.accelerator.device
        sequences = [torch.tensor(list(prompt) + list(prefix)) for prompt, prefix in states]
        pad_id = self.processing_class.pad_token_id
        input_ids = pad_sequence([s.flip(0) for s in sequences], batch_first=True, padding_value=pad_id).flip(1)
        attention_mask = pad_sequence([torch.ones_like(s) for s in sequences], batch_first=True).flip(1)
        model = self.accelerator.unwrap_model(self.model)
        with torch.no_grad():
            generated = model.generate(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device),
                                       generation_config=self.generation_config, max_new_tokens=limit)
        return generated[:, input_ids.size(1):].tolist()
