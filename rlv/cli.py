"""`rlv <stage>`: one subcommand per pipeline stage, each reading and writing files only.

Every stage takes explicit input/output paths and `--params`, either inline JSON or a path to a YAML/JSON
file holding the stage's parameters (the workflow passes the matching section of its validated config).
The stages run the same way inside and outside Snakemake.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def load_params(value: str) -> dict:
    """Inline JSON, or a YAML/JSON file."""
    if value.lstrip().startswith("{"):
        return json.loads(value)
    import yaml
    with open(value) as handle:
        return yaml.safe_load(handle)


def log(message: str) -> None:
    print(f"[rlv {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cmd_data(args, params):
    """One dataset's problem records: `params.source` picks the reader (rlv.tasks.loaders); without a source, or
    with source "synthetic", the arithmetic generator gets every params key its signature accepts."""
    import inspect

    from rlv.rollouts import write_parquet_atomic
    from rlv.tasks.synthetic import generate
    from rlv.tasks.loaders import load_problems
    from rlv.tasks.records import validate_problems
    name = args.dataset or args.split
    if params.get("source", "synthetic") == "synthetic":
        split = params.get("split") or args.split or name
        accepted = set(inspect.signature(generate).parameters) - {"split"}
        frame = validate_problems(generate(split, **{k: v for k, v in params.items() if k in accepted}),
                                  f"generated {split} split")
    else:
        frame = load_problems(params, name, log=log)
    write_parquet_atomic(frame, args.out)
    log(f"wrote {len(frame)} {name} problems to {args.out}")


def cmd_base_model(args, params):
    """The base model: a pretrained checkpoint (`pretrained`: a hub id in the local cache or a directory), copied
    as safetensors with its tokenizer; else the tiny model built and warmed up on the training problems."""
    import pandas as pd
    import torch
    if params.get("pretrained"):
        return _copy_pretrained(params["pretrained"], args.out)
    from rlv.models import build_model, build_tokenizer, encode_pairs, tokenizer_corpus, warm_up, warmup_pairs
    from rlv.rollouts import atomic_directory
    from rlv.tasks.expression import equation_checks
    torch.set_num_threads(params.get("threads", 1))
    problems = pd.read_parquet(args.data)
    warm = params["warmup"]
    share = warm["check_share"]
    checks = equation_checks(round(len(problems) * share / (1 - share)), params["seed"])
    pairs = warmup_pairs(problems, params.get("instruction", ""), checks)
    tokenizer = build_tokenizer(tokenizer_corpus(pairs), params["vocab_size"])
    model = build_model(tokenizer, seed=params["seed"], **params["architecture"])
    log(f"tokenizer: {len(tokenizer)} tokens; model: {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"warm-up on {len(problems)} worked solutions and {len(checks)} equation checks")
    history = warm_up(model, encode_pairs(tokenizer, pairs), warm["steps"], warm["batch_size"], warm["learning_rate"],
                      warm["warmup_steps"], params["seed"], tokenizer.pad_token_id, log=log)
    with atomic_directory(args.out) as staging:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        pd.DataFrame(history).to_csv(staging / "warmup.csv", index=False)
    log(f"saved the base model to {args.out}")


def _copy_pretrained(source: str, out: str) -> None:
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
    log(f"copied {source} ({sum(p.numel() for p in model.parameters()):,} parameters, {model.dtype}) to {out}")


def cmd_train(args, params):
    import pandas as pd
    from rlv.training.run import run_training
    checkpoint_dir = args.checkpoints or f"{args.out.rstrip('/')}.checkpoints"
    metrics = run_training(args.base, pd.read_parquet(args.data), params, args.run, args.out, args.rollouts,
                           checkpoint_dir, log)
    last = metrics.tail(1).to_dict("records")[0] if len(metrics) else {}
    log(f"trained {args.run}: {len(metrics)} steps; last step {last}")


def cmd_sample(args, params):
    import shutil

    import pandas as pd
    import torch
    from rlv.inference.backends import backend_of, load_tokenizer, open_engine
    from rlv.rollouts import claim
    from rlv.models import load_model
    from rlv.rollouts import write_parquet_atomic
    from rlv.inference.sampling import sample_solutions, scorer_digest
    torch.set_num_threads(params.get("threads", 1))
    scorer = None  # the hf decoder scores each sample as it finishes (rule score then keeps those scores)
    if params.get("self_score") and backend_of(params) == "hf":
        scorer = scorer_digest(args.model, params.get("instruction", ""))
    if backend_of(params) == "hf":
        model, tokenizer = load_model(args.model)
    else:  # the engine loads the weights in its own environment
        model, tokenizer = None, load_tokenizer(args.model)
    problems = pd.read_parquet(args.data)
    shard_dir = Path(args.shards or f"{args.out}.shards")
    claim(shard_dir, {**params, "model": str(args.model), "data": str(args.data), "run": args.run,
                      "dataset": args.dataset})
    with open_engine(args.model, params) as engine, \
            _progress(len(problems) * params["num_samples"], f"sample {args.run}/{args.dataset}") as bar:
        frame = sample_solutions(model, tokenizer, problems, params["num_samples"], params["temperature"],
                                 params["max_new_tokens"], params["batch_size"], params["seed"],
                                 params.get("instruction", ""), args.run, args.dataset, bar.update, shard_dir,
                                 params.get("shard_problems", 50), engine=engine, scorer=scorer)
    write_parquet_atomic(frame, args.out)
    shutil.rmtree(shard_dir, ignore_errors=True)
    log(f"{args.run}/{args.dataset}: {len(frame)} samples, accuracy {frame['correct'].mean():.3f}")


def cmd_score(args, params):
    import pandas as pd
    import torch
    from rlv.inference.backends import backend_of, load_tokenizer, open_engine
    from rlv.models import load_model
    from rlv.rollouts import EVAL_COLUMNS, SCORE_COLUMNS, read_rollouts, write_parquet_atomic
    from rlv.inference.sampling import prompt_ids, scorer_digest
    from rlv.verifier import answer_token_ids, score_solutions, verification_suffix_ids
    torch.set_num_threads(params.get("threads", 1))
    backend = backend_of(params)
    samples = read_rollouts(args.samples, EVAL_COLUMNS)
    instruction = params.get("instruction", "")
    digest = scorer_digest(args.model, instruction)
    if {*SCORE_COLUMNS, "scorer"} <= set(samples.columns) and (samples["scorer"] == digest).all():
        # scored by this very model in the sampling job (rlv.inference.decoding): the same numbers, already computed
        write_parquet_atomic(samples.assign(**({"run": args.run} if args.run else {})), args.out)
        log(f"kept the sampling job's scores of {len(samples)} samples (scorer {digest}); "
            f"mean p_yes {samples['p_yes'].mean():.3f}")
        return
    model, tokenizer = load_model(args.model) if backend == "hf" else (None, load_tokenizer(args.model))
    cache = {}
    prompts = [cache.setdefault(p, prompt_ids(tokenizer, p, instruction)) for p in samples["prompt"]]
    yes_id, no_id = answer_token_ids(tokenizer)
    with _progress(len(samples), f"score {args.samples}") as bar:
        if backend == "hf":
            scores = score_solutions(model, prompts, [list(c) for c in samples["completion_ids"]],
                                     verification_suffix_ids(tokenizer), yes_id, no_id,
                                     {tokenizer.eos_token_id, tokenizer.pad_token_id}, tokenizer.pad_token_id,
                                     params.get("batch_size", 64), bar.update)
        else:  # the same scores from a vLLM engine's log-probs (rlv.inference.vllm_engine)
            from rlv.inference.vllm_engine import score_solutions as engine_scores
            with open_engine(args.model, params) as engine:
                scores = engine_scores(engine, prompts, [list(c) for c in samples["completion_ids"]],
                                       verification_suffix_ids(tokenizer), yes_id, no_id,
                                       {tokenizer.eos_token_id, tokenizer.pad_token_id})
            bar.update(len(samples))
    if args.verdict_only:  # another model's verdict on these samples: the policy's mean_logprob stays
        if "mean_logprob" not in samples.columns:
            raise SystemExit(f"--verdict-only: {args.samples} has no mean_logprob column (pass the policy's scored samples)")
        scores.pop("mean_logprob")
    scored = samples.assign(**scores, scorer=digest, **({"run": args.run} if args.run else {}))
    write_parquet_atomic(scored, args.out)
    log(f"scored {len(scored)} samples; mean p_yes {scored['p_yes'].mean():.3f}")


def cmd_judge(args, params):
    """The prompted judge: the base RL model writes a short verification of each of its scored samples, then
    gives p("Yes") (rlv.baselines.judge); p_yes and p_no are replaced, the policy's mean_logprob stays."""
    import torch
    from rlv.inference.backends import backend_of
    from rlv.baselines.judge import judge_solutions
    from rlv.models import load_model
    from rlv.rollouts import EVAL_COLUMNS, JUDGE_COLUMNS, read_rollouts, write_parquet_atomic
    from rlv.inference.sampling import prompt_ids
    if backend_of(params) != "hf":
        raise SystemExit(f"eval.backend: {params['backend']!r}: the prompted judge (rule judge) runs only on the "
                         "hf backend; set eval.backend: hf or remove the config's judge section")
    for key in ("max_new_tokens", "batch_size"):
        if not isinstance(params.get(key), int) or isinstance(params[key], bool) or params[key] < 1:
            raise SystemExit(f"judge.{key}: must be a positive integer, not {params.get(key)!r}")
    if not isinstance(params.get("temperature"), (int, float)) or params["temperature"] < 0:
        raise SystemExit(f"judge.temperature: must be a number >= 0 (0 = greedy), not {params.get('temperature')!r}")
    if not isinstance(params.get("prompt"), str) or not params["prompt"].strip():
        raise SystemExit(f"judge.prompt: must be a non-empty string, not {params.get('prompt')!r}")
    torch.set_num_threads(params.get("threads", 1))
    model, tokenizer = load_model(args.model)
    samples = read_rollouts(args.samples, [*EVAL_COLUMNS, "mean_logprob"])
    instruction = params.get("instruction", "")
    cache = {}
    prompts = [cache.setdefault(p, prompt_ids(tokenizer, p, instruction)) for p in samples["prompt"]]
    with _progress(len(samples), f"judge {args.samples}") as bar:
        judged = judge_solutions(model, tokenizer, prompts, [list(c) for c in samples["completion_ids"]],
                                 params["prompt"], params["max_new_tokens"], params["temperature"],
                                 params["batch_size"], params.get("seed", 0), bar.update)
    scored = samples.assign(p_yes=judged["p_yes"], p_no=judged["p_no"], **{c: judged[c] for c in JUDGE_COLUMNS},
                            **({"run": args.run} if args.run else {}))
    write_parquet_atomic(scored, args.out)
    log(f"judged {len(scored)} samples; mean p_yes {scored['p_yes'].mean():.3f}; mean verification length "
        f"{scored['judge_num_tokens'].mean():.1f} tokens, "
        f"{(scored['judge_num_tokens'] >= params['max_new_tokens']).mean():.1%} at judge.max_new_tokens")


