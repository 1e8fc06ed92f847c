# Sequential x parallel scaling and adaptive length (config key sequential_parallel), one target outside rule all:
#     snakemake --cores all sequential_parallel
# Budget-forced samples (rlv/inference/budget.py) of the two compared runs -> per-budget strategies, the compute-optimal
# ratio and the adaptive-length table (rlv/analysis/sequential.py) -> two figures. With models: own the runs come from a base
# of its own, run as an ordinary DAG in results/experiments/sequential_parallel/ (its own warm-up and RL runs), whose
# one output is its record built.json (a checkpoint; rlv.pipeline.nested).

if PLAN.sequential:

    rule sample_budgets:
        """N solutions per problem up to the largest budget; at each budget the unfinished ones are forced to answer;
        every (sample, budget) graded and scored with the model's own p(Yes) and mean log-prob."""
        input:
            model="results/models/{run}",
            data="results/data/{dataset}.parquet",
        output:
            "results/rollouts/budget/{run}/{dataset}.parquet",
        params:
            code=PLAN.code_digest("sample-budgets"),
            p=lambda w: as_json(PLAN.budget_params(w.run)),
        threads: PLAN.threads("sample_budgets")
        resources:
            **PLAN.resources("sample_budgets"),
        conda:
            "../../environment.yml"
        log:
            "results/logs/sample_budgets/{run}/{dataset}.log",
        benchmark:
            "results/benchmarks/sample_budgets/{run}/{dataset}.tsv"
        shell:
            "rlv sample-budgets --model {input.model:q} --data {input.data:q} --run {wildcards.run}"
            " --dataset {wildcards.dataset} --out {output:q} --params {params.p:q} --threads {threads} 2> {log:q}"

    rule sequential_config:
        """The workflow config of sequential_parallel's own base: this config with its overrides, the two runs."""
        output:
            f"{SEQUENTIAL_ROOT}/config/config.yaml",
        params:
            code=PLAN.code_digest("sequential-config"),
            p=as_json(config),
        threads: PLAN.threads("default")
        resources:
            **PLAN.resources("default"),
        conda:
            "../../environment.yml"
        log:
            "results/logs/sequential_parallel/sequential_config.log",
        shell:
            "rlv sequential-config --out {output:q} --params {params.p:q} 2> {log:q}"

    checkpoint sequential_models:
        """The own base's whole DAG in its directory (data, warm-up, the two RL runs, budget-forced samples);
        a killed run resumes where it stopped."""
        input:
            f"{SEQUENTIAL_ROOT}/config/config.yaml",
        output:
            f"{SEQUENTIAL_ROOT}/{BUILT}",  # the record, never the samples: a rerun would delete them first
        params:
            snakefile=workflow.main_snakefile,
            directory=lambda w: SEQUENTIAL_ROOT,
            targets=PLAN.budget_targets(),
        threads: lambda w: nested_dag_threads("sequential_models")  # read when planned
        resources:
            **PLAN.resources("sequential_models"),
        conda:
            "../../environment.yml"
        log:
            "results/logs/sequential_parallel/sequential_models.log",
        benchmark:
            "results/benchmarks/sequential_parallel/sequential_models.tsv"
        shell:
            NESTED_DAG

    rule sequential_tables:
        """Per budget: every strategy at N, each run's best and the accuracy ratio RL^V / base with a paired
        bootstrap CI (Markdown + Parquet); adaptive length: accuracy vs mean tokens per threshold and budget."""
        input:
            unpack(lambda w: after_nested_dag("sequential_models" if PLAN.sequential["models"] == "own" else None,
                                              {"scores": PLAN.budget_samples()})),
        output:
            strategies="results/metrics/sequential_parallel/strategies.parquet",
            ratios="results/metrics/sequential_parallel/ratios.parquet",
            table="results/metrics/sequential_parallel/ratios.md",
            adaptive="results/metrics/sequential_parallel/adaptive.parquet",
        params:
            code=PLAN.code_digest("sequential-tables"),
            p=as_json(PLAN.sequential_table_params()),
        threads: PLAN.threads("figures")
        resources:
            **PLAN.resources("figures"),
        conda:
            "../../environment.yml"
        log:
            "results/logs/sequential_parallel/sequential_tables.log",
        benchmark:
            "results/benchmarks/sequential_parallel/sequential_tables.tsv"
        shell:
            "rlv sequential-tables --scores {input.scores:q} --strategies-out {output.strategies:q} --ratios-out {output.ratios:q}"
            " --table-out {output.table:q} --adaptive-out {output.adaptive:q} --params {params.p:q} 2> {log:q}"

    rule figure_sequential_parallel:
        """Accuracy vs token budget at fixed N (each run's best strategy per budget) and RL^V's accuracy ratio."""
        input:
            strategies="results/metrics/sequential_parallel/strategies.parquet",
            ratios="results/metrics/sequential_parallel/ratios.parquet",
        output:
            png=report("results/figures/sequential_parallel.png", **FIGURE_REPORT["sequential_parallel"]),
            pdf="results/figures/sequential_parallel.pdf",
        params:
            code=PLAN.code_digest("figure"),
            p=as_json(PLAN.figure_params("sequential_parallel")),
        threads: PLAN.threads("figures")
        resources:
            **PLAN.resources("figures"),
        conda:
            "../../environment.yml"
        log:
            "results/logs/figures/sequential_parallel.log",
        benchmark:
            "results/benchmarks/figures/sequential_parallel.tsv"
        shell:
            "rlv figure sequential_parallel --budget-strategies {input.strategies:q} --ratios {input.ratios:q}"
            " --out {output.png:q} --params {params.p:q} 2> {log:q}"

    rule figure_adaptive_length:
        """Accuracy vs mean tokens per problem: the adaptive budget per threshold against the fixed budgets."""
        input:
            "results/metrics/sequential_parallel/adaptive.parquet",
        output:
            png=report("results/figures/adaptive_length.png", **FIGURE_REPORT["adaptive_length"]),
            pdf="results/figures/adaptive_length.pdf",
        params:
            code=PLAN.code_digest("figure"),
            p=as_json(PLAN.figure_params("adaptive_length")),
        threads: PLAN.threads("figures")
        resources:
            **PLAN.resources("figures"),
        conda:
            "../../environment.yml"
        log:
            "results/logs/figures/adaptive_length.log",
        benchmark:
            "results/benchmarks/figures/adaptive_length.tsv"
        shell:
            "rlv figure adaptive_length --adaptive {input:q} --out {output.png:q} --params {params.p:q} 2> {log:q}"

    rule sequential_parallel:
        """Target: sequential x parallel scaling and adaptive length (tables and both figures), outside rule all."""
        input:
            "results/metrics/sequential_parallel/ratios.md",
            "results/figures/sequential_parallel.png",
            "results/figures/sequential_parallel.pdf",
            "results/figures/adaptive_length.png",
            "results/figures/adaptive_length.pdf",
