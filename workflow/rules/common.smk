# Shared helpers: stage parameters as JSON for `rlv <stage> --params`, run names, the figure list.
# Rules call the `rlv` console script: run Snakemake with the project's environment active.
import json
import os
import pathlib
import shlex

import yaml

from rlv.analysis.designs import validate_search
from rlv.generalization import check_generalization, comparison_on, comparisons, dataset_family, eval_runs as runs_on

RL_RUNS = list(config["rl"]["runs"])
EVAL_RUNS = config["eval"]["runs"]
DATASETS = config["eval"]["datasets"]
# Problem sets by name (config `datasets`), each built into results/data/{name}.parquet; `train` feeds the
# warm-up and RL. Without the section: the synthetic task's train and test splits.
DATA_SPECS = config.get("datasets") or {split: {"source": "synthetic", "split": split} for split in ("train", "test")}
# The figure manifest (workflow/manifest.yaml): built figures go to rule all and the report; planned ones wait.
FIGURE_MANIFEST = yaml.safe_load(open(os.path.join(workflow.basedir, "workflow", "manifest.yaml")))["figures"]
FIGURE_REPORT = {  # report() keywords per built figure; captions are relative to workflow/rules/
    f["name"]: {"caption": os.path.join("..", "..", f["caption"]), "category": f["category"]}
    for f in FIGURE_MANIFEST
    if f["status"] == "built"
}
# Figures with a `target` (e.g. lambda_sweep) are built by that target, outside rule all.
FIGURES = expand(
    "results/figures/{figure}.{ext}",
    figure=[f["name"] for f in FIGURE_MANIFEST if f["status"] == "built" and not f.get("target")],
    ext=["png", "pdf"],
)

for _run in EVAL_RUNS:
    if _run != "base" and _run not in RL_RUNS:
        raise ValueError(f"config key eval.runs: {_run!r} is neither 'base' nor a run of rl.runs ({RL_RUNS})")
for _key in ("base_run", "verifier_run"):
    if config["figures"]["parallel_scaling"][_key] not in EVAL_RUNS:
        raise ValueError(f"config key figures.parallel_scaling.{_key}: must be one of eval.runs ({EVAL_RUNS})")

# The separate-verifier baseline (config key separate_verifier, optional): the base model trained on L_verify
# alone over the base RL run's training rollouts; its p("Yes") on that run's samples is the pseudo-run
# `{base_run}+verifier`, scored and swept like any run (SCORED_RUNS).
SEPARATE_VERIFIER = None
if "separate_verifier" in config:
    if config["figures"]["parallel_scaling"]["base_run"] not in RL_RUNS:
        raise ValueError(
            "config key separate_verifier: trains on the training rollouts of figures.parallel_scaling.base_run,"
            f" which must then be a run of rl.runs ({RL_RUNS}), not {config['figures']['parallel_scaling']['base_run']!r}"
        )
    SEPARATE_VERIFIER = f"{config['figures']['parallel_scaling']['base_run']}+verifier"
# The prompted-judge baseline (config key judge, optional): the base RL run writes a short verification of each
# of its samples on figures.parallel_scaling.dataset, then answers the verification question (rlv/baselines/judge.py);
# the pseudo-run `{base_run}+judge`, scored only on that dataset.
JUDGE = None
if "judge" in config:
    if config["eval"].get("backend", "hf") != "hf":
        raise ValueError(
            f"config key eval.backend: {config['eval']['backend']!r}: the prompted judge (config key judge) runs only"
            " on the hf backend; set eval.backend: hf or remove the judge section"
        )
    JUDGE = f"{config['figures']['parallel_scaling']['base_run']}+judge"
SCORED_RUNS = EVAL_RUNS + ([SEPARATE_VERIFIER] if SEPARATE_VERIFIER else []) + ([JUDGE] if JUDGE else [])
# The verifier's form (config key verifier_heads, optional): per form (bce, regression) the separate verifier's
# training with a scalar head in place of the Yes/No answer (rlv/baselines/verifier_heads.py); its score of the base run's
# samples on figures.parallel_scaling.dataset alone is the pseudo-run `{base_run}+{form}` (HEAD_RUNS: form -> run).
HEAD_RUNS = {}
HEAD_NAMES = {"bce": "BCE head", "regression": "regression head"}
if "verifier_heads" in config:
    if not SEPARATE_VERIFIER:
        raise ValueError(
            "config key verifier_heads: the heads train with separate_verifier's rollouts, steps, batch_size and"
            " learning_rate; add a separate_verifier section or remove verifier_heads"
        )
    HEAD_RUNS = {form: f"{config['figures']['parallel_scaling']['base_run']}+{form}" for form in config["verifier_heads"]["forms"]}
SCORED_RUNS = SCORED_RUNS + list(HEAD_RUNS.values())