def cmd_train_verifier(args, params):
    """The separate verifier: the base model trained on L_verify alone over one run's training rollouts."""
    import torch
    from rlv.models import load_model
    from rlv.rollouts import TRAIN_COLUMNS, read_rollouts
    from rlv.baselines.separate_verifier import train_separate_verifier
    torch.set_num_threads(params.get("threads", 1))
    model, tokenizer = load_model(args.base)
    rollouts = read_rollouts(args.rollouts, TRAIN_COLUMNS)
    log(f"separate verifier: {len(rollouts)} rollouts of {args.rollouts} (share correct "
        f"{rollouts['label'].mean():.3f}), {params['steps']} steps of {params['batch_size']}")
    history = train_separate_verifier(model, tokenizer, rollouts, params["steps"], params["batch_size"],
                                      params["learning_rate"], params["seed"], log)
    _save_verifier(args, model, tokenizer, history)
    log(f"saved the separate verifier to {args.out}")


def cmd_train_verifier_head(args, params):
    """A verifier head (bce or regression): the separate verifier's training with a scalar head (rlv.baselines.verifier_heads)."""
    import torch
    from rlv.models import load_model
    from rlv.rollouts import TRAIN_COLUMNS, read_rollouts
    from rlv.baselines.verifier_heads import HeadVerifier, save_head, train_verifier_head
    torch.set_num_threads(params.get("threads", 1))
    model, tokenizer = load_model(args.base)
    verifier = HeadVerifier(model, params["form"])
    rollouts = read_rollouts(args.rollouts, TRAIN_COLUMNS)
    log(f"{params['form']} verifier head: {len(rollouts)} rollouts of {args.rollouts} (share correct "
        f"{rollouts['label'].mean():.3f}), {params['steps']} steps of {params['batch_size']}")
    history = train_verifier_head(verifier, tokenizer, rollouts, params["steps"], params["batch_size"],
                                  params["learning_rate"], params["seed"], log)
    _save_verifier(args, model, tokenizer, history, lambda staging: save_head(verifier, staging))
    log(f"saved the {params['form']} verifier head to {args.out}")


