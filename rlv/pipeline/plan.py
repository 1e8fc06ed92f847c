"""Plan(config): what a validated workflow config asks for, in one object, checked across its keys.

The run universe:
- RL runs (rl.runs); the models sampled on each dataset: eval.runs_by_dataset.<dataset>, else eval.runs; the RL
  runs sampled on some dataset are the ones trained (a run left over from the default under --configfile is not).
- Pseudo-runs, the base RL run's samples (figures.parallel_scaling.base_run) scored by another verifier and swept
  like runs: `{base}+verifier` (config separate_verifier), `{base}+judge` (config judge) and `{base}+{form}`
  (config verifier_heads); the judge and the heads score the parallel-scaling dataset only.
- Comparisons, base RL run vs RL^V run on a dataset: in_domain (figures.parallel_scaling), then out_of_domain and
  easy_to_hard (figures.claims: a dataset name, taking parallel_scaling's runs, or a dataset with its own runs),
  each kept only where eval.datasets lists its dataset (`--configfile` merges a config over the default key by
  key, so the default's claims may stay behind, unused).
- Problem families: a synthetic dataset's `family: other` is the family of the synthetic task that train is not.
- Design searches: every config/searches/*.yaml, validated (rlv.pipeline.nested); verification studies: every
  config/studies/*.yaml, validated, their runs among rl.runs (rlv.pipeline.study_specs).

Stage parameters (rlv.pipeline.params) are the dicts that `rlv <stage> --params` reads, built from the plan.
`Plan(config)` runs every check of rlv.pipeline.checks first: a broken rule raises ConfigError naming the key.
"""

from __future__ import annotations

import os
import shlex
from functools import cached_property
from pathlib import Path

from rlv.pipeline import ConfigError
from rlv.pipeline.checks import check_plan
from rlv.pipeline.nested import base_config as design_base_config
from rlv.pipeline.nested import discover_searches
from rlv.pipeline.params import StageParams
from rlv.pipeline.provenance import params_digest, stage_digest
from rlv.pipeline.registry import STAGES
from rlv.pipeline.study_specs import (STUDY_ROOT, StudyArm, base_root, check_joint_runs, check_runs, discover_studies,
                                      pool_problems, study_arms, table_runs)
from rlv.pipeline.study_specs import base_config as study_base_config
from rlv.tasks.synthetic import FAMILIES

OTHER = "other"  # a synthetic dataset's family: the one train is not
CLAIMS = ("out_of_domain", "easy_to_hard")  # figures.claims keys, in their order in figures and the summary
HEAD_NAMES = {"bce": "BCE head", "regression": "regression head"}
THREADS_FROM = {  # rule family -> the config section whose `threads` it runs with (others: resources)
    "base_model": "base_model", "train_rl": "rl", "train_verifier": "rl", "sample": "eval", "score": "eval",
    "judge": "eval", "sample_budgets": "eval"}
SEQUENTIAL_ROOT = "results/experiments/sequential_parallel"  # sequential_parallel's own base (models: own)


