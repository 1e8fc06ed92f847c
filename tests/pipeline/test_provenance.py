"""Provenance (rlv/pipeline/provenance.py): the modules each stage runs, found from the imports; digests that move
with the code and nothing else; the code version of a checkout."""

import shutil
import subprocess

from conftest import REPO
from rlv.pipeline.provenance import closure, code_version, digest_modules, params_digest, stage_modules
from rlv.pipeline.registry import STAGES


def test_a_stage_runs_the_modules_its_function_imports_and_theirs():
    judge = stage_modules(STAGES["judge"][0])
    assert {"rlv.baselines.judge", "rlv.inference.decoding", "rlv.models", "rlv.rollouts", "rlv.verifier",
            "rlv.pipeline.stages.evaluate", "rlv.pipeline.stages"} <= judge
    assert not {"rlv.training.run", "rlv.baselines.verifier_heads", "rlv.analysis.aggregate"} & judge
    train = stage_modules(STAGES["train"][0])
    assert {"rlv.training.run", "rlv.training.trainers", "rlv.training.vineppo", "rlv.training.checkpoints",
            "rlv.tasks.grading"} <= train and "rlv.baselines.judge" not in train
    assert "rlv.analysis.aggregate" in stage_modules(STAGES["sweep"][0])


def test_the_closure_follows_imports_and_the_packages_they_run():
    assert closure({"rlv.tasks.synthetic"}) == {"rlv", "rlv.tasks", "rlv.tasks.synthetic", "rlv.tasks.expression",
                                                "rlv.tasks.inverse", "rlv.tasks.sorting", "rlv.tasks.worked",
                                                "rlv.tasks.records",
                                                "rlv.tasks.grading"}  # records' gradable filter grades


def test_digests_depend_on_the_modules_only():
    modules = {"rlv.tasks.worked", "rlv.tasks.records"}
    assert digest_modules(modules) == digest_modules(set(sorted(modules))) != digest_modules({"rlv.tasks.worked"})
    assert params_digest({"a": 1, "b": [2]}) == params_digest({"b": [2], "a": 1}) != params_digest({"a": 2, "b": [2]})
    assert len(params_digest({})) == 12


def test_the_code_version_names_the_commit_of_a_checkout():
    version = code_version()
    assert version["rlv"] and len(version["source_digest"]) == 12
    if shutil.which("git") and (REPO / ".git").exists():
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        assert version["commit"].startswith(head)