def _save_verifier(args, model, tokenizer, history, save_extra=None) -> None:
    """A trained verifier's directory, written atomically: weights (safetensors), tokenizer, anything
    `save_extra(staging)` adds, and metrics.csv (the per-step history with the run's name)."""
    from rlv.rollouts import atomic_directory
    with atomic_directory(args.out) as staging:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        if save_extra is not None:
            save_extra(staging)
        history.insert(0, "run", args.run)
        history.to_csv(staging / "metrics.csv", index=False)


def cmd_score_head(args, params):
    """A verifier head's p_yes and p_no over a policy's scored samples (its mean_logprob stays)."""
    import torch
    from rlv.rollouts import EVAL_COLUMNS, read_rollouts, write_parquet_atomic
    from rlv.inference.sampling import prompt_ids
    from rlv.baselines.verifier_heads import load_head_verifier, score_with_head
    torch.set_num_threads(params.get("threads", 1))
    verifier, tokenizer = load_head_verifier(args.model)
    samples = read_rollouts(args.samples, EVAL_COLUMNS + ["mean_logprob"])
    cache = {}
    prompts = [cache.setdefault(p, prompt_ids(tokenizer, p, params.get("instruction", ""))) for p in samples["prompt"]]
    with _progress(len(samples), f"score-head {args.samples}") as bar:
        scores = score_with_head(verifier, tokenizer, prompts, [list(c) for c in samples["completion_ids"]],
                                 params.get("batch_size", 64), bar.update)
    scored = samples.assign(**scores, run=args.run)
    write_parquet_atomic(scored, args.out)
    log(f"scored {len(scored)} samples with the {verifier.form} head; mean p_yes {scored['p_yes'].mean():.3f}")


