rule base_model:
    """Tokenizer + tiny Qwen2 model, warmed up on the worked solutions of the train split."""
    input:
        "results/data/train.parquet",
    output:
        directory("results/models/base"),
    params:
        code=PLAN.code_digest("base-model"),
        p=as_json(PLAN.base_model_params()),
    threads: PLAN.threads("base_model")
    resources:
        **PLAN.resources("base_model"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/base_model.log",
    benchmark:
        "results/benchmarks/base_model.tsv"
    shell:
        "rlv base-model --data {input:q} --out {output:q} --params {params.p:q} --threads {threads} 2> {log:q}"
