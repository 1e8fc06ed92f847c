"""LOOP, leave-one-out PPO (Chen et al., 2025, "Reinforcement Learning for Long-Horizon Interactive LLM Agents").

LOOP is PPO without a value network and without a KL penalty, with the leave-one-out baseline of RLOO as its
advantage. For each prompt x the policy samples a group of G rollouts y_1..y_G with rewards R_1..R_G; then

    A_i = R_i - 1/(G - 1) * sum_{j != i} R_j          (leave-one-out: the baseline excludes the rollout itself)

used as it is (no division by the group's standard deviation: the paper's ablation that normalizes it scores
lower on AppWorld), and every token t of y_i gets A_i. The policy is then updated for several
epochs (optimizer passes) over the same rollouts with PPO's per-token clipped surrogate

    r_{i,t} = pi_theta(y_{i,t} | x, y_{i,<t}) / pi_old(y_{i,t} | x, y_{i,<t})
    L_RL    = - mean over the batch of min(r_{i,t} A_i, clip(r_{i,t}, 1 - eps, 1 + eps) A_i)

where pi_old is the policy that sampled the rollouts. The ratio is per token (the paper's best variant,
ahead of per-turn and per-trajectory ratios), so after the first pass the clip does act, unlike in TRL's
RLOO (a sequence-level ratio and one on-policy pass: REINFORCE with a leave-one-out baseline).

Taken from the paper and its reference code (apple/ml-loop): the leave-one-out advantage, no advantage
normalization (`adv_normalization: false`), the per-token PPO clip, no KL term and no value network, several
epochs per batch of rollouts (`epochs_per_iteration: 2` there: set `num_iterations: 2`), and the reduction of
the reference's per-token loss (each rollout's mean over its tokens, averaged over rollouts: `loss_type: grpo`).

Here it is TRL's `GRPOTrainer` with `LOOPMixin` in front: the mixin replaces GRPO's group-normalized advantages
by A_i; the loss is TRL's GRPO PPO-clip loss as it is (`epsilon` the clip range, `num_iterations` the epochs,
`beta` = 0 for no KL; TRL keeps pi_old's log-probs whenever `num_iterations` > 1). With `VerificationMixin`
behind it (`rlv.training.trainers.LOOPVerifierTrainer`) L_verify and the rollout store work unchanged.

What differs from the reference: its clip range is [1 / (1 + eps), 1 + eps] with eps = 0.1, TRL's is
[1 - eps, 1 + eps] (`epsilon`, 0.2 by default here); it splits each epoch into several minibatches (one
optimizer step each), here an epoch is one optimizer step over the whole step's rollouts (TRL's split, see
`rlv.training.params.batch_layout`); it drops rollouts with |A_i| < 0.01 from its minibatches, here they stay
(no policy gradient, but L_verify still trains on them). `scale_rewards` is not used: the advantages are raw.
"""

from __future__ import annotations

import torch


def leave_one_out_advantages(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """A_i = R_i - the mean reward of the other rollouts of its group (groups: `group_size` consecutive rewards).

    A NaN reward (every reward function declined the rollout, as in TRL) is left out of the others' baselines
    and gets advantage 0; so does a rollout whose group has no other scored rollout."""
    if group_size < 2:
        raise ValueError(f"a leave-one-out baseline needs groups of at least 2 rollouts, got {group_size}")
    grouped = rewards.double().view(-1, group_size)
    scored = ~torch.isnan(grouped)
    values = torch.nan_to_num(grouped, nan=0.0)
    others = scored.sum(dim=1, keepdim=True) - scored.long()
    baseline = (values.sum(dim=1, keepdim=True) - values) / others.clamp(min=1)
    advantages = torch.where(scored & (others > 0), values - baseline, torch.zeros_like(values))
    return advantages.reshape(-1).to(rewards.dtype)


class LOOPMixin:
    """In front of a GRPO trainer: each rollout's advantage is its leave-one-out advantage (raw, per sequence),
    in place of GRPO's group-normalized one; TRL's PPO-clip loss and epochs are kept."""

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        weights = self.reward_weights.to(rewards_per_func.device).unsqueeze(0)
        rewards = (rewards_per_func * weights).nansum(dim=1)
        rewards[torch.isnan(rewards_per_func).all(dim=1)] = float("nan")  # unscorable, as TRL marks it
        self._loop_rewards = rewards  # the whole (gathered) batch, as TRL's rewards
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        mode = "train" if self.model.training else "eval"
        group = self.num_generations if mode == "train" else self.num_generations_eval
        if group < 2:  # no leave-one-out baseline (only an eval with one generation per prompt): TRL's own
            return output
        advantages = leave_one_out_advantages(self._loop_rewards.float(), group)
        start = self.accelerator.process_index * len(inputs)
        output["advantages"] = advantages[start:start + len(inputs)].to(output["completion_ids"].device)
        self._metrics[mode]["loop/abs_advantage"].append(advantages.abs().mean().item())
        return output
