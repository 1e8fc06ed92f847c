"""Bad configs fail before any job starts, with a message that names the key and what it allows: the schema
(every key, the generalization levels and families, verifier_heads) and `snakemake -n` stopping on the checks
across keys (the checks themselves: tests/pipeline/test_checks.py)."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from conftest import REPO
from helpers import SCHEMA, validated_config

DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def with_value(path: str, value):
    config = copy.deepcopy(DEFAULT)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return config


DELETE = object()
BAD = [  # (dotted key, bad value, text the error must contain)
    ("seed", -1, "minimum"),
    ("seed", "zero", "is not of type 'integer'"),
    ("task.levels", [0, 1], "minimum"),
    ("task.levels", [6], "maximum"),
    ("task.levels", [], "should be non-empty"),
    ("task.train_problems", 0, "minimum"),
    ("task.test_fraction", 1.0, "exclusiveMaximum"),
    ("base_model.vocab_size", 100, "minimum"),
    ("base_model.architecture.hidden_size", 12.5, "is not of type 'integer'"),
    ("base_model.warmup.learning_rate", 0, "exclusiveMinimum"),
    ("base_model.warmup.check_share", 1.0, "exclusiveMaximum"),
    ("base_model.warmup.steps", DELETE, "'steps' is a required property"),
    ("rl.defaults.num_generations", 1, "minimum"),
    ("rl.defaults.loss_type", "ppo", "is not one of ['grpo', 'bnpo', 'dr_grpo', 'dapo']"),
    ("rl.defaults.temperature", 0, "exclusiveMinimum"),
    ("rl.runs", {"grpo": {"trainer": "ppo", "verify_coef": 1.0}}, "is not one of ['grpo', 'rloo', 'loop', 'vineppo']"),
    ("rl.runs", {"vineppo": {"trainer": "vineppo", "verify_coef": 0, "vine_mc_samples": 0}}, "minimum"),
    ("rl.runs", {"grpo": {"trainer": "grpo", "verify_coef": -1}}, "minimum"),
    ("rl.runs", {"grpo": {"trainer": "grpo"}}, "'verify_coef' is a required property"),
    ("rl.runs", {"base": {"trainer": "grpo", "verify_coef": 0}}, "should not be valid"),
    ("rl.runs", {"grpo-v": {"trainer": "grpo", "verify_coef": 0}}, "does not match"),
    ("eval.num_samples", 0, "minimum"),
    ("eval.datasets", ["math-500"], "does not match"),
    ("datasets", {"train": {"source": "csv"}}, "is not one of ['synthetic', 'math_dir', 'jsonl'"),
    ("datasets", {"train": {"source": "jsonl"}}, "'path' is a required property"),
    ("datasets", {"train": {"source": "hf"}}, "is not valid under any of the given schemas"),
    ("datasets", {"train": {"source": "synthetic", "split": "dev"}}, "is not one of ['train', 'test']"),
    ("datasets", {"test": {"source": "synthetic"}}, "'train' is a required property"),
    ("datasets", {"train": {"source": "gpqa", "path": "g.csv", "domian": "Physics"}}, "('domian' was unexpected)"),
    ("base_model.vocab_size", DELETE, "'vocab_size' is a required property"),
    ("sweep.strategies", ["best_of_n:p_no"], "is not one of"),
    ("sweep.confidence", 1.5, "exclusiveMaximum"),
    ("figures.parallel_scaling.dataset", 3, "is not of type 'string'"),
    ("rl.defaults.lerning_rate", 1e-4, "Additional properties are not allowed ('lerning_rate' was unexpected)"),
    ("resources.default.mem_mb", 0, "minimum"),
    ("resources.default.runtime", "2h", "is not of type 'integer'"),
    ("resources.default.threads", DELETE, "'threads' is a required property"),
    ("resources.default.gpu", 1, "Additional properties are not allowed ('gpu' was unexpected)"),
    ("resources.train_rl.gpu", -1, "minimum"),
    ("resources.train_rl.gpu", 1.5, "is not of type 'integer'"),
    ("resources.sample.threads", 2, "Additional properties are not allowed ('threads' was unexpected)"),
    ("resources.trian_rl", {"gpu": 1}, "Additional properties are not allowed ('trian_rl' was unexpected)"),
    ("separate_verifier.steps", 0, "minimum"),
    ("separate_verifier.learning_rate", 0, "exclusiveMinimum"),
    ("separate_verifier.batch_size", DELETE, "'batch_size' is a required property"),
    ("separate_verifier.lr", 1e-4, "Additional properties are not allowed ('lr' was unexpected)"),
    ("judge.max_new_tokens", 0, "minimum"),
    ("judge.temperature", -0.5, "minimum"),
    ("judge.batch_size", 2.5, "is not of type 'integer'"),
    ("judge.prompt", " ", "does not match"),
    ("judge.prompt", DELETE, "'prompt' is a required property"),
    ("judge.max_tokens", 48, "Additional properties are not allowed ('max_tokens' was unexpected)"),
]


@pytest.mark.parametrize("path,value,expected", BAD, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD])
def test_bad_value_names_the_key_and_what_it_allows(path, value, expected):
    with pytest.raises(WorkflowError) as error:
        validate(with_value(path, value), SCHEMA)
    message = str(error.value)
    assert expected in message
    key = path.split(".")[-1] if value is not DELETE else path.split(".")[-2]
    if path != "rl.runs":
        assert f"['{key}']" in message or f"'{key}'" in message


def test_the_default_test_and_paper_configs_are_valid():
    validate(copy.deepcopy(DEFAULT), SCHEMA)
    validate(yaml.safe_load((REPO / ".test" / "config" / "config.yaml").read_text()), SCHEMA)
    validate(yaml.safe_load((REPO / "config" / "paper.yaml").read_text()), SCHEMA)


def test_every_schema_property_has_a_description():
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    missing = []

    def walk(node, where):
        for name, spec in node.get("properties", {}).items():
            if "description" not in spec:
                missing.append(f"{where}.{name}")
            walk(spec, f"{where}.{name}")
    walk(schema, "config")
    for name, spec in schema["definitions"].items():
        walk(spec, f"definitions.{name}")
    assert missing == []


@pytest.mark.parametrize("path,value,expected", [
    ("eval.num_samples", 0, "On instance['eval']['num_samples']"),
    ("eval.runs", ["base", "ppo"], "config key eval.runs: 'ppo' is neither 'base' nor a run of rl.runs"),
    ("eval.datasets", ["test", "math500"], "config key eval.datasets: 'math500' is not a dataset of datasets"),
    ("figures.parallel_scaling.base_run", "base",
     "config key separate_verifier: trains on the training rollouts of figures.parallel_scaling.base_run"),
    ("eval.backend", "vllm", "config key eval.backend: 'vllm': the prompted judge (config key judge) runs only on the hf"),
    ("rl.defaults.vine_mc_samples", 4,
     "config key rl.defaults.vine_mc_samples: VinePPO's key, but run 'grpo' has trainer 'grpo'"),
    ("datasets", {**DEFAULT["datasets"], "test": {"source": "jsonl", "path": "no/such/file.jsonl"}},
     "config key datasets.test.path: no such file or directory: 'no/such/file.jsonl'"),
])
def test_snakemake_stops_before_any_job(tmp_path, path, value, expected):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(with_value(path, value)))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_a_yaml_error_in_the_config_names_file_line_and_column(tmp_path):
    (tmp_path / "config").mkdir()
    text = (REPO / "config" / "config.yaml").read_text().replace("levels: [1, 2, 3, 4, 5]", "levels: [1, 2, 3, 4, 5", 1)
    (tmp_path / "config" / "config.yaml").write_text(text)
    line = text.splitlines().index("  levels: [1, 2, 3, 4, 5") + 2  # the parser notices on the next line
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"config/config.yaml:{line}:" in result.stdout + result.stderr
    assert "not valid YAML: expected ',' or ']'" in result.stdout + result.stderr


# --- the generalization keys

@pytest.mark.parametrize("path, value, key", [
    (("rl", "runs", "grpo_easy", "train_levels"), [0, 1], "train_levels"),
    (("rl", "runs", "grpo_easy", "train_levels"), [6], "train_levels"),
    (("datasets", "ood", "family"), "arithmetic", "family"),
    (("figures", "claims", "easy_to_hard"), {"dataset": "hard", "verifer_run": "x"}, "easy_to_hard"),
])
def test_schema_rejects_unknown_levels_and_families(path, value, key):
    config = validated_config("config/config.yaml")
    node = config
    for name in path[:-1]:
        node = node[name]
    node[path[-1]] = value
    with pytest.raises(WorkflowError) as error:
        validate(config, SCHEMA)
    assert f"'{key}'" in str(error.value)


def test_snakemake_stops_before_any_job_when_the_ood_family_is_trained_on(tmp_path):
    (tmp_path / "config").mkdir()
    config = validated_config("config/config.yaml")
    config["datasets"]["ood"]["family"] = config["task"]["family"]
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "config key datasets.ood.family" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


# --- verifier_heads

@pytest.mark.parametrize("path,value,expected", [
    ("verifier_heads.forms", ["hinge"], "is not one of ['bce', 'regression']"),
    ("verifier_heads.forms", [], "should be non-empty"),
    ("verifier_heads.forms", ["bce", "bce"], "has non-unique elements"),
    ("verifier_heads.forms", DELETE, "'forms' is a required property"),
    ("verifier_heads.steps", 10, "Additional properties are not allowed ('steps' was unexpected)"),
    ("verifier_heads.labels", {"bce": 3}, "is not of type 'string'"),
])
def test_bad_verifier_heads_name_the_key(path, value, expected):
    with pytest.raises(WorkflowError) as error:
        validate(with_value(path, value), SCHEMA)
    assert expected in str(error.value)
    key = path.split(".")[-1] if value is not DELETE else path.split(".")[-2]
    assert f"'{key}'" in str(error.value)


def test_heads_without_a_separate_verifier_stop_snakemake(tmp_path):
    config = with_value("separate_verifier", {})
    del config["separate_verifier"]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "config key verifier_heads: the heads train with separate_verifier's" in result.stdout + result.stderr
