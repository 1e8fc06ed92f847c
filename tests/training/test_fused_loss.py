"""The fused RL^V loss step (verification suffix on the RL loss's own forward pass) against the separate pass:
the same RL log-probs, the same joint loss and the same gradients, for GRPO and leave-one-out PPO, on a batch
with left-padded prompts and right-padded completions of every kind (ended by EOS, truncated, EOS only, and a
generated pad token before the EOS, which the widened layout cannot hold and verifies separately)."""

import pytest
import torch

from helpers import make_trainer
from rlv.verifier import fused_layout, strip_trailing, verification_suffix_ids


WINDOW = 48


def varied_rollouts(trainer, tokenizer):
    """One generated batch with its completions cut to lengths that exercise every padding case."""
    trainer.model.train()
    inputs = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    width = WINDOW  # a wider completion window than generated: the short rows' suffixes fit in its padding
    device = inputs["completion_ids"].device  # the trainer's: cuda where one is visible
    ids = torch.full((len(inputs["completion_ids"]), width), pad, device=device)
    mask = torch.zeros_like(ids)
    generated = inputs["completion_ids"].size(1)
    ids[:, :generated], mask[:, :generated] = inputs["completion_ids"], inputs["completion_mask"]
    plans = {0: [5, 6, eos], 1: None, 2: [eos], 3: [7, pad, eos], 4: [8] * (width - 1) + [eos], 5: [9, 10, 11, 12],
             6: [13, eos], 7: [pad]}  # None: keep the generated row as it is
    for row, tokens in plans.items():
        if tokens is None:
            continue
        ids[row] = pad
        ids[row, :len(tokens)] = torch.tensor(tokens, device=device)
        mask[row] = 0
        mask[row, :len(tokens)] = 1
    inputs["completion_ids"], inputs["completion_mask"] = ids, mask
    assert (inputs["prompt_mask"] == 0).any(), "the test needs left-padded prompts"
    if "old_logps" in inputs:  # leave-one-out PPO keeps the sampling policy's sequence log-probs: redo them
        with torch.no_grad():
            per_token, _, _ = trainer._get_per_token_logps_and_entropies(
                trainer.model, torch.cat([inputs["prompt_ids"], ids], 1), torch.cat([inputs["prompt_mask"], mask], 1),
                width)
        inputs["old_logps"] = (per_token * mask).sum(1)
    return inputs


def loss_and_gradients(trainer, inputs, fuse):
    trainer.fuse_verification = fuse
    trainer.model.zero_grad(set_to_none=True)
    loss = trainer._compute_loss(trainer.model, inputs)
    loss.backward()
    return loss.item(), {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("kind", ["grpo", "rloo"])
@pytest.mark.parametrize("path", ["cache", "split", "widen"])
def test_fused_loss_and_gradients_equal_the_separate_pass(kind, path, tiny, problems, tmp_path):
    """The suffix on the RL pass's cache (the default), and written into the batch (under gradient
    checkpointing), with the longest rows verified apart (split) or the batch widened for them."""
    trainer, _ = make_trainer(kind, tiny, problems, tmp_path, verify_coef=0.7, prompts_per_step=4,
                              num_generations=8)
    trainer.fused_on_cache, trainer.fused_split_long = path == "cache", path == "split"
    inputs = varied_rollouts(trainer, tiny[1])
    if path != "cache":
        layout = fused_layout(torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1),
                              torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1),
                              inputs["completion_ids"].size(1), trainer.verification_suffix, trainer._drop_ids,
                              path == "split")
        assert layout["fused"].sum() >= 4 and not layout["fused"][3]  # row 3's pad-then-EOS tail is verified apart
        assert layout["fused"][4] != (path == "split")  # the longest completion widens the batch only when not split
    trainer.model.eval()  # no dropout: both paths see the same function
    fused_loss, fused_grads = loss_and_gradients(trainer, inputs, fuse=True)
    separate_loss, separate_grads = loss_and_gradients(trainer, inputs, fuse=False)
    assert fused_loss == pytest.approx(separate_loss, rel=1e-5)
    assert fused_grads.keys() == separate_grads.keys() and len(fused_grads) > 0
    for name, grad in fused_grads.items():
        torch.testing.assert_close(grad, separate_grads[name], rtol=1e-4, atol=1e-6)
    # the verification loss is a real part of both: without it the loss and the gradients change
    trainer.verify_coef = 0.0
    rl_loss, rl_grads = loss_and_gradients(trainer, inputs, fuse=True)
    assert abs(fused_loss - rl_loss) > 1e-3
    assert any(not torch.allclose(rl_grads[n], fused_grads[n]) for n in rl_grads)


