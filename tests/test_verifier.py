"""The verification question, loss and scores against hand computations on a tiny model."""

import math

import pytest
import torch

from rlv.tasks.chat import prompt_ids
from rlv.verifier import (VERIFICATION_QUESTION, answer_token_ids, forward_logits, score_solutions,
                          verification_batch, verification_loss, verification_suffix_ids)

SOLUTIONS = ["$3+4=7$. The answer is $\\boxed{7}$.", "$12-5=8$. The answer is $\\boxed{8}$."]
PROBLEMS = ["Compute $3+4$.", "Compute $12-5$."]


def transcript_ids(tokenizer, problem, solution):
    """The full chat transcript, rendered by the tokenizer's own template: the reference to match."""
    messages = [{"role": "user", "content": problem}, {"role": "assistant", "content": solution},
                {"role": "user", "content": VERIFICATION_QUESTION}]
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return tokenizer.encode(text, add_special_tokens=False)


def pieces(tokenizer):
    prompts = [prompt_ids(tokenizer, p, "") for p in PROBLEMS]
    completions = [tokenizer.encode(s, add_special_tokens=False) + [tokenizer.eos_token_id] for s in SOLUTIONS]
    return prompts, completions


def test_yes_and_no_are_single_tokens(tiny):
    _, tokenizer = tiny
    yes, no = answer_token_ids(tokenizer)
    assert tokenizer.decode([yes]) == "Yes" and tokenizer.decode([no]) == "No" and yes != no


def test_batch_reproduces_the_chat_transcript(tiny):
    _, tokenizer = tiny
    prompts, completions = pieces(tokenizer)
    suffix = verification_suffix_ids(tokenizer)
    batch = verification_batch(prompts, completions, suffix, {tokenizer.eos_token_id, tokenizer.pad_token_id},
                               tokenizer.pad_token_id)
    for row, (problem, solution) in enumerate(zip(PROBLEMS, SOLUTIONS)):
        ids = batch["input_ids"][row][batch["attention_mask"][row].bool()].tolist()
        assert ids == transcript_ids(tokenizer, problem, solution)
        start, end = batch["completion_start"][row].item(), batch["completion_end"][row].item()
        assert tokenizer.decode(batch["input_ids"][row, start:end]) == solution


def test_loss_and_scores_match_a_hand_computation(tiny):
    model, tokenizer = tiny
    yes, no = answer_token_ids(tokenizer)
    prompts, completions = pieces(tokenizer)
    suffix = verification_suffix_ids(tokenizer)
    drop = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    batch = verification_batch(prompts, completions, suffix, drop, tokenizer.pad_token_id)
    labels = torch.tensor([1.0, 0.0])
    with torch.no_grad():
        loss, accuracy = verification_loss(forward_logits(model, batch)[:, -1], labels, yes, no)
        last_only = forward_logits(model, batch, last_only=True)
    assert last_only.shape[1] == 1
    assert torch.allclose(last_only[:, -1], forward_logits(model, batch)[:, -1].detach(), atol=1e-5)

    # By hand: each transcript alone (no padding), softmax at the last position, -log p(target).
    by_hand, p_yes_by_hand, logprob_by_hand, verdicts = [], [], [], []
    for row, (problem, solution) in enumerate(zip(PROBLEMS, SOLUTIONS)):
        ids = torch.tensor([transcript_ids(tokenizer, problem, solution)])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0]
        probs = logits[-1].softmax(-1)
        target = yes if labels[row] == 1 else no
        by_hand.append(-math.log(probs[target].item()))
        p_yes_by_hand.append(probs[yes].item())
        verdicts.append((probs[yes] > probs[no]).item() == bool(labels[row]))
        solution_ids = completions[row]  # solution tokens + end of turn, as generated
        first = len(prompts[row])
        logprobs = logits.log_softmax(-1)
        token_lp = [logprobs[first + j - 1, t].item() for j, t in enumerate(solution_ids)]
        logprob_by_hand.append(sum(token_lp) / len(token_lp))
    assert loss.item() == pytest.approx(sum(by_hand) / 2, rel=1e-4)
    assert accuracy.item() == pytest.approx(sum(verdicts) / 2)

    scores = score_solutions(model, prompts, completions, suffix, yes, no, drop, tokenizer.pad_token_id, batch_size=1)
    assert scores["p_yes"] == pytest.approx(p_yes_by_hand, rel=1e-4)
    assert scores["mean_logprob"] == pytest.approx(logprob_by_hand, rel=1e-4)
    batched = score_solutions(model, prompts, completions, suffix, yes, no, drop, tokenizer.pad_token_id, batch_size=2)
    assert batched["p_yes"] == pytest.approx(scores["p_yes"], rel=1e-4)  # left padding changes nothing
    assert batched["mean_logprob"] == pytest.approx(scores["mean_logprob"], rel=1e-4)


