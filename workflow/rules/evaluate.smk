rule sample:
    """N_max solutions per test problem from one model, graded against the reference answers; on the hf
    backend also self-scored in the same pass (rlv.inference.decoding), which rule score then keeps."""
    input:
        model="results/models/{run}",
        data="results/data/{dataset}.parquet",
    output:
        "results/rollouts/eval/{run}/{dataset}.parquet",
    params:
        code=PLAN.code_digest("sample"),
        p=lambda w: as_json(PLAN.sample_params(w.run)),
    threads: PLAN.threads("sample")
    resources:
        **PLAN.resources("sample"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/sample/{run}/{dataset}.log",
    benchmark:
        "results/benchmarks/sample/{run}/{dataset}.tsv"
    shell:
        "rlv sample --model {input.model:q} --data {input.data:q} --run {wildcards.run} --dataset {wildcards.dataset}"
        " --out {output:q} --params {params.p:q} --threads {threads} 2> {log:q}"


rule score:
    """The model scores its own samples: p("Yes") to the verification question and the mean token log-prob
    (kept from the sampling job when that job's `scorer` digest is this model's: no second pass)."""
    input:
        model="results/models/{run}",
        samples="results/rollouts/eval/{run}/{dataset}.parquet",
    output:
        "results/rollouts/scored/{run}/{dataset}.parquet",
    params:
        code=PLAN.code_digest("score"),
        p=as_json(PLAN.score_params()),
    threads: PLAN.threads("score")
    resources:
        **PLAN.resources("score"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/score/{run}/{dataset}.log",
    benchmark:
        "results/benchmarks/score/{run}/{dataset}.tsv"
    shell:
        "rlv score --model {input.model:q} --samples {input.samples:q} --out {output:q} --params {params.p:q}"
        " --threads {threads} 2> {log:q}"


if PLAN.separate_verifier:

    rule score_separate_verifier:
        """The separate verifier's p("Yes") on the base RL run's scored samples, as the pseudo-run
        {base_run}+verifier (the mean token log-prob stays the policy's)."""
        input:
            model=f"results/models/{PLAN.separate_verifier}",
            samples=f"results/rollouts/scored/{PLAN.base_run}/{{dataset}}.parquet",
        output:
            f"results/rollouts/scored/{PLAN.separate_verifier}/{{dataset}}.parquet",
        params:
            code=PLAN.code_digest("score"),
            p=as_json(PLAN.score_params()),
            run=PLAN.separate_verifier,
        threads: PLAN.threads("score")
        resources:
            **PLAN.resources("score"),
        conda:
            "../../environment.yml"
        log:
            f"results/logs/score/{PLAN.separate_verifier}/{{dataset}}.log",
        benchmark:
            f"results/benchmarks/score/{PLAN.separate_verifier}/{{dataset}}.tsv"
        shell:
            "rlv score --model {input.model:q} --samples {input.samples:q} --out {output:q} --params {params.p:q}"
            " --run {params.run:q} --verdict-only --threads {threads} 2> {log:q}"


if PLAN.judge:

    rule judge:
        """The prompted judge: the base RL run writes a short verification of each of its scored samples on the
        parallel-scaling dataset, then answers the verification question; the pseudo-run {base_run}+judge with
        the judge's p("Yes"), p("No"), its verification text and length (the mean token log-prob stays the
        policy's)."""
        input:
            model=f"results/models/{PLAN.base_run}",
            samples=f"results/rollouts/scored/{PLAN.base_run}/{{dataset}}.parquet",
        output:
            f"results/rollouts/scored/{PLAN.judge}/{{dataset}}.parquet",
        wildcard_constraints:
            dataset=PLAN.scaling_dataset,
        params:
            code=PLAN.code_digest("judge"),
            p=as_json(PLAN.judge_params()),
            run=PLAN.judge,
        threads: PLAN.threads("judge")
        resources:
            **PLAN.resources("judge"),
        conda:
            "../../environment.yml"
        log:
            f"results/logs/judge/{PLAN.judge}/{{dataset}}.log",
        benchmark:
            f"results/benchmarks/judge/{PLAN.judge}/{{dataset}}.tsv"
        shell:
            "rlv judge --model {input.model:q} --samples {input.samples:q} --out {output:q} --params {params.p:q}"
            " --run {params.run:q} --threads {threads} 2> {log:q}"


if PLAN.head_runs:

    rule score_verifier_head:
        """A verifier head's score of the base RL run's scored samples on the parallel-scaling dataset, as the
        pseudo-run {base_run}+{form}: p("Yes") := sigmoid of the BCE head, or the regression head's output
        clipped to [0, 1]; p("No") := 1 - p("Yes"); the mean token log-prob stays the policy's."""
        input:
            model=f"results/models/{PLAN.base_run}+{{form}}",
            samples=f"results/rollouts/scored/{PLAN.base_run}/{{dataset}}.parquet",
        output:
            f"results/rollouts/scored/{PLAN.base_run}+{{form}}/{{dataset}}.parquet",
        wildcard_constraints:
            form="|".join(PLAN.head_runs),
            dataset=PLAN.scaling_dataset,
        params:
            code=PLAN.code_digest("score-head"),
            p=as_json(PLAN.head_score_params()),
            run=lambda w: PLAN.head_runs[w.form],
        threads: PLAN.threads("score")
        resources:
            **PLAN.resources("score"),
        conda:
            "../../environment.yml"
        log:
            f"results/logs/score/{PLAN.base_run}+{{form}}/{{dataset}}.log",
        benchmark:
            f"results/benchmarks/score/{PLAN.base_run}+{{form}}/{{dataset}}.tsv"
        shell:
            "rlv score-head --model {input.model:q} --samples {input.samples:q} --out {output:q} --params {params.p:q}"
            " --run {params.run:q} --threads {threads} 2> {log:q}"


rule sweep:
    """Accuracy vs N for every strategy and run (subset estimators, bootstrap CIs), and verifier metrics."""
    input:
        lambda w: scored(PLAN.scored_runs_on(w.dataset), w.dataset),
    output:
        curves="results/metrics/sweep/{dataset}.parquet",
        verifier="results/metrics/verifier/{dataset}.parquet",
    params:
        code=PLAN.code_digest("sweep"),
        p=as_json(PLAN.sweep_params()),
    threads: PLAN.threads("sweep")
    resources:
        **PLAN.resources("sweep"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/sweep/{dataset}.log",
    benchmark:
        "results/benchmarks/sweep/{dataset}.tsv"
    shell:
        "rlv sweep --scores {input:q} --out {output.curves:q} --verifier-out {output.verifier:q} --params {params.p:q}"
        " 2> {log:q}"
