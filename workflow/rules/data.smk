rule problems:
    """Problem records of one dataset of the config's `datasets` (synthetic arithmetic in MATH's record format, or a
    real benchmark: MATH, MATH500, AIME, GPQA, a Parquet file or a Hugging Face dataset), one file per dataset."""
    input:
        lambda w: PLAN.dataset_input(w.dataset),
    output:
        "results/data/{dataset}.parquet",
    params:
        code=PLAN.code_digest("data"),
        p=lambda w: as_json(PLAN.data_params(w.dataset)),
    threads: PLAN.threads("problems")
    resources:
        **PLAN.resources("problems"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/problems/{dataset}.log",
    benchmark:
        "results/benchmarks/problems/{dataset}.tsv"
    shell:
        "rlv data --dataset {wildcards.dataset} --params {params.p:q} --out {output:q} 2> {log:q}"
