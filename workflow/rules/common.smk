# Bindings shared by the rule files. PLAN (rlv.pipeline.plan.Plan, the run universe, every stage's parameters
# and every check across config keys, run here before any job is planned), the figures that `all` builds, the
# wildcard constraints and the input functions that name files. The rules call the `rlv` console script, so
# Snakemake runs with the project's environment active.
import os

from rlv.pipeline.manifest import load_manifest, report_options, rule_all_figures
from rlv.pipeline.nested import BUILT
from rlv.pipeline.params import as_json
from rlv.pipeline.plan import SEQUENTIAL_ROOT, Plan

PLAN = Plan(config, workflow_dir=workflow.basedir)
# The figure manifest (workflow/manifest.yaml): built figures go to rule all and the report; planned ones wait.
MANIFEST = load_manifest(os.path.join(workflow.basedir, "workflow", "manifest.yaml"))
FIGURE_REPORT = report_options(MANIFEST)
FIGURES = expand("results/figures/{figure}.{ext}", figure=rule_all_figures(MANIFEST), ext=["png", "pdf"])
# How a nested DAG runs, given params snakefile, directory and targets. The ordinary DAG in that directory builds
# the targets, then their record (rlv.pipeline.nested.record_built) is written, the one output of the job.
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


def study_file(wildcards, path):
    """`path` (relative to a DAG's directory) in the DAG of the job's study base."""
    return f"{PLAN.study_root(wildcards.study, wildcards.study_base)}{path}"