class Plan(StageParams):
    """The run universe, inputs and resources of one workflow config; stage parameters from StageParams."""

    def __init__(self, config: dict, workflow_dir: str | Path = ".", searches_dir: str | Path = "config/searches",
                 studies_dir: str | Path = "config/studies"):
        self.config = config
        self.workflow_dir = Path(workflow_dir)
        self.searches_dir = Path(searches_dir)
        self.studies_dir = Path(studies_dir)
        check_plan(self)

    # --- runs and datasets

    @cached_property
    def rl_runs(self) -> list[str]:
        return list(self.config["rl"]["runs"])

    @cached_property
    def eval_runs(self) -> list[str]:
        return list(self.config["eval"]["runs"])

    @cached_property
    def datasets(self) -> list[str]:
        """The datasets sampled and swept (eval.datasets)."""
        return list(self.config["eval"]["datasets"])

    @cached_property
    def data_specs(self) -> dict:
        """Problem sets by name (config `datasets`); without the section the synthetic task's two splits."""
        return self.config.get("datasets") or {split: {"source": "synthetic", "split": split} for split in ("train", "test")}

    @property
    def parallel_scaling(self) -> dict:
        return self.config["figures"]["parallel_scaling"]

    @property
    def scaling_dataset(self) -> str:
        return self.parallel_scaling["dataset"]

    @property
    def base_run(self) -> str:
        return self.parallel_scaling["base_run"]

    @property
    def verifier_run(self) -> str:
        return self.parallel_scaling["verifier_run"]

    def runs_on(self, dataset: str) -> list[str]:
        """The models sampled on a dataset: eval.runs_by_dataset.<dataset>, else eval.runs."""
        return list((self.config["eval"].get("runs_by_dataset") or {}).get(dataset, self.eval_runs))

    @cached_property
    def evaluated_rl_runs(self) -> list[str]:
        """RL runs sampled on some dataset: trained and drawn in the training-dynamics figure."""
        return [run for run in self.rl_runs if any(run in self.runs_on(dataset) for dataset in self.datasets)]

    def run_seed(self, run: str) -> int:
        """A run's own seed (rl.runs.<run>.seed), else the master seed; the base model uses the master seed."""
        return self.config["rl"]["runs"].get(run, {}).get("seed", self.config["seed"])

    # --- pseudo-runs

    @cached_property
    def separate_verifier(self) -> str | None:
        return f"{self.base_run}+verifier" if "separate_verifier" in self.config else None

    @cached_property
    def judge(self) -> str | None:
        return f"{self.base_run}+judge" if "judge" in self.config else None

    @cached_property
    def head_runs(self) -> dict[str, str]:
        """Verifier form (bce, regression) -> its pseudo-run."""
        heads = self.config.get("verifier_heads")
        return {form: f"{self.base_run}+{form}" for form in heads["forms"]} if heads else {}

    @cached_property
    def scored_runs(self) -> list[str]:
        """Every run and pseudo-run with scored samples on the parallel-scaling dataset's figures."""
        return (self.eval_runs + [run for run in (self.separate_verifier, self.judge) if run]
                + list(self.head_runs.values()))

    def scored_runs_on(self, dataset: str) -> list[str]:
        """The sweep's runs on a dataset: its sampled models, the separate verifier where its base run is one, the
        judge and the verifier heads on the parallel-scaling dataset."""
        runs = self.runs_on(dataset)
        scored = self.base_run in runs
        on_scaling = scored and dataset == self.scaling_dataset
        return (runs + ([self.separate_verifier] if self.separate_verifier and scored else [])
                + ([self.judge] if self.judge and on_scaling else []) + (list(self.head_runs.values()) if on_scaling else []))

    @cached_property
    def labels(self) -> dict[str, str]:
        """Run and pseudo-run -> its name in figures and the summary."""
        labels = {"base": "Base", **{name: spec.get("label", name) for name, spec in self.config["rl"]["runs"].items()}}
        base = labels.get(self.base_run, self.base_run)
        if self.separate_verifier:
            labels[self.separate_verifier] = self.config["separate_verifier"].get("label", f"{base} + separate verifier")
        if self.judge:
            labels[self.judge] = self.config["judge"].get("label", f"{base} + prompted judge")
        for form, run in self.head_runs.items():
            labels[run] = self.config["verifier_heads"].get("labels", {}).get(form, f"{base} + {HEAD_NAMES[form]}")
        return labels

    # --- comparisons and problem families

    @cached_property
    def claim_specs(self) -> dict[str, dict]:
        """figures.claims as {kind: {dataset[, base_run, verifier_run]}}."""
        claims = self.config["figures"].get("claims") or {}
        return {kind: {"dataset": claims[kind]} if isinstance(claims[kind], str) else dict(claims[kind])
                for kind in CLAIMS if claims.get(kind)}

    @cached_property
    def comparisons(self) -> dict[str, dict]:
        """kind -> {dataset, base_run, verifier_run}: in_domain, then each claim on a dataset of eval.datasets."""
        main = self.parallel_scaling
        out = {"in_domain": {key: main[key] for key in ("dataset", "base_run", "verifier_run")}}
        for kind, spec in self.claim_specs.items():
            if spec["dataset"] in self.datasets:
                out[kind] = {"dataset": spec["dataset"], "base_run": spec.get("base_run", main["base_run"]),
                             "verifier_run": spec.get("verifier_run", main["verifier_run"])}
        return out

    def comparison_on(self, dataset: str) -> dict:
        """The comparison drawn on a dataset: its own, else the in-domain one's runs."""
        return next((spec for spec in self.comparisons.values() if spec["dataset"] == dataset),
                    {**self.comparisons["in_domain"], "dataset": dataset})

    def comparison_runs(self, dataset: str) -> dict:
        spec = self.comparison_on(dataset)
        return {"base_run": spec["base_run"], "verifier_run": spec["verifier_run"]}

    def _synthetic_family(self, name: str) -> str | None:
        spec = self.data_specs.get(name, {"source": "synthetic"})
        if spec.get("source") != "synthetic":
            return None
        return spec.get("family", self.config.get("task", {}).get("family", FAMILIES[0]))

    def trained_family(self) -> str | None:
        """The family of the train dataset (None when it is not synthetic)."""
        family = self._synthetic_family("train")
        if family == OTHER:
            raise ConfigError(f"config key datasets.train.family: {OTHER!r} means the family train is not; "
                              f"train needs one of {list(FAMILIES)}")
        return family

    def dataset_family(self, name: str) -> str | None:
        """The family a synthetic dataset is drawn from, `other` resolved (None for other sources)."""
        family = self._synthetic_family(name)
        if family != OTHER:
            return family
        trained = self.trained_family()
        if trained is None:
            raise ConfigError(f"config key datasets.{name}.family: {OTHER!r} needs a synthetic train dataset")
        return next(f for f in FAMILIES if f != trained)

    def dataset_levels(self, name: str) -> list[int] | None:
        """The levels a dataset holds, where the config says (synthetic: its levels or task.levels)."""
        spec = self.data_specs.get(name, {"source": "synthetic"})
        if spec.get("levels") is not None:
            return list(spec["levels"])
        return list(self.config["task"]["levels"]) if spec.get("source") == "synthetic" and "task" in self.config else None

    def train_levels(self, run: str) -> list[int] | None:
        """rl.runs.<run>.train_levels (or rl.defaults'), None when the run trains on every level."""
        levels = {**self.config["rl"].get("defaults", {}), **self.config["rl"]["runs"].get(run, {})}.get("train_levels")
        return None if levels is None else list(levels)

    # --- targets outside rule all

    @cached_property
    def searches(self) -> dict[str, dict]:
        """Design search name -> its validated spec (config/searches/{name}.yaml)."""
        return discover_searches(self.searches_dir)

    def design_base_config(self, search: str, base: str) -> dict:
        """The workflow config of a design search's base (`rlv design-config`'s params)."""
        return design_base_config(self.config, self.searches[search], base)

    def search_file(self, search: str) -> str:
        return str(self.searches_dir / f"{search}.yaml")

    def search_bases(self) -> list[str]:
        return sorted({base for spec in self.searches.values() for base in spec["bases"]})

    def search_outputs(self, search: str, table: str) -> list[str]:
        """One metrics table (sweep or verifier) of every base of a design search."""
        return [f"results/experiments/{search}/{base}/results/metrics/{table}/test.parquet"
                for base in self.searches[search]["bases"]]

    def design_base_inputs(self, search: str, base: str) -> dict:
        """A base's config, and with reuse_main_warm_up the main DAG's train split and warm-up model it copies."""
        inputs = {"config": f"results/experiments/{search}/{base}/config/config.yaml"}
        if self.searches[search].get("reuse_main_warm_up"):
            inputs.update(train="results/data/train.parquet", warm_up="results/models/base")
        return inputs

    @cached_property
    def studies(self) -> dict[str, dict]:
        """Verification study name -> its validated spec (config/studies/{name}.yaml)."""
        return discover_studies(self.studies_dir)

    def study(self, study: str) -> dict:
        """A study's spec, its runs and test dataset checked against this config (when its jobs are planned: the
        studies are written for the default config, and another config need not have their runs)."""
        spec = self.studies[study]
        check_runs(spec, self.rl_runs, self.study_file(study))
        for base in spec["bases"]:
            check_joint_runs(spec, base, self.study_base_config(study, base), self.study_file(study))
        if spec["test"]["dataset"] not in self.data_specs:
            raise ConfigError(f"{self.study_file(study)}: test.dataset: {spec['test']['dataset']!r} is not a dataset "
                              f"of the config ({sorted(self.data_specs)})")
        return spec

    def study_file(self, study: str) -> str:
        return str(self.studies_dir / f"{study}.yaml")

    def study_root(self, study: str, base: str) -> str:
        """Where a study base's results/ lies: "" for the main DAG's, else its own directory
        (rlv.pipeline.study_specs)."""
        return base_root(study, self.studies[study], base)

    def study_base_config(self, study: str, base: str) -> dict:
        """The workflow config of a study base with overrides (`rlv study-config`'s params)."""
        return study_base_config(self.config, self.studies[study], base)

    def study_pool(self, study: str, base: str) -> list[str]:
        return [f"{STUDY_ROOT}/{study}/{base}/pool/{run}.parquet"
                for run in self.studies[study]["bases"][base]["pool_runs"]]

    def study_pool_problems_params(self, study: str, base: str) -> dict:
        spec = self.study(study)
        return {"problems": pool_problems(spec, base), "seed": spec["seed"]}

    def study_pool_params(self, study: str, run: str) -> dict:
        """`rlv sample` of a pool run: eval's decoding with the study's num_samples, without self-scoring."""
        return {**self.sample_params(run), "num_samples": self.study(study)["pool"]["num_samples"],
                "self_score": False}

    def study_test_run(self, study: str) -> str:
        """The scored test samples every arm of the study judges (its test run's), in a base's DAG."""
        test = self.study(study)["test"]
        return f"results/rollouts/scored/{test['run']}/{test['dataset']}.parquet"

    def study_arm(self, study: str, base: str, arm: str) -> StudyArm:
        found = [a for a in study_arms(self.studies[study]) if a.base == base and a.name == arm]
        if not found:
            raise ConfigError(f"{self.study_file(study)}: no arm {arm!r} on base {base!r}")
        return found[0]

    def study_arm_params(self, study: str, base: str, arm: str) -> dict:
        spec, found = self.studies[study], self.study_arm(study, base, arm)
        return {"form": found.form, "labels": found.labels, "size": found.size, "batch_size": found.batch_size,
                "learning_rate": found.learning_rate, "epochs": found.epochs, "seed": spec["seed"],
                "instruction": self.config["instruction"], "score_batch_size": self.config["eval"]["score_batch_size"],
                **{key: spec[key] for key in ("device", "precision", "threads") if key in spec}}

    def study_outputs(self, study: str, kind: str) -> list[str]:
        """Every arm's scored samples (`kind` parquet) or history (csv), in the study's arm order."""
        return [f"{STUDY_ROOT}/{study}/{arm.base}/arms/{arm.name}.{kind}" for arm in study_arms(self.studies[study])]

    def study_table_params(self, study: str) -> dict:
        sweep = self.config["sweep"]
        self.study(study)  # its runs checked against this config
        return {"name": study, "labels": self.labels,
                "num_bootstrap": sweep["num_bootstrap"], "confidence": sweep["confidence"]}

    def study_references(self, study: str) -> list[str]:
        """Per base in the study's order, the scored test samples of its table_runs (the test, reference and joint
        runs), as `rlv study-table` reads them."""
        spec = self.study(study)
        dataset = spec["test"]["dataset"]
        return [f"{self.study_root(study, base)}results/rollouts/scored/{run}/{dataset}.parquet"
                for base in spec["bases"] for run in table_runs(spec, base)]

    @property
    def sequential(self) -> dict | None:
        return self.config.get("sequential_parallel")

    def budget_targets(self) -> list[str]:
        """The budget-forced samples of the two compared runs, relative to the directory of their DAG."""
        spec = self.sequential
        return [f"results/rollouts/budget/{run}/{spec['dataset']}.parquet" for run in (spec["base_run"], spec["verifier_run"])]

    def budget_samples(self) -> list[str]:
        """The budget-forced samples of the two compared runs: the own base's (models: own) or this DAG's."""
        root = f"{SEQUENTIAL_ROOT}/" if self.sequential["models"] == "own" else ""
        return [root + target for target in self.budget_targets()]

    def sequential_ratios(self) -> list[str]:
        """The sequential_parallel target's ratio table for the summary's 1.2-1.6x claim, once that target has made
        it (it is outside rule all, so never built for the summary)."""
        path = "results/metrics/sequential_parallel/ratios.parquet"
        return [path] if self.sequential and os.path.exists(path) else []

    # --- inputs, resources, launchers, provenance

    def code_digest(self, subcommand: str) -> str:
        """The digest of the code `rlv <subcommand>` runs: a rule's params, so a code change reruns its jobs."""
        return stage_digest(STAGES[subcommand][0])

    @cached_property
    def config_digest(self) -> str:
        return params_digest(self.config)

    def dataset_input(self, name: str) -> list[str]:
        """The file or directory a dataset is read from (none for the synthetic source)."""
        spec = self.data_specs[name]
        return [spec["path"]] if spec["source"] != "synthetic" and spec.get("path") else []

    def comparison_scores(self) -> list[str]:
        """Scored samples of the two runs compared on each dataset of eval.datasets (the claims' paired bootstrap),
        and the prompted judge's on the parallel-scaling dataset where the config has one (the ">20%" claim's
        reading against base RL + judge)."""
        judge = [f"results/rollouts/scored/{self.judge}/{self.scaling_dataset}.parquet"] if (
            self.judge and self.judge in self.scored_runs_on(self.scaling_dataset)) else []
        return [f"results/rollouts/scored/{run}/{dataset}.parquet" for dataset in self.datasets
                for run in dict.fromkeys(self.comparison_runs(dataset).values())] + judge

    def _resource_spec(self, family: str) -> dict:
        resources = self.config["resources"]
        return {**resources["default"], **resources.get(family, {})}

    def resources(self, family: str) -> dict:
        """mem_mb, runtime (minutes) and, for the stages that can use one, gpu of a rule family: resources.default
        overridden by resources.<family>. SLURM's --mem, -t and --gpus (profiles/slurm)."""
        spec = self._resource_spec(family)
        return {key: spec[key] for key in ("mem_mb", "runtime", "gpu") if key in spec}

    def threads(self, family: str) -> int:
        """Threads of a rule family: base_model/rl/eval.threads for the compute stages, else resources'."""
        section = THREADS_FROM.get(family)
        return self.config[section]["threads"] if section else self._resource_spec(family)["threads"]

    def training_processes(self) -> int:
        """Processes of each RL run: one per GPU when a run has several, else rl.processes (CPU processes)."""
        gpus = self.resources("train_rl").get("gpu", 0)
        return gpus if gpus > 1 else self.config["rl"].get("processes", 1)

    def train_launcher(self, gpus: int) -> str:
        """The command that runs `rlv train`: itself on CPU or one GPU; with gpus > 1, one DDP process per GPU
        through `accelerate launch` (the port follows the SLURM job id, so DDP jobs sharing a node do not collide);
        with rl.processes > 1 on the CPU, that many processes over gloo through torchrun (a free port of its own;
        `--` keeps torchrun from taking `rlv train`'s `--run` for its own `--run-path`)."""
        if gpus > 1:
            config = self.workflow_dir / "workflow" / "accelerate" / "multi_gpu.yaml"
            return (f"accelerate launch --config_file {shlex.quote(str(config))} --num_processes {gpus}"
                    " --main_process_port $((29500 + ${SLURM_JOB_ID:-0} % 10000)) -m rlv.cli")
        processes = self.config["rl"].get("processes", 1)
        if processes > 1:
            return f"python -m torch.distributed.run --standalone --nproc_per_node {processes} -m -- rlv.cli"
        return "rlv"
