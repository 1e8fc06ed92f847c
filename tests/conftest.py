"""Shared fixtures: a tiny tokenizer + model built in-process (no network, a few seconds)."""

import os

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def problems():
    from rlv.tasks.arithmetic import generate
    return generate("train", 300, [1, 2, 3], seed=0)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, problems):
    """An untrained 2-layer Qwen2 and its digit-level tokenizer, saved with save_pretrained."""
    from rlv.models import build_model, build_tokenizer, tokenizer_corpus, warmup_pairs
    tokenizer = build_tokenizer(tokenizer_corpus(warmup_pairs(problems, "")), vocab_size=350)
    model = build_model(tokenizer, hidden_size=32, num_layers=2, num_heads=2, num_kv_heads=1,
                        intermediate_size=64, max_positions=256, seed=0)
    path = tmp_path_factory.mktemp("tiny_model")
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture
def tiny(tiny_model_dir):
    from rlv.models import load_model
    return load_model(tiny_model_dir)
