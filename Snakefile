# rlv: RL^V (LLM reasoners unified with generative verifiers), from data to figures in one DAG.
# Stages live in workflow/rules/; the library they call is the `rlv` package.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/experiments.smk"
include: "workflow/rules/sequential.smk"


rule all:
    input:
        FIGURES,
        "results/summary.md",