def cmd_sweep(args, params):
    import pandas as pd
    from rlv.analysis.aggregate import sweep, verifier_metrics
    from rlv.rollouts import write_parquet_atomic
    curves, verifiers = [], []
    for path in args.scores:
        frame = pd.read_parquet(path)
        run, dataset = frame["run"].iloc[0], frame["dataset"].iloc[0]
        n_max = frame.groupby("problem_id").size().max()
        ns = [n for n in params["ns"] if n <= n_max]
        curve = sweep(frame, ns, params["strategies"], params["num_subsets"], params["num_bootstrap"],
                      params["confidence"], params["seed"])
        curves.append(curve.assign(run=run, dataset=dataset))
        for score in ("p_yes", "mean_logprob"):
            verifiers.append({"run": run, "dataset": dataset, "score": score, **verifier_metrics(frame, score)})
    write_parquet_atomic(pd.concat(curves, ignore_index=True), args.out)
    write_parquet_atomic(pd.DataFrame(verifiers), args.verifier_out)
    log(f"wrote the sweep over {len(args.scores)} runs to {args.out}")


def cmd_figure(args, params):
    """One figure: its tables as keyword arguments (`--metrics` takes run directories or metrics.csv files)."""
    import pandas as pd
    from rlv.figures import FIGURES
    tables = {}
    if args.sweep:
        tables["sweep"] = pd.read_parquet(args.sweep)
    if args.efficiency:
        tables["efficiency"] = pd.read_parquet(args.efficiency)
    if args.sweeps:
        tables["sweeps"] = [pd.read_parquet(p) for p in args.sweeps]
    if args.verifier:
        tables["verifier"] = pd.read_parquet(args.verifier)
    if args.scores:
        tables["scores"] = [pd.read_parquet(p) for p in args.scores]
    if args.arms:
        tables["arms"] = pd.read_parquet(args.arms)
    for key in ("budget_strategies", "ratios", "adaptive"):  # sequential_parallel, adaptive_length
        if getattr(args, key, None):
            tables[key] = pd.read_parquet(getattr(args, key))
    if args.metrics:
        tables["metrics"] = [pd.read_csv(Path(p) / "metrics.csv" if Path(p).is_dir() else p) for p in args.metrics]
    FIGURES[args.name](out=args.out, params=params, **tables)
    log(f"wrote {args.out}")


def cmd_efficiency(args, params):
    import pandas as pd
    from rlv.analysis.efficiency import compute_ratios
    from rlv.rollouts import write_parquet_atomic
    ratios = compute_ratios(pd.read_parquet(args.sweep), args.dataset, params["base_run"], params["verifier_run"],
                            params.get("base_strategy", "majority"),
                            tuple(params.get("verifier_strategies", ["best_of_n:p_yes", "weighted_vote:p_yes"])))
    write_parquet_atomic(ratios, args.out)
    log(f"wrote {args.out}: {int(ratios['ratio'].notna().sum())} of {len(ratios)} ratios defined")


