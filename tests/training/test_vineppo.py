"""VinePPO: step boundaries, per-step advantages, the prompt's Monte Carlo value and the whitening against hand
computations, Monte Carlo values against brute-force enumeration, and real training steps of VinePPO^V (with the
reference's two epochs and KL term) on a toy model."""

import itertools
import math

import pandas as pd
import pytest
import torch

from helpers import parity_reward
from rlv.rollouts import RolloutStore
from rlv.training.params import RLParams
from rlv.training.run import prompt_dataset, trainer_options, trl_config
from rlv.training.trainers import TRAINERS
from rlv.training.vineppo import (leave_one_out_means, masked_whiten, monte_carlo_values, step_advantages,
                                  step_boundaries, step_ends)


def test_steps_end_after_marker_tokens_and_merge_into_at_most_max_steps_chunks():
    tokens = ["$1", "$.", " $2", "=", "3\n", "x", "$.", " The", " end"]
    assert step_ends(tokens, ["\n", "."]) == [2, 5, 7, 9]  # the tail after the last marker is a step too
    assert step_boundaries(tokens, ["\n", "."], max_steps=10) == [0, 2, 5, 7, 9]
    # 4 steps into 2 chunks of 2 steps; into 3 chunks: steps [0], [1], [2, 3] (j * 4 // 3 = 0, 1, 2, 4)
    assert step_boundaries(tokens, ["\n", "."], max_steps=2) == [0, 5, 9]
    assert step_boundaries(tokens, ["\n", "."], max_steps=3) == [0, 2, 5, 9]
    assert step_boundaries(tokens, ["\n", "."], max_steps=1) == [0, 9]
    assert step_boundaries(tokens, ["#"], max_steps=4) == [0, 9]  # no marker: one step
    assert step_boundaries(["a", "."], ["."], max_steps=4) == [0, 2]  # ends on a marker: no empty last step
    assert step_boundaries([], ["."], max_steps=4) == [0]
    with pytest.raises(ValueError, match="max_steps"):
        step_boundaries(tokens, ["."], max_steps=0)


def test_step_advantages_are_value_differences_over_each_steps_tokens():
    # V(s_0) = 0.5 (prompt), V(s_1) = 0.25 (MC), V(s_2) = 1 (reward); 5 real tokens in a row of width 7
    advantages = step_advantages([0, 2, 5], [0.5, 0.25, 1.0], width=7)
    assert advantages.tolist() == [-0.25, -0.25, 0.75, 0.75, 0.75, 0.0, 0.0]
    # the advantages of a rollout's tokens, weighted by step length, telescope: sum over steps = V(end) - V(prompt)
    assert step_advantages([0, 3], [0.75, 0.0], width=3).tolist() == [-0.75] * 3
    with pytest.raises(ValueError, match="values"):
        step_advantages([0, 2, 5], [0.5, 1.0], width=7)


def test_leave_one_out_means_by_hand():
    rewards = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    assert leave_one_out_means(rewards, 3).tolist() == pytest.approx([0.5, 1.0, 0.5, 0.0, 0.5, 0.5])
    assert leave_one_out_means(rewards, 1).tolist() == [0.0] * 6


def test_whitening_by_hand_over_the_masked_tokens_of_every_process():
    values = torch.tensor([[1.0, 2.0, 3.0, 9.0], [4.0, 5.0, 9.0, 9.0]])  # 9: padding
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    # tokens 1..5: mean 3, unbiased variance (4 + 1 + 0 + 1 + 4) / 4 = 2.5
    scale = math.sqrt(2.5 + 1e-8)
    expected = [[-2 / scale, -1 / scale, 0.0, 0.0], [1 / scale, 2 / scale, 0.0, 0.0]]
    assert masked_whiten(values, mask).tolist() == [pytest.approx(row) for row in expected]
    # two processes, rows 0 and 1: each whitens with the pooled statistics (its reduce sums both processes' totals)
    totals = [torch.stack([(values[r] * mask[r]).sum(), (values[r] ** 2 * mask[r]).sum(), mask[r].sum()]).double()
              for r in range(2)]
    pooled = totals[0] + totals[1]
    for r in range(2):
        assert masked_whiten(values[r:r + 1], mask[r:r + 1], lambda own: pooled).tolist() == [
            pytest.approx(expected[r])]
    assert masked_whiten(values, torch.zeros_like(mask)).tolist() == [[0.0] * 4] * 2
    assert masked_whiten(torch.full((1, 3), 0.5), torch.ones(1, 3)).tolist() == [[0.0] * 3]  # all equal: 0


