"""LOOP (leave-one-out PPO): its advantages against hand computations, its per-token clipped loss and gradient
against a hand computation from the model's own log-probs, and real multi-epoch training of LOOP^V on a toy model."""

import math

import pandas as pd
import pytest
import torch

from helpers import make_trainer
from rlv.training.loop import leave_one_out_advantages


def test_leave_one_out_advantages_by_hand():
    rewards = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    # group 1: each 1 against the others' mean 2/3, the 0 against 1; group 2: all equal, no advantage
    assert leave_one_out_advantages(rewards, 4).tolist() == pytest.approx([1 / 3, -1.0, 1 / 3, 1 / 3, 0, 0, 0, 0])
    assert leave_one_out_advantages(rewards, 2).tolist() == pytest.approx([1.0, -1.0, 0.0, 0.0, 0, 0, 0, 0])
    # raw: G / (G - 1) times the rollout's distance to its group mean, never divided by the group's std
    grouped = rewards.view(-1, 4)
    centred = (grouped - grouped.mean(1, keepdim=True)).view(-1)
    assert leave_one_out_advantages(rewards, 4).tolist() == pytest.approx((centred * 4 / 3).tolist())
    # a NaN reward (unscored) is out of the others' baselines and gets 0; so does a rollout with no scored other
    unscored = torch.tensor([1.0, math.nan, 0.0, 1.0, math.nan, math.nan, 1.0, math.nan])
    assert leave_one_out_advantages(unscored, 4).tolist() == pytest.approx([0.5, 0.0, -1.0, 0.5, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="at least 2"):
        leave_one_out_advantages(rewards, 1)


def test_loops_advantages_are_the_raw_leave_one_out_ones_of_its_rewards(tiny, problems, tmp_path):
    from rlv.training.trainers import group_normalized
    trainer, _ = make_trainer("loop", tiny, problems, tmp_path, prompts_per_step=4)
    trainer.model.train()
    inputs = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))
    rewards = trainer._batch_rewards.double().view(-1, 4)
    hand = torch.stack([rewards[:, i] - (rewards.sum(1) - rewards[:, i]) / 3 for i in range(4)], dim=1).view(-1)
    assert inputs["advantages"].shape == (16,)  # one per rollout, every token of it gets it
    assert torch.allclose(inputs["advantages"].double(), hand, atol=1e-6)
    mixed = rewards.std(1) > 0
    assert mixed.any()  # the batch has groups with both outcomes, where LOOP and GRPO differ by GRPO's std
    normalized = group_normalized(trainer._batch_rewards, 4).double()
    assert not torch.allclose(inputs["advantages"].double(), normalized, atol=1e-3)
    logged = trainer._metrics["train"]["loop/abs_advantage"][-1]
    assert logged == pytest.approx(hand.abs().mean().item(), rel=1e-5)


def completion_logps(model, inputs):
    """log pi(token) of every completion position, from the model's logits (temperature 1), as TRL scores them."""
    ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
    mask = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
    width = inputs["completion_ids"].size(1)
    logits = model(input_ids=ids, attention_mask=mask).logits[:, -width - 1:-1].float()
    return logits.log_softmax(-1).gather(-1, inputs["completion_ids"].unsqueeze(-1)).squeeze(-1)


@pytest.mark.parametrize("loss_type", ["grpo", "dapo"])
def test_the_clipped_loss_and_its_gradient_equal_a_hand_computation(loss_type, tiny, problems, tmp_path):
    """Old log-probs moved off the current ones, so that ratios fall outside [1 - eps, 1 + eps] on both sides:
    L = -reduce(min(r A, clip(r, 0.8, 1.2) A)) over the completion tokens, with `grpo` each completion's token
    mean averaged over completions (the reference's reduction), with `dapo` the mean over the batch's tokens."""
    trainer, _ = make_trainer("loop", tiny, problems, tmp_path, verify_coef=0.0, num_iterations=2,
                              loss_type=loss_type, prompts_per_step=4)
    trainer.model.train()
    torch.manual_seed(0)
    inputs = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))
    assert "old_per_token_logps" in inputs  # several epochs: TRL keeps the sampling policy's log-probs
    model = trainer.model
    model.eval()  # no dropout: the trainer's pass and ours see the same function
    mask = inputs["completion_mask"].float()
    with torch.no_grad():
        current = completion_logps(model, inputs)
    shift = torch.empty_like(current).uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(1))
    inputs["old_per_token_logps"] = (current + shift) * mask
    advantages = inputs["advantages"][:, None]
    assert advantages.abs().sum() > 0

    model.zero_grad(set_to_none=True)
    loss = trainer._compute_loss(model, inputs)
    loss.backward()
    trl_grads = [p.grad.clone() for p in model.parameters()]

    model.zero_grad(set_to_none=True)
    ratio = torch.exp(completion_logps(model, inputs) - inputs["old_per_token_logps"])
    per_token = -torch.min(ratio * advantages, ratio.clamp(0.8, 1.2) * advantages)
    if loss_type == "grpo":
        hand = ((per_token * mask).sum(1) / mask.sum(1).clamp(min=1)).mean()
    else:
        hand = (per_token * mask).sum() / mask.sum()
    hand.backward()
    clipped = (mask > 0) & (advantages != 0) & ((ratio < 0.8) | (ratio > 1.2))
    assert ((ratio < 0.8) & clipped).any() and ((ratio > 1.2) & clipped).any()  # both sides of the clip act
    assert loss.item() == pytest.approx(hand.item(), rel=1e-4, abs=1e-6)
    for trl_grad, param in zip(trl_grads, model.parameters()):
        assert torch.allclose(trl_grad, param.grad, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("verify_coef", [0.0, 1.0])
def test_two_epochs_train_on_one_generation_and_store_its_rollouts_once(verify_coef, tiny, problems, tmp_path):
    trainer, store = make_trainer("loop", tiny, problems, tmp_path, verify_coef=verify_coef, steps=2,
                                  num_iterations=2, loss_type="grpo")
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    store.flush()
    rollouts = pd.read_parquet(store.path)
    assert len(rollouts) == 2 * 4 and set(rollouts["step"]) == {0}  # 2 optimizer steps, 1 generation
    logged = [row for row in trainer.state.log_history if "loss" in row and "step" in row]
    assert len(logged) == 2 and all(math.isfinite(row["loss"]) for row in logged)
    assert "loop/abs_advantage" in logged[0] and "loop/abs_advantage" not in logged[1]  # advantages made once
    assert all("clip_ratio/region_mean" in row for row in logged)
    assert all(("verifier/loss" in row) == (verify_coef > 0) for row in logged)
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())


def test_loops_trl_config_carries_its_epochs_clip_and_reduction(tmp_path):
    from rlv.training.params import RLParams
    from rlv.training.run import trl_config
    params = RLParams(trainer="loop", verify_coef=1.0, steps=4, learning_rate=1e-3, prompts_per_step=2,
                      num_generations=4, max_completion_length=8, temperature=1.0, seed=0, num_iterations=2,
                      epsilon=0.1, loss_type="grpo", device="cpu")
    config = trl_config(params, str(tmp_path))
    assert type(config).__name__ == "GRPOConfig"
    assert (config.num_iterations, config.epsilon, config.loss_type, config.beta) == (2, 0.1, "grpo", 0.0)
