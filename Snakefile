# rlv: RL^V (LLM reasoners unified with generative verifiers), from data to figures in one DAG.
# Stages live in workflow/rules/; the library they call is the `rlv` package.
import os

from snakemake.utils import min_version, validate

from rlv.pipeline.config import read_yaml

min_version("9.0")

if os.path.exists("config/config.yaml"):
    read_yaml("config/config.yaml")  # a YAML error names file:line:column (Snakemake's own message does not)


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
include: "workflow/rules/studies.smk"


rule all:
    input:
        FIGURES,
        "results/summary.md",
