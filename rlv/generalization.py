"""The generalization experiments' data and checks: out-of-domain (a problem family never trained on) and
easy-to-hard (RL on the low levels, tested on the high ones).

Out-of-domain. A synthetic dataset's `family` is expression, inverse, or `other`: the family that the
`train` dataset is not (rlv.tasks.synthetic.FAMILIES holds two), so a config that switches task.family
switches its out-of-domain set with it. The warm-up and RL read only `train`, so no problem of the other
family is ever trained on. The dataset a comparison calls out-of-domain must resolve to a family other
than train's.

Easy-to-hard. A run with `train_levels` trains only on the training problems at those levels
(`select_levels`). The easy-to-hard comparison needs two such runs (plain RL and RL^V, the same warm-up as
every run), and a dataset whose every level lies above every level either run trained on.

A comparison (`comparisons`) is what a generalization panel and claim compare on one dataset: the base RL
run's majority vote against the RL^V run's p(Yes) strategies. The in-domain one is figures.parallel_scaling;
figures.claims.{out_of_domain,easy_to_hard} name a dataset, or a dataset with its own base_run and
verifier_run. A claim, or an eval.runs_by_dataset entry, on a dataset of `datasets` that eval.datasets does not
list is left out: `--configfile` merges a config over the default key by key, so the default's entries stay
behind, unused. `check_generalization` raises ValueError naming the config key at fault.
"""

from __future__ import annotations

from rlv.tasks.synthetic import FAMILIES

OTHER = "other"
CLAIMS = {"out_of_domain": "out-of-domain", "easy_to_hard": "easy-to-hard"}


def trained_family(config: dict) -> str | None:
    """The family of the `train` dataset (None when it is not synthetic)."""
    spec = (config.get("datasets") or {}).get("train", {"source": "synthetic"})
    if spec.get("source") != "synthetic":
        return None
    family = spec.get("family", config.get("task", {}).get("family", FAMILIES[0]))
    if family == OTHER:
        raise ValueError(f"config key datasets.train.family: {OTHER!r} means the family train is not; "
                         f"train needs one of {list(FAMILIES)}")
    return family


def dataset_family(config: dict, name: str) -> str | None:
    """The problem family a synthetic dataset is drawn from, `other` resolved (None for other sources)."""
    spec = (config.get("datasets") or {}).get(name, {"source": "synthetic"})
    if spec.get("source") != "synthetic":
        return None
    family = spec.get("family", config.get("task", {}).get("family", FAMILIES[0]))
    if family != OTHER:
        return family
    trained = trained_family(config)
    if trained is None:
        raise ValueError(f"config key datasets.{name}.family: {OTHER!r} needs a synthetic train dataset")
    return next(f for f in FAMILIES if f != trained)


def dataset_levels(config: dict, name: str) -> list[int] | None:
    """The levels a dataset holds, where the config says (synthetic: its levels or task.levels)."""
    spec = (config.get("datasets") or {}).get(name, {"source": "synthetic"})
    if spec.get("levels") is not None:
        return list(spec["levels"])
    return list(config["task"]["levels"]) if spec.get("source") == "synthetic" and "task" in config else None


def run_train_levels(config: dict, run: str) -> list[int] | None:
    """rl.runs.<run>.train_levels (or rl.defaults'), None when the run trains on every level."""
    levels = {**config["rl"].get("defaults", {}), **config["rl"]["runs"].get(run, {})}.get("train_levels")
    return None if levels is None else list(levels)


def eval_runs(config: dict, dataset: str) -> list[str]:
    """The models sampled on a dataset: eval.runs_by_dataset.<dataset>, else eval.runs."""
    return list((config["eval"].get("runs_by_dataset") or {}).get(dataset, config["eval"]["runs"]))


