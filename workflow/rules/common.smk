# Bindings shared by the rule files. PLAN (rlv.pipeline.plan.Plan, the run universe, every stage's parameters
# and every check across config keys, run here before any job is planned), the figures that `all` builds, the
# wildcard constraints and the input functions that name files. The rules call the `rlv` console script, so
# Snakemake runs with the project's environment active.
import os

from rlv.pipeline.manifest import load_manifest, report_options, rule_all_figures
from rlv.pipeline.params import as_json
from rlv.pipeline.plan import SEQUENTIAL_ROOT, Plan

PLAN = Plan(config, workflow_dir=workflow.basedir)
# The figure manifest (workflow/manifest.yaml): built figures go to rule all and the report; planned ones wait.
MANIFEST = load_manifest(os.path.join(workflow.basedir, "workflow", "manifest.yaml"))
FIGURE_REPORT = report_options(MANIFEST)
FIGURES = expand("results/figures/{figure}.{ext}", figure=rule_all_figures(MANIFEST), ext=["png", "pdf"])


wildcard_constraints:
    search="|".join(PLAN.searches) or "no_search",
    base="|".join(PLAN.search_bases()) or "no_base",
    run="|".join(["base", *PLAN.rl_runs]),
    dataset="|".join(PLAN.data_specs),
    split="train|test",


def scored(runs, dataset):
    """Scored samples of some runs on one dataset."""
    return [f"results/rollouts/scored/{run}/{dataset}.parquet" for run in runs]