def test_monte_carlo_values_equal_brute_force_values_when_the_samples_enumerate_every_continuation():
    """Toy policy: a string of 4 fair bits, reward 1 if it holds at least 3 ones. A state is a prefix; the stub
    generator gives the j-th copy of a state the j-th of its 2^(4 - len) continuations (cyclically), so with 16
    samples per state the Monte Carlo mean is the exact expectation, which brute force computes on its own."""
    length = 4

    def reward(bits):
        return float(sum(bits) >= 3)

    def brute_force(prefix):
        tails = list(itertools.product([0, 1], repeat=length - len(prefix)))
        return sum(reward(prefix + tail) for tail in tails) / len(tails)

    calls = []

    def rollout_rewards(entries):
        calls.append(list(entries))
        seen = {}
        out = []
        for prefix in entries:
            j = seen[prefix] = seen.get(prefix, -1) + 1
            tails = list(itertools.product([0, 1], repeat=length - len(prefix)))
            out.append(reward(prefix + tails[j % len(tails)]))
        return out

    states = [(1,), (0, 1), (1,), (1, 1, 0), (0,), (0, 1)]  # duplicates are estimated once
    values, unique = monte_carlo_values(states, 16, rollout_rewards)
    assert values == [brute_force(s) for s in states]
    assert values[:2] == [0.5, 0.25]  # by hand: (1,): 4 of 8 tails; (0, 1): 1 of 4
    assert unique == 4 and len(calls) == 1 and len(calls[0]) == 4 * 16
    assert calls[0][:16] == [(1,)] * 16  # each state's samples in a row
    assert monte_carlo_values([], 16, rollout_rewards) == ([], 0)


def make_vineppo(tiny, problems, tmp_path, verify_coef=1.0, steps=1, **vine):
    model, tokenizer = tiny
    params = RLParams(**{"trainer": "vineppo", "verify_coef": verify_coef, "steps": steps, "learning_rate": 1e-3,
                         "prompts_per_step": 2, "num_generations": 4, "max_completion_length": 12, "temperature": 1.0,
                         "beta": 0.0, "seed": 0, "vine_mc_samples": 2, "vine_max_steps": 3, **vine})
    store = RolloutStore(tmp_path / "rollouts.parquet", run="vineppo", seed=0)
    trainer = TRAINERS["vineppo"](model=model, reward_funcs=[parity_reward], args=trl_config(params, str(tmp_path / "o")),
                                  train_dataset=prompt_dataset(problems.head(16), ""), processing_class=tokenizer,
                                  verify_coef=verify_coef, rollout_store=store, **trainer_options(params))
    return trainer, store


MARKERS = ["1", "2", "3", "+", " "]  # frequent token texts of the toy tokenizer: most random completions have steps


