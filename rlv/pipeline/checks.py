"""Every check across the keys of a workflow config, run by `Plan` before any job is planned.

The schema (workflow/schemas/config.schema.yaml) types and bounds each key on its own; what it cannot say is
how keys refer to each other: a run named in eval.runs must exist in rl.runs, a baseline needs the run it is
trained on, a generalization comparison needs runs sampled on its dataset, and so on. Each check below is one
such rule; `check_plan` runs them in order (later checks may rely on earlier ones) and the first broken rule
raises ConfigError naming the key at fault and what it allows.
"""

from __future__ import annotations

import os

from rlv.pipeline import ConfigError


def check_eval_runs(plan) -> None:
    for run in plan.eval_runs:
        if run != "base" and run not in plan.rl_runs:
            raise ConfigError(f"config key eval.runs: {run!r} is neither 'base' nor a run of rl.runs ({plan.rl_runs})")


def check_parallel_scaling_runs(plan) -> None:
    for key in ("base_run", "verifier_run"):
        if plan.parallel_scaling[key] not in plan.eval_runs:
            raise ConfigError(f"config key figures.parallel_scaling.{key}: must be one of eval.runs ({plan.eval_runs})")


def check_baselines(plan) -> None:
    """The separate verifier trains on an RL run's rollouts; the judge needs the hf backend; the verifier heads
    train as the separate verifier does."""
    config = plan.config
    if "separate_verifier" in config and plan.base_run not in plan.rl_runs:
        raise ConfigError(
            "config key separate_verifier: trains on the training rollouts of figures.parallel_scaling.base_run,"
            f" which must then be a run of rl.runs ({plan.rl_runs}), not {plan.base_run!r}")
    if "judge" in config and config["eval"].get("backend", "hf") != "hf":
        raise ConfigError(
            f"config key eval.backend: {config['eval']['backend']!r}: the prompted judge (config key judge) runs only"
            " on the hf backend; set eval.backend: hf or remove the judge section")
    if "verifier_heads" in config and "separate_verifier" not in config:
        raise ConfigError(
            "config key verifier_heads: the heads train with separate_verifier's rollouts, steps, batch_size and"
            " learning_rate; add a separate_verifier section or remove verifier_heads")


def check_datasets(plan) -> None:
    specs = plan.data_specs
    if "train" not in specs:
        raise ConfigError(f"config key datasets: needs a dataset named 'train' (warm-up and RL problems); has {list(specs)}")
    for name in plan.datasets:
        if name not in specs:
            raise ConfigError(f"config key eval.datasets: {name!r} is not a dataset of datasets ({list(specs)})")
    if plan.scaling_dataset not in plan.datasets:
        raise ConfigError(f"config key figures.parallel_scaling.dataset: must be one of eval.datasets ({plan.datasets})")
    for name, spec in specs.items():
        if spec["source"] == "synthetic" and "task" not in plan.config:
            raise ConfigError(f"config key task: required by the synthetic dataset {name!r}")
        if spec["source"] == "synthetic" and spec.get("split", name) not in ("train", "test"):
            raise ConfigError(f"config key datasets.{name}.split: the synthetic source needs split 'train' or 'test'")
        if spec["source"] != "synthetic" and spec.get("path") and not os.path.exists(spec["path"]):
            raise ConfigError(f"config key datasets.{name}.path: no such file or directory: {spec['path']!r}")


def check_runs_by_dataset(plan) -> None:
    for name, runs in (plan.config["eval"].get("runs_by_dataset") or {}).items():
        if name not in plan.data_specs:
            raise ConfigError(f"config key eval.runs_by_dataset.{name}: {name!r} is not a dataset of datasets "
                              f"({list(plan.data_specs)})")
        for run in runs:
            if run != "base" and run not in plan.rl_runs:
                raise ConfigError(f"config key eval.runs_by_dataset.{name}: {run!r} is neither 'base' nor a run of "
                                  f"rl.runs ({plan.rl_runs})")


def check_claim_datasets(plan) -> None:
    defined = list(plan.data_specs)
    for kind, spec in plan.claim_specs.items():
        if spec["dataset"] not in defined:
            raise ConfigError(f"config key figures.claims.{kind}: {spec['dataset']!r} is not a dataset of datasets "
                              f"({defined})")


def check_train_levels(plan) -> None:
    train_levels = plan.dataset_levels("train")
    for run in plan.rl_runs:
        levels = plan.train_levels(run)
        if levels is not None and train_levels is not None and set(levels) - set(train_levels):
            raise ConfigError(f"config key rl.runs.{run}.train_levels: levels {sorted(set(levels) - set(train_levels))} "
                              f"are not in the train dataset (its levels: {sorted(train_levels)})")


