# Verification studies (config/studies/{study}.yaml, found by rlv.pipeline.study_specs), each its own target outside
# `rule all`:
#     snakemake --cores all verification_scaling
# Per base: a labelled pool (the base's pool runs sample training problems), one job per arm (a verifier trained on
# n solutions of the pool, then scoring the base's test samples), and the table and figure over every arm. A base
# without overrides is the main DAG's; any other runs the ordinary DAG in results/studies/{study}/{base}/, whose
# one output is the record built.json (a checkpoint; rlv.pipeline.nested): a rerun of the base's DAG keeps what is
# up to date in it, and the jobs reading its files rerun only when a file they read changed. To rebuild a file of a
# base's DAG by hand, delete the file and the record.
from rlv.pipeline.study_specs import base_targets


wildcard_constraints:
    study="|".join(PLAN.studies) or "no_study",
    study_base="[A-Za-z][A-Za-z0-9_]*",
    arm="[A-Za-z][A-Za-z0-9_]*",
    pool_run="|".join(["base", *PLAN.rl_runs]),


rule study_config:
    """The workflow config of a study base with overrides: the active config with them laid over it. The config itself
    is the params, so only a change to it reruns the base's DAG; editing another base or a family does not."""
    output:
        "results/studies/{study}/{study_base}/config/config.yaml",
    params:
        code=PLAN.code_digest("study-config"),
        p=lambda w: as_json(PLAN.study_base_config(w.study, w.study_base)),
    threads: PLAN.threads("default")
    resources:
        **PLAN.resources("default"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/studies/{study}/{study_base}/study_config.log",
    shell:
        "rlv study-config --base {wildcards.study_base} --out {output:q} --params {params.p:q}"
        " 2> {log:q}"


for _study, _spec in PLAN.studies.items():
    for _base, _base_spec in _spec["bases"].items():
        if not _base_spec["overrides"]:
            continue  # the main DAG's own files
        _root = f"results/studies/{_study}/{_base}"
        _targets = base_targets(_spec, _base)

        checkpoint:
            name: f"study_base_{_study}_{_base}"
            input:
                f"{_root}/config/config.yaml",
            output:
                f"{_root}/{BUILT}",
            params:
                snakefile=workflow.main_snakefile,
                directory=lambda w, root=_root: root,  # a function: the lint takes a literal prefix for a file path
                targets=_targets,
            threads: lambda w: nested_dag_threads("study_base")  # read when planned
            resources:
                **PLAN.resources("study_base"),
            conda:
                "../../environment.yml"
            log:
                f"results/logs/studies/{_study}/{_base}/study_base.log",
            benchmark:
                f"results/benchmarks/studies/{_study}/{_base}/study_base.tsv"
            shell:
                NESTED_DAG


rule study_pool_problems:
    """The training problems the pool runs sample: a seeded sample of the base's train split."""
    input:
        unpack(lambda w: study_inputs(w, data="results/data/train.parquet")),
    output:
        "results/studies/{study}/{study_base}/pool/problems.parquet",
    params:
        code=PLAN.code_digest("study-pool-problems"),
        p=lambda w: as_json(PLAN.study_pool_problems_params(w.study, w.study_base)),
    threads: PLAN.threads("default")
    resources:
        **PLAN.resources("default"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/studies/{study}/{study_base}/pool_problems.log",
    shell:
        "rlv study-pool-problems --data {input.data:q} --out {output:q} --params {params.p:q} 2> {log:q}"


rule study_pool:
    """One pool run's graded samples of the pool's problems: the labelled pool."""
    input:
        unpack(lambda w: study_inputs(w, model=f"results/models/{w.pool_run}")),
        data="results/studies/{study}/{study_base}/pool/problems.parquet",
    output:
        "results/studies/{study}/{study_base}/pool/{pool_run}.parquet",
    params:
        code=PLAN.code_digest("sample"),
        p=lambda w: as_json(PLAN.study_pool_params(w.study, w.pool_run)),
    threads: PLAN.threads("sample")
    resources:
        **PLAN.resources("sample"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/studies/{study}/{study_base}/pool_{pool_run}.log",
    benchmark:
        "results/benchmarks/studies/{study}/{study_base}/pool_{pool_run}.tsv"
    shell:
        "rlv sample --model {input.model:q} --data {input.data:q} --run {wildcards.pool_run} --dataset pool"
        " --out {output:q} --params {params.p:q} --threads {threads} 2> {log:q}"


rule study_arm:
    """One verifier: trained from the base's warm-up model on n labelled solutions of the pool, then its verdict
    on the base's test samples (rlv.pipeline.stages.studies)."""
    input:
        unpack(lambda w: study_inputs(w, base_model="results/models/base", samples=PLAN.study_test_run(w.study))),
        pool=lambda w: PLAN.study_pool(w.study, w.study_base),
    output:
        scored="results/studies/{study}/{study_base}/arms/{arm}.parquet",
        history="results/studies/{study}/{study_base}/arms/{arm}.csv",
    params:
        code=PLAN.code_digest("study-arm"),
        p=lambda w: as_json(PLAN.study_arm_params(w.study, w.study_base, w.arm)),
    threads: lambda w: PLAN.studies[w.study].get("threads", 1)
    resources:
        **PLAN.resources("study_arm"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/studies/{study}/{study_base}/arms/{arm}.log",
    benchmark:
        "results/benchmarks/studies/{study}/{study_base}/arms/{arm}.tsv"
    shell:
        "rlv study-arm --base-model {input.base_model:q} --pool {input.pool:q} --samples {input.samples:q}"
        " --out {output.scored:q} --history {output.history:q} --params {params.p:q} --threads {threads} 2> {log:q}"


rule study_table:
    """Every arm and the references with their intervals, and the study's decision rule (Markdown + Parquet)."""
    input:
        unpack(study_table_inputs),
        study=lambda w: PLAN.study_file(w.study),
        arms=lambda w: PLAN.study_outputs(w.study, "parquet"),
        histories=lambda w: PLAN.study_outputs(w.study, "csv"),
    output:
        table="results/studies/{study}.md",
        rows="results/studies/{study}.parquet",
    params:
        code=PLAN.code_digest("study-table"),
        p=lambda w: as_json(PLAN.study_table_params(w.study)),
    threads: PLAN.threads("default")
    resources:
        **PLAN.resources("default"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/studies/{study}/study_table.log",
    shell:
        "rlv study-table --study {input.study:q} --arms {input.arms:q} --histories {input.histories:q}"
        " --references {input.references:q}"
        " --out {output.table:q} --rows-out {output.rows:q} --params {params.p:q} 2> {log:q}"


rule figure_verification_scaling:
    """Within-problem AUROC and weighted vote minus majority against n, per base and family, with the references."""
    input:
        "results/studies/verification_scaling.parquet",
    output:
        png=report("results/figures/verification_scaling.png", **FIGURE_REPORT["verification_scaling"]),
        pdf="results/figures/verification_scaling.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("verification_scaling")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/verification_scaling.log",
    benchmark:
        "results/benchmarks/figures/verification_scaling.tsv"
    shell:
        "rlv figure verification_scaling --arms {input:q} --out {output.png:q} --params {params.p:q} 2> {log:q}"


rule study_figure:
    """figure_verification_scaling's figure for any other study (e.g. verification_scaling_gpu), named after it."""
    input:
        "results/studies/{study}.parquet",
    output:
        png="results/figures/{study}.png",
        pdf="results/figures/{study}.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=lambda w: as_json({"title": PLAN.studies[w.study].get("title", w.study)}),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/{study}.log",
    benchmark:
        "results/benchmarks/figures/{study}.tsv"
    shell:
        "rlv figure verification_scaling --arms {input:q} --out {output.png:q} --params {params.p:q} 2> {log:q}"


ruleorder: figure_verification_scaling > study_figure


rule verification_scaling:
    """Target: the verification-scaling study (config/studies/verification_scaling.yaml): every arm's table and the
    figure, outside rule all."""
    input:
        "results/studies/verification_scaling.md",
        "results/figures/verification_scaling.png",
        "results/figures/verification_scaling.pdf",


for _study in PLAN.studies:
    if _study == "verification_scaling":
        continue

    rule:
        name: _study
        input:
            f"results/studies/{_study}.md",
            f"results/figures/{_study}.png",
            f"results/figures/{_study}.pdf",