def test_advantages_are_per_token_step_value_differences(tiny, problems, tmp_path, monkeypatch):
    """With continuations stubbed to stop at once, V(prefix) is the reward of the prefix alone, so every
    token's advantage can be computed by hand from the rollouts. Unwhitened, with the group's leave-one-out mean
    as the prompt's value (vine_whiten false, vine_prompt_value leave_one_out): the raw step differences, as
    before the defaults became the reference's (see the next test for those)."""
    trainer, _ = make_vineppo(tiny, problems, tmp_path, vine_step_markers=MARKERS, vine_whiten=False,
                              vine_prompt_value="leave_one_out")
    eos = trainer.processing_class.eos_token_id
    sampled = []
    monkeypatch.setattr(trainer, "_sample_continuations", lambda states: sampled.extend(states) or [[eos]] * len(states))
    trainer.model.train()
    batch = next(iter(trainer.get_train_dataloader()))
    inputs = trainer._generate_and_score_completions(batch)
    tokenizer = trainer.processing_class
    advantages = inputs["advantages"]
    assert advantages.shape == inputs["completion_ids"].shape
    rewards = trainer._batch_rewards.tolist()
    multi_step = 0
    for i in range(len(rewards)):
        length = int(inputs["completion_mask"][i].sum())
        ids = inputs["completion_ids"][i, :length].tolist()
        bounds = step_boundaries([tokenizer.decode([t]) for t in ids], MARKERS, 3)
        others = [rewards[j] for j in range(4 * (i // 4), 4 * (i // 4) + 4) if j != i]
        values = [sum(others) / 3]
        values += [parity_reward([[{"content": tokenizer.decode(ids[:b], skip_special_tokens=True)}]])[0]
                   for b in bounds[1:-1]]
        values.append(rewards[i])
        multi_step += len(bounds) > 2
        expected = step_advantages(bounds, values, advantages.size(1))
        assert advantages[i].tolist() == pytest.approx(expected.tolist())
        # the step advantages telescope to reward - leave-one-out baseline (RLOO's advantage) summed per step
        firsts = bounds[:-1]
        assert sum(advantages[i, b].item() for b in firsts) == pytest.approx(rewards[i] - values[0])
    assert multi_step > 0 and sampled  # the batch had interior states to estimate
    assert len(sampled) == len(set(sampled)) * 2  # unique states, 2 samples each
    assert trainer._metrics["train"]["vine/mc_states"][-1] == len(set(sampled))


def test_default_advantages_use_the_prompts_monte_carlo_value_and_are_whitened(tiny, problems, tmp_path, monkeypatch):
    """The reference's algorithm (the defaults): V(s_0) is the mean reward of continuations from the prompt itself,
    and the step differences are whitened over the batch's completion tokens. Stubbed continuations: the j-th
    sample from a state appends j one-character tokens, so with 3 samples V(state) = mean over j < 3 of the parity
    reward of its text + j characters, by hand."""
    trainer, _ = make_vineppo(tiny, problems, tmp_path, vine_step_markers=MARKERS, vine_mc_samples=3)
    tokenizer = trainer.processing_class
    one = tokenizer.convert_tokens_to_ids("1")
    assert tokenizer.decode([one]) == "1"
    sampled, seen = [], {}

    def continuations(states):
        out = []
        for state in states:
            j = seen[state] = seen.get(state, -1) + 1
            sampled.append(state)
            out.append([one] * j + [tokenizer.eos_token_id])
        return out

    monkeypatch.setattr(trainer, "_sample_continuations", continuations)
    trainer.model.train()
    inputs = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))

    def value(prefix_ids):
        text = tokenizer.decode(list(prefix_ids), skip_special_tokens=True)
        return sum(parity_reward([[{"content": text + "1" * j}]])[0] for j in range(3)) / 3

    rewards = trainer._batch_rewards.tolist()
    mask = inputs["completion_mask"]
    raw = torch.zeros(inputs["completion_ids"].shape)
    prompts = set()
    for i in range(len(rewards)):
        length = int(mask[i].sum())
        ids = inputs["completion_ids"][i, :length].tolist()
        prompt = tuple(inputs["prompt_ids"][i][inputs["prompt_mask"][i].bool()].tolist())
        bounds = step_boundaries([tokenizer.decode([t]) for t in ids], MARKERS, 3)
        if len(bounds) > 1:
            prompts.add(prompt)
            values = [value(()), *[value(ids[:b]) for b in bounds[1:-1]], rewards[i]]
            raw[i] = step_advantages(bounds, values, raw.size(1))
    assert value(()) == pytest.approx(2 / 3)  # "", "1", "11": even, odd, even
    assert {state for state in sampled if state[1] == ()} == {(p, ()) for p in prompts}  # the prompts' own states
    assert all(sampled.count((p, ())) == 3 for p in prompts)  # once per distinct prompt, not per rollout
    tokens = raw[mask.bool()]
    expected = (raw - tokens.mean()) / torch.sqrt(tokens.var() + 1e-8) * mask  # var: unbiased, as the reference
    assert inputs["advantages"].tolist() == [pytest.approx(row, abs=1e-5) for row in expected.tolist()]
    whitened = inputs["advantages"][mask.bool()]
    assert whitened.mean().item() == pytest.approx(0.0, abs=1e-5) and whitened.std().item() == pytest.approx(1.0, 1e-4)
    assert trainer._metrics["train"]["vine/abs_advantage"][-1] == pytest.approx(tokens.abs().mean().item(), 1e-5)


def test_continuations_respect_the_rollouts_token_budget(tiny, problems, tmp_path):
    trainer, _ = make_vineppo(tiny, problems, tmp_path, vine_step_markers=MARKERS)
    prompt = tuple(trainer.processing_class("Solve 1+1.")["input_ids"])
    states = [(prompt, (5, 6, 7)), (prompt, tuple(range(5, 16)))]  # budgets 12 - 3 = 9 and 12 - 11 = 1
    continuations = trainer._sample_continuations(states)
    assert 1 <= len(continuations[0]) <= 9 and len(continuations[1]) == 1
    for row in continuations:  # cut at the first EOS, kept
        eos = [j for j, t in enumerate(row) if t in trainer.eos_token_ids]
        assert eos in ([], [len(row) - 1])


@pytest.mark.parametrize("verify_coef", [0.0, 1.0])
def test_one_vineppo_step_trains_and_stores_its_rollouts(verify_coef, tiny, problems, tmp_path):
    trainer, store = make_vineppo(tiny, problems, tmp_path, verify_coef=verify_coef, vine_step_markers=MARKERS)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    store.flush()
    rollouts = pd.read_parquet(store.path)
    assert len(rollouts) == 2 * 4 and set(rollouts["step"]) == {0}
    logged = [row for row in trainer.state.log_history if "vine/mc_states" in row]
    assert len(logged) == 1 and logged[0]["vine/mc_states"] > 0
    assert math.isfinite(logged[0]["loss"])
    assert ("verifier/loss" in logged[0]) == (verify_coef > 0)
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())


