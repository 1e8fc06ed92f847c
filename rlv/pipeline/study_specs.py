"""Verification studies: their config files, their arms and where each base's files live.

A study (`config/studies/{name}.yaml`, the target `name`, schema workflow/schemas/study.schema.yaml) trains
verifiers apart from RL on n labelled solutions and measures how well they judge a run's test samples. Its bases
are workflow configs like a design search's (the active config with `overrides` laid over it): a base without
overrides is the main DAG itself (its models, data and scored samples are used where they are); any other base
runs the ordinary DAG in `results/studies/{name}/{base}/` for the files the study reads (`base_targets`). Its
families name a verifier form, a way of drawing labels, the sizes n and the bases they run on; every (base,
family, n) is one arm (`study_arms`), named `{family}_n{n}`, with the study's `verifier` optimisation unless the
family overrides a key. A base may cap its cost: `pool_problems` (its pool's problems instead of the study's) and
`max_size` (its arms stop at that n; its families' larger sizes are not planned). The paper's comparison on a base
(`joint_pairs`) is the test run's majority vote against the reference run's weighted vote, then any pairs in the
base's `joint` (runs its overrides may add to rl.runs): more lambdas or seeds of the same comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rlv.pipeline import ConfigError
from rlv.pipeline.config import check_schema, discover_targets, read_yaml
from rlv.pipeline.nested import merge

STUDY_SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "study.schema.yaml"
STUDY_ROOT = "results/studies"
OPTIMISATION = ("batch_size", "learning_rate", "epochs")


@dataclass(frozen=True)
class StudyArm:
    base: str
    family: str
    form: str  # generative | bce
    labels: str  # natural | balanced | within
    size: int  # n labelled solutions; 0: the warm-up model untrained
    batch_size: int
    learning_rate: float
    epochs: float

    @property
    def name(self) -> str:
        return f"{self.family}_n{self.size}"

    @property
    def steps(self) -> int:
        return optimizer_steps(self.size, self.epochs, self.batch_size)


def optimizer_steps(size: int, epochs: float, batch_size: int) -> int:
    """An arm's optimizer steps: ceil(n x epochs / batch_size)."""
    return -(-round(size * epochs) // batch_size)


def discover_studies(directory: str | Path) -> dict[str, dict]:
    """Study name -> its validated spec, for every `{directory}/{name}.yaml` (none without the directory)."""
    return discover_targets(directory, "a study", load_study)


def load_study(path: str | Path) -> dict:
    study = read_yaml(path)
    validate_study(study, str(path))
    return study


def validate_study(study: dict, source: str) -> None:
    """The study schema, then the rules across its keys; ConfigError naming `source` and the key at fault."""
    check_schema(study, STUDY_SCHEMA, source)
    for name, family in study["families"].items():
        unknown = sorted(set(family["bases"]) - set(study["bases"]))
        if unknown:
            raise ConfigError(f"{source}: families.{name}.bases: {unknown} are not among bases "
                              f"{sorted(study['bases'])}")
        if 0 in family["sizes"] and family["form"] != "generative":
            raise ConfigError(f"{source}: families.{name}.sizes: n = 0 (the untrained warm-up model) needs form "
                              f"generative: an untrained {family['form']} head has no verdict")


def study_arms(study: dict) -> list[StudyArm]:
    """Every (base, family, n) of the study, in the file's order of families, then bases, then sizes; n up to the
    base's `max_size`."""
    arms = []
    for family, spec in study["families"].items():
        optimisation = {key: spec.get(key, study["verifier"][key]) for key in OPTIMISATION}
        for base in spec["bases"]:
            largest = study["bases"][base].get("max_size")
            arms += [StudyArm(base, family, spec["form"], spec["labels"], int(size), **optimisation)
                     for size in spec["sizes"] if largest is None or size <= largest]
    return arms


def pool_problems(study: dict, base: str) -> int:
    """How many training problems a base's pool runs sample: its `pool_problems`, else the study's."""
    return study["bases"][base].get("pool_problems", study["pool"]["problems"])


def joint_pairs(study: dict, base: str) -> list[tuple[str, str]]:
    """(base run, RL^V run) of each of the paper's comparisons on a base: test.run against test.reference_run, then
    the base's `joint` pairs in the file's order."""
    test = study["test"]
    return [(test["run"], test["reference_run"]),
            *((pair["base_run"], pair["verifier_run"]) for pair in study["bases"][base].get("joint", []))]


def table_runs(study: dict, base: str) -> list[str]:
    """The runs whose scored test samples a base's table reads, each once, in the order of `joint_pairs`."""
    return list(dict.fromkeys(run for pair in joint_pairs(study, base) for run in pair))


def check_joint_runs(study: dict, base: str, config: dict, source: str) -> None:
    """A base's `joint` pairs must name RL runs of the base's config (`config`: the active config with the base's
    overrides laid over it), the RL^V run one trained with the verification loss."""
    runs = config["rl"]["runs"]
    for index, pair in enumerate(study["bases"][base].get("joint", [])):
        for key in ("base_run", "verifier_run"):
            if pair[key] not in runs:
                raise ConfigError(f"{source}: bases.{base}.joint[{index}].{key}: {pair[key]!r} is not an RL run of "
                                  f"the base's config ({sorted(runs)})")
        if not runs[pair["verifier_run"]].get("verify_coef", 0) > 0:
            raise ConfigError(f"{source}: bases.{base}.joint[{index}].verifier_run: {pair['verifier_run']!r} trains "
                              "without the verification loss (verify_coef 0): its p(Yes) is no verifier")


def check_runs(study: dict, runs: list[str], source: str) -> None:
    """The runs a study names (its pool runs, test run and reference run) must be RL runs of the config."""
    known = {"base", *runs}
    named = {f"test.{key}": study["test"][key] for key in ("run", "reference_run")}
    named.update({f"bases.{base}.pool_runs": run for base, spec in study["bases"].items()
                  for run in spec["pool_runs"]})
    for key, run in named.items():
        if run not in known:
            raise ConfigError(f"{source}: {key}: {run!r} is not base or an RL run of the config ({sorted(runs)})")
    for key in ("run", "reference_run"):
        if study["test"][key] == "base":
            raise ConfigError(f"{source}: test.{key}: an RL run, not the warm-up model")


def base_root(study_name: str, study: dict, base: str) -> str:
    """The directory whose results/ holds a base's models, data and scored samples: "" (the main DAG) for a base
    without overrides, else results/studies/{study}/{base}/."""
    return "" if not study["bases"][base]["overrides"] else f"{STUDY_ROOT}/{study_name}/{base}/"


def base_config(config: dict, study: dict, base: str) -> dict:
    """The workflow config of a base with overrides: the active config with them laid over it."""
    return merge(config, study["bases"][base]["overrides"])


def base_targets(study: dict, base: str) -> list[str]:
    """What a base's own DAG builds for the study (paths under its directory): the train split, the warm-up model,
    the pool runs' models and the scored test samples of the test, reference and joint runs."""
    models = sorted({"base", *study["bases"][base]["pool_runs"]})
    return ["results/data/train.parquet", *[f"results/models/{run}" for run in models],
            *[f"results/rollouts/scored/{run}/{study['test']['dataset']}.parquet" for run in table_runs(study, base)]]


def describe_bases(study: dict) -> dict[str, str]:
    """Base -> "(its overrides; its pool runs): its rationale", as the study's table lists it."""
    out = {}
    for base, spec in study["bases"].items():
        limits = "".join(f"; {key} {spec[key]}" for key in ("pool_problems", "max_size") if key in spec)
        out[base] = (f"(overrides {spec['overrides'] or 'none'}; pool from {', '.join(spec['pool_runs'])}{limits}): "
                     f"{spec['rationale']}")
    return out


def describe_families(study: dict) -> dict[str, str]:
    """Family -> "(form, labels, sizes, bases, optimisation): its rationale"."""
    out = {}
    for family, spec in study["families"].items():
        optimisation = ", ".join(f"{key} {spec[key]:g}" for key in OPTIMISATION if key in spec)
        bases = ", ".join(spec["bases"])
        out[family] = (f"({spec['form']}, {spec['labels']} labels, n in {spec['sizes']}, bases {bases}"
                       + (f"; {optimisation}" if optimisation else "") + f"): {spec['rationale']}")
    return out