if "train" not in DATA_SPECS:
    raise ValueError(f"config key datasets: needs a dataset named 'train' (warm-up and RL problems); has {list(DATA_SPECS)}")
for _name in DATASETS:
    if _name not in DATA_SPECS:
        raise ValueError(f"config key eval.datasets: {_name!r} is not a dataset of datasets ({list(DATA_SPECS)})")
if config["figures"]["parallel_scaling"]["dataset"] not in DATASETS:
    raise ValueError(f"config key figures.parallel_scaling.dataset: must be one of eval.datasets ({DATASETS})")
for _name, _spec in DATA_SPECS.items():
    if _spec["source"] == "synthetic" and "task" not in config:
        raise ValueError(f"config key task: required by the synthetic dataset {_name!r}")
    if _spec["source"] == "synthetic" and _spec.get("split", _name) not in ("train", "test"):
        raise ValueError(f"config key datasets.{_name}.split: the synthetic source needs split 'train' or 'test'")
    if _spec["source"] != "synthetic" and _spec.get("path") and not os.path.exists(_spec["path"]):
        raise ValueError(f"config key datasets.{_name}.path: no such file or directory: {_spec['path']!r}")

# Generalization (rlv/generalization.py): the models sampled on each dataset (eval.runs_by_dataset, else
# eval.runs), and the comparisons that the generalization figure and claims draw (in-domain, out-of-domain,
# easy-to-hard), checked: an out-of-domain family never trained on, easy-to-hard runs trained below its levels.
for _name, _runs in (config["eval"].get("runs_by_dataset") or {}).items():
    if _name not in DATA_SPECS:
        raise ValueError(
            f"config key eval.runs_by_dataset.{_name}: {_name!r} is not a dataset of datasets ({list(DATA_SPECS)})"
        )
    for _run in _runs:
        if _run != "base" and _run not in RL_RUNS:
            raise ValueError(
                f"config key eval.runs_by_dataset.{_name}: {_run!r} is neither 'base' nor a run of rl.runs ({RL_RUNS})"
            )
check_generalization(config)
COMPARISONS = comparisons(config)
# RL runs sampled on some dataset: trained and in the training-dynamics figure (a run left over from the default
# under --configfile, and sampled nowhere, is not trained)
EVALUATED_RL_RUNS = [run for run in RL_RUNS if any(run in runs_on(config, dataset) for dataset in DATASETS)]


# Design searches (workflow/rules/experiments.smk), each its own target outside `rule all`. Name -> search file,
# read only when the file is present. Outputs: results/experiments/{search}.md/.parquet and one workflow
# directory per base, results/experiments/{search}/{base}/.
SEARCHES = {
    name: path
    for name, path in {
        "miniature": "config/miniature.yaml",
        "lambda_sweep": "config/lambda_sweep.yaml",
        "rl_methods": "config/rl_methods.yaml",
    }.items()
    if os.path.exists(path)
}
SEARCH_SPECS = {name: yaml.safe_load(open(path)) for name, path in SEARCHES.items()}
for _name, _spec in SEARCH_SPECS.items():
    validate_search(_spec, SEARCHES[_name])
SEARCH_BASES = {name: list(spec["bases"]) for name, spec in SEARCH_SPECS.items()}


wildcard_constraints:
    search="|".join(SEARCHES) or "no_search",
    base="|".join(sorted({base for bases in SEARCH_BASES.values() for base in bases})) or "no_base",
    run="|".join(["base", *RL_RUNS]),
    dataset="|".join(DATA_SPECS),
    split="train|test",


# VinePPO's keys (rlv/training/vineppo.py) belong to vineppo runs only
for _run in RL_RUNS:
    _spec = {**config["rl"]["defaults"], **config["rl"]["runs"][_run]}
    for _key in sorted(key for key in _spec if key.startswith("vine_")):
        if _spec["trainer"] != "vineppo":
            _where = f"rl.runs.{_run}" if _key in config["rl"]["runs"][_run] else "rl.defaults"
            raise ValueError(
                f"config key {_where}.{_key}: VinePPO's key, but run {_run!r} has trainer {_spec['trainer']!r};"
                " set it on vineppo runs only"
            )


def as_json(params: dict) -> str:
    return json.dumps(params, sort_keys=True)


def dataset_input(name: str) -> list:
    """The file or directory a dataset is read from (none for the synthetic source)."""
    spec = DATA_SPECS[name]
    return [spec["path"]] if spec["source"] != "synthetic" and spec.get("path") else []