def test_the_reference_epochs_and_kl_reach_trl_and_train(tiny, problems, tmp_path):
    """VinePPO's reference runs 2 epochs per batch of rollouts and a KL penalty of 1e-4 to the starting model:
    num_iterations 2 gives one generation (and one Monte Carlo valuation) for two optimizer steps, beta 1e-4 a
    reference model and TRL's KL term."""
    trainer, store = make_vineppo(tiny, problems, tmp_path, steps=2, num_iterations=2, beta=1e-4,
                                  vine_step_markers=MARKERS)
    assert (trainer.num_iterations, trainer.beta) == (2, 1e-4) and trainer.ref_model is not None
    trainer.train()
    store.flush()
    rollouts = pd.read_parquet(store.path)
    assert len(rollouts) == 2 * 4 and set(rollouts["step"]) == {0}
    logged = [row for row in trainer.state.log_history if "loss" in row and "step" in row]
    assert len(logged) == 2 and all(math.isfinite(row["kl"]) and row["kl"] >= 0 for row in logged)
    assert logged[0]["kl"] == pytest.approx(0.0, abs=1e-6)  # the first pass is the starting model itself
    assert [("vine/mc_states" in row) for row in logged] == [True, False]


def test_bad_vine_keys_are_refused(tiny, problems, tmp_path):
    with pytest.raises(ValueError, match="vine_mc_samples"):
        make_vineppo(tiny, problems, tmp_path, vine_mc_samples=0)
    with pytest.raises(ValueError, match="vine_prompt_value"):
        make_vineppo(tiny, problems, tmp_path, vine_prompt_value="group")
