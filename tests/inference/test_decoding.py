"""The hf decoder (rlv.inference.decoding): its samples follow the model, and its in-pass scores equal a separate scoring."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from rlv.inference.decoding import sample_and_score
from rlv.rollouts import SCORE_COLUMNS, write_parquet_atomic
from rlv.inference.sampling import sample_solutions, scorer_digest
from rlv.tasks.chat import prompt_ids
from rlv.verifier import answer_token_ids, score_solutions, verification_suffix_ids


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])  # the GPU check runs them on cuda too


@pytest.fixture
def eos_prone(tiny):
    """The tiny model with its EOS logit raised (p(EOS) about 0.1 a step), so solutions end at many lengths."""
    model, tokenizer = tiny
    model.get_output_embeddings().register_forward_hook(lambda module, args, out: _raise_eos(out, tokenizer))
    return model, tokenizer


def _raise_eos(logits, tokenizer):
    logits = logits.clone()
    logits[..., tokenizer.eos_token_id] = logits.logsumexp(-1) - 2.2
    return logits


def encoded(tokenizer, problems, count):
    return [prompt_ids(tokenizer, text, "") for text in problems["problem"].head(count)]


def full_logits(model, sequence):
    with torch.no_grad():
        return model(input_ids=torch.tensor([sequence])).logits[0].float()


def test_greedy_decoding_is_the_argmax_of_a_full_forward(eos_prone, problems):
    model, tokenizer = eos_prone
    prompts = encoded(tokenizer, problems, 3)
    results = sample_and_score(model, prompts, [2, 1, 2], 0.0, 12, 0, tokenizer.eos_token_id, tokenizer.pad_token_id)
    owners = [0, 0, 1, 2, 2]
    lengths = set()
    for owner, result in zip(owners, results, strict=True):
        ids = result["completion_ids"]
        lengths.add(len(ids))
        logits = full_logits(model, prompts[owner] + ids)
        assert ids == logits[len(prompts[owner]) - 1:-1].argmax(-1).tolist()[:len(ids)]
        assert ids[-1] == tokenizer.eos_token_id or len(ids) == 12
    assert results[0]["completion_ids"] == results[1]["completion_ids"]  # greedy: one answer per prompt


def test_sampled_first_tokens_follow_the_tempered_distribution(tiny, problems):
    """Gumbel-max at temperature T draws from softmax(logits / T): 20000 first tokens against the exact law,
    tokens grouped into 8 bins of equal probability mass by the law (a wrong temperature moves mass between the
    likely and the unlikely bins); each bin's frequency within 4.5 standard errors."""
    model, tokenizer = tiny
    prompt = encoded(tokenizer, problems, 1)
    draws = 20000
    results = sample_and_score(model, prompt, [draws], 0.5, 1, 3, tokenizer.eos_token_id, tokenizer.pad_token_id)
    first = [r["completion_ids"][0] if r["completion_ids"] else tokenizer.pad_token_id for r in results]
    expected = (full_logits(model, prompt[0])[-1] / 0.5).softmax(-1).double().numpy()
    order = np.argsort(-expected)
    bins = np.minimum((np.cumsum(expected[order]) * 8).astype(int), 7)
    bin_of = np.empty_like(bins)
    bin_of[order] = bins
    observed = np.bincount(bin_of[first], minlength=8) / draws
    law = np.bincount(bin_of, weights=expected, minlength=8)
    assert np.all(np.abs(observed - law) < 4.5 * np.sqrt(law * (1 - law) / draws)), (observed, law)
    tempered_wrong = np.bincount(bin_of, weights=full_logits(model, prompt[0])[-1].softmax(-1).double().numpy(),
                                 minlength=8)
    assert np.any(np.abs(tempered_wrong - law) > 10 * np.sqrt(law * (1 - law) / draws))  # the test can tell



