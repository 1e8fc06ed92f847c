"""Stages of workflow/rules/evaluate.smk: `rlv sample`, `rlv score`, `rlv judge`, `rlv score-head`, `rlv sweep`.

- sample: N solutions per problem from one model, graded (rlv.inference.sampling), in resumable shards; on the hf
  backend with `self_score` each sample is also scored by the model in the same pass and carries its scorer digest.
- score: p("Yes"), p("No") and the mean token log-prob of every sample by a model (rlv.verifier.score_solutions, or
  a vLLM engine's log-probs); samples already scored by this very model (same scorer digest) are kept as they are.
  With `verdict_only` another model's verdict replaces p_yes and p_no and the policy's mean log-prob stays.
- judge: the prompted judge, a model writing a short verification of each sample before its verdict
  (rlv.baselines.judge).
- score-head: a verifier head's score as p_yes (rlv.baselines.verifier_heads).
- sweep: accuracy vs N of every strategy with bootstrap CIs, and the verifier metrics, over runs
  (rlv.analysis.aggregate).
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from rlv.pipeline import ConfigError
from rlv.pipeline.stages import log, placement, progress, set_threads


@dataclass(frozen=True)
class SampleParams:
    num_samples: int
    temperature: float
    max_new_tokens: int
    batch_size: int
    seed: int
    instruction: str = ""
    shard_problems: int = 50
    self_score: bool = False  # the hf backend scores each sample in the sampling pass
    backend: str = "hf"
    vllm_python: str | None = None
    vllm_engine_args: dict = field(default_factory=dict)
    device: str = "auto"
    precision: str = "auto"
    threads: int = 1


@dataclass(frozen=True)
class ScoreParams:
    batch_size: int = 64
    instruction: str = ""
    backend: str = "hf"
    vllm_python: str | None = None
    vllm_engine_args: dict = field(default_factory=dict)
    device: str = "auto"
    precision: str = "auto"
    threads: int = 1


@dataclass(frozen=True)
class JudgeParams:
    prompt: str
    max_new_tokens: int
    temperature: float  # 0: greedy
    batch_size: int
    seed: int = 0
    instruction: str = ""
    device: str = "auto"
    precision: str = "auto"
    threads: int = 1

    def __post_init__(self):
        for key in ("max_new_tokens", "batch_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"judge.{key}: must be a positive integer, not {value!r}")
        if not isinstance(self.temperature, (int, float)) or self.temperature < 0:
            raise ConfigError(f"judge.temperature: must be a number >= 0 (0 = greedy), not {self.temperature!r}")
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ConfigError(f"judge.prompt: must be a non-empty string, not {self.prompt!r}")


@dataclass(frozen=True)
class SweepParams:
    ns: list[int]
    strategies: list[str]
    num_subsets: int
    num_bootstrap: int
    confidence: float
    seed: int


def _engine(model: Path, params: SampleParams | ScoreParams):
    from rlv.inference.backends import open_engine
    return open_engine(model, params.backend, params.vllm_python, seed=getattr(params, "seed", 0),
                       engine_args=params.vllm_engine_args, threads=params.threads)


def encode_prompts(tokenizer, texts, instruction: str) -> list[list[int]]:
    """Prompt ids of each row's problem text, each distinct text encoded once."""
    from rlv.tasks.chat import prompt_ids
    cache = {}
    return [cache.setdefault(text, prompt_ids(tokenizer, text, instruction)) for text in texts]


