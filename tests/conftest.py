"""Shared fixtures: a tiny tokenizer + model built in-process (no network, a few seconds)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]


def offline_prefix() -> list[str]:
    """`unshare -n` (a new network namespace with no interfaces) where the system allows it."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    return []


def snakemake(*args, cwd=REPO, timeout=1500, offline=False):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [*(offline_prefix() if offline else []), *SNAKEMAKE, *args]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


@pytest.fixture(scope="session")
def test_dag(tmp_path_factory):
    """The whole DAG on the test config, in a fresh working directory, with no network where possible."""
    workdir = tmp_path_factory.mktemp("dag")
    shutil.copytree(REPO / ".test" / "config", workdir / "config")
    output = snakemake("--cores", "2", cwd=workdir, offline=True)
    return workdir, output


@pytest.fixture(scope="session")
def problems():
    from rlv.tasks.synthetic import generate
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
