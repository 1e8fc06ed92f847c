"""Every job's `--params`: the dict `rlv <stage>` reads, built from the config and the plan's run universe.

Each method returns what one rule passes to its stage (rlv.pipeline.stages parses it into that stage's typed
parameters). The same config gives the same dicts, so Snakemake's params trigger reruns a job only when
something it reads changed. Mixed into `Plan` (rlv.pipeline.plan), whose run universe the methods use.
"""

from __future__ import annotations

import json
from pathlib import Path

VERIFIER_STRATEGIES = ["best_of_n:p_yes", "weighted_vote:p_yes"]  # RL^V's p(Yes) strategies in the compute ratio


def as_json(params: dict) -> str:
    """The form a rule passes `--params` in: JSON with sorted keys."""
    return json.dumps(params, sort_keys=True)


class StageParams:
    """Stage parameters of a Plan (needs its config, labels, pseudo-runs, comparisons and families)."""

    config: dict

    # --- data, warm-up, RL

    def data_params(self, name: str) -> dict:
        """`rlv data` of one dataset: its spec (plus the master seed, for GPQA's option order); for the synthetic
        source also every key of `task` (the generator takes what its signature accepts) and the size."""
        spec, config = self.data_specs[name], self.config
        if spec["source"] != "synthetic":
            return {"seed": config["seed"], **spec}
        split = spec.get("split", name)
        task = {key: value for key, value in config["task"].items() if key not in ("train_problems", "test_problems")}
        size = spec.get("num_problems", config["task"][f"{split}_problems"])
        family = {"family": self.dataset_family(name)} if "family" in spec else {}  # `other` resolved
        return {**task, **spec, "split": split, "num_problems": size, "seed": config["seed"], **family}

    def device_params(self) -> dict:
        """`device` and `precision` for every stage that runs a model; empty when both are `auto` (each job then
        resolves them where it runs), so the default's jobs keep their params."""
        return {key: self.config[key] for key in ("device", "precision") if self.config.get(key, "auto") != "auto"}

    def base_model_params(self) -> dict:
        return {**self.config["base_model"], "seed": self.config["seed"], "instruction": self.config["instruction"],
                **self.device_params()}

    def rl_params(self, run: str) -> dict:
        """rl.defaults overridden by rl.runs.<run> (its label left out), the master seed unless the run has one."""
        config = self.config
        params = {"seed": config["seed"], **config["rl"]["defaults"], **config["rl"]["runs"][run]}
        params.pop("label", None)
        return {**params, "instruction": config["instruction"], **self.device_params()}

    def separate_verifier_params(self) -> dict:
        return {**self._without_label("separate_verifier"), "seed": self.config["seed"], **self.device_params()}

    def head_params(self, form: str) -> dict:
        return {**self._without_label("separate_verifier"), "form": form, "seed": self.config["seed"],
                **self.device_params()}

    def _without_label(self, section: str) -> dict:
        return {key: value for key, value in self.config[section].items() if key != "label"}

    # --- sampling and scoring

    def sample_params(self, run: str) -> dict:
        """`rlv sample`: eval's decoding, the run's seed, in-pass self-scoring and the backend."""
        keys = ("num_samples", "temperature", "max_new_tokens", "batch_size", "shard_problems")
        return {**{key: self.config["eval"][key] for key in keys}, "seed": self.run_seed(run),
                "instruction": self.config["instruction"], "self_score": True, **self.backend_params(),
                **self.device_params()}

    def score_params(self) -> dict:
        return {"batch_size": self.config["eval"]["score_batch_size"], "instruction": self.config["instruction"],
                **self.backend_params(), **self.device_params()}

    def head_score_params(self) -> dict:
        return {"batch_size": self.config["eval"]["score_batch_size"], "instruction": self.config["instruction"],
                **self.device_params()}

    def judge_params(self) -> dict:
        """`rlv judge`: the judge section without its label, the master seed and the instruction."""
        return {**self._without_label("judge"), "seed": self.config["seed"], "instruction": self.config["instruction"],
                **self.device_params()}

    def backend_params(self) -> dict:
        """eval.backend and its keys for `rlv sample`/`rlv score`; empty for hf, so hf jobs keep their params."""
        ev = self.config["eval"]
        if ev.get("backend", "hf") == "hf":
            return {}
        python = Path(ev.get("vllm_python", ".venv-vllm/bin/python"))
        return {"backend": ev["backend"], "vllm_engine_args": ev.get("vllm_engine_args", {}),
                "vllm_python": str(python if python.is_absolute() else self.workflow_dir / python)}

    # --- metrics, figures, summary

    def sweep_params(self) -> dict:
        """The sweep section, every N = 1, 2, 4, ... below eval.num_samples and N_max itself, the master seed."""
        from rlv.analysis.aggregate import budgets
        return {**self.config["sweep"], "ns": budgets(self.config["eval"]["num_samples"]), "seed": self.config["seed"]}

    def efficiency_params(self, dataset: str) -> dict:
        return {**self.comparison_runs(dataset), "base_strategy": "majority",
                "verifier_strategies": VERIFIER_STRATEGIES}

    def figure_params(self, figure: str) -> dict:
        """`rlv figure <figure>`: the parallel-scaling keys, labels and pseudo-runs each figure draws."""
        scaling, labels = self.parallel_scaling, self.labels
        pseudo = {"separate_verifier_run": self.separate_verifier, "judge_run": self.judge}
        forms = ([{"run": self.separate_verifier, "form": "generative"}] if self.separate_verifier else []) + [
            {"run": run, "form": form} for form, run in self.head_runs.items()]
        return {
            "parallel_scaling": lambda: {**scaling, "labels": labels, **pseudo},
            "training_dynamics": lambda: {"labels": labels, "smoothing": 5},
            "overview": lambda: {"verify_coef": self.config["rl"]["runs"][self.verifier_run].get("verify_coef", 1.0),
                                 "n_max": self.config["eval"]["num_samples"]},
            "strategies": lambda: {**scaling, "labels": labels},
            "verifier_quality": lambda: {**scaling, **pseudo, "head_runs": list(self.head_runs.values()),
                                         "labels": labels, "num_bins": 10},
            "generalization": lambda: {"panels": [{"kind": kind, **spec} for kind, spec in self.comparisons.items()],
                                       "labels": labels},
            "verifier_form": lambda: {**scaling, "labels": labels, "forms": forms},
            "lambda_sweep": lambda: {},
            "rl_methods": lambda: {"dataset": "test"},
            "sequential_parallel": lambda: {"labels": labels},
            "adaptive_length": lambda: {"labels": labels},
            "verification_scaling": lambda: {"title": self.studies.get("verification_scaling", {}).get(
                "title", "Verification scaling")},
        }[figure]()

    def summary_params(self) -> dict:
        """`rlv summary`: labels, the N of its tables, and the claims' comparisons, the prompted judge's pseudo-run
        (where the config has one: the ">20%" reading against base RL + judge), the sweep's vote subsets (the compute
        ratio's per-problem curves) and bootstrap."""
        sweep, scaling = self.config["sweep"], self.parallel_scaling
        judge = self.judge if self.judge and self.judge in self.scored_runs_on(scaling["dataset"]) else None
        claims = {"dataset": scaling["dataset"], "base_run": scaling["base_run"], "verifier_run": scaling["verifier_run"],
                  **self.config["figures"].get("claims", {}), "judge_run": judge, "num_subsets": sweep["num_subsets"],
                  "num_bootstrap": sweep["num_bootstrap"], "confidence": sweep["confidence"], "seed": self.config["seed"]}
        return {"labels": self.labels, "ns": [1, 4, 16, self.config["eval"]["num_samples"]], "claims": claims,
                "provenance": {"config_digest": self.config_digest, "seed": self.config["seed"]}}

    def bootstrap_params(self, **extra) -> dict:
        """The sweep's bootstrap keys and the master seed (design tables), with `extra`."""
        sweep = self.config["sweep"]
        return {**extra, "num_bootstrap": sweep["num_bootstrap"], "confidence": sweep["confidence"],
                "seed": self.config["seed"]}

    # --- sequential x parallel

    def budget_params(self, run: str) -> dict:
        """`rlv sample-budgets` of one run: the budgets, N, the forced answer, the eval decoding."""
        spec, ev = self.sequential, self.config["eval"]
        keys = ("budgets", "num_samples", "forced_tokens", "answer_phrase")
        return {**{key: spec[key] for key in keys}, "temperature": ev["temperature"], "batch_size": ev["batch_size"],
                "score_batch_size": ev["score_batch_size"], "seed": self.run_seed(run),
                "instruction": self.config["instruction"], **self.device_params()}

    def sequential_table_params(self) -> dict:
        keys = ("base_run", "verifier_run", "thresholds", "dataset", "num_samples")
        return self.bootstrap_params(**{key: self.sequential[key] for key in keys},
                                     strategies=self.config["sweep"]["strategies"], labels=self.labels)