@pytest.mark.parametrize("top_k, top_p", [(5, 1.0), (0, 0.8), (40, 0.6), (1, 0.3)])
def test_truncation_keeps_the_tokens_transformers_warpers_keep(top_k, top_p):
    from transformers.generation.logits_process import TopKLogitsWarper, TopPLogitsWarper
    from rlv.inference.decoding import truncated
    scaled = torch.randn(6, 300, generator=torch.Generator().manual_seed(top_k)) * 3
    reference = scaled
    if top_k:
        reference = TopKLogitsWarper(top_k)(None, reference)
    if top_p < 1:
        reference = TopPLogitsWarper(top_p)(None, reference)
    assert torch.equal(truncated(scaled, top_k, top_p).isfinite(), reference.isfinite())
    assert torch.equal(truncated(scaled, top_k, top_p)[reference.isfinite()], scaled[reference.isfinite()])


def test_sampled_first_tokens_follow_the_truncated_law(tiny, problems):
    """Top-k and top-p sample from the renormalized truncation: 20000 first tokens at temperature 0.7, top_k 20,
    top_p 0.9 never leave the kept set and hit each of its 4 most likely tokens and the rest within 4.5 standard
    errors of the exact law."""
    from rlv.inference.decoding import truncated
    model, tokenizer = tiny
    prompt = encoded(tokenizer, problems, 1)
    draws = 20000
    results = sample_and_score(model, prompt, [draws], 0.7, 1, 3, tokenizer.eos_token_id, tokenizer.pad_token_id,
                               top_k=20, top_p=0.9, keep_padding=True)
    first = np.array([r["completion_ids"][0] for r in results])
    law = truncated(full_logits(model, prompt[0])[-1] / 0.7, 20, 0.9).softmax(-1).double().numpy()
    assert law[first].min() > 0  # nothing outside the truncation
    top = np.argsort(-law)[:4]
    observed = np.array([(first == t).mean() for t in top] + [1 - np.isin(first, top).mean()])
    expected = np.append(law[top], 1 - law[top].sum())
    assert np.all(np.abs(observed - expected) < 4.5 * np.sqrt(expected * (1 - expected) / draws) + 1e-12), (
        observed, expected)
    assert (law > 0).sum() < 20 and (law > 0).sum() > 4  # the nucleus binds, and not to one token


@pytest.mark.parametrize("device", DEVICES)
def test_in_pass_scores_equal_a_separate_scoring(eos_prone, problems, device):
    """Rows that end early (and leave the batch), rows cut at the limit, several prompts: p_yes, p_no and the
    mean log-prob equal score_solutions on the stored completions, and the mean log-prob a full forward's; on
    every device, each tensor of the decoder on the model's."""
    model, tokenizer = eos_prone
    model.to(device)
    prompts = encoded(tokenizer, problems, 4)
    suffix = verification_suffix_ids(tokenizer)
    yes_id, no_id = answer_token_ids(tokenizer)
    counts = [6, 5, 6, 7]
    results = sample_and_score(model, prompts, counts, 1.0, 14, 1, tokenizer.eos_token_id, tokenizer.pad_token_id,
                               suffix, yes_id, no_id)
    owners = [i for i, count in enumerate(counts) for _ in range(count)]
    completions = [r["completion_ids"] for r in results]
    lengths = [len(c) for c in completions]
    assert min(lengths) < 7 and max(lengths) == 14  # early ends and cuts at the limit, so rows left mid-way
    assert any(c[-1] == tokenizer.eos_token_id for c in completions)
    assert not any(r["rescore"] for r in results)
    reference = score_solutions(model, [prompts[o] for o in owners], completions, suffix, yes_id, no_id,
                                {tokenizer.eos_token_id, tokenizer.pad_token_id}, tokenizer.pad_token_id, 8)
    for name in SCORE_COLUMNS:
        np.testing.assert_allclose([r[name] for r in results], reference[name], atol=2e-5, rtol=1e-4)
    owner, ids = owners[0], completions[0]
    logprobs = full_logits(model, prompts[owner] + ids).log_softmax(-1)[len(prompts[owner]) - 1:-1].cpu()
    brute = logprobs.gather(-1, torch.tensor(ids)[:, None]).mean().item()
    assert results[0]["mean_logprob"] == pytest.approx(brute, abs=1e-5)
    again = sample_and_score(model, prompts, counts, 1.0, 14, 1, tokenizer.eos_token_id, tokenizer.pad_token_id,
                             suffix, yes_id, no_id)
    assert [r["completion_ids"] for r in again] == completions  # a seed reproduces its samples on the device


