# Bindings shared by the rule files. PLAN (rlv.pipeline.plan.Plan, the run universe, every stage's parameters
# and every check across config keys, run here before any job is planned), the figures that `all` builds, the
# wildcard constraints and the input functions that name files. The rules call the `rlv` console script, so
# Snakemake runs with the project's environment active.
import os

from snakemake.exceptions import WorkflowError

from rlv.pipeline.manifest import load_manifest, report_options, rule_all_figures
from rlv.pipeline.nested import BUILT
from rlv.pipeline.params import as_json
from rlv.pipeline.plan import SEQUENTIAL_ROOT, Plan

PLAN = Plan(config, workflow_dir=workflow.basedir)
# The figure manifest (workflow/manifest.yaml): built figures go to rule all and the report; planned ones wait.
MANIFEST = load_manifest(os.path.join(workflow.basedir, "workflow", "manifest.yaml"))
FIGURE_REPORT = report_options(MANIFEST)
FIGURES = expand("results/figures/{figure}.{ext}", figure=rule_all_figures(MANIFEST), ext=["png", "pdf"])
# How a nested DAG runs (a checkpoint with params snakefile, directory and targets). The ordinary DAG in that
# directory builds the targets, then their record (rlv.pipeline.nested.record_built) is written, the one output.
NESTED_DAG = (
    "snakemake --snakefile {params.snakefile:q} --directory {params.directory:q} --cores {threads}"
    " --keep-going --rerun-incomplete {params.targets:q} > {log:q} 2>&1"
    " && rlv nested-built --directory {params.directory:q} --targets {params.targets:q} --out {output:q}"
    " --params '{{}}' 2>> {log:q}"
)


wildcard_constraints:
    search="|".join(PLAN.searches) or "no_search",
    base="|".join(PLAN.search_bases()) or "no_base",
    run="|".join(["base", *PLAN.rl_runs]),
    dataset="|".join(PLAN.data_specs),
    split="train|test",


def scored(runs, dataset):
    """Scored samples of some runs on one dataset."""
    return [f"results/rollouts/scored/{run}/{dataset}.parquet" for run in runs]


def nested_dag_threads(family):
    """Cores of a job that runs a nested DAG: this run's --cores in a local run, else resources.<family>.threads
    (a cluster job: its allocation's CPUs, the same when the job's own Snakemake plans it again on the node)."""
    if workflow.remote_exec or not workflow.local_exec:
        return PLAN.threads(family)
    try:
        return workflow.cores
    except WorkflowError:  # a local run without --cores (a dry run)
        return PLAN.threads(family)


def after_nested_dag(checkpoint, files):
    """Named inputs `files` of a nested DAG run by `checkpoint` (None: files of this DAG), with the DAG's record as
    one more input, ancient. The checkpoint runs first and Snakemake then re-evaluates the job: it reruns when a
    file it reads changed, never merely because the nested DAG ran (rlv.pipeline.nested)."""
    return files if checkpoint is None else {**files, "record": nested_record(checkpoint)}


def nested_record(checkpoint):
    """The record of the nested DAG that `checkpoint` runs, as an ancient input (after_nested_dag)."""
    return ancient(getattr(checkpoints, checkpoint).get().output[0])


def study_base_checkpoint(study, base):
    """The checkpoint that runs a study base's own DAG; None for a base that is the main DAG's."""
    return f"study_base_{study}_{base}" if PLAN.study_root(study, base) else None


def study_file(wildcards, path):
    """`path` (relative to a DAG's directory) in the DAG of the job's study base."""
    return f"{PLAN.study_root(wildcards.study, wildcards.study_base)}{path}"


def study_inputs(wildcards, **paths):
    """Named inputs on files of the job's study base (paths relative to its DAG's directory)."""
    files = {name: study_file(wildcards, path) for name, path in paths.items()}
    return after_nested_dag(study_base_checkpoint(wildcards.study, wildcards.study_base), files)


def study_table_inputs(wildcards):
    """The references of a study's table (per base, the scored test samples of its table runs), each base's after
    its own DAG: the records are asked for first, so no file of a base's DAG is named before it ran."""
    checkpoints_ = [study_base_checkpoint(wildcards.study, base) for base in PLAN.studies[wildcards.study]["bases"]]
    records = [nested_record(name) for name in checkpoints_ if name]
    return {"references": PLAN.study_references(wildcards.study), "records": records}
