# Shared helpers: stage parameters as JSON for `rlv <stage> --params`, run names, the figure list.
# Rules call the `rlv` console script: run Snakemake with the project's environment active.
import json
import os

import yaml

RL_RUNS = list(config["rl"]["runs"])
EVAL_RUNS = config["eval"]["runs"]
DATASETS = config["eval"]["datasets"]
FIGURES = expand("results/figures/{figure}.{ext}", figure=["parallel_scaling"], ext=["png", "pdf"])

for _run in EVAL_RUNS:
    if _run != "base" and _run not in RL_RUNS:
        raise ValueError(f"config key eval.runs: {_run!r} is neither 'base' nor a run of rl.runs ({RL_RUNS})")
for _key in ("base_run", "verifier_run"):
    if config["figures"]["parallel_scaling"][_key] not in EVAL_RUNS:
        raise ValueError(f"config key figures.parallel_scaling.{_key}: must be one of eval.runs ({EVAL_RUNS})")


# The miniature design search (workflow/rules/experiments.smk): read only when its file is present.
MINIATURE_SEARCH = "config/miniature.yaml"
MINIATURE_BASES = list(yaml.safe_load(open(MINIATURE_SEARCH))["bases"]) if os.path.exists(MINIATURE_SEARCH) else []


wildcard_constraints:
    base="|".join(MINIATURE_BASES) or "no_base",
    run="|".join(["base", *RL_RUNS]),
    dataset="|".join(DATASETS),
    split="train|test",


def as_json(params: dict) -> str:
    return json.dumps(params, sort_keys=True)


def run_seed(run: str) -> int:
    """A run's own seed (rl.runs.<run>.seed), else the master seed; the base model uses the master seed."""
    return config["rl"]["runs"].get(run, {}).get("seed", config["seed"])


def rl_params(run: str) -> dict:
    params = {"seed": config["seed"], **config["rl"]["defaults"], **config["rl"]["runs"][run]}
    params.pop("label", None)
    return {**params, "instruction": config["instruction"]}


def run_labels() -> dict:
    labels = {"base": "Base"}
    labels.update({name: spec.get("label", name) for name, spec in config["rl"]["runs"].items()})
    return labels


def eval_params(**extra) -> str:
    keys = ("num_samples", "temperature", "max_new_tokens", "batch_size", "shard_problems")
    return as_json(
        {**{k: config["eval"][k] for k in keys}, "seed": config["seed"], "instruction": config["instruction"], **extra}
    )