def data_params(name: str) -> dict:
    """`rlv data` parameters of one dataset: its spec (plus the master seed, for GPQA's option order); for the
    synthetic source also every key of `task` (the generator takes what its signature accepts) and the size."""
    spec = DATA_SPECS[name]
    if spec["source"] != "synthetic":
        return {"seed": config["seed"], **spec}
    split = spec.get("split", name)
    task = {key: value for key, value in config["task"].items() if key not in ("train_problems", "test_problems")}
    size = spec.get("num_problems", config["task"][f"{split}_problems"])
    family = {"family": dataset_family(config, name)} if "family" in spec else {}  # `other` resolved
    return {**task, **spec, "split": split, "num_problems": size, "seed": config["seed"], **family}


def run_seed(run: str) -> int:
    """A run's own seed (rl.runs.<run>.seed), else the master seed; the base model uses the master seed."""
    return config["rl"]["runs"].get(run, {}).get("seed", config["seed"])


def rl_params(run: str) -> dict:
    params = {"seed": config["seed"], **config["rl"]["defaults"], **config["rl"]["runs"][run]}
    params.pop("label", None)
    return {**params, "instruction": config["instruction"]}


def eval_runs(dataset: str) -> list:
    """The models sampled and scored on a dataset (eval.runs_by_dataset.<dataset>, else eval.runs)."""
    return runs_on(config, dataset)


def scored_runs(dataset: str) -> list:
    """The sweep's runs on a dataset: its sampled models, the separate verifier where its base run is one, the
    prompted judge and the verifier heads on figures.parallel_scaling.dataset."""
    runs = eval_runs(dataset)
    base = config["figures"]["parallel_scaling"]["base_run"]
    judged = JUDGE and base in runs and dataset == config["figures"]["parallel_scaling"]["dataset"]
    heads = list(HEAD_RUNS.values()) if base in runs and dataset == config["figures"]["parallel_scaling"]["dataset"] else []
    return runs + ([SEPARATE_VERIFIER] if SEPARATE_VERIFIER and base in runs else []) + ([JUDGE] if judged else []) + heads


def sequential_ratios() -> list:
    """The sequential_parallel target's ratio table for the summary's 1.2-1.6x claim, once that target (outside
    the default's targets, so never built for the summary) has made it; the summary marks it ancient, so its
    age alone does not rerun it."""
    path = "results/metrics/sequential_parallel/ratios.parquet"
    return [path] if "sequential_parallel" in config and os.path.exists(path) else []


def comparison_runs(dataset: str) -> dict:
    """base_run and verifier_run compared on a dataset: its generalization comparison's, else parallel_scaling's."""
    spec = comparison_on(config, dataset)
    return {"base_run": spec["base_run"], "verifier_run": spec["verifier_run"]}


def comparison_scores() -> list:
    """Scored samples of the two runs compared on each dataset of eval.datasets (the claims' paired bootstrap)."""
    return [f"results/rollouts/scored/{run}/{dataset}.parquet" for dataset in DATASETS
            for run in dict.fromkeys(comparison_runs(dataset).values())]


def run_labels() -> dict:
    labels = {"base": "Base"}
    labels.update({name: spec.get("label", name) for name, spec in config["rl"]["runs"].items()})
    if SEPARATE_VERIFIER:
        base = config["figures"]["parallel_scaling"]["base_run"]
        labels[SEPARATE_VERIFIER] = config["separate_verifier"].get("label", f"{labels[base]} + separate verifier")
    if JUDGE:
        base = config["figures"]["parallel_scaling"]["base_run"]
        labels[JUDGE] = config["judge"].get("label", f"{labels[base]} + prompted judge")
    for form, run in HEAD_RUNS.items():
        base = config["figures"]["parallel_scaling"]["base_run"]
        labels[run] = config["verifier_heads"].get("labels", {}).get(form, f"{labels[base]} + {HEAD_NAMES[form]}")
    return labels


def judge_params() -> str:
    """`rlv judge` parameters: the judge section without its label, the master seed and the instruction."""
    judge = {key: value for key, value in config["judge"].items() if key != "label"}
    return as_json({**judge, "seed": config["seed"], "instruction": config["instruction"]})


def eval_params(**extra) -> str:
    keys = ("num_samples", "temperature", "max_new_tokens", "batch_size", "shard_problems")
    return as_json(
        {**{k: config["eval"][k] for k in keys}, "seed": config["seed"], "instruction": config["instruction"], **extra}
    )


def backend_params() -> dict:
    """eval.backend and its keys for `rlv sample`/`rlv score`; empty for hf, so hf jobs keep their params."""
    ev = config["eval"]
    if ev.get("backend", "hf") == "hf":
        return {}
    python = pathlib.Path(ev.get("vllm_python", ".venv-vllm/bin/python"))
    return {"backend": ev["backend"], "vllm_engine_args": ev.get("vllm_engine_args", {}),
            "vllm_python": str(python if python.is_absolute() else pathlib.Path(workflow.basedir) / python)}