def test_loss_gradient_reaches_the_model(tiny):
    model, tokenizer = tiny
    yes, no = answer_token_ids(tokenizer)
    prompts, completions = pieces(tokenizer)
    batch = verification_batch(prompts, completions, verification_suffix_ids(tokenizer),
                               {tokenizer.eos_token_id}, tokenizer.pad_token_id)
    loss, _ = verification_loss(forward_logits(model, batch)[:, -1], torch.tensor([1.0, 0.0]), yes, no)
    loss.backward()
    assert model.get_input_embeddings().weight.grad[yes].abs().sum() > 0


def brute_force_scores(model, prompt, completion, suffix, yes, no, drop):
    """One unpadded forward pass over prompt + stripped completion + suffix, read position by position."""
    kept = completion
    while kept and kept[-1] in drop:
        kept = kept[:-1]
    ids = prompt + kept + suffix
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0].float()
    probs = logits[-1].softmax(-1)
    counted = len(kept) + (1 if completion and completion[-1] == suffix[0] else 0)
    logprobs = logits.log_softmax(-1)
    token_lp = [logprobs[len(prompt) + j - 1, ids[len(prompt) + j]].item() for j in range(counted)]
    return probs[yes].item(), probs[no].item(), sum(token_lp) / counted if counted else 0.0


@pytest.mark.parametrize("batch_size", [1, 5, 64])
def test_scores_of_many_solutions_per_problem_match_one_pass_each(tiny, batch_size):
    """Shared prompts, every length and ending (EOS, truncated, EOS only, empty, pad before EOS)."""
    model, tokenizer = tiny
    yes, no = answer_token_ids(tokenizer)
    suffix = verification_suffix_ids(tokenizer)
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    drop = {eos, pad}
    generator = torch.Generator().manual_seed(0)
    problem_prompts = [prompt_ids(tokenizer, p, "") for p in PROBLEMS + ["Compute $(46+23-63)\\times 2$."]]
    prompts, completions = [], []
    for sample in range(24):
        body = torch.randint(3, len(tokenizer), (int(torch.randint(0, 30, (1,), generator=generator)),),
                             generator=generator).tolist()
        ending = [[eos], [], [pad, eos], [eos]][sample % 4]
        prompts.append(problem_prompts[sample % 3])
        completions.append(body + ending)
    completions[0], completions[1] = [], [eos]
    scores = score_solutions(model, prompts, completions, suffix, yes, no, drop, pad, batch_size=batch_size)
    for i, (prompt, completion) in enumerate(zip(prompts, completions)):
        p_yes, p_no, mean_lp = brute_force_scores(model, prompt, completion, suffix, yes, no, drop)
        assert scores["p_yes"][i] == pytest.approx(p_yes, rel=1e-4, abs=1e-7)
        assert scores["p_no"][i] == pytest.approx(p_no, rel=1e-4, abs=1e-7)
        assert scores["mean_logprob"][i] == pytest.approx(mean_lp, rel=1e-4, abs=1e-6)
    assert scores["mean_logprob"][0] == 0.0 and scores["mean_logprob"][1] != 0.0


@pytest.fixture
def qwen_like(tiny_model_dir, tmp_path):
    """The tiny model and its tokenizer with EOS <|endoftext|> while the chat template ends a turn with
    <|im_end|>, as Qwen2.5-Math's base tokenizer has it, saved and loaded back."""
    from rlv.models import load_model
    model, tokenizer = load_model(tiny_model_dir)
    tokenizer.eos_token = "<|endoftext|>"
    model.save_pretrained(tmp_path, safe_serialization=True)
    tokenizer.save_pretrained(tmp_path)
    return load_model(tmp_path)


