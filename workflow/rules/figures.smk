rule figure_parallel_scaling:
    """Accuracy vs N: base RL (majority, log-prob vote) vs RL^V (best-of-N, weighted vote), pass@N above."""
    input:
        lambda w: f"results/metrics/sweep/{config['figures']['parallel_scaling']['dataset']}.parquet",
    output:
        png=report(
            "results/figures/parallel_scaling.png",
            caption="../report/parallel_scaling.rst",
            category="Parallel scaling",
        ),
        pdf="results/figures/parallel_scaling.pdf",
    params:
        p=as_json({**config["figures"]["parallel_scaling"], "labels": run_labels()}),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/parallel_scaling.log",
    benchmark:
        "results/benchmarks/figures/parallel_scaling.tsv"
    shell:
        "rlv figure parallel_scaling --sweep {input:q} --out {output.png:q} --params {params.p:q} 2> {log:q}"


rule summary:
    """Headline numbers of every evaluated run, from the pipeline's own metrics tables."""
    input:
        sweeps=expand("results/metrics/sweep/{dataset}.parquet", dataset=DATASETS),
        verifiers=expand("results/metrics/verifier/{dataset}.parquet", dataset=DATASETS),
    output:
        "results/summary.md",
    params:
        p=as_json({"labels": run_labels(), "ns": [1, 4, 16, config["eval"]["num_samples"]]}),
    conda:
        "../../environment.yml"
    log:
        "results/logs/summary.log",
    benchmark:
        "results/benchmarks/summary.tsv"
    shell:
        "rlv summary --sweeps {input.sweeps:q} --verifiers {input.verifiers:q} --out {output:q} --params {params.p:q}"
        " 2> {log:q}"
