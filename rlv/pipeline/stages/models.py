"""Stage `rlv base-model` (rule base_model, workflow/rules/models.smk): the base model every RL run starts from.

Either a pretrained checkpoint (`pretrained`: a hub id in the local cache or a directory), copied as safetensors
with its tokenizer and no remote code, or the embedded default's tiny model: a digit-level tokenizer trained on
the warm-up corpus, a tiny Qwen2 of `architecture`, and the supervised warm-up (rlv.models.warm_up) on the
training problems' worked solutions mixed with a `warmup.check_share` of single-equation Yes/No checks
(rlv.tasks.expression.equation_checks). The model directory records its provenance (rlv.pipeline.provenance).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from rlv.pipeline.provenance import record
from rlv.pipeline.stages import log, placement, set_threads


@dataclass(frozen=True)
class Warmup:
    steps: int
    batch_size: int
    learning_rate: float
    warmup_steps: int
    check_share: float


@dataclass(frozen=True)
class BaseModelParams:
    seed: int = 0
    vocab_size: int | None = None
    architecture: dict = field(default_factory=dict)  # rlv.models.build_model's keywords
    warmup: Warmup | None = None
    pretrained: str | None = None
    instruction: str = ""
    device: str = "auto"
    precision: str = "auto"  # bf16: the warm-up computes under autocast; the saved weights stay float32
    threads: int = 1


def base_model(*, data: Path, out: Path, params: BaseModelParams) -> None:
    import pandas as pd

    from rlv.models import build_model, build_tokenizer, encode_pairs, tokenizer_corpus, warm_up, warmup_pairs
    from rlv.rollouts import atomic_directory
    from rlv.tasks.expression import equation_checks
    from rlv.tasks.records import gradable
    if params.pretrained:
        return copy_pretrained(params.pretrained, out, params)
    set_threads(params.threads)
    problems, skipped = gradable(pd.read_parquet(data))
    if skipped:
        log(f"warm-up: skipped {len(skipped)} of {len(problems) + len(skipped)} training problems whose solution has "
            f"no \\boxed{{}} answer the grader accepts: {', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}")
    if problems.empty:
        raise SystemExit(f"{data}: no training problem has a worked solution ending in a \\boxed{{}} answer the grader "
                         f"accepts; the tiny model's warm-up needs them (or set base_model.pretrained)")
    warm, share = params.warmup, params.warmup.check_share
    checks = equation_checks(round(len(problems) * share / (1 - share)), params.seed)
    pairs = warmup_pairs(problems, params.instruction, checks)
    tokenizer = build_tokenizer(tokenizer_corpus(pairs), params.vocab_size)
    where = placement(params)
    model = build_model(tokenizer, seed=params.seed, **params.architecture).to(where["device"])
    log(f"tokenizer: {len(tokenizer)} tokens; model: {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"warm-up on {len(problems)} worked solutions and {len(checks)} equation checks")
    history = warm_up(model, encode_pairs(tokenizer, pairs), warm.steps, warm.batch_size, warm.learning_rate,
                      warm.warmup_steps, params.seed, tokenizer.pad_token_id, log=log, compute_dtype=where["dtype"])
    with atomic_directory(out) as staging:
        model.cpu().save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        pd.DataFrame(history).to_csv(staging / "warmup.csv", index=False)
        record(staging, base_model, params, params.seed)
    log(f"saved the base model to {out}")


def copy_pretrained(source: str, out: Path, params: BaseModelParams) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rlv.rollouts import atomic_directory
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(source, dtype="auto", trust_remote_code=False,
                                                     use_safetensors=True)
    except (OSError, ValueError) as exc:  # a missing/unreachable checkpoint, a malformed id or no safetensors
        raise SystemExit(f"config key base_model.pretrained: cannot load {source!r} as safetensors weights from a "
                         f"local directory or the local Hugging Face cache (HF_HUB_OFFLINE="
                         f"{os.environ.get('HF_HUB_OFFLINE', '')}): {exc}") from exc
    with atomic_directory(out) as staging:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        (staging / "pretrained.json").write_text(json.dumps({"pretrained": str(source)}) + "\n")
        record(staging, base_model, params)
    log(f"copied {source} ({sum(p.numel() for p in model.parameters()):,} parameters, {model.dtype}) to {out}")