def comparisons(config: dict) -> dict:
    """kind -> {dataset, base_run, verifier_run}: in_domain (figures.parallel_scaling), then each configured
    generalization claim on a dataset of eval.datasets; a claim given as a dataset name takes parallel_scaling's
    runs."""
    main = config["figures"]["parallel_scaling"]
    out = {"in_domain": {key: main[key] for key in ("dataset", "base_run", "verifier_run")}}
    for kind, spec in _claim_specs(config).items():
        if spec["dataset"] in config["eval"]["datasets"]:
            out[kind] = {"dataset": spec["dataset"], "base_run": spec.get("base_run", main["base_run"]),
                         "verifier_run": spec.get("verifier_run", main["verifier_run"])}
    return out


def _claim_specs(config: dict) -> dict:
    claims = config["figures"].get("claims") or {}
    return {kind: {"dataset": claims[kind]} if isinstance(claims[kind], str) else dict(claims[kind])
            for kind in CLAIMS if claims.get(kind)}


def comparison_on(config: dict, dataset: str) -> dict:
    """The comparison drawn on a dataset: its generalization claim's, else the in-domain one's runs."""
    found = comparisons(config)
    return next((spec for spec in found.values() if spec["dataset"] == dataset), {**found["in_domain"],
                                                                                 "dataset": dataset})


def check_generalization(config: dict) -> None:
    """Raise ValueError naming the key when a run's train_levels, or a generalization comparison, is wrong."""
    defined = list(config.get("datasets") or ("train", "test"))
    for kind, spec in _claim_specs(config).items():
        if spec["dataset"] not in defined:
            raise ValueError(f"config key figures.claims.{kind}: {spec['dataset']!r} is not a dataset of datasets "
                             f"({defined})")
    train_levels = dataset_levels(config, "train")
    for run in config["rl"]["runs"]:
        levels = run_train_levels(config, run)
        if levels is not None and train_levels is not None and set(levels) - set(train_levels):
            raise ValueError(f"config key rl.runs.{run}.train_levels: levels {sorted(set(levels) - set(train_levels))} "
                             f"are not in the train dataset (its levels: {sorted(train_levels)})")
    for dataset in config["eval"]["datasets"]:
        spec = comparison_on(config, dataset)
        missing = [spec[role] for role in ("base_run", "verifier_run") if spec[role] not in eval_runs(config, dataset)]
        if missing and dataset not in [c["dataset"] for c in comparisons(config).values()]:
            raise ValueError(f"config key eval.runs_by_dataset.{dataset}: must include {missing}, the runs compared "
                             f"on every dataset without a comparison of its own (figures.parallel_scaling)")
    for kind, spec in comparisons(config).items():
        key = "figures.parallel_scaling" if kind == "in_domain" else f"figures.claims.{kind}"
        dataset = spec["dataset"]
        if dataset not in config["eval"]["datasets"]:
            raise ValueError(f"config key {key}: dataset {dataset!r} is not one of eval.datasets "
                             f"({config['eval']['datasets']})")
        for role in ("base_run", "verifier_run"):
            if spec[role] not in eval_runs(config, dataset):
                raise ValueError(f"config key {key}: {role} {spec[role]!r} is not sampled on {dataset!r} "
                                 f"(eval.runs_by_dataset.{dataset} or eval.runs: {eval_runs(config, dataset)})")
        if kind == "out_of_domain":
            family, trained = dataset_family(config, dataset), trained_family(config)
            if family is not None and family == trained:
                raise ValueError(f"config key datasets.{dataset}.family: the out-of-domain dataset {dataset!r} is "
                                 f"drawn from {family!r}, the family the train dataset is trained on; use "
                                 f"{OTHER!r} (the family train is not)")
        if kind == "easy_to_hard":
            hard = dataset_levels(config, dataset)
            if hard is None:
                raise ValueError(f"config key datasets.{dataset}.levels: the easy-to-hard dataset must name its levels")
            for role in ("base_run", "verifier_run"):
                easy = run_train_levels(config, spec[role])
                if easy is None:
                    raise ValueError(f"config key {key}: {role} {spec[role]!r} trains on every level; easy-to-hard "
                                     f"needs runs with rl.runs.<run>.train_levels below the levels of {dataset!r}")
                if min(hard) <= max(easy):
                    raise ValueError(f"config key datasets.{dataset}.levels: {sorted(hard)} must all lie above the "
                                     f"levels {sorted(easy)} that run {spec[role]!r} trains on")
