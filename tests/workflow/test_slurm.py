"""profiles/slurm on a real single-node SLURM cluster (scripts/slurm-cluster.sh: munge, MariaDB + slurmdbd,
slurmctld, slurmd): the test config's whole DAG through the SLURM executor, a target whose nested DAG runs as one
job, and a job that fails once and succeeds on its retry. Before those, without a cluster: the resources and the training launcher that the rules
take from the config's `resources` section.

The cluster tests need root (the cluster's daemons are system daemons); the cluster is started once for this
module and stopped at the end unless it was already running. Jobs reach slurmctld over 127.0.0.1, so these
runs cannot use the network namespace of the local DAG test; they stay offline through HF_HUB_OFFLINE."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, SNAKEMAKE
from helpers import planned_jobs

CLUSTER = REPO / "scripts" / "slurm-cluster.sh"
PROFILE = REPO / "profiles" / "slurm"
PACKAGES = ("munge", "mariadb-server", "slurmdbd", "slurmctld", "slurmd", "slurm-client")
# The profile as a user runs it, with short status polls (the plugin then backs off by 10 s per poll).
THROUGH_SLURM = ["--profile", str(PROFILE), "--workflow-profile", "none",
                 "--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5"]


def run(command, cwd, timeout, env=None):
    """A Snakemake run that cannot hang the suite: SIGINT at the deadline (a hung Snakemake ignores SIGTERM and
    cancels its SLURM jobs on SIGINT), SIGKILL 30 s later."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **(env or {})}
    return subprocess.run(["timeout", "-s", "INT", "-k", "30", str(timeout), *command], cwd=cwd, env=env,
                          capture_output=True, text=True)


