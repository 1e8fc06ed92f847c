# Figures listed as built in workflow/manifest.yaml (each through report() with its caption), the
# iso-accuracy compute ratio table, and the summary with the paper's claims.


rule efficiency:
    """Iso-accuracy compute ratio N_base / N_RL^V at each accuracy the RL^V curve reaches at a measured N."""
    input:
        "results/metrics/sweep/{dataset}.parquet",
    output:
        "results/metrics/efficiency/{dataset}.parquet",
    params:
        code=PLAN.code_digest("efficiency"),
        p=lambda w: as_json(PLAN.efficiency_params(w.dataset)),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/efficiency/{dataset}.log",
    benchmark:
        "results/benchmarks/efficiency/{dataset}.tsv"
    shell:
        "rlv efficiency --sweep {input:q} --dataset {wildcards.dataset} --out {output:q} --params {params.p:q}"
        " 2> {log:q}"


rule figure_parallel_scaling:
    """Accuracy vs N: base RL (majority, log-prob vote, and a vote weighted by itself as a prompted judge) vs
    RL^V (best-of-N, weighted vote), pass@N above, with the iso-accuracy compute ratio marked."""
    input:
        sweep=f"results/metrics/sweep/{PLAN.scaling_dataset}.parquet",
        efficiency=f"results/metrics/efficiency/{PLAN.scaling_dataset}.parquet",
    output:
        png=report("results/figures/parallel_scaling.png", **FIGURE_REPORT["parallel_scaling"]),
        pdf="results/figures/parallel_scaling.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("parallel_scaling")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/parallel_scaling.log",
    benchmark:
        "results/benchmarks/figures/parallel_scaling.tsv"
    shell:
        "rlv figure parallel_scaling --sweep {input.sweep:q} --efficiency {input.efficiency:q} --out {output.png:q}"
        " --params {params.p:q} 2> {log:q}"


rule figure_training_dynamics:
    """Reward, verification loss and verifier accuracy over optimizer steps, from every RL run's metrics.csv."""
    input:
        expand("results/models/{run}", run=PLAN.evaluated_rl_runs),
    output:
        png=report("results/figures/training_dynamics.png", **FIGURE_REPORT["training_dynamics"]),
        pdf="results/figures/training_dynamics.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("training_dynamics")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/training_dynamics.log",
    benchmark:
        "results/benchmarks/figures/training_dynamics.tsv"
    shell:
        "rlv figure training_dynamics --metrics {input:q} --out {output.png:q} --params {params.p:q} 2> {log:q}"


rule figure_overview:
    """The method overview, drawn by code from its parameters alone."""
    output:
        png=report("results/figures/overview.png", **FIGURE_REPORT["overview"]),
        pdf="results/figures/overview.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("overview")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/overview.log",
    benchmark:
        "results/benchmarks/figures/overview.tsv"
    shell:
        "rlv figure overview --out {output.png:q} --params {params.p:q} 2> {log:q}"


rule summary:
    """The paper's claims with our numbers and verdicts, then every run's headline numbers, from the
    pipeline's own metrics tables (and the scored samples, for the paired bootstrap of the claims)."""
    input:
        sweeps=expand("results/metrics/sweep/{dataset}.parquet", dataset=PLAN.datasets),
        verifiers=expand("results/metrics/verifier/{dataset}.parquet", dataset=PLAN.datasets),
        efficiency=expand("results/metrics/efficiency/{dataset}.parquet", dataset=PLAN.datasets),
        scores=PLAN.comparison_scores(),
        sequential=[ancient(path) for path in PLAN.sequential_ratios()],
    output:
        "results/summary.md",
    params:
        code=PLAN.code_digest("summary"),
        sequential=lambda w, input: f"--sequential {shlex.quote(str(input.sequential))}" if input.sequential else "",
        p=as_json(PLAN.summary_params()),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/summary.log",
    benchmark:
        "results/benchmarks/summary.tsv"
    shell:
        "rlv summary --sweeps {input.sweeps:q} --verifiers {input.verifiers:q} --efficiency {input.efficiency:q}"
        " --scores {input.scores:q} {params.sequential} --out {output:q} --params {params.p:q} 2> {log:q}"


rule figure_strategies:
    """Accuracy vs N of every test-time strategy of the sweep for the RL^V run, with the sweep's CI bands."""
    input:
        sweep=f"results/metrics/sweep/{PLAN.scaling_dataset}.parquet",
    output:
        png=report("results/figures/strategies.png", **FIGURE_REPORT["strategies"]),
        pdf="results/figures/strategies.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("strategies")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/strategies.log",
    benchmark:
        "results/benchmarks/figures/strategies.tsv"
    shell:
        "rlv figure strategies --sweep {input.sweep:q} --out {output.png:q} --params {params.p:q} 2> {log:q}"


rule figure_verifier_quality:
    """Accuracy, AUROC pooled and within a problem per scorer and run (verifier table), and the calibration
    of every p(Yes) scorer (scored samples): unified vs prompted vs prompted judge vs separate verifier vs mean
    log-prob."""
    input:
        verifier=f"results/metrics/verifier/{PLAN.scaling_dataset}.parquet",
        scores=scored(PLAN.scored_runs, PLAN.scaling_dataset),
    output:
        png=report("results/figures/verifier_quality.png", **FIGURE_REPORT["verifier_quality"]),
        pdf="results/figures/verifier_quality.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("verifier_quality")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/verifier_quality.log",
    benchmark:
        "results/benchmarks/figures/verifier_quality.tsv"
    shell:
        "rlv figure verifier_quality --verifier {input.verifier:q} --scores {input.scores:q} --out {output.png:q}"
        " --params {params.p:q} 2> {log:q}"


rule figure_generalization:
    """Accuracy vs N in-domain, out-of-domain (a family never trained on) and easy-to-hard (runs trained on the
    low levels, tested on the high ones): base RL's majority and log-prob vote vs RL^V's best-of-N and weighted
    vote, one panel per comparison of figures.parallel_scaling and figures.claims."""
    input:
        sweeps=list(dict.fromkeys(f"results/metrics/sweep/{c['dataset']}.parquet" for c in PLAN.comparisons.values())),
    output:
        png=report("results/figures/generalization.png", **FIGURE_REPORT["generalization"]),
        pdf="results/figures/generalization.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("generalization")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/generalization.log",
    benchmark:
        "results/benchmarks/figures/generalization.tsv"
    shell:
        "rlv figure generalization --sweeps {input.sweeps:q} --out {output.png:q} --params {params.p:q} 2> {log:q}"


rule figure_verifier_form:
    """The verifier's form on the same rollouts and samples: accuracy vs N (best-of-N, weighted vote) and the
    verifier metrics of the generative separate verifier, the BCE and regression heads and RL^V's unified
    verifier, against the base run's majority vote."""
    input:
        sweep=f"results/metrics/sweep/{PLAN.scaling_dataset}.parquet",
        verifier=f"results/metrics/verifier/{PLAN.scaling_dataset}.parquet",
    output:
        png=report("results/figures/verifier_form.png", **FIGURE_REPORT["verifier_form"]),
        pdf="results/figures/verifier_form.pdf",
    params:
        code=PLAN.code_digest("figure"),
        p=as_json(PLAN.figure_params("verifier_form")),
    threads: PLAN.threads("figures")
    resources:
        **PLAN.resources("figures"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/figures/verifier_form.log",
    benchmark:
        "results/benchmarks/figures/verifier_form.tsv"
    shell:
        "rlv figure verifier_form --sweep {input.sweep:q} --verifier {input.verifier:q} --out {output.png:q}"
        " --params {params.p:q} 2> {log:q}"