def cmd_summary(args, params):
    """The summary; with --efficiency and --scores (and params.claims) it opens with the paper's claims."""
    import pandas as pd
    from rlv.rollouts import write_text_atomic
    from rlv.analysis.summary import render_summary
    sweeps = [pd.read_parquet(p) for p in args.sweeps]
    efficiency, claims = None, None
    if args.efficiency:
        efficiency = {t["dataset"].iloc[0]: t for t in map(pd.read_parquet, args.efficiency) if len(t)}
    if args.scores and efficiency is not None and "claims" in params:
        from rlv.analysis.claims import claim_rows
        scored = {(f["run"].iloc[0], f["dataset"].iloc[0]): f for f in map(pd.read_parquet, args.scores)}
        sequential = pd.read_parquet(args.sequential) if args.sequential else None
        claims = claim_rows({s["dataset"].iloc[0]: s for s in sweeps}, efficiency, scored, params["claims"],
                            params.get("labels", {}), sequential)
    text = render_summary(sweeps, [pd.read_parquet(p) for p in args.verifiers], params["ns"],
                          params.get("labels", {}), claims, efficiency)
    write_text_atomic(text, args.out)
    log(f"wrote {args.out}")


def _load_search(path: str) -> dict:
    import yaml
    from rlv.analysis.designs import validate_search
    search = yaml.safe_load(Path(path).read_text())
    validate_search(search, path)
    return search


def cmd_design_config(args, params):
    import yaml
    from rlv.analysis.designs import base_config
    from rlv.rollouts import write_text_atomic
    params.pop("threads", None)
    config = base_config(params, _load_search(args.search), args.base)
    write_text_atomic(yaml.safe_dump(config, sort_keys=False), args.out)
    log(f"wrote {args.out}: {len(config['rl']['runs'])} RL runs on base {args.base!r}")


def cmd_design_table(args, params):
    import pandas as pd
    from rlv.analysis.designs import arm_rows, render_table
    from rlv.rollouts import write_parquet_atomic, write_text_atomic
    search = _load_search(args.search)
    rows = pd.concat([arm_rows(search, base, Path(args.root) / base, params.get("dataset", "test"),
                               params.get("num_bootstrap", 1000), params.get("confidence", 0.95), params.get("seed", 0))
                      for base in search["bases"]], ignore_index=True)
    write_parquet_atomic(rows, args.table)
    write_text_atomic(render_table(search, rows, args.name or Path(args.root).name), args.out)
    log(f"wrote {args.out} ({len(rows)} arms)")


def cmd_method_comparison(args, params):
    """Per method of a design search: compute ratios (Parquet) and the comparison table (Markdown)."""
    from rlv.analysis.method_comparison import base_sweeps, method_efficiency, method_table
    from rlv.rollouts import write_parquet_atomic, write_text_atomic
    search = _load_search(args.search)
    dataset = params.get("dataset", "test")
    sweeps = base_sweeps(search, Path(args.root), dataset)
    efficiency = method_efficiency(search, sweeps, dataset)
    write_parquet_atomic(efficiency, args.table)
    write_text_atomic(method_table(search, sweeps, efficiency, dataset, search.get("title", "RL methods")), args.out)
    log(f"wrote {args.out} ({efficiency['design'].nunique()} methods)")


def cmd_design_warm_start(args, params):
    from rlv.analysis.designs import copy_warm_up
    copied = copy_warm_up(Path(args.source), Path(args.dest))
    log(f"warm start from {args.source}: copied {copied or 'nothing (up to date)'} into {args.dest}")


def cmd_sample_budgets(args, params):
    """Budget-forced samples of one run, graded and self-scored (rlv.inference.budget)."""
    import pandas as pd
    from rlv.inference.budget import run_budgets
    from rlv.rollouts import write_parquet_atomic
    frame = run_budgets(args.model, pd.read_parquet(args.data), params, args.run, args.dataset, log)
    write_parquet_atomic(frame, args.out)
    log(f"{args.run}/{args.dataset}: accuracy per budget " + ", ".join(
        f"{b}: {acc:.3f}" for b, acc in frame.groupby("budget")["correct"].mean().items()))


def cmd_sequential_config(args, params):
    import yaml
    from rlv.rollouts import write_text_atomic
    from rlv.analysis.sequential import own_base_config
    params.pop("threads", None)
    write_text_atomic(yaml.safe_dump(own_base_config(params), sort_keys=False), args.out)
    log(f"wrote {args.out}")