def dry_run(workdir, *args) -> str:
    result = run([*SNAKEMAKE, "-n", "-p", "--cores", "2", *args], cwd=workdir, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def job_blocks(output: str) -> dict[str, list[str]]:
    """Each planned job of a dry run as rule -> [its printed block], in order."""
    blocks = {}
    for chunk in output.split("\nrule ")[1:]:
        rule = chunk.split(":", 1)[0]
        blocks.setdefault(rule, []).append(chunk)
    return blocks


def resources_of(block: str) -> dict[str, str]:
    line = next(line for line in block.splitlines() if line.strip().startswith("resources:"))
    return dict(item.strip().split("=", 1) for item in line.split("resources:", 1)[1].split(", "))


@pytest.fixture(scope="module")
def test_workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("slurm_dry")
    shutil.copytree(REPO / ".test" / "config", workdir / "config")
    return workdir


def test_rules_ask_for_the_resources_of_their_family(test_workdir):
    import yaml
    config = yaml.safe_load((test_workdir / "config" / "config.yaml").read_text())["resources"]
    blocks = job_blocks(dry_run(test_workdir))
    for rule, family in [("problems", "problems"), ("base_model", "base_model"), ("train_rl", "train_rl"),
                         ("sample", "sample"), ("score", "score"), ("sweep", "sweep"), ("summary", "figures")]:
        spec = {**config["default"], **config.get(family, {})}
        resources = resources_of(blocks[rule][0])
        assert resources["mem_mb"] == str(spec["mem_mb"]) and resources["runtime"] == str(spec["runtime"]), rule
        assert resources.get("gpu") == (str(spec["gpu"]) if "gpu" in spec else None), rule
    assert "threads: 2" in blocks["base_model"][0]  # base_model.threads; a dry run prints threads above 1 only
    assert all("threads:" not in block for rule in ("train_rl", "sample", "sweep") for block in blocks[rule])


def test_training_launcher_follows_the_gpu_resource(test_workdir):
    plain = job_blocks(dry_run(test_workdir, "--forceall", "results/models/grpo"))["train_rl"][0]
    assert "rlv train --base" in plain and "accelerate" not in plain
    ddp = job_blocks(dry_run(test_workdir, "--forceall", "results/models/grpo", "--set-resources", "train_rl:gpu=4"))
    command = ddp["train_rl"][0]
    config_file = REPO / "workflow" / "accelerate" / "multi_gpu.yaml"
    assert f"accelerate launch --config_file {config_file} --num_processes 4" in command
    assert "-m rlv.cli train --base" in command and resources_of(command)["gpu"] == "4"
    assert "CUDA_VISIBLE_DEVICES" not in command  # the devices SLURM assigned pass through untouched


def test_accelerate_config_is_a_single_node_ddp_launch():
    from accelerate.commands.config.config_args import load_config_from_file
    config = load_config_from_file(str(REPO / "workflow" / "accelerate" / "multi_gpu.yaml"))
    assert config.distributed_type == "MULTI_GPU" and config.num_machines == 1 and not config.use_cpu
    assert config.gpu_ids == "all"


def missing_packages() -> list[str]:
    def installed(package):
        result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        return "install ok installed" in result.stdout
    return [p for p in PACKAGES if not installed(p)] if shutil.which("dpkg-query") else list(PACKAGES)


@pytest.fixture(scope="module")
def slurm_cluster():
    """The test cluster, started with scripts/slurm-cluster.sh; yields the start time in seconds."""
    if os.geteuid() != 0:
        pytest.skip("the SLURM test cluster needs root: scripts/slurm-cluster.sh starts system daemons")
    missing = missing_packages()
    if missing and not shutil.which("apt-get"):
        pytest.skip(f"SLURM packages {missing} are missing and apt-get is not available to install them")
    was_running = subprocess.run(["bash", CLUSTER, "status"], capture_output=True).returncode == 0
    began = time.monotonic()
    started = subprocess.run(["bash", CLUSTER, "start"], capture_output=True, text=True, timeout=900)
    assert started.returncode == 0, started.stdout + started.stderr
    yield time.monotonic() - began
    if not was_running:
        stopped = subprocess.run(["bash", CLUSTER, "stop"], capture_output=True, text=True, timeout=300)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


def sacct_jobs(workdir: Path) -> pd.DataFrame:
    """Every SLURM job the accounting database holds for a working directory (one row per job, not per step)."""
    fields = ["JobID", "Comment", "State", "AllocCPUS", "ReqMem", "Timelimit", "WorkDir"]
    result = subprocess.run(["sacct", "-X", "-n", "-P", "-a", "-S", "now-2hours", "-o", ",".join(fields)],
                            capture_output=True, text=True, check=True)
    rows = [line.split("|") for line in result.stdout.splitlines() if line]
    jobs = pd.DataFrame(rows, columns=fields)
    jobs = jobs[jobs["WorkDir"] == str(workdir)].copy()
    jobs["rule"] = jobs["Comment"].str.removeprefix("rule_").str.split("_wildcards").str[0]
    return jobs.sort_values("JobID", key=lambda ids: ids.astype(int))


def test_cluster_is_up_with_accounting(slurm_cluster):
    assert subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout.split()[0] == "idle"
    associations = subprocess.run(["sacctmgr", "-n", "-P", "list", "association", "format=cluster,account,user"],
                                  capture_output=True, text=True, check=True).stdout.split()
    assert "rlv|rlv|root" in associations
    print(f"\ncluster start: {slurm_cluster:.1f} s")


@pytest.fixture(scope="module")
def slurm_dag(slurm_cluster, tmp_path_factory):
    """The test config's whole DAG through profiles/slurm, in a fresh working directory."""
    workdir = tmp_path_factory.mktemp("slurm_dag")
    shutil.copytree(REPO / ".test" / "config", workdir / "config")
    began = time.monotonic()
    result = run([*SNAKEMAKE, *THROUGH_SLURM], cwd=workdir, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    print(f"\nwhole test DAG through SLURM: {time.monotonic() - began:.0f} s")
    return workdir, result.stdout + result.stderr


@pytest.mark.slow
def test_whole_dag_through_slurm_produces_every_output(slurm_dag):
    workdir, output = slurm_dag
    results = workdir / "results"
    assert "Using profile" in output and "workflow specific profile" not in output
    figures = sorted(results.glob("figures/*.png"))
    assert {f.name for f in figures} >= {"parallel_scaling.png"}
    for figure in figures:
        assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 10_000
        assert figure.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    summary = (results / "summary.md").read_text()
    assert "GRPO$^V$" in summary and "AUROC within problem" in summary
    for run in ("grpo", "grpo_v"):
        rollouts = pd.read_parquet(results / "rollouts" / "train" / f"{run}.parquet")
        assert len(rollouts) == 3 * 4 * 4 and set(rollouts["reward"]) <= {0.0, 1.0}
    for run in ("base", "grpo", "grpo_v"):
        scored = pd.read_parquet(results / "rollouts" / "scored" / run / "test.parquet")
        assert len(scored) == 20 * 8 and scored["p_yes"].between(0, 1).all()
    assert not list(results.rglob(".*.tmp"))


@pytest.mark.slow
def test_sacct_shows_every_job_completed_with_its_resources(slurm_dag):
    workdir, output = slurm_dag
    jobs = sacct_jobs(workdir)
    planned = {rule: count for rule, count in planned_jobs(output).items() if rule != "all"}
    assert jobs["rule"].value_counts().to_dict() == planned
    assert set(jobs["State"]) == {"COMPLETED"}
    by_rule = jobs.drop_duplicates("rule").set_index("rule")
    # .test/config/config.yaml: resources per family, threads from base_model.threads and rl.threads
    assert by_rule.loc["base_model", ["AllocCPUS", "ReqMem", "Timelimit"]].tolist() == ["2", "1500M", "00:10:00"]
    assert by_rule.loc["train_rl", ["AllocCPUS", "ReqMem", "Timelimit"]].tolist() == ["1", "2000M", "00:10:00"]
    assert by_rule.loc["sweep", ["AllocCPUS", "ReqMem"]].tolist() == ["1", "1000M"]


@pytest.mark.slow
def test_a_failed_job_is_retried_through_the_profile(slurm_cluster, tmp_path):
    shutil.copytree(REPO / "tests" / "fixtures" / "slurm_retry", tmp_path, dirs_exist_ok=True)
    began = time.monotonic()
    result = run([*SNAKEMAKE[:-2], *THROUGH_SLURM], cwd=tmp_path, timeout=300, env={"CUDA_VISIBLE_DEVICES": "3"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"\nretry fixture through SLURM: {time.monotonic() - began:.0f} s")
    assert (tmp_path / "attempts.log").read_text().split("\n")[:2] == ["attempt 1", "attempt 2"]
    assert (tmp_path / "done.txt").read_text().strip() == "CUDA_VISIBLE_DEVICES=3"  # passed through, not reset
    jobs = sacct_jobs(tmp_path)
    assert jobs["rule"].tolist() == ["flaky", "flaky"] and jobs["State"].tolist() == ["FAILED", "COMPLETED"]


@pytest.mark.slow
def test_a_nested_dag_runs_as_one_job_with_its_familys_cores(slurm_cluster, tmp_path):
    """sequential_parallel's own base: its checkpoint is planned without --cores and planned again by the job's own
    Snakemake on the node, both at resources.sequential_models' threads (the test config's default, 1)."""
    shutil.copytree(REPO / ".test" / "config", tmp_path / "config")
    began = time.monotonic()
    result = run([*SNAKEMAKE, *THROUGH_SLURM, "sequential_parallel"], cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    print(f"\nsequential_parallel through SLURM: {time.monotonic() - began:.0f} s")
    jobs = sacct_jobs(tmp_path)
    assert set(jobs["State"]) == {"COMPLETED"}
    nested = jobs[jobs["rule"] == "sequential_models"]
    assert len(nested) == 1 and nested["AllocCPUS"].tolist() == ["1"]
    assert (tmp_path / "results" / "experiments" / "sequential_parallel" / "built.json").exists()
    assert (tmp_path / "results" / "figures" / "sequential_parallel.png").stat().st_size > 10_000