# Scheduler resources (config key `resources`): resources.default, overridden per rule by resources.<rule>.
# mem_mb and runtime (minutes) become SLURM's --mem and -t, gpu its --gpus (profiles/slurm). Rules never set
# CUDA_VISIBLE_DEVICES: the devices SLURM (or the user) made visible pass through to every job unchanged.
ACCELERATE_MULTI_GPU = os.path.join(workflow.basedir, "workflow", "accelerate", "multi_gpu.yaml")


def rule_resources(rule: str) -> dict:
    """mem_mb, runtime and (for the stages that can use one) gpu of a rule, for its `resources:` directive."""
    spec = {**config["resources"]["default"], **config["resources"].get(rule, {})}
    return {key: spec[key] for key in ("mem_mb", "runtime", "gpu") if key in spec}


def rule_threads(rule: str) -> int:
    """Threads of a rule without its own thread key (the compute stages have base_model/rl/eval.threads)."""
    return {**config["resources"]["default"], **config["resources"].get(rule, {})}["threads"]


def train_launcher(gpus: int) -> str:
    """The command that runs `rlv train`: itself on CPU or one GPU; with gpus > 1, one DDP process per GPU
    through `accelerate launch` (the port follows the SLURM job id, so DDP jobs sharing a node do not collide)."""
    if gpus > 1:
        return (
            f"accelerate launch --config_file {shlex.quote(ACCELERATE_MULTI_GPU)} --num_processes {gpus}"
            " --main_process_port $((29500 + ${SLURM_JOB_ID:-0} % 10000)) -m rlv.cli"
        )
    return "rlv"


def search_outputs(search: str, table: str) -> list:
    """One metrics table (sweep or verifier) of every base of a design search."""
    return expand(
        "results/experiments/{search}/{base}/results/metrics/{table}/test.parquet",
        search=search,
        base=SEARCH_BASES[search],
        table=table,
    )


def reuses_main_warm_up(search: str) -> bool:
    """A search that copies the main DAG's warm-up into its bases (key reuse_main_warm_up; no base overrides)."""
    return bool(SEARCH_SPECS[search].get("reuse_main_warm_up"))



def design_base_inputs(wildcards) -> dict:
    """A base's config, and with reuse_main_warm_up the main DAG's train split and warm-up model it copies."""
    inputs = {"config": f"results/experiments/{wildcards.search}/{wildcards.base}/config/config.yaml"}
    if reuses_main_warm_up(wildcards.search):
        inputs.update(train="results/data/train.parquet", warm_up="results/models/base")
    return inputs



# Sequential x parallel scaling and adaptive length (config key sequential_parallel, optional; target
# sequential_parallel in workflow/rules/sequential.smk). models: own runs a base of its own (rlv.analysis.sequential.
# own_base_config) in SEQUENTIAL_ROOT; models: main samples this DAG's own models.
SEQUENTIAL = config.get("sequential_parallel")
SEQUENTIAL_ROOT = "results/experiments/sequential_parallel"
if SEQUENTIAL:
    for _key in ("base_run", "verifier_run"):
        if SEQUENTIAL[_key] not in RL_RUNS:
            raise ValueError(f"config key sequential_parallel.{_key}: {SEQUENTIAL[_key]!r} is not a run of rl.runs ({RL_RUNS})")
    if SEQUENTIAL["dataset"] not in DATA_SPECS:
        raise ValueError(f"config key sequential_parallel.dataset: {SEQUENTIAL['dataset']!r} is not a dataset of datasets ({list(DATA_SPECS)})")
    if SEQUENTIAL["budgets"] != sorted(SEQUENTIAL["budgets"]):
        raise ValueError(f"config key sequential_parallel.budgets: must ascend, got {SEQUENTIAL['budgets']}")


def sequential_budget_samples() -> list:
    """The budget-forced, self-scored samples of the two compared runs: the own base's (models: own) or this DAG's."""
    root = f"{SEQUENTIAL_ROOT}/" if SEQUENTIAL["models"] == "own" else ""
    return [f"{root}results/rollouts/budget/{run}/{SEQUENTIAL['dataset']}.parquet"
            for run in (SEQUENTIAL["base_run"], SEQUENTIAL["verifier_run"])]


def sequential_params(run: str) -> str:
    """`rlv sample-budgets` parameters of one run: the budgets, N, the forced answer, the eval decoding."""
    keys = ("budgets", "num_samples", "forced_tokens", "answer_phrase")
    return as_json({**{key: SEQUENTIAL[key] for key in keys}, "temperature": config["eval"]["temperature"],
                    "batch_size": config["eval"]["batch_size"], "score_batch_size": config["eval"]["score_batch_size"],
                    "seed": run_seed(run), "instruction": config["instruction"]})
