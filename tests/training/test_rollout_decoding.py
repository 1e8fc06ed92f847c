"""Training rollouts through rlv.inference.decoding (rlv.training.rollout_decoding): the same rollouts as TRL's
`generate` where both are deterministic, the tempered law, seeds that survive a resume, and every trainer on it."""

import numpy as np
import pytest
import torch

from helpers import make_trainer
from rlv.training.rollout_decoding import prompt_runs, rollout_seed
from rlv.tasks.chat import prompt_ids


@pytest.fixture
def varied_greedy(tiny):
    """The tiny model with its logits replaced by a fixed random projection of the (standardized) last hidden state,
    EOS raised by 4: its greedy rollouts vary from token to token (the untrained model repeats one token) and some
    end at EOS (6 tokens) while others run to the limit."""
    model, tokenizer = tiny
    projection = torch.randn(model.config.hidden_size, model.config.vocab_size,
                             generator=torch.Generator().manual_seed(0))

    def project(module, args, logits):
        hidden = args[0]
        logits = ((hidden - hidden.mean(-1, keepdim=True)) / hidden.std(-1, keepdim=True)) @ projection
        logits[..., tokenizer.eos_token_id] += 4.0
        return logits
    model.get_output_embeddings().register_forward_hook(project)
    return model, tokenizer


def repeated_prompts(tokenizer, problems, counts):
    return [prompt_ids(tokenizer, text, "") for text, count in zip(problems["problem"], counts) for _ in range(count)]


def test_prompt_runs_group_equal_neighbours_only():
    assert prompt_runs([[1], [1], [2], [2], [2], [1]]) == ([[1], [2], [1]], [2, 3, 1])
    assert prompt_runs([]) == ([], [])


def test_seeds_differ_by_every_coordinate():
    seeds = {rollout_seed(s, step, p, c) for s in (0, 1) for step in (0, 1) for p in (0, 1) for c in (0, 1)}
    assert len(seeds) == 16 and all(0 <= s < 2 ** 63 for s in seeds)


@pytest.mark.parametrize("kind", ["grpo", "rloo"])
def test_greedy_rollouts_equal_transformers_generate(kind, varied_greedy, problems, tmp_path):
    """At temperature 0 both decoders are deterministic: the same completion ids (EOS kept, cut at
    max_completion_length, groups of 4 and a group split in two), in the shape each TRL trainer returns."""
    trainer, _ = make_trainer(kind, varied_greedy, problems, tmp_path)
    prompts = repeated_prompts(trainer.processing_class, problems, [4, 2, 2, 4])
    trainer.temperature = 0.0  # the rlv decoder's greedy
    ours = trainer._generate_single_turn(prompts, None, {}, *([4] if kind == "grpo" else []))
    trainer.rollout_decoder = "transformers"
    trainer.generation_config.do_sample = False
    theirs = trainer._generate_single_turn(prompts, None, {}, *([4] if kind == "grpo" else []))
    if kind == "grpo":
        assert ours[1] is None and theirs[1] is None
        ours, theirs = ours[0], theirs[0]
    assert ours == theirs
    lengths = {len(ids) for ids in ours}
    assert 12 in lengths and min(lengths) < 12  # some cut at the limit, some closed by EOS
    assert all(ids[-1] == trainer.processing_class.eos_token_id for ids in ours if len(ids) < 12)


def test_rollouts_follow_the_tempered_law(tiny, problems, tmp_path):
    """The trainer's temperature reaches the decoder: 20000 first tokens at temperature 0.7 against the exact
    softmax(logits / 0.7), tokens binned into 8 bins of equal mass; each bin within 4.5 standard errors."""
    trainer, _ = make_trainer("grpo", tiny, problems, tmp_path, temperature=0.7)
    model, tokenizer = tiny
    prompt = repeated_prompts(tokenizer, problems, [1])[0]
    draws = 20000
    first = [ids[0] for ids in trainer.decode([prompt] * draws, 1)]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([prompt])).logits[0, -1].float()
    law = (logits / 0.7).softmax(-1).double().numpy()
    order = np.argsort(-law)
    bin_of = np.empty(len(law), dtype=int)
    bin_of[order] = np.minimum((np.cumsum(law[order]) * 8).astype(int), 7)
    observed = np.bincount(bin_of[first], minlength=8) / draws
    expected = np.bincount(bin_of, weights=law, minlength=8)
    assert np.all(np.abs(observed - expected) < 4.5 * np.sqrt(expected * (1 - expected) / draws)), (observed, expected)


def test_the_same_step_samples_the_same_rollouts_whatever_came_before(tiny, problems, tmp_path):
    """A resumed run has its step but not the uninterrupted run's history of random draws: rollouts depend on
    (seed, step, process, call) alone, and the second call of a step differs from the first."""
    first, _ = make_trainer("grpo", tiny, problems, tmp_path / "a")
    prompts = repeated_prompts(tiny[1], problems, [4, 4])
    first.state.global_step = 3
    once, twice = first.decode(prompts, 12), first.decode(prompts, 12)
    resumed, _ = make_trainer("grpo", tiny, problems, tmp_path / "b")
    torch.manual_seed(1234)
    torch.rand(100)  # another history of global draws
    resumed.state.global_step = 3
    assert resumed.decode(prompts, 12) == once and once != twice
    resumed.state.global_step = 4
    assert resumed.decode(prompts, 12) != once


@pytest.mark.parametrize("kind", ["grpo", "rloo", "loop", "vineppo"])
def test_every_trainer_trains_on_the_rlv_decoder_alone(kind, tiny, problems, tmp_path, monkeypatch):
    """A step of each trainer (VinePPO's Monte Carlo continuations included) never calls `generate`."""
    from rlv.training.trainers import TRAINERS
    if kind not in TRAINERS:
        pytest.skip(f"no {kind} trainer")
    trainer, store = make_trainer(kind, tiny, problems, tmp_path, steps=1)

    def refuse(*args, **kwargs):
        raise AssertionError("transformers' generate was called")
    monkeypatch.setattr(type(trainer.model), "generate", refuse)
    trainer.train()
    store.flush()
    assert trainer.state.global_step == 1 and len(store.rows) == 8


def test_transformers_decoder_remains_selectable(tiny, problems, tmp_path, monkeypatch):
    trainer, _ = make_trainer("grpo", tiny, problems, tmp_path, steps=1)
    trainer.rollout_decoder = "transformers"
    calls = []
    generate = type(trainer.model).generate
    monkeypatch.setattr(type(trainer.model), "generate", lambda *a, **k: calls.append(1) or generate(*a, **k))
    trainer.train()
    assert calls