def test_generation_stops_at_eos_and_at_the_end_of_a_turn(tiny, qwen_like):
    from rlv.verifier import drop_ids, end_of_turn_id, stop_ids
    _, tokenizer = tiny
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert end_of_turn_id(tokenizer) == im_end and stop_ids(tokenizer) == [im_end]  # the default: EOS ends turns
    model, qwen = qwen_like
    endoftext = qwen.convert_tokens_to_ids("<|endoftext|>")
    assert qwen.eos_token_id == endoftext and end_of_turn_id(qwen) == im_end
    assert stop_ids(qwen) == sorted([endoftext, im_end]) and drop_ids(qwen) == {endoftext, im_end}
    assert sorted(model.generation_config.eos_token_id) == sorted([endoftext, im_end])  # what TRL's rollouts stop at


def test_the_suffix_follows_exactly_one_end_of_turn(qwen_like):
    from rlv.verifier import drop_ids
    _, tokenizer = qwen_like
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    prompt, suffix = prompt_ids(tokenizer, "1+1?", ""), verification_suffix_ids(tokenizer)
    assert suffix[0] == im_end
    for stop in (im_end, tokenizer.eos_token_id):  # a completion ended by either stop token
        batch = verification_batch([prompt], [[40, 41, stop]], suffix, drop_ids(tokenizer), tokenizer.pad_token_id)
        row = batch["input_ids"][0][batch["attention_mask"][0].bool()].tolist()
        assert row == prompt + [40, 41] + suffix and row[len(prompt):].count(im_end) == suffix.count(im_end)


def test_the_suffix_continued_on_the_rl_passs_cache_gives_the_separate_passs_verdict_and_gradients(tiny):
    """Left-padded prompts and a right-padded completion window (EOS-ended, truncated, a padding token inside,
    empty): the verdict logits of the suffix run on the RL forward's cache equal those of `verification_batch`'s own
    pass, and so do the gradients they send to every parameter."""
    from transformers import DynamicCache
    from rlv.verifier import continued_verdict_hidden, drop_ids, kept_lengths, left_padded, verification_batch
    model, tokenizer = tiny
    model.train()
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    prompts = [prompt_ids(tokenizer, text, "") for text in ("What is 3+4?", "What is 12*12+7?", "1+1?", "2*9?")]
    completions = [[20, 21, eos], [22] * 9, [23, pad, 24, eos], [eos]]
    suffix, drop = verification_suffix_ids(tokenizer), drop_ids(tokenizer)
    prompt_ids_, prompt_mask = left_padded(prompts, pad, "cpu")
    window = max(map(len, completions)) + 2
    completion_ids = torch.full((4, window), pad)
    completion_mask = torch.zeros_like(completion_ids)
    for row, ids in enumerate(completions):
        completion_ids[row, :len(ids)], completion_mask[row, :len(ids)] = torch.tensor(ids), 1
    input_ids, mask = torch.cat([prompt_ids_, completion_ids], 1), torch.cat([prompt_mask, completion_mask], 1)
    head = model.get_output_embeddings()

    def gradients(verdict):
        model.zero_grad(set_to_none=True)
        (verdict * torch.linspace(-1, 1, verdict.size(-1))).sum().backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    cache = DynamicCache()
    model.base_model(input_ids=input_ids, attention_mask=mask, past_key_values=cache, use_cache=False)
    kept = kept_lengths(completion_ids, completion_mask, drop)
    assert kept.tolist() == [2, 9, 3, 0]
    continued = head(continued_verdict_hidden(model, cache, mask, window, kept, suffix))
    separate = forward_logits(model, verification_batch(prompts, completions, suffix, drop, pad), last_only=True)[:, -1]
    torch.testing.assert_close(continued, separate, atol=1e-5, rtol=1e-4)
    ours, theirs = gradients(continued), gradients(separate)
    assert ours.keys() == theirs.keys()
    for name in ours:
        torch.testing.assert_close(ours[name], theirs[name], atol=1e-5, rtol=1e-4)