def test_decoding_stops_at_the_end_of_turn_when_eos_differs(tiny_model_dir, problems, tmp_path):
    """A tokenizer whose EOS (<|endoftext|>) is not its turn's end (<|im_end|>), as Qwen2.5-Math's: samples stop
    at the end of turn, and their scores (the suffix after exactly one end of turn) equal a separate scoring."""
    from rlv.models import load_model
    from rlv.verifier import drop_ids, stop_ids
    model, tokenizer = load_model(tiny_model_dir)
    tokenizer.eos_token = "<|endoftext|>"
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    model.get_output_embeddings().register_forward_hook(lambda module, args, out: _raise(out, im_end))
    prompts = encoded(tokenizer, problems, 2)
    suffix, (yes_id, no_id) = verification_suffix_ids(tokenizer), answer_token_ids(tokenizer)
    results = sample_and_score(model, prompts, [6, 6], 1.0, 20, 5, stop_ids(tokenizer), tokenizer.pad_token_id,
                               suffix, yes_id, no_id)
    completions = [r["completion_ids"] for r in results]
    assert sum(c[-1] == im_end for c in completions) >= 6 and all(c.count(im_end) <= 1 for c in completions)
    assert all(im_end not in c[:-1] for c in completions)  # nothing is written past the end of the turn
    only_eos = sample_and_score(model, prompts, [6, 6], 1.0, 20, 5, tokenizer.eos_token_id, tokenizer.pad_token_id)
    assert any(im_end in r["completion_ids"][:-1] for r in only_eos)  # stopping at EOS alone would run on
    reference = score_solutions(model, [prompts[i // 6] for i in range(12)], completions, suffix, yes_id, no_id,
                                drop_ids(tokenizer), tokenizer.pad_token_id, 8)
    for name in SCORE_COLUMNS:
        np.testing.assert_allclose([r[name] for r in results], reference[name], atol=2e-5, rtol=1e-4)


def _raise(logits, token_id):
    logits = logits.clone()
    logits[..., token_id] = logits.logsumexp(-1) - 2.2
    return logits


def test_same_seed_same_samples_other_seed_other_samples(tiny, problems):
    model, tokenizer = tiny
    prompts = encoded(tokenizer, problems, 2)
    run = lambda seed: [r["completion_ids"] for r in sample_and_score(  # noqa: E731
        model, prompts, [3, 3], 1.0, 8, seed, tokenizer.eos_token_id, tokenizer.pad_token_id)]
    assert run(4) == run(4) and run(4) != run(5)


def test_rule_score_keeps_the_sampling_jobs_scores_only_from_the_same_model(tiny_model_dir, tiny, problems,
                                                                          tmp_path):
    """`rlv score` keeps scores whose `scorer` digest is its own model's and recomputes them otherwise."""
    model, tokenizer = tiny
    digest = scorer_digest(tiny_model_dir, "")
    samples = sample_solutions(model, tokenizer, problems.head(3), 2, 1.0, 6, 8, 0, run="r", dataset="d",
                               scorer=digest)
    assert set(SCORE_COLUMNS) <= set(samples.columns) and (samples["scorer"] == digest).all()
    write_parquet_atomic(samples.assign(p_yes=0.123), tmp_path / "in.parquet")  # marks kept scores

    def score(model_dir):
        subprocess.run([sys.executable, "-m", "rlv.cli", "score", "--model", str(model_dir), "--samples",
                        str(tmp_path / "in.parquet"), "--out", str(tmp_path / "out.parquet"), "--params", "{}"],
                       check=True, capture_output=True)
        return pd.read_parquet(tmp_path / "out.parquet")

    assert (score(tiny_model_dir)["p_yes"] == 0.123).all()
    other = tmp_path / "other"
    model.get_output_embeddings().weight.data[0] += 1.0
    model.save_pretrained(other, safe_serialization=True)
    tokenizer.save_pretrained(other)
    rescored = score(other)
    assert (rescored["p_yes"] != 0.123).all() and (rescored["scorer"] == scorer_digest(other, "")).all()
    assert scorer_digest(tiny_model_dir, "Show your work.") != digest
