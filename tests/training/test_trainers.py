"""RL^V on TRL: a few real steps of GRPO^V and leave-one-out PPO^V, the rollout store, and the joint loss
against a hand computation of L_RL + lambda * L_verify."""

import math

import pandas as pd
import pytest
import torch

from helpers import make_trainer
from rlv.rollouts import TRAIN_COLUMNS
from rlv.verifier import answer_token_ids, strip_trailing, verification_suffix_ids


@pytest.mark.parametrize("kind", ["grpo", "rloo"])
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


@pytest.mark.parametrize("kind", ["grpo", "rloo"])
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
    assert joint - rl_only == pytest.approx(0.7 * hand, rel=1e-4)
    assert set(inputs["verification_labels"].tolist()) <= {0.0, 1.0}
