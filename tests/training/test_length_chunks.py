"""The update in chunks of rollouts of similar length (rlv/training/length_chunks.py): the chunks against a brute
force sort, the trimming against the rows it keeps, and the loss and every gradient equal to the one-pass ones for
each loss reduction and trainer, with and without the verification loss."""

import pytest
import torch

from helpers import make_trainer
from rlv.training.length_chunks import chunk_rows, trimmed


def test_chunks_are_the_sorted_rows_cut_into_near_equal_groups():
    lengths = torch.tensor([5, 1, 9, 3, 3, 7, 2])
    groups = chunk_rows(lengths, 3)
    assert [len(g) for g in groups] == [3, 2, 2]
    assert torch.cat(groups).tolist() == sorted(range(7), key=lambda i: (lengths[i].item(), i))
    assert len(chunk_rows(lengths[:2], 4)) == 2  # never an empty chunk


def test_trimming_drops_only_columns_no_kept_row_uses():
    inputs = {"prompt_ids": torch.tensor([[0, 0, 5, 6], [0, 7, 8, 9], [4, 4, 4, 4]]),
              "prompt_mask": torch.tensor([[0, 0, 1, 1], [0, 1, 1, 1], [1, 1, 1, 1]]),
              "completion_ids": torch.tensor([[1, 2, 0, 0, 0], [3, 0, 0, 0, 0], [1, 1, 1, 1, 1]]),
              "completion_mask": torch.tensor([[1, 1, 0, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]]),
              "advantages": torch.tensor([0.5, -0.5, 1.0]), "num_items_in_batch": torch.tensor(8), "old": None}
    out = trimmed(inputs, torch.tensor([0, 1]))
    assert out["prompt_ids"].tolist() == [[0, 5, 6], [7, 8, 9]] and out["prompt_mask"].tolist() == [[0, 1, 1], [1, 1, 1]]
    assert out["completion_ids"].tolist() == [[1, 2], [3, 0]] and out["completion_mask"].tolist() == [[1, 1], [1, 0]]
    assert out["advantages"].tolist() == [0.5, -0.5]
    assert int(out["num_items_in_batch"]) == 8 and out["old"] is None


def loss_and_gradient(trainer, inputs, chunks):
    trainer.length_chunks = chunks
    trainer.model.zero_grad(set_to_none=True)
    torch.manual_seed(0)
    loss = trainer._compute_loss(trainer.model, inputs)
    loss.backward()
    return loss.item(), torch.cat([p.grad.flatten() for p in trainer.model.parameters() if p.grad is not None])


@pytest.mark.parametrize("kind,loss_type,verify_coef", [
    ("grpo", "grpo", 1.0), ("grpo", "bnpo", 1.0), ("grpo", "dr_grpo", 1.0), ("grpo", "dapo", 1.0),
    ("grpo", "dapo", 0.0), ("loop", "grpo", 1.0), ("vineppo", "dapo", 1.0)])
def test_chunked_loss_and_gradients_equal_the_one_pass(kind, loss_type, verify_coef, tiny, problems, tmp_path):
    trainer, _ = make_trainer(kind, tiny, problems, tmp_path, verify_coef=verify_coef, prompts_per_step=4,
                              num_generations=4, max_completion_length=24, loss_type=loss_type)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    inputs = trainer._generate_and_score_completions(next(iter(trainer.get_train_dataloader())))
    # completions of 3..24 tokens, as if each had stopped there (the tiny model rarely stops this early)
    lengths = torch.randint(3, 25, (inputs["completion_mask"].size(0),), generator=torch.Generator().manual_seed(1))
    ended = torch.arange(inputs["completion_mask"].size(1))[None, :] >= lengths[:, None]
    inputs["completion_mask"] = inputs["completion_mask"].masked_fill(ended, 0)
    inputs["completion_ids"] = inputs["completion_ids"].masked_fill(ended, trainer.processing_class.pad_token_id)
    assert inputs["prompt_mask"].sum(1).unique().numel() > 1  # prompts of several lengths too
    trainer.length_chunks = 4
    groups = trainer._length_chunks(inputs)
    assert len(groups) == 4 and min(trimmed(inputs, g)["completion_ids"].size(1) for g in groups) < lengths.max()
    one_loss, one_grad = loss_and_gradient(trainer, inputs, 1)
    loss, grad = loss_and_gradient(trainer, inputs, 4)
    assert loss == pytest.approx(one_loss, rel=1e-5, abs=1e-7)
    assert torch.allclose(grad, one_grad, rtol=1e-4, atol=1e-6)


def test_rloo_and_the_entropy_terms_run_in_one_pass(tiny, problems, tmp_path):
    trainer, _ = make_trainer("rloo", tiny, problems, tmp_path)
    trainer.length_chunks = 4
    assert trainer._length_chunks({"tool_mask": None}) is None
    grpo, _ = make_trainer("grpo", tiny, problems, tmp_path / "grpo")
    grpo.length_chunks, grpo.top_entropy_quantile = 4, 0.5
    assert grpo._length_chunks({}) is None
