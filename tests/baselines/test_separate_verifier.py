"""The separate-verifier baseline: its loss against a hand computation of the Yes/No cross-entropy, its
visiting order, training, and `rlv score --verdict-only` on a policy's scored samples."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import training_rollouts
from rlv.cli import main
from rlv.models import load_model
from rlv.rollouts import EVAL_COLUMNS
from rlv.baselines.separate_verifier import VerifierLoss, encode_rollouts, train_separate_verifier, visiting_order
from rlv.verifier import VERIFICATION_QUESTION, answer_token_ids, score_solutions, verification_suffix_ids


def test_loss_equals_hand_computed_yes_no_cross_entropy(tiny_model_dir, problems):
    model, tokenizer = load_model(tiny_model_dir)
    rollouts = training_rollouts(problems, 5, tokenizer)
    loss, accuracy = VerifierLoss(tokenizer)(model, *encode_rollouts(tokenizer, rollouts))
    yes, no = tokenizer.convert_tokens_to_ids("Yes"), tokenizer.convert_tokens_to_ids("No")
    terms, verdicts = [], []
    for row in rollouts.itertuples(index=False):  # each transcript alone, unpadded, from the chat template
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": row.prompt}, {"role": "assistant", "content": row.completion},
             {"role": "user", "content": VERIFICATION_QUESTION}], add_generation_prompt=True, tokenize=False)
        ids = torch.tensor([tokenizer.encode(text, add_special_tokens=False)])
        with torch.no_grad():
            last = model(input_ids=ids).logits[0, -1].double()
        probabilities = last.softmax(-1)
        terms.append(-math.log(probabilities[yes if row.label else no].item()))
        verdicts.append((probabilities[yes] > probabilities[no]).item() == bool(row.label))
    assert loss.item() == pytest.approx(np.mean(terms), rel=1e-5)
    assert accuracy.item() == pytest.approx(np.mean(verdicts))


def test_visiting_order_takes_every_rollout_once_per_epoch():
    steps = visiting_order(10, steps=5, batch_size=4, seed=3)
    flat = np.concatenate(steps)
    assert [len(s) for s in steps] == [4] * 5
    assert sorted(flat[:10]) == list(range(10)) and sorted(flat[10:20]) == list(range(10))
    assert all((a == b).all() for a, b in zip(steps, visiting_order(10, 5, 4, 3)))


def test_training_lowers_the_loss_on_its_rollouts(tiny_model_dir, problems):
    model, tokenizer = load_model(tiny_model_dir)
    rollouts = training_rollouts(problems, 12, tokenizer)
    encoded = encode_rollouts(tokenizer, rollouts)
    loss_of = VerifierLoss(tokenizer)
    with torch.no_grad():
        before = loss_of(model, *encoded)[0].item()
    history = train_separate_verifier(model, tokenizer, rollouts, steps=15, batch_size=12, learning_rate=3e-3,
                                      seed=0, log=lambda _: None)
    with torch.no_grad():
        after = loss_of(model, *encoded)[0].item()
    assert len(history) == 15 and list(history["step"]) == list(range(1, 16))
    assert after < before - 0.1
    assert history["label_mean"].iloc[0] == pytest.approx(rollouts["label"].mean())  # a full batch: every rollout


def test_cli_trains_then_scores_the_policy_samples_verdict_only(tiny_model_dir, problems, tmp_path):
    train = tmp_path / "train.parquet"
    training_rollouts(problems, 8, load_model(tiny_model_dir)[1]).to_parquet(train)
    verifier_dir = tmp_path / "grpo+verifier"
    main(["train-verifier", "--base", str(tiny_model_dir), "--rollouts", str(train), "--run", "grpo+verifier",
          "--out", str(verifier_dir), "--params", '{"steps": 2, "batch_size": 4, "learning_rate": 0.001, "seed": 0}'])
    assert (verifier_dir / "model.safetensors").exists() and not list(verifier_dir.glob("*.bin"))
    assert list(pd.read_csv(verifier_dir / "metrics.csv")["step"]) == [1, 2]
    model, tokenizer = load_model(verifier_dir)
    completions = [tokenizer.encode(s, add_special_tokens=False) + [tokenizer.eos_token_id]
                   for s in problems["solution"].head(4)]
    policy = pd.DataFrame({"run": "grpo", "dataset": "test", "problem_id": problems["id"].head(4),
                           "sample": 0, "prompt": problems["problem"].head(4), "completion": "",
                           "completion_ids": completions, "answer": None, "correct": [True, False, True, False],
                           "num_tokens": 1, "truncated": False, "seed": 0,
                           "p_yes": 0.5, "p_no": 0.5, "mean_logprob": [-0.1, -0.2, -0.3, -0.4]})[EVAL_COLUMNS + [
                               "p_yes", "p_no", "mean_logprob"]]
    policy.to_parquet(tmp_path / "scored.parquet")
    out = tmp_path / "out.parquet"
    main(["score", "--model", str(verifier_dir), "--samples", str(tmp_path / "scored.parquet"), "--out", str(out),
          "--run", "grpo+verifier", "--verdict-only", "--params", '{"batch_size": 2}'])
    scored = pd.read_parquet(out)
    yes_id, no_id = answer_token_ids(tokenizer)
    prompts = [tokenizer.encode(tokenizer.apply_chat_template([{"role": "user", "content": p}],
                                                              add_generation_prompt=True, tokenize=False),
                                add_special_tokens=False) for p in policy["prompt"]]
    expected = score_solutions(model, prompts, completions, verification_suffix_ids(tokenizer), yes_id, no_id,
                               {tokenizer.eos_token_id, tokenizer.pad_token_id}, tokenizer.pad_token_id)
    assert set(scored["run"]) == {"grpo+verifier"}
    assert list(scored["mean_logprob"]) == [-0.1, -0.2, -0.3, -0.4]  # the policy's, untouched
    np.testing.assert_allclose(scored["p_yes"], expected["p_yes"], rtol=1e-6)
    np.testing.assert_allclose(scored["p_no"], expected["p_no"], rtol=1e-6)
    assert list(scored["correct"]) == [True, False, True, False]


def test_the_verifier_reads_the_sampled_ids_not_a_re_encoding(tiny_model_dir, problems):
    _, tokenizer = load_model(tiny_model_dir)
    rollouts = training_rollouts(problems, 3, tokenizer)
    sampled = [5, 6, 7, tokenizer.eos_token_id]  # ids no re-encoding of the stored text would give
    rollouts.at[1, "completion_ids"] = sampled
    prompts, completions, labels = encode_rollouts(tokenizer, rollouts)
    assert completions[1] == sampled and completions[0] == list(rollouts.at[0, "completion_ids"])
    without = rollouts.drop(columns="completion_ids")
    with pytest.raises(ValueError, match="completion_ids"):
        encode_rollouts(tokenizer, without)
