rule train_rl:
    """RL from the base model (GRPO / RLOO / LOOP / VinePPO), with lambda * L_verify when verify_coef > 0.
    Every training rollout goes to the Parquet rollout store; a killed run resumes from results/checkpoints/{run}.
    With resources.train_rl.gpu > 1 the run goes through `accelerate launch` (workflow/accelerate/multi_gpu.yaml)."""
    input:
        base="results/models/base",
        data="results/data/train.parquet",
    output:
        model=directory("results/models/{run}"),
        rollouts="results/rollouts/train/{run}.parquet",
    wildcard_constraints:
        run="|".join(PLAN.rl_runs),
    params:
        code=PLAN.code_digest("train"),
        p=lambda w: as_json(PLAN.rl_params(w.run)),
        launcher=lambda w, resources: PLAN.train_launcher(getattr(resources, "gpu", 0)),
    threads: PLAN.threads("train_rl")
    resources:
        **PLAN.resources("train_rl"),
    conda:
        "../../environment.yml"
    log:
        "results/logs/train_rl/{run}.log",
    benchmark:
        "results/benchmarks/train_rl/{run}.tsv"
    shell:
        "{params.launcher} train --base {input.base:q} --data {input.data:q} --run {wildcards.run} --out {output.model:q}"
        " --rollouts {output.rollouts:q} --checkpoints results/checkpoints/{wildcards.run} --params {params.p:q}"
        " --threads {threads} 2> {log:q}"


if PLAN.separate_verifier:

    rule train_verifier:
        """The separate-verifier baseline: the base model trained on the Yes/No verification loss alone (RL^V's
        verification term, no RL) over the base RL run's training rollouts; same size as the policy."""
        input:
            base="results/models/base",
            rollouts=f"results/rollouts/train/{PLAN.base_run}.parquet",
        output:
            model=directory(f"results/models/{PLAN.separate_verifier}"),
        params:
            code=PLAN.code_digest("train-verifier"),
            p=as_json(PLAN.separate_verifier_params()),
            run=PLAN.separate_verifier,
        threads: PLAN.threads("train_verifier")
        resources:
            **PLAN.resources("train_verifier"),
        conda:
            "../../environment.yml"
        log:
            f"results/logs/train_verifier/{PLAN.separate_verifier}.log",
        benchmark:
            f"results/benchmarks/train_verifier/{PLAN.separate_verifier}.tsv"
        shell:
            "rlv train-verifier --base {input.base:q} --rollouts {input.rollouts:q} --run {params.run:q}"
            " --out {output.model:q} --params {params.p:q} --threads {threads} 2> {log:q}"


if PLAN.head_runs:

    rule train_verifier_head:
        """A verifier head (the verifier-form ablation): the base model trained exactly as the separate verifier
        (same rollouts, steps, batch size, rate and order; backbone fine-tuned) with a linear scalar head on the
        last solution token, by BCE against the 0/1 label (bce) or MSE against the reward (regression)."""
        input:
            base="results/models/base",
            rollouts=f"results/rollouts/train/{PLAN.base_run}.parquet",
        output:
            model=directory(f"results/models/{PLAN.base_run}+{{form}}"),
        wildcard_constraints:
            form="|".join(PLAN.head_runs),
        params:
            code=PLAN.code_digest("train-verifier-head"),
            p=lambda w: as_json(PLAN.head_params(w.form)),
            run=lambda w: PLAN.head_runs[w.form],
        threads: PLAN.threads("train_verifier")
        resources:
            **PLAN.resources("train_verifier"),
        conda:
            "../../environment.yml"
        log:
            f"results/logs/train_verifier/{PLAN.base_run}+{{form}}.log",
        benchmark:
            f"results/benchmarks/train_verifier/{PLAN.base_run}+{{form}}.tsv"
        shell:
            "rlv train-verifier-head --base {input.base:q} --rollouts {input.rollouts:q} --run {params.run:q}"
            " --out {output.model:q} --params {params.p:q} --threads {threads} 2> {log:q}"
