"""`rlv <stage>`: one subcommand per pipeline stage, each reading and writing files only.

Every stage takes explicit input/output paths and `--params`, either inline JSON or a path to a YAML/JSON file
holding the stage's parameters (the workflow passes what rlv.pipeline.plan builds from its validated config).
This module only binds: each subcommand's flags go to the stage function of rlv.pipeline.stages by name, and its
`--params` are parsed into that stage's typed parameters. The stages run the same way inside and outside Snakemake.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys

from rlv.pipeline import ConfigError
from rlv.pipeline.config import read_yaml
from rlv.pipeline.registry import STAGES
from rlv.pipeline.stages import parse_params

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def load_params(value: str) -> dict:
    """Inline JSON, or a YAML/JSON file (a syntax error names file:line:column)."""
    if value.lstrip().startswith("{"):
        return json.loads(value)
    return read_yaml(value)


def arg(*flags, **options):
    """One argument of a subcommand: its flags and argparse's add_argument options."""
    return flags, options


def needed(flag: str, help_text: str, **options):
    """A required flag."""
    return arg(flag, required=True, help=help_text, **options)


MODEL = needed("--model", "model directory")
PROBLEMS = needed("--data", "problems (Parquet)")
SEARCH = needed("--search", "design search file, e.g. config/searches/miniature.yaml")
ROOT = needed("--root", "directory holding one workflow directory per base")

