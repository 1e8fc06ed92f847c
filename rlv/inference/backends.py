"""Generation backends for test-time sampling and self-scoring (eval.backend), behind one interface.

- `hf` (default): the model in this process; rlv.inference.decoding samples and self-scores in one pass (rule `score`
  keeps those scores), rlv.verifier.score_solutions scores samples apart (another model's verdict).
- `vllm`: a vLLM engine in a subprocess of its own environment (rlv.inference.vllm_engine).

Both write the same evaluation Parquet (rlv.rollouts.EVAL_COLUMNS, then the score columns): the prompts come
from the tokenizer's chat template, completions are decoded and graded by the same code, and the scores are
defined alike (p("Yes") from the full softmax after the verification suffix; the solution's mean token
log-prob). Only the random streams differ, so samples are equal in distribution, not token for token.

`open_engine(model, params)` gives what rlv.inference.sampling.sample_solutions and `rlv score` take: None for `hf`
(they use the in-process model) or a VllmEngine (a context manager that starts at its first request).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

BACKENDS = ("hf", "vllm")


def backend_of(params: dict) -> str:
    backend = params.get("backend", "hf")
    if backend not in BACKENDS:
        raise ValueError(f"eval.backend: {backend!r} is not one of {list(BACKENDS)}")
    return backend


def open_engine(model: str | Path, params: dict, log: str | Path | None = None):
    """A context manager yielding None (`hf`) or a lazily started VllmEngine (`vllm`)."""
    if backend_of(params) == "hf":
        return contextlib.nullcontext(None)
    from rlv.inference.vllm_engine import engine_from_params
    return engine_from_params(model, params, log=log)


def load_tokenizer(path: str | Path):
    """The model directory's tokenizer alone (the `vllm` backend needs no weights in this process)."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(path, trust_remote_code=False)
