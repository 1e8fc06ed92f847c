# Design searches (config/searches/{search}.yaml, found by rlv.pipeline.nested), each its own target outside `rule all`:
#     snakemake --cores all miniature        # which embedded default can work
#     snakemake --cores all lambda_sweep     # pass@1 vs verifier accuracy per lambda
#     snakemake --cores all rl_methods       # GRPO, RLOO, LOOP, VinePPO, each with RL^V
# Each base (task + warm-up) of a search runs the ordinary DAG in results/experiments/{search}/{base} with one
# RL run per (design, lambda, seed); the table results/experiments/{search}.md/.parquet collects every arm.


rule design_config:
    """The workflow config of one base: the active config, the base's overrides, one RL run per arm. The config itself
    is the params, so only a change to it reruns the base's DAG; editing the search's table options does not."""
    output:
        "results/experiments/{search}/{base}/config/config.yaml",
    params:
        code=PLAN.code_digest("design-config"),
        p=lambda w: as_json(PLAN.design_base_config(w.search, w.base)),
    threads: PLAN.threads("default")
    resources:
        **PLAN.resources("default"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/experiments/{search}/{base}/design_config.log",
    shell:
        "rlv design-config --base {wildcards.base} --out {output:q} --params {params.p:q}"
        " 2> {log:q}"


rule design_base:
    """Every arm on one base through the same DAG as the default (warm-up, RL, sampling, scoring, sweep),
    in the base's own directory, so arms share one warm-up and a killed search resumes where it stopped.
    With reuse_main_warm_up the main DAG's train split and warm-up model are copied in first."""
    input:
        unpack(lambda w: PLAN.design_base_inputs(w.search, w.base)),
    output:
        sweep="results/experiments/{search}/{base}/results/metrics/sweep/test.parquet",
        verifier="results/experiments/{search}/{base}/results/metrics/verifier/test.parquet",
    params:
        code=PLAN.code_digest("design-warm-start"),
        snakefile=workflow.main_snakefile,
        directory=lambda w: f"results/experiments/{w.search}/{w.base}",
        warm_start=lambda w: f"results/experiments/{w.search}/{w.base}/results"
        if PLAN.searches[w.search].get("reuse_main_warm_up") else "",
    threads: lambda w: nested_dag_threads("design_base")  # read when planned
    resources:
        **PLAN.resources("design_base"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/experiments/{search}/{base}/design_base.log",
    benchmark:
        "results/benchmarks/experiments/{search}/{base}.tsv"
    shell:
        "if [ -n '{params.warm_start}' ]; then"
        " rlv design-warm-start --params '{{}}' --source results --dest {params.warm_start:q}; fi 2> {log:q}"
        " && snakemake --snakefile {params.snakefile:q} --directory {params.directory:q} --cores {threads}"
        " --keep-going --rerun-incomplete results/metrics/sweep/test.parquet results/metrics/verifier/test.parquet"
        " >> {log:q} 2>&1"


rule design_table:
    """Every arm of the search in one table: means over seeds with t-intervals, verifier accuracy with its
    problem-bootstrap interval, and each design's verdict."""
    input:
        search=lambda w: PLAN.search_file(w.search),
        sweeps=lambda w: PLAN.search_outputs(w.search, "sweep"),
        verifiers=lambda w: PLAN.search_outputs(w.search, "verifier"),
    output:
        table="results/experiments/{search}.md",
        rows="results/experiments/{search}.parquet",
    params:
        code=PLAN.code_digest("design-table"),
        p=as_json(PLAN.bootstrap_params(dataset="test")),
    threads: PLAN.threads("default")
    resources:
        **PLAN.resources("default"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/experiments/{search}/design_table.log",
    shell:
        "rlv design-table --search {input.search:q} --root results/experiments/{wildcards.search} --name {wildcards.search}"
        " --out {output.table:q} --table {output.rows:q} --params {params.p:q} 2> {log:q}"


rule figure_lambda_sweep:
    """Reasoner pass@1 vs verifier accuracy, one point per lambda, from the lambda_sweep search's rows."""
    input:
        "results/experiments/lambda_sweep.parquet",
    output:
        png=report("results/figures/lambda_sweep.png", **FIGURE_REPORT["lambda_sweep"]),
        pdf="results/figures/lambda_sweep.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("lambda_sweep")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/lambda_sweep.log",
    benchmark:
        "results/benchmarks/figures/lambda_sweep.tsv"
    shell:
        "rlv figure lambda_sweep --arms {input:q} --out {output.png:q} --params {params.p:q} 2> {log:q}"


rule miniature:
    """Target: the miniature design search and its table."""
    input:
        "results/experiments/miniature.md",


rule lambda_sweep:
    """Target: the lambda sweep (its table and its figure), outside rule all."""
    input:
        "results/experiments/lambda_sweep.md",
        "results/figures/lambda_sweep.png",
        "results/figures/lambda_sweep.pdf",


rule method_comparison:
    """Per method (design) of a search: the base method (lambda 0) against RL^V (largest lambda), the
    iso-accuracy compute ratios N_base / N_RL^V (rlv/analysis/efficiency.py) and one Markdown row per method."""
    input:
        search=lambda w: PLAN.search_file(w.search),
        sweeps=lambda w: PLAN.search_outputs(w.search, "sweep"),
    output:
        table="results/experiments/{search}/methods.md",
        rows="results/experiments/{search}/methods.parquet",
    params:
        code=PLAN.code_digest("method-comparison"),
        p=as_json({"dataset": "test"}),
    threads: PLAN.threads("default")
    resources:
        **PLAN.resources("default"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/experiments/{search}/method_comparison.log",
    benchmark:
        "results/benchmarks/experiments/{search}/method_comparison.tsv"
    shell:
        "rlv method-comparison --search {input.search:q} --root results/experiments/{wildcards.search}"
        " --out {output.table:q} --table {output.rows:q} --params {params.p:q} 2> {log:q}"


rule figure_rl_methods:
    """Parallel scaling per RL method (rl_methods search): base majority vs RL^V best-of-N / weighted vote."""
    input:
        sweeps=lambda w: PLAN.search_outputs("rl_methods", "sweep"),
        efficiency="results/experiments/rl_methods/methods.parquet",
    output:
        png=report("results/figures/rl_methods.png", **FIGURE_REPORT["rl_methods"]),
        pdf="results/figures/rl_methods.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("rl_methods")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/rl_methods.log",
    benchmark:
        "results/benchmarks/figures/rl_methods.tsv"
    shell:
        "rlv figure rl_methods --sweeps {input.sweeps:q} --efficiency {input.efficiency:q} --out {output.png:q}"
        " --params {params.p:q} 2> {log:q}"


rule rl_methods:
    """Target: GRPO, RLOO, LOOP and VinePPO with and without the verification loss (config/searches/rl_methods.yaml):
    every arm's table, the per-method comparison and its figure, outside rule all."""
    input:
        "results/experiments/rl_methods.md",
        "results/experiments/rl_methods/methods.md",
        "results/figures/rl_methods.png",
        "results/figures/rl_methods.pdf",