def check_compared_runs_are_sampled(plan) -> None:
    """A dataset without a comparison of its own is compared between parallel_scaling's runs: they must be sampled
    there; and every comparison's runs must be sampled on its dataset."""
    compared = [spec["dataset"] for spec in plan.comparisons.values()]
    for dataset in plan.datasets:
        spec = plan.comparison_on(dataset)
        missing = [spec[role] for role in ("base_run", "verifier_run") if spec[role] not in plan.runs_on(dataset)]
        if missing and dataset not in compared:
            raise ConfigError(f"config key eval.runs_by_dataset.{dataset}: must include {missing}, the runs compared "
                              f"on every dataset without a comparison of its own (figures.parallel_scaling)")
    for kind, spec in plan.comparisons.items():  # each on a dataset of eval.datasets (check_datasets, Plan)
        key = "figures.parallel_scaling" if kind == "in_domain" else f"figures.claims.{kind}"
        dataset = spec["dataset"]
        for role in ("base_run", "verifier_run"):
            if spec[role] not in plan.runs_on(dataset):
                raise ConfigError(f"config key {key}: {role} {spec[role]!r} is not sampled on {dataset!r} "
                                  f"(eval.runs_by_dataset.{dataset} or eval.runs: {plan.runs_on(dataset)})")


def check_out_of_domain(plan) -> None:
    """The out-of-domain dataset is drawn from a family the train dataset is not."""
    spec = plan.comparisons.get("out_of_domain")
    if spec is None:
        return
    dataset = spec["dataset"]
    family, trained = plan.dataset_family(dataset), plan.trained_family()
    if family is not None and family == trained:
        raise ConfigError(f"config key datasets.{dataset}.family: the out-of-domain dataset {dataset!r} is drawn from "
                          f"{family!r}, the family the train dataset is trained on; use 'other' (the family train is not)")


def check_easy_to_hard(plan) -> None:
    """The easy-to-hard dataset names its levels, and both compared runs train only on levels below them."""
    spec = plan.comparisons.get("easy_to_hard")
    if spec is None:
        return
    dataset, key = spec["dataset"], "figures.claims.easy_to_hard"
    hard = plan.dataset_levels(dataset)
    if hard is None:
        raise ConfigError(f"config key datasets.{dataset}.levels: the easy-to-hard dataset must name its levels")
    for role in ("base_run", "verifier_run"):
        easy = plan.train_levels(spec[role])
        if easy is None:
            raise ConfigError(f"config key {key}: {role} {spec[role]!r} trains on every level; easy-to-hard needs runs "
                              f"with rl.runs.<run>.train_levels below the levels of {dataset!r}")
        if min(hard) <= max(easy):
            raise ConfigError(f"config key datasets.{dataset}.levels: {sorted(hard)} must all lie above the levels "
                              f"{sorted(easy)} that run {spec[role]!r} trains on")


def check_vineppo_keys(plan) -> None:
    """VinePPO's keys (vine_*) belong to vineppo runs only."""
    for run in plan.rl_runs:
        spec = {**plan.config["rl"]["defaults"], **plan.config["rl"]["runs"][run]}
        for key in sorted(key for key in spec if key.startswith("vine_")):
            if spec["trainer"] != "vineppo":
                where = f"rl.runs.{run}" if key in plan.config["rl"]["runs"][run] else "rl.defaults"
                raise ConfigError(f"config key {where}.{key}: VinePPO's key, but run {run!r} has trainer "
                                  f"{spec['trainer']!r}; set it on vineppo runs only")


def check_training_batches(plan) -> None:
    """Several CPU processes exclude GPUs; every run's rollouts split evenly over its processes and micro-batches."""
    from rlv.training.params import batch_layout
    if plan.config["rl"].get("processes", 1) > 1 and plan.resources("train_rl").get("gpu", 0) > 0:
        raise ConfigError("config key rl.processes: CPU processes (gloo); a run on GPUs has one process per GPU of "
                          "resources.train_rl.gpu: keep rl.processes at 1 there")
    for run in plan.rl_runs:
        spec = {**plan.config["rl"]["defaults"], **plan.config["rl"]["runs"][run]}
        if not {"prompts_per_step", "num_generations"} <= set(spec):
            continue
        try:
            batch_layout(spec["prompts_per_step"], spec["num_generations"], plan.training_processes(),
                         spec.get("micro_batch_size"))
        except ValueError as error:
            raise ConfigError(f"config key rl.runs.{run}: {error}") from error


def check_sequential(plan) -> None:
    spec = plan.sequential
    if not spec:
        return
    for key in ("base_run", "verifier_run"):
        if spec[key] not in plan.rl_runs:
            raise ConfigError(f"config key sequential_parallel.{key}: {spec[key]!r} is not a run of rl.runs ({plan.rl_runs})")
    if spec["dataset"] not in plan.data_specs:
        raise ConfigError(f"config key sequential_parallel.dataset: {spec['dataset']!r} is not a dataset of datasets "
                          f"({list(plan.data_specs)})")
    if spec["budgets"] != sorted(spec["budgets"]):
        raise ConfigError(f"config key sequential_parallel.budgets: must ascend, got {spec['budgets']}")


def check_searches(plan) -> None:
    """Every design search file under config/searches/ is valid (rlv.pipeline.nested.validate_search)."""
    plan.searches  # noqa: B018 (loading validates each file)


CHECKS = (check_eval_runs, check_parallel_scaling_runs, check_baselines, check_datasets, check_runs_by_dataset,
          check_claim_datasets, check_train_levels, check_compared_runs_are_sampled, check_out_of_domain,
          check_easy_to_hard, check_searches, check_vineppo_keys, check_training_batches, check_sequential)


def check_plan(plan) -> None:
    """Run every check in order; the first broken rule raises ConfigError."""
    for check in CHECKS:
        check(plan)
