"""Verifier heads (rlv.baselines.verifier_heads): BCE and MSE against hand computations, the read-out position against an
unpadded forward, training, the separate verifier's visiting order, the safetensors round trip, and
`rlv score-head` against a brute-force forward per solution."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import training_rollouts
from rlv.cli import main
from rlv.models import load_model
from rlv.rollouts import EVAL_COLUMNS
from rlv.baselines.separate_verifier import encode_rollouts, train_separate_verifier
from rlv.baselines.verifier_heads import (HEAD_CONFIG, HEAD_WEIGHTS, HeadVerifier, head_batch, head_loss, load_head_verifier,
                                save_head, train_verifier_head)


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_bce_and_mse_equal_hand_computations_on_a_toy_batch():
    z = torch.tensor([2.0, -1.0, 0.3, 0.7])
    labels = torch.tensor([1, 0, 0, 1])
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0])
    bce, bce_accuracy = head_loss("bce", z, labels, rewards)
    hand = -(math.log(sigmoid(2.0)) + math.log(1 - sigmoid(-1.0)) + math.log(1 - sigmoid(0.3))
             + math.log(sigmoid(0.7))) / 4
    assert bce.item() == pytest.approx(hand, rel=1e-6)
    assert bce_accuracy.item() == pytest.approx(3 / 4)  # z > 0: yes, no, yes (wrong), yes
    mse, mse_accuracy = head_loss("regression", z, labels, rewards)
    assert mse.item() == pytest.approx(((2 - 1) ** 2 + 1 ** 2 + 0.3 ** 2 + (0.7 - 1) ** 2) / 4, rel=1e-6)
    assert mse_accuracy.item() == pytest.approx(1.0)  # z > 0.5: yes, no, no, yes
    # the regression target is the reward itself, not the label
    assert head_loss("regression", z, labels, torch.tensor([0.5, 0.0, 0.0, 1.0]))[0].item() == pytest.approx(
        ((2 - 0.5) ** 2 + 1 + 0.09 + 0.09) / 4, rel=1e-6)
    with pytest.raises(ValueError, match="unknown verifier head form"):
        head_loss("hinge", z, labels, rewards)


def unpadded_outputs(verifier, tokenizer, prompts, completions):
    """z per solution, each transcript alone and unpadded: the chat-templated prompt then the solution without
    its EOS, the head on the final norm's output at the last token."""
    outputs = []
    for prompt, completion in zip(prompts, completions):
        text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                             tokenize=False)
        ids = tokenizer.encode(text, add_special_tokens=False) + [t for t in completion if t != tokenizer.eos_token_id]
        with torch.no_grad():
            hidden = verifier.model.base_model(input_ids=torch.tensor([ids])).last_hidden_state[0, -1]
            outputs.append((hidden @ verifier.head.weight[0] + verifier.head.bias[0]).item())
    return np.array(outputs)


@pytest.mark.parametrize("form", ["bce", "regression"])
def test_head_reads_the_last_solution_token_of_a_padded_batch(tiny_model_dir, problems, form):
    model, tokenizer = load_model(tiny_model_dir)
    torch.manual_seed(1)
    verifier = HeadVerifier(model, form).eval()
    rollouts = training_rollouts(problems, 5, tokenizer)
    prompts, completions, labels = encode_rollouts(tokenizer, rollouts)
    with torch.no_grad():
        z = verifier(head_batch(tokenizer, prompts, [c + [tokenizer.eos_token_id] for c in completions]))
    expected = unpadded_outputs(verifier, tokenizer, rollouts["prompt"],
                                [tokenizer.encode(c, add_special_tokens=False) for c in rollouts["completion"]])
    np.testing.assert_allclose(z.numpy(), expected, rtol=1e-4, atol=1e-5)
    loss, _ = head_loss(form, z, labels, torch.tensor(rollouts["reward"].to_numpy()))
    y = rollouts["label"].to_numpy()
    hand = (np.mean([-math.log(sigmoid(v)) if t else -math.log(1 - sigmoid(v)) for v, t in zip(expected, y)])
            if form == "bce" else np.mean((expected - rollouts["reward"].to_numpy()) ** 2))
    assert loss.item() == pytest.approx(hand, rel=1e-4)