# subcommand -> (help, flags); its stage and parameters' type are rlv.pipeline.registry.STAGES'
SUBCOMMANDS = {
    "data": ("the problems of one dataset: a split of the synthetic task (keys: num_problems, "
             "levels, seed, test_fraction, family) or, with `source`, a real benchmark (keys: one entry of the "
             "config's `datasets`; see rlv.tasks.loaders)", [
                 arg("--dataset", help="dataset name (in messages; for the synthetic source the split by default)"),
                 arg("--split", choices=["train", "test"], help="synthetic source: the split to draw"),
                 needed("--out", "Parquet file of problem records")]),
    "base-model": ("build the tokenizer and tiny model and warm them up on "
                   "worked solutions (keys: vocab_size, architecture, warmup, seed, threads), or copy a pretrained "
                   "checkpoint (key: pretrained)", [
                       needed("--data", "training problems (Parquet)"),
                       needed("--out", "model directory (safetensors + tokenizer)")]),
    "train": ("run RL (GRPO / leave-one-out PPO / VinePPO) with or without the verification "
              "loss (keys: see rlv.training.params)", [
                  needed("--base", "starting model directory"), needed("--data", "training problems (Parquet)"),
                  needed("--run", "run name stored in every rollout row"), needed("--out", "trained model directory"),
                  needed("--rollouts", "Parquet rollout store of every training rollout"),
                  arg("--checkpoints", help="checkpoint directory kept until the run ends; a rerun resumes from it "
                                            "(default: OUT.checkpoints)")]),
    "sample": ("sample N solutions per problem and grade them (keys: "
               "num_samples, temperature, max_new_tokens, batch_size, seed)", [
                   MODEL, PROBLEMS, needed("--run", "run name"), needed("--dataset", "dataset name"),
                   needed("--out", "evaluation rollouts (Parquet)"),
                   arg("--shards", help="directory of finished shards kept until the job ends; a rerun reuses them "
                                        "(default: OUT.shards)")]),
    "score": ("score every sample with the model's own p(Yes) and mean token "
              "log-prob (keys: batch_size)", [
                  MODEL, needed("--samples", "evaluation rollouts (Parquet)"),
                  needed("--out", "the same rows plus p_yes, p_no, mean_logprob"),
                  arg("--run", help="run name written into the rows (default: the samples' own)"),
                  arg("--verdict-only", action="store_true",
                      help="replace only p_yes and p_no (a separate verifier scoring a policy's scored samples)")]),
    "judge": ("the prompted judge baseline: a model writes a short verification "
              "of each scored sample, then answers the verification question; its p(Yes) replaces p_yes, p_no (keys: "
              "prompt, max_new_tokens, temperature, batch_size, seed, instruction)", [
                  needed("--model", "the judging model (the base RL run)"),
                  needed("--samples", "that model's scored samples (Parquet, with mean_logprob)"),
                  needed("--out", "the same rows with the judge's p_yes, p_no, judge_verification, judge_num_tokens"),
                  arg("--run", help="run name written into the rows (default: the samples' own)")]),
    "train-verifier": ("the separate verifier baseline: a model trained "
                       "on the Yes/No verification loss alone over one run's training rollouts (keys: steps, "
                       "batch_size, learning_rate, seed)", [
                           needed("--base", "starting model directory (the warm-up base model)"),
                           needed("--rollouts", "training rollouts (Parquet rollout store)"),
                           needed("--run", "name of the verifier, stored in its metrics.csv"),
                           needed("--out", "verifier model directory (safetensors + tokenizer)")]),
    "train-verifier-head": ("a verifier with a scalar head on the last "
                            "hidden state (form bce: BCE against the 0/1 label; regression: MSE against the reward), "
                            "trained like the separate verifier over one run's training rollouts (keys: form, steps, "
                            "batch_size, learning_rate, seed)", [
                                needed("--base", "starting model directory (the warm-up base model)"),
                                needed("--rollouts", "training rollouts (Parquet rollout store)"),
                                needed("--run", "name of the verifier, stored in its metrics.csv"),
                                needed("--out", "model directory (safetensors + tokenizer + verifier_head.safetensors)")]),
    "score-head": ("a verifier head's score of a policy's scored samples as "
                   "p_yes (sigmoid for bce, clipped to [0, 1] for regression) and p_no = 1 - p_yes; mean_logprob stays "
                   "the policy's (keys: batch_size, instruction)", [
                       needed("--model", "verifier head directory (rlv train-verifier-head)"),
                       needed("--samples", "the policy's scored evaluation rollouts (Parquet)"),
                       needed("--run", "run name written into the rows, e.g. grpo+bce"),
                       needed("--out", "the same rows with the head's p_yes and p_no")]),
    "sweep": ("accuracy vs N for every strategy, with bootstrap CIs (keys: ns, "
              "strategies, num_subsets, num_bootstrap, confidence, seed)", [
                  needed("--scores", "scored evaluation rollouts, one file per run", nargs="+"),
                  needed("--out", "sweep table (Parquet)"), needed("--verifier-out", "verifier metrics table (Parquet)")]),
    "figure": ("draw one figure (parallel_scaling, training_dynamics, overview, strategies, "
               "verifier_quality, verifier_form, generalization, lambda_sweep, rl_methods, sequential_parallel, "
               "adaptive_length, verification_scaling) from its tables", [
                   arg("name", help="figure name, e.g. parallel_scaling"),
                   arg("--sweep", help="sweep table (parallel_scaling, strategies, verifier_form)"),
                   arg("--efficiency", help="compute-ratio table, marked on parallel_scaling (per method: rl_methods)"),
                   arg("--sweeps", nargs="+", help="sweep tables, one per panel dataset (generalization) or per "
                                                   "search base (rl_methods)"),
                   arg("--metrics", nargs="+", help="RL run directories or their metrics.csv (training_dynamics)"),
                   arg("--arms", help="a design search's or study's rows, results/experiments/{search}.parquet "
                                      "(lambda_sweep), results/studies/{study}.parquet (verification_scaling)"),
                   arg("--verifier", help="verifier metrics table (verifier_quality, verifier_form)"),
                   arg("--scores", nargs="+", help="scored samples, one file per run (verifier_quality's calibration)"),
                   arg("--budget-strategies", help="accuracy per budget and strategy (sequential_parallel)"),
                   arg("--ratios", help="per-budget best strategies and ratio (sequential_parallel)"),
                   arg("--adaptive", help="adaptive-length and fixed-budget points (adaptive_length)"),
                   needed("--out", "PNG path; a PDF is written beside it")]),
    "efficiency": ("iso-accuracy compute ratio N_base / N_RL^V from a "
                   "sweep table (keys: base_run, verifier_run, base_strategy, verifier_strategies)", [
                       needed("--sweep", "sweep table (Parquet)"),
                       needed("--dataset", "dataset of the sweep to compare on"),
                       needed("--out", "compute-ratio table (Parquet)")]),
    "summary": ("the paper's claims and headline numbers of every run as "
                "Markdown (keys: ns, labels, claims: dataset, base_run, verifier_run, easy_to_hard, out_of_domain, "
                "num_bootstrap, confidence, seed)", [
                    needed("--sweeps", "sweep tables, one per dataset", nargs="+"),
                    needed("--verifiers", "verifier tables, in the same dataset order", nargs="+"),
                    arg("--efficiency", nargs="+", help="compute-ratio tables, one per dataset"),
                    arg("--scores", nargs="+", help="scored samples of the base and RL^V runs (for the claims' CIs)"),
                    arg("--sequential", help="ratio table of the sequential_parallel target (for the 1.2-1.6x claim)"),
                    needed("--out", "Markdown file")]),
    "design-config": ("the workflow config of one base of a design search (--params: that config, the active "
                      "config with the base's overrides and one RL run per (design, lambda, seed)), as YAML", [
                          needed("--base", "name of a base in the search file"),
                          needed("--out", "YAML config of the base's workflow")]),
    "design-table": ("every arm of a design search as a "
                     "Markdown table (keys: dataset, num_bootstrap, confidence, seed)", [
                         SEARCH, ROOT, needed("--out", "Markdown table"), needed("--table", "the same rows as Parquet"),
                         arg("--name", help="the search's name, in the table's title (default: the root's name)")]),
    "method-comparison": ("per method (design) of a "
                          "design search: its base method (lambda 0) against RL^V (largest lambda), compute ratios "
                          "and a Markdown table (keys: dataset)", [
                              SEARCH, ROOT, needed("--out", "Markdown table"),
                              needed("--table", "compute ratios of every method (Parquet)")]),
    "design-warm-start": ("copy the main DAG's train split and "
                          "warm-up model into a base's results/ of a search with reuse_main_warm_up, keeping "
                          "modification times (no keys)", [
                              needed("--source", "the main DAG's results/"), needed("--dest", "the base's results/")]),
    "nested-built": ("record that a nested DAG built its targets: each one's modification time, as JSON; fails "
                     "naming any target missing (no keys)", [
                         needed("--directory", "the nested DAG's directory"),
                         needed("--targets", "its targets, relative to the directory", nargs="+"),
                         needed("--out", "the record (JSON)")]),
    "sample-budgets": ("N solutions per problem under growing "
                       "token budgets, an answer forced where a budget runs out, each graded and self-scored (keys: "
                       "budgets, num_samples, forced_tokens, answer_phrase, temperature, batch_size, score_batch_size, "
                       "seed; see rlv.inference.budget)", [
                           MODEL, PROBLEMS, needed("--run", "run name"), needed("--dataset", "dataset name"),
                           needed("--out", "one row per (problem, sample, budget) (Parquet)")]),
    "sequential-config": ("the workflow config of sequential_parallel's own base "
                          "(--params: the active config)", [needed("--out", "YAML config of the base's workflow")]),
    "sequential-tables": ("per-budget strategies, the "
                          "compute-optimal ratio and adaptive length from budget-forced samples (keys: base_run, "
                          "verifier_run, strategies, thresholds, num_bootstrap, confidence, seed; see "
                          "rlv.analysis.sequential)", [
                              needed("--scores", "budget-forced samples, one file per run", nargs="+"),
                              needed("--strategies-out", "accuracy per (run, budget, strategy) (Parquet)"),
                              needed("--ratios-out", "per-budget best strategies and ratio (Parquet)"),
                              needed("--table-out", "the same ratios as Markdown"),
                              needed("--adaptive-out", "adaptive and fixed-budget points (Parquet)")]),
    "study-config": ("the workflow config of a verification study's base with overrides (--params: that config, "
                     "the active config with the overrides laid over it), as YAML", [
                         needed("--base", "base name in the study"), needed("--out", "the base's config.yaml")]),
    "study-pool-problems": ("a seeded sample of a base's training problems for the labelled pool (keys: problems, "
                            "seed)", [PROBLEMS, needed("--out", "the pool's problems (Parquet)")]),
    "study-arm": ("one arm of a verification study: a verifier trained from the warm-up model on n labelled "
                  "solutions of the pool, then its verdict on a run's scored test samples (keys: form, labels, size, "
                  "batch_size, learning_rate, epochs, seed; see rlv.pipeline.stages.studies)", [
                      needed("--base-model", "the base's warm-up model directory"),
                      needed("--pool", "the labelled pool: evaluation rollouts on training problems", nargs="+"),
                      needed("--samples", "the test run's scored samples (Parquet, with mean_logprob)"),
                      needed("--out", "the same rows with this verifier's p_yes and p_no"),
                      needed("--history", "per-step training loss and accuracy (CSV)")]),
    "study-table": ("every arm of a verification study with its intervals and the decision rule (keys: name, "
                    "labels, num_bootstrap, confidence)", [
                        needed("--study", "study file, e.g. config/studies/verification_scaling.yaml"),
                        needed("--arms", "every arm's scored samples, {base}/arms/{arm}.parquet", nargs="+"),
                        needed("--histories", "every arm's history, {base}/arms/{arm}.csv", nargs="+"),
                        needed("--references", "per base: the test run's and the reference run's scored samples",
                               nargs="+"),
                        needed("--out", "the table (Markdown)"), needed("--rows-out", "the table's rows (Parquet)")]),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="rlv", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True)
    for name, (help_text, arguments) in SUBCOMMANDS.items():
        stage, kind = STAGES[name]
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--params", required=True, help="inline JSON or a YAML/JSON file with the stage's parameters")
        sub.add_argument("--threads", type=int, help="torch threads (overrides params.threads)")
        for flags, options in arguments:
            sub.add_argument(*flags, **options)
        sub.set_defaults(stage=stage, kind=kind)
    return top


def main(argv: list[str] | None = None) -> None:
    args = vars(parser().parse_args(argv))
    command, stage, kind, threads = (args.pop(key) for key in ("command", "stage", "kind", "threads"))
    values = load_params(args.pop("params"))
    if threads and kind is not dict and "threads" in {field.name for field in dataclasses.fields(kind)}:
        values["threads"] = threads
    try:
        params = parse_params(kind, values, command)
    except ConfigError as error:
        raise SystemExit(str(error)) from error
    with contextlib.redirect_stdout(sys.stderr):  # whatever a library prints belongs in the job's log, not the terminal
        stage(**args, params=params)


if __name__ == "__main__":
    main()
