"""RL^V on TRL: a few real steps of GRPO^V, RLOO^V and LOOP^V, the rollout store, the joint loss against a hand
computation of L_RL + lambda * L_verify, and GRPO's reward scaling (Dr. GRPO's none) by hand."""

import math

import pandas as pd
import pytest
import torch

from helpers import make_trainer
from rlv.rollouts import TRAIN_COLUMNS
from rlv.verifier import answer_token_ids, strip_trailing, verification_suffix_ids


@pytest.mark.parametrize("kind", ["grpo", "rloo", "loop"])
def test_a_few_steps_train_and_store_every_rollout(kind, tiny, problems, tmp_path):
    trainer, store = make_trainer(kind, tiny, problems, tmp_path)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    store.flush()
    rollouts = pd.read_parquet(store.path)
    assert list(rollouts.columns) == TRAIN_COLUMNS
    assert len(rollouts) == 2 * 2 * 4  # steps x prompts x generations
    assert sorted(rollouts["step"].unique()) == [0, 1]
    assert (rollouts.groupby(["step", "group"]).size() == 4).all()
    assert (rollouts["label"] == (rollouts["reward"] >= 0.5)).all()
    assert set(rollouts["reward"]) == {0.0, 1.0}
    assert rollouts["completion"].str.len().mod(2).eq(0).eq(rollouts["reward"] == 1).all()
    logged = [row for row in trainer.state.log_history if "verifier/loss" in row]
    assert len(logged) == 2 and all(math.isfinite(row["verifier/loss"]) for row in logged)
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())


@pytest.mark.parametrize("kind", ["grpo", "rloo", "loop"])
@pytest.mark.parametrize("fuse", [True, False], ids=["fused", "separate"])
def test_joint_loss_is_rl_loss_plus_lambda_times_hand_verification_loss(kind, fuse, tiny, problems, tmp_path):
    trainer, _ = make_trainer(kind, tiny, problems, tmp_path, verify_coef=0.7)
    trainer.fuse_verification = fuse
    model, tokenizer = tiny
    trainer.model.train()
    batch = next(iter(trainer.get_train_dataloader()))
    inputs = trainer._generate_and_score_completions(batch)
    trainer.model.eval()  # no dropout: both passes see the same function
    with torch.no_grad():
        joint = trainer._compute_loss(trainer.model, inputs).item()
        trainer.verify_coef = 0.0
        rl_only = trainer._compute_loss(trainer.model, inputs).item()

    yes, no = answer_token_ids(tokenizer)
    suffix = verification_suffix_ids(tokenizer)
    losses = []
    for row in range(inputs["prompt_ids"].shape[0]):
        prompt = inputs["prompt_ids"][row][inputs["prompt_mask"][row].bool()].tolist()
        completion = inputs["completion_ids"][row][inputs["completion_mask"][row].bool()].tolist()
        ids = torch.tensor([prompt + strip_trailing(completion, {tokenizer.eos_token_id, tokenizer.pad_token_id}) + suffix])
        with torch.no_grad():
            logprobs = model(input_ids=ids).logits[0, -1].log_softmax(-1)
        target = yes if inputs["verification_labels"][row] == 1 else no
        losses.append(-logprobs[target].item())
    hand = sum(losses) / len(losses)
    scale = trainer._verify_scale(inputs)  # 1 for GRPO: the paper's definition
    assert (scale == 1.0) == (kind == "grpo")
    assert joint - rl_only == pytest.approx(0.7 * scale * hand, rel=1e-4)
    assert set(inputs["verification_labels"].tolist()) <= {0.0, 1.0}


def test_rloos_scale_is_its_token_sum_and_advantages_over_grpos_by_hand(tiny, problems, tmp_path):
    from rlv.training.trainers import group_normalized
    trainer, _ = make_trainer("rloo", tiny, problems, tmp_path)
    trainer.model.train()
    inputs = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))
    lengths = inputs["completion_mask"].sum(1).double()
    rewards = trainer._batch_rewards.double()
    groups = rewards.view(-1, 4)
    leave_one_out = (groups - (groups.sum(1, keepdim=True) - groups) / 3).view(-1)  # RLOO's raw advantages
    normalized = group_normalized(rewards, 4)
    assert torch.allclose(inputs["advantages"].double(), leave_one_out, atol=1e-6)
    own = (lengths * leave_one_out.abs()).sum() / len(lengths)  # a sum over each rollout's tokens, mean over rollouts
    reference = (lengths * normalized.abs()).sum() / lengths.sum()  # GRPO's mean over the batch's tokens
    assert trainer._verify_scale(inputs) == pytest.approx(float(own / reference), rel=1e-5)


def gradient_norms(trainer, inputs):
    """|grad L_RL| and |grad lambda s L_verify| on one batch (the second as the joint loss's minus the first's)."""
    grads = []
    for coef in (0.0, 1.0):
        trainer.verify_coef = coef
        trainer.model.zero_grad(set_to_none=True)
        trainer._compute_loss(trainer.model, inputs).backward()
        grads.append(torch.cat([p.grad.flatten() for p in trainer.model.parameters() if p.grad is not None]))
    return grads[0].norm().item(), (grads[1] - grads[0]).norm().item()


def test_lambda_weighs_the_verification_term_alike_for_every_trainer(tiny, problems, tmp_path):
    """At the same lambda, |grad lambda L_verify| / |grad L_RL| on one batch is within a factor of 2 across the
    trainers (without the scale it is 13.6 for GRPO, 2.0 for RLOO and 24.0 for VinePPO on this batch)."""
    from rlv.training.trainers import TRAINERS
    ratios = {}
    for kind in [k for k in ("grpo", "rloo", "loop", "vineppo") if k in TRAINERS]:
        trainer, _ = make_trainer(kind, tiny, problems, tmp_path / kind, prompts_per_step=4, num_generations=8)
        trainer.model.train()
        trainer.current_gradient_accumulation_steps = 1  # train() sets it; the loss divides by it
        torch.manual_seed(0)
        inputs = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))
        rl, verify = gradient_norms(trainer, inputs)
        ratios[kind] = verify / rl
    assert max(ratios.values()) <= 2 * min(ratios.values()), ratios


@pytest.mark.parametrize("scale_rewards", ["group", "batch", "none"])
def test_grpos_reward_scaling_is_the_configs_by_hand(scale_rewards, tiny, problems, tmp_path):
    """scale_rewards reaches TRL: GRPO's advantage is the reward minus its group's mean, over the group's std
    (group, the default), the batch's std (batch) or nothing (none: with loss_type dr_grpo, Dr. GRPO)."""
    trainer, _ = make_trainer("grpo", tiny, problems, tmp_path, prompts_per_step=4, loss_type="dr_grpo",
                              scale_rewards=scale_rewards)
    assert (trainer.args.scale_rewards, trainer.loss_type) == (scale_rewards, "dr_grpo")
    trainer.model.train()
    inputs = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))
    rewards = trainer._batch_rewards.double()
    groups = rewards.view(-1, 4)
    centred = (groups - groups.mean(1, keepdim=True)).view(-1)
    std = {"group": groups.std(1).repeat_interleave(4), "batch": rewards.std(), "none": None}[scale_rewards]
    hand = centred if std is None else centred / (std + 1e-4)
    assert rewards.view(-1, 4).std(1).gt(0).any()  # some group has both outcomes: the scalings differ
    assert torch.allclose(inputs["advantages"].double(), hand, atol=1e-5)