def sample(*, model: Path, data: Path, run: str, dataset: str, out: Path, shards: Path | None,
           params: SampleParams) -> None:
    import pandas as pd

    from rlv.inference.backends import check_backend, load_tokenizer
    from rlv.inference.sampling import sample_solutions, scorer_digest
    from rlv.models import load_model
    from rlv.rollouts import claim, write_parquet_atomic
    set_threads(params.threads)
    hf = check_backend(params.backend) == "hf"
    # the hf decoder scores each sample as it finishes (rule score then keeps those scores)
    scorer = scorer_digest(model, params.instruction) if params.self_score and hf else None
    # the vllm engine loads the weights in its own environment
    policy, tokenizer = load_model(model, **placement(params)) if hf else (None, load_tokenizer(model))
    problems = pd.read_parquet(data)
    shard_dir = Path(shards or f"{out}.shards")
    claim(shard_dir, {**dataclasses.asdict(params), "model": str(model), "data": str(data), "run": run,
                      "dataset": dataset})
    with _engine(model, params) as engine, progress(len(problems) * params.num_samples, f"sample {run}/{dataset}") as bar:
        frame = sample_solutions(policy, tokenizer, problems, params.num_samples, params.temperature,
                                 params.max_new_tokens, params.batch_size, params.seed, params.instruction, run,
                                 dataset, bar.update, shard_dir, params.shard_problems, engine=engine, scorer=scorer)
    write_parquet_atomic(frame, out)
    shutil.rmtree(shard_dir, ignore_errors=True)
    log(f"{run}/{dataset}: {len(frame)} samples, accuracy {frame['correct'].mean():.3f}")


def score(*, model: Path, samples: Path, out: Path, run: str | None, verdict_only: bool, params: ScoreParams) -> None:
    from rlv.inference.backends import check_backend, load_tokenizer
    from rlv.inference.sampling import scorer_digest
    from rlv.models import load_model
    from rlv.rollouts import EVAL_COLUMNS, SCORE_COLUMNS, read_rollouts, write_parquet_atomic
    from rlv.verifier import answer_token_ids, drop_ids, score_solutions, verification_suffix_ids
    set_threads(params.threads)
    hf = check_backend(params.backend) == "hf"
    frame = read_rollouts(samples, EVAL_COLUMNS)
    digest = scorer_digest(model, params.instruction)
    renamed = {"run": run} if run else {}
    if {*SCORE_COLUMNS, "scorer"} <= set(frame.columns) and (frame["scorer"] == digest).all():
        # scored by this very model in the sampling job (rlv.inference.decoding): the same numbers, already computed
        write_parquet_atomic(frame.assign(**renamed), out)
        log(f"kept the sampling job's scores of {len(frame)} samples (scorer {digest}); "
            f"mean p_yes {frame['p_yes'].mean():.3f}")
        return
    scorer, tokenizer = load_model(model, **placement(params)) if hf else (None, load_tokenizer(model))
    prompts = encode_prompts(tokenizer, frame["prompt"], params.instruction)
    completions = [list(c) for c in frame["completion_ids"]]
    yes_id, no_id = answer_token_ids(tokenizer)
    drop = drop_ids(tokenizer)
    with progress(len(frame), f"score {samples}") as bar:
        if hf:
            scores = score_solutions(scorer, prompts, completions, verification_suffix_ids(tokenizer), yes_id, no_id,
                                     drop, tokenizer.pad_token_id, params.batch_size, bar.update)
        else:  # the same scores from a vLLM engine's log-probs (rlv.inference.vllm_engine)
            from rlv.inference.vllm_engine import score_solutions as engine_scores
            with _engine(model, params) as engine:
                scores = engine_scores(engine, prompts, completions, verification_suffix_ids(tokenizer), yes_id,
                                       no_id, drop)
            bar.update(len(frame))
    if verdict_only:  # another model's verdict on these samples: the policy's mean_logprob stays
        if "mean_logprob" not in frame.columns:
            raise SystemExit(f"--verdict-only: {samples} has no mean_logprob column (pass the policy's scored samples)")
        scores.pop("mean_logprob")
    scored = frame.assign(**scores, scorer=digest, **renamed)
    write_parquet_atomic(scored, out)
    log(f"scored {len(scored)} samples; mean p_yes {scored['p_yes'].mean():.3f}")