def cmd_sequential_tables(args, params):
    import pandas as pd
    from rlv.rollouts import write_parquet_atomic, write_text_atomic
    from rlv.analysis.sequential import adaptive_table, ratio_table, render_ratios, strategy_table
    scored = {frame["run"].iloc[0]: frame for frame in map(pd.read_parquet, args.scores)}
    boot = {key: params[key] for key in ("num_bootstrap", "confidence", "seed")}
    table = strategy_table(scored, params["strategies"], **boot)
    ratios = ratio_table(scored, table, params["base_run"], params["verifier_run"], params["strategies"], **boot)
    write_parquet_atomic(table, args.strategies_out)
    write_parquet_atomic(ratios, args.ratios_out)
    write_text_atomic(render_ratios(ratios, table, params.get("labels", {}), params["num_samples"], params["dataset"]),
                      args.table_out)
    write_parquet_atomic(adaptive_table(scored, params["thresholds"]), args.adaptive_out)
    log(f"wrote {args.table_out}: ratios " + ", ".join(f"{r.budget}: {r.ratio:.2f}" for r in ratios.itertuples()))


def _progress(total: int, desc: str):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, file=sys.stderr, mininterval=5, disable=None)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="rlv", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    stages = top.add_subparsers(dest="stage", required=True)

    def stage(name, func, help_text):
        sub = stages.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--params", required=True, help="inline JSON or a YAML/JSON file with the stage's parameters")
        sub.add_argument("--threads", type=int, help="torch threads (overrides params.threads)")
        sub.set_defaults(func=func)
        return sub

    sub = stage("data", cmd_data, "the problems of one dataset: a split of the synthetic arithmetic task (keys: "
                "num_problems, levels, seed, test_fraction, family) or, with `source`, a real benchmark (keys: one "
                "entry of the config's `datasets`; see rlv.tasks.loaders)")
    sub.add_argument("--dataset", help="dataset name (in messages; for the synthetic source the split by default)")
    sub.add_argument("--split", choices=["train", "test"], help="synthetic source: the split to draw")
    sub.add_argument("--out", required=True, help="Parquet file of problem records")
    sub = stage("base-model", cmd_base_model, "build the tokenizer and tiny model and warm them up on worked solutions (keys: vocab_size, architecture, warmup, seed, threads), or copy a pretrained checkpoint (key: pretrained)")
    sub.add_argument("--data", required=True, help="training problems (Parquet)")
    sub.add_argument("--out", required=True, help="model directory (safetensors + tokenizer)")
    sub = stage("train", cmd_train, "run RL (GRPO / leave-one-out PPO) with or without the verification loss (keys: see rlv.training.run)")
    sub.add_argument("--base", required=True, help="starting model directory")
    sub.add_argument("--data", required=True, help="training problems (Parquet)")
    sub.add_argument("--run", required=True, help="run name stored in every rollout row")
    sub.add_argument("--out", required=True, help="trained model directory")
    sub.add_argument("--rollouts", required=True, help="Parquet rollout store of every training rollout")
    sub.add_argument("--checkpoints", help="checkpoint directory kept until the run ends; a rerun resumes from it "
                                           "(default: OUT.checkpoints)")
    sub = stage("sample", cmd_sample, "sample N solutions per problem and grade them (keys: num_samples, temperature, max_new_tokens, batch_size, seed)")
    sub.add_argument("--model", required=True)
    sub.add_argument("--data", required=True, help="problems (Parquet)")
    sub.add_argument("--run", required=True)
    sub.add_argument("--dataset", required=True)
    sub.add_argument("--out", required=True, help="evaluation rollouts (Parquet)")
    sub.add_argument("--shards", help="directory of finished shards kept until the job ends; a rerun reuses them "
                                      "(default: OUT.shards)")
    sub = stage("score", cmd_score, "score every sample with the model's own p(Yes) and mean token log-prob (keys: batch_size)")
    sub.add_argument("--model", required=True)
    sub.add_argument("--samples", required=True, help="evaluation rollouts (Parquet)")
    sub.add_argument("--out", required=True, help="the same rows plus p_yes, p_no, mean_logprob")
    sub.add_argument("--run", help="run name written into the rows (default: the samples' own)")
    sub.add_argument("--verdict-only", action="store_true",
                     help="replace only p_yes and p_no (a separate verifier scoring a policy's scored samples)")
    sub = stage("judge", cmd_judge, "the prompted judge baseline: a model writes a short verification of each "
                "scored sample, then answers the verification question; its p(Yes) replaces p_yes, p_no (keys: "
                "prompt, max_new_tokens, temperature, batch_size, seed, instruction)")
    sub.add_argument("--model", required=True, help="the judging model (the base RL run)")
    sub.add_argument("--samples", required=True, help="that model's scored samples (Parquet, with mean_logprob)")
    sub.add_argument("--out", required=True, help="the same rows with the judge's p_yes, p_no, judge_verification, "
                     "judge_num_tokens")
    sub.add_argument("--run", help="run name written into the rows (default: the samples' own)")
    sub = stage("train-verifier", cmd_train_verifier, "the separate verifier baseline: a model trained on the "
                "Yes/No verification loss alone over one run's training rollouts (keys: steps, batch_size, "
                "learning_rate, seed)")
    sub.add_argument("--base", required=True, help="starting model directory (the warm-up base model)")
    sub.add_argument("--rollouts", required=True, help="training rollouts (Parquet rollout store)")
    sub.add_argument("--run", required=True, help="name of the verifier, stored in its metrics.csv")
    sub.add_argument("--out", required=True, help="verifier model directory (safetensors + tokenizer)")
    sub = stage("train-verifier-head", cmd_train_verifier_head, "a verifier with a scalar head on the last hidden "
                "state (form bce: BCE against the 0/1 label; regression: MSE against the reward), trained like the "
                "separate verifier over one run's training rollouts (keys: form, steps, batch_size, learning_rate, seed)")
    sub.add_argument("--base", required=True, help="starting model directory (the warm-up base model)")
    sub.add_argument("--rollouts", required=True, help="training rollouts (Parquet rollout store)")
    sub.add_argument("--run", required=True, help="name of the verifier, stored in its metrics.csv")
    sub.add_argument("--out", required=True, help="model directory (safetensors + tokenizer + verifier_head.safetensors)")
    sub = stage("score-head", cmd_score_head, "a verifier head's score of a policy's scored samples as p_yes "
                "(sigmoid for bce, clipped to [0, 1] for regression) and p_no = 1 - p_yes; mean_logprob stays the "
                "policy's (keys: batch_size, instruction)")
    sub.add_argument("--model", required=True, help="verifier head directory (rlv train-verifier-head)")
    sub.add_argument("--samples", required=True, help="the policy's scored evaluation rollouts (Parquet)")
    sub.add_argument("--run", required=True, help="run name written into the rows, e.g. grpo+bce")
    sub.add_argument("--out", required=True, help="the same rows with the head's p_yes and p_no")
    sub = stage("sweep", cmd_sweep, "accuracy vs N for every strategy, with bootstrap CIs (keys: ns, strategies, num_subsets, num_bootstrap, confidence, seed)")
    sub.add_argument("--scores", nargs="+", required=True, help="scored evaluation rollouts, one file per run")
    sub.add_argument("--out", required=True, help="sweep table (Parquet)")
    sub.add_argument("--verifier-out", required=True, help="verifier metrics table (Parquet)")
    sub = stage("figure", cmd_figure, "draw one figure (parallel_scaling, training_dynamics, overview, strategies, verifier_quality, verifier_form, generalization, rl_methods) from its tables")
    sub.add_argument("name", help="figure name, e.g. parallel_scaling")
    sub.add_argument("--sweep", help="sweep table (parallel_scaling, strategies, verifier_form)")
    sub.add_argument("--efficiency", help="compute-ratio table, marked on parallel_scaling (per method: rl_methods)")
    sub.add_argument("--sweeps", nargs="+",
                     help="sweep tables, one per panel dataset (generalization) or per search base (rl_methods)")
    sub.add_argument("--metrics", nargs="+", help="RL run directories or their metrics.csv (training_dynamics)")
    sub.add_argument("--arms", help="a design search's rows, results/experiments/{search}.parquet (lambda_sweep)")
    sub.add_argument("--verifier", help="verifier metrics table (verifier_quality, verifier_form)")
    sub.add_argument("--scores", nargs="+", help="scored samples, one file per run (verifier_quality's calibration)")
    sub.add_argument("--budget-strategies", help="accuracy per budget and strategy (sequential_parallel)")
    sub.add_argument("--ratios", help="per-budget best strategies and ratio (sequential_parallel)")
    sub.add_argument("--adaptive", help="adaptive-length and fixed-budget points (adaptive_length)")
    sub.add_argument("--out", required=True, help="PNG path; a PDF is written beside it")
    sub = stage("efficiency", cmd_efficiency, "iso-accuracy compute ratio N_base / N_RL^V from a sweep table (keys: "
                "base_run, verifier_run, base_strategy, verifier_strategies)")
    sub.add_argument("--sweep", required=True, help="sweep table (Parquet)")
    sub.add_argument("--dataset", required=True, help="dataset of the sweep to compare on")
    sub.add_argument("--out", required=True, help="compute-ratio table (Parquet)")
    sub = stage("summary", cmd_summary, "the paper's claims and headline numbers of every run as Markdown (keys: ns, "
                "labels, claims: dataset, base_run, verifier_run, easy_to_hard, out_of_domain, num_bootstrap, "
                "confidence, seed)")
    sub.add_argument("--sweeps", nargs="+", required=True, help="sweep tables, one per dataset")
    sub.add_argument("--verifiers", nargs="+", required=True, help="verifier tables, in the same dataset order")
    sub.add_argument("--efficiency", nargs="+", help="compute-ratio tables, one per dataset")
    sub.add_argument("--scores", nargs="+", help="scored samples of the base and RL^V runs (for the claims' CIs)")
    sub.add_argument("--sequential", help="ratio table of the sequential_parallel target (for the 1.2-1.6x claim)")
    sub.add_argument("--out", required=True, help="Markdown file")
    sub = stage("design-config", cmd_design_config, "the workflow config of one base of a design search: the active "
                "config (--params) with the base's overrides and one RL run per (design, lambda, seed)")
    sub.add_argument("--search", required=True, help="design search file, e.g. config/miniature.yaml")
    sub.add_argument("--base", required=True, help="name of a base in the search file")
    sub.add_argument("--out", required=True, help="YAML config of the base's workflow")
    sub = stage("design-table", cmd_design_table, "every arm of a design search as a Markdown table (keys: dataset)")
    sub.add_argument("--search", required=True, help="design search file")
    sub.add_argument("--root", required=True, help="directory holding one workflow directory per base")
    sub.add_argument("--out", required=True, help="Markdown table")
    sub.add_argument("--table", required=True, help="the same rows as Parquet")
    sub.add_argument("--name", help="the search's name, in the table's title (default: the root's name)")
    sub = stage("method-comparison", cmd_method_comparison, "per method (design) of a design search: its base method "
                "(lambda 0) against RL^V (largest lambda), compute ratios and a Markdown table (keys: dataset)")
    sub.add_argument("--search", required=True, help="design search file, e.g. config/rl_methods.yaml")
    sub.add_argument("--root", required=True, help="directory holding one workflow directory per base")
    sub.add_argument("--out", required=True, help="Markdown table")
    sub.add_argument("--table", required=True, help="compute ratios of every method (Parquet)")
    sub = stage("design-warm-start", cmd_design_warm_start, "copy the main DAG's train split and warm-up model "
                "into a base's results/ of a search with reuse_main_warm_up, keeping modification times (no keys)")
    sub.add_argument("--source", required=True, help="the main DAG's results/")
    sub.add_argument("--dest", required=True, help="the base's results/")
    sub = stage("sample-budgets", cmd_sample_budgets, "N solutions per problem under growing token budgets, an answer "
                "forced where a budget runs out, each graded and self-scored (keys: budgets, num_samples, forced_tokens, "
                "answer_phrase, temperature, batch_size, score_batch_size, seed; see rlv.inference.budget)")
    sub.add_argument("--model", required=True)
    sub.add_argument("--data", required=True, help="problems (Parquet)")
    sub.add_argument("--run", required=True)
    sub.add_argument("--dataset", required=True)
    sub.add_argument("--out", required=True, help="one row per (problem, sample, budget) (Parquet)")
    sub = stage("sequential-config", cmd_sequential_config, "the workflow config of sequential_parallel's own base "
                "(--params: the active config)")
    sub.add_argument("--out", required=True, help="YAML config of the base's workflow")
    sub = stage("sequential-tables", cmd_sequential_tables, "per-budget strategies, the compute-optimal ratio and "
                "adaptive length from budget-forced samples (keys: base_run, verifier_run, strategies, thresholds, "
                "num_bootstrap, confidence, seed; see rlv.analysis.sequential)")
    sub.add_argument("--scores", nargs="+", required=True, help="budget-forced samples, one file per run")
    sub.add_argument("--strategies-out", required=True, help="accuracy per (run, budget, strategy) (Parquet)")
    sub.add_argument("--ratios-out", required=True, help="per-budget best strategies and ratio (Parquet)")
    sub.add_argument("--table-out", required=True, help="the same ratios as Markdown")
    sub.add_argument("--adaptive-out", required=True, help="adaptive and fixed-budget points (Parquet)")
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    params = load_params(args.params)
    if args.threads:
        params["threads"] = args.threads
    args.func(args, params)


if __name__ == "__main__":
    main()
