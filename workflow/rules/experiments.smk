# The miniature design search (config/miniature.yaml), outside `rule all`: snakemake --cores all miniature
# Each base (task + warm-up) runs the ordinary DAG in its own directory with one RL run per
# (design, lambda, seed); the table collects every arm.


rule design_config:
    """The workflow config of one base: the active config, the base's overrides, one RL run per arm."""
    input:
        search=MINIATURE_SEARCH,
    output:
        "results/experiments/miniature/{base}/config/config.yaml",
    params:
        p=as_json(config),
    threads: rule_threads("default")
    resources:
        **rule_resources("default"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/experiments/miniature/{base}/design_config.log",
    shell:
        "rlv design-config --search {input.search:q} --base {wildcards.base} --out {output:q} --params {params.p:q}"
        " 2> {log:q}"


rule design_base:
    """Every arm on one base through the same DAG as the default (warm-up, RL, sampling, scoring, sweep),
    in the base's own directory, so arms share one warm-up and a killed search resumes where it stopped."""
    input:
        "results/experiments/miniature/{base}/config/config.yaml",
    output:
        sweep="results/experiments/miniature/{base}/results/metrics/sweep/test.parquet",
        verifier="results/experiments/miniature/{base}/results/metrics/verifier/test.parquet",
    params:
        snakefile=workflow.main_snakefile,
        directory=lambda w: f"results/experiments/miniature/{w.base}",
    threads: lambda w: workflow.cores  # read when planned: runs without --cores (SLURM) still parse
    resources:
        **rule_resources("design_base"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/experiments/miniature/{base}/design_base.log",
    benchmark:
        "results/benchmarks/experiments/miniature/{base}.tsv"
    shell:
        "snakemake --snakefile {params.snakefile:q} --directory {params.directory:q} --cores {threads}"
        " --keep-going --rerun-incomplete results/metrics/sweep/test.parquet results/metrics/verifier/test.parquet"
        " > {log:q} 2>&1"


rule design_table:
    """Every arm of the search in one table: means over seeds with t-intervals, and each design's verdict."""
    input:
        search=MINIATURE_SEARCH,
        sweeps=expand("results/experiments/miniature/{base}/results/metrics/sweep/test.parquet", base=MINIATURE_BASES),
        verifiers=expand(
            "results/experiments/miniature/{base}/results/metrics/verifier/test.parquet", base=MINIATURE_BASES
        ),
    output:
        table="results/experiments/miniature.md",
        rows="results/experiments/miniature.parquet",
    params:
        p=as_json({"dataset": "test"}),
    threads: rule_threads("default")
    resources:
        **rule_resources("default"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/experiments/miniature/design_table.log",
    shell:
        "rlv design-table --search {input.search:q} --root results/experiments/miniature --out {output.table:q}"
        " --table {output.rows:q} --params {params.p:q} 2> {log:q}"


rule miniature:
    """Target: the miniature design search and its table."""
    input:
        "results/experiments/miniature.md",