@pytest.mark.parametrize("form", ["bce", "regression"])
def test_training_lowers_the_loss_in_the_separate_verifiers_order(tiny_model_dir, problems, form):
    model, tokenizer = load_model(tiny_model_dir)
    verifier = HeadVerifier(model, form)
    rollouts = training_rollouts(problems, 12, tokenizer)
    prompts, completions, labels = encode_rollouts(tokenizer, rollouts)
    rewards = torch.tensor(rollouts["reward"].to_numpy())
    batch = head_batch(tokenizer, prompts, completions)
    with torch.no_grad():
        before = head_loss(form, verifier(batch), labels, rewards)[0].item()
    history = train_verifier_head(verifier, tokenizer, rollouts, steps=15, batch_size=5, learning_rate=3e-3, seed=0,
                                  log=lambda _: None)
    with torch.no_grad():
        after = head_loss(form, verifier(batch), labels, rewards)[0].item()
    assert list(history["step"]) == list(range(1, 16)) and after < before - 0.05
    separate = train_separate_verifier(load_model(tiny_model_dir)[0], tokenizer, rollouts, steps=15, batch_size=5,
                                       learning_rate=3e-3, seed=0, log=lambda _: None)
    assert list(history["label_mean"]) == list(separate["label_mean"])  # the same rollouts at every step


def scored_policy_samples(problems, tokenizer, count=6):
    completions = [tokenizer.encode(s, add_special_tokens=False) + [tokenizer.eos_token_id]
                   for s in problems["solution"].head(count)]
    completions[1] = completions[1][:3]  # a truncated solution (no EOS)
    return pd.DataFrame({"run": "grpo", "dataset": "test", "problem_id": problems["id"].head(count),
                         "sample": 0, "prompt": problems["problem"].head(count), "completion": "",
                         "completion_ids": completions, "answer": None, "correct": [True, False] * (count // 2),
                         "num_tokens": 1, "truncated": False, "seed": 0, "p_yes": 0.5, "p_no": 0.5,
                         "mean_logprob": -0.1 * np.arange(1, count + 1)})[EVAL_COLUMNS + ["p_yes", "p_no",
                                                                                         "mean_logprob"]]


@pytest.mark.parametrize("form", ["bce", "regression"])
def test_cli_round_trip_and_scores_equal_a_brute_force_forward(tiny_model_dir, problems, tmp_path, form):
    train = tmp_path / "train.parquet"
    training_rollouts(problems, 8, load_model(tiny_model_dir)[1]).to_parquet(train)
    out_dir = tmp_path / f"grpo+{form}"
    main(["train-verifier-head", "--base", str(tiny_model_dir), "--rollouts", str(train), "--run", f"grpo+{form}",
          "--out", str(out_dir), "--params",
          json.dumps({"form": form, "steps": 2, "batch_size": 4, "learning_rate": 0.01, "seed": 0})])
    assert (out_dir / "model.safetensors").exists() and (out_dir / HEAD_WEIGHTS).exists()
    assert not list(out_dir.glob("*.bin")) and not list(out_dir.glob("*.pt"))
    assert json.loads((out_dir / HEAD_CONFIG).read_text())["form"] == form
    assert list(pd.read_csv(out_dir / "metrics.csv")["step"]) == [1, 2]
    verifier, tokenizer = load_head_verifier(out_dir)
    assert verifier.form == form
    base, _ = load_model(tiny_model_dir)  # training moved both the head and the backbone, and both were saved
    assert not torch.equal(base.model.embed_tokens.weight, verifier.model.model.embed_tokens.weight)
    assert verifier.head.bias.item() != 0.0

    policy = scored_policy_samples(problems, tokenizer)
    policy.to_parquet(tmp_path / "scored.parquet")
    # shift the head's bias so the outputs straddle 0.5 (a regression head this short clips them all), save again
    z = unpadded_outputs(verifier, tokenizer, policy["prompt"], policy["completion_ids"])
    with torch.no_grad():
        verifier.head.bias += 0.5 - float(np.median(z))
    save_head(verifier, out_dir)
    verifier, tokenizer = load_head_verifier(out_dir)
    out = tmp_path / "out.parquet"
    main(["score-head", "--model", str(out_dir), "--samples", str(tmp_path / "scored.parquet"), "--out", str(out),
          "--run", f"grpo+{form}", "--params", '{"batch_size": 4}'])
    scored = pd.read_parquet(out)
    z = unpadded_outputs(verifier, tokenizer, policy["prompt"], policy["completion_ids"])
    expected = 1 / (1 + np.exp(-z)) if form == "bce" else np.clip(z, 0, 1)
    assert ((expected > 0) & (expected < 1)).sum() >= 2
    np.testing.assert_allclose(scored["p_yes"], expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scored["p_no"], 1 - expected, rtol=1e-4, atol=1e-5)
    assert set(scored["run"]) == {f"grpo+{form}"}
    assert list(scored["mean_logprob"]) == list(policy["mean_logprob"])  # the policy's, untouched
    assert list(scored["correct"]) == list(policy["correct"])


def test_loading_a_plain_model_directory_names_the_missing_head(tiny_model_dir):
    with pytest.raises(ValueError, match="holds no verifier head"):
        load_head_verifier(tiny_model_dir)