def judge(*, model: Path, samples: Path, out: Path, run: str | None, params: JudgeParams) -> None:
    """The base RL model writes a short verification of each of its scored samples, then gives p("Yes");
    p_yes and p_no are replaced, the policy's mean_logprob stays."""
    from rlv.baselines.judge import judge_solutions
    from rlv.models import load_model
    from rlv.rollouts import EVAL_COLUMNS, JUDGE_COLUMNS, read_rollouts, write_parquet_atomic
    set_threads(params.threads)
    judge_model, tokenizer = load_model(model, **placement(params))
    frame = read_rollouts(samples, [*EVAL_COLUMNS, "mean_logprob"])
    prompts = encode_prompts(tokenizer, frame["prompt"], params.instruction)
    with progress(len(frame), f"judge {samples}") as bar:
        judged = judge_solutions(judge_model, tokenizer, prompts, [list(c) for c in frame["completion_ids"]],
                                 params.prompt, params.max_new_tokens, params.temperature, params.batch_size,
                                 params.seed, bar.update)
    scored = frame.assign(p_yes=judged["p_yes"], p_no=judged["p_no"], **{c: judged[c] for c in JUDGE_COLUMNS},
                          **({"run": run} if run else {}))
    write_parquet_atomic(scored, out)
    log(f"judged {len(scored)} samples; mean p_yes {scored['p_yes'].mean():.3f}; mean verification length "
        f"{scored['judge_num_tokens'].mean():.1f} tokens, "
        f"{(scored['judge_num_tokens'] >= params.max_new_tokens).mean():.1%} at judge.max_new_tokens")


def score_head(*, model: Path, samples: Path, run: str, out: Path, params: ScoreParams) -> None:
    """A verifier head's p_yes and p_no over a policy's scored samples (its mean_logprob stays)."""
    from rlv.baselines.verifier_heads import load_head_verifier, score_with_head
    from rlv.rollouts import EVAL_COLUMNS, read_rollouts, write_parquet_atomic
    set_threads(params.threads)
    verifier, tokenizer = load_head_verifier(model, **placement(params))
    frame = read_rollouts(samples, EVAL_COLUMNS + ["mean_logprob"])
    prompts = encode_prompts(tokenizer, frame["prompt"], params.instruction)
    with progress(len(frame), f"score-head {samples}") as bar:
        scores = score_with_head(verifier, tokenizer, prompts, [list(c) for c in frame["completion_ids"]],
                                 params.batch_size, bar.update)
    scored = frame.assign(**scores, run=run)
    write_parquet_atomic(scored, out)
    log(f"scored {len(scored)} samples with the {verifier.form} head; mean p_yes {scored['p_yes'].mean():.3f}")


def sweep(*, scores: list[Path], out: Path, verifier_out: Path, params: SweepParams) -> None:
    import pandas as pd

    from rlv.analysis.aggregate import sweep as sweep_curves, verifier_metrics
    from rlv.rollouts import write_parquet_atomic
    from rlv.tasks.grading import answers_equal
    curves, verifiers = [], []
    for path in scores:
        frame = pd.read_parquet(path)
        run, dataset = frame["run"].iloc[0], frame["dataset"].iloc[0]
        n_max = frame.groupby("problem_id").size().max()
        ns = [n for n in params.ns if n <= n_max]
        curve = sweep_curves(frame, ns, params.strategies, params.num_subsets, params.num_bootstrap,
                             params.confidence, params.seed, equivalent=answers_equal)  # grader-equal answers: one vote
        curves.append(curve.assign(run=run, dataset=dataset))
        for score_name in ("p_yes", "mean_logprob"):
            verifiers.append({"run": run, "dataset": dataset, "score": score_name,
                              **verifier_metrics(frame, score_name)})
    write_parquet_atomic(pd.concat(curves, ignore_index=True), out)
    write_parquet_atomic(pd.DataFrame(verifiers), verifier_out)
    log(f"wrote the sweep over {len(scores)} runs to {out}")