@pytest.mark.parametrize("kind", ["grpo", "rloo"])
@pytest.mark.parametrize("on_cache", [True, False], ids=["cache", "layout"])
def test_fused_pass_gives_trls_rl_logprobs(kind, on_cache, tiny, problems, tmp_path):
    trainer, _ = make_trainer(kind, tiny, problems, tmp_path, verify_coef=1.0)
    trainer.fused_on_cache = on_cache
    inputs = varied_rollouts(trainer, tiny[1])
    trainer.model.eval()
    input_ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
    attention_mask = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
    width = inputs["completion_ids"].size(1)
    with torch.no_grad():
        plain, plain_entropy, _ = trainer._get_per_token_logps_and_entropies(
            trainer.model, input_ids, attention_mask, width, compute_entropy=True)
        trainer._fuse_next_pass = True
        fused, fused_entropy, _ = trainer._get_per_token_logps_and_entropies(
            trainer.model, input_ids, attention_mask, width, compute_entropy=True)
    assert not trainer._fuse_next_pass and trainer._verdict_logits.shape[0] == input_ids.size(0)
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(fused_entropy, plain_entropy, rtol=1e-5, atol=1e-5)
    assert (fused[inputs["completion_mask"] == 0] == 0).all()  # padding scores 0, as in TRL


def test_layout_puts_the_suffix_after_the_last_real_token(tiny):
    _, tokenizer = tiny
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    suffix = verification_suffix_ids(tokenizer)
    assert suffix[0] == eos  # the suffix re-opens with the end-of-turn token a finished completion ends with
    prompts = [[pad, pad, 40, 41], [42, 43, 44, 45]]
    completions = [[50, 51, eos, pad, pad], [52, 53, 54, 55, 56]]  # finished early; truncated at the window
    input_ids = torch.tensor([p + c for p, c in zip(prompts, completions)])
    attention_mask = (input_ids != pad).long()
    layout = fused_layout(input_ids, attention_mask, 5, suffix, {eos, pad}, split_long=False)
    rows = [layout["input_ids"][r][layout["attention_mask"][r].bool()].tolist() for r in range(2)]
    assert rows[0] == [40, 41, 50, 51] + suffix
    assert rows[1] == [42, 43, 44, 45, 52, 53, 54, 55, 56] + suffix
    assert layout["input_ids"].shape[1] == 4 + 5 + len(suffix)
    for r in range(2):
        assert layout["verdict_index"][r].item() == layout["attention_mask"][r].nonzero().max().item()
        assert rows[r] == [t for t in input_ids[r].tolist() if t != pad][:len(prompts[r]) - prompts[r].count(pad)] + \
            strip_trailing([t for t in completions[r] if t != pad], {eos, pad}) + suffix
    assert layout["fused"].all()
    # with splitting, one long row among many short ones is left out rather than widening every row
    many = torch.cat([input_ids[:1].repeat(20, 1), input_ids[1:]])
    split = fused_layout(many, (many != pad).long(), 5, suffix, {eos, pad})
    assert split["fused"].tolist() == [True] * 20 + [False] and split["input_ids"].shape[1] == 4 + 2 + len(suffix)
    # a generated pad token before the EOS is not a prefix of the suffix: that row is flagged
    odd = torch.tensor([[40, 41, 50, pad, eos]])
    assert not fused_layout(odd, torch.ones_like(odd), 3, suffix, {eos, pad})["fused"].item()


def test_gradient_checkpointing_takes_the_layout_and_gives_the_same_loss_and_gradients(tiny, problems, tmp_path):
    """transformers drops the cache under gradient checkpointing: the trainer writes the suffix into the batch
    there, with the cache path's loss and gradients."""
    trainer, _ = make_trainer("grpo", tiny, problems, tmp_path, verify_coef=0.7, prompts_per_step=4,
                              num_generations=8)
    inputs = varied_rollouts(trainer, tiny[1])
    trainer.model.train()  # checkpointing acts in training mode only (the tiny model has no dropout)
    trainer.current_gradient_accumulation_steps = 1  # set by train(); the training loss divides by it
    calls = []
    layout = trainer._fused_in_layout
    trainer._fused_in_layout = lambda *args: calls.append(1) or layout(*args)
    cache_loss, cache_grads = loss_and_gradients(trainer, inputs, fuse=True)
    assert not calls
    trainer.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    checkpointed_loss, checkpointed_grads = loss_and_gradients(trainer, inputs, fuse=True)
    assert calls
    assert checkpointed_loss == pytest.approx(cache_loss, rel=1e-5)
    for name, grad in cache_grads.items():
        torch.testing.assert_close(checkpointed_grads[name], grad, rtol=1e-4, atol=1e-6)
