rule train_rl:
    """RL from the base model (GRPO / leave-one-out PPO), with lambda * L_verify when verify_coef > 0.
    Every training rollout goes to the Parquet rollout store; a killed run resumes from results/checkpoints/{run}.
    With resources.train_rl.gpu > 1 the run goes through `accelerate launch` (workflow/accelerate/multi_gpu.yaml)."""
    input:
        base="results/models/base",
        data="results/data/train.parquet",
    output:
        model=directory("results/models/{run}"),
        rollouts="results/rollouts/train/{run}.parquet",
    wildcard_constraints:
        run="|".join(RL_RUNS),
    params:
        p=lambda w: as_json(rl_params(w.run)),
        launcher=lambda w, resources: train_launcher(resources.gpu),
    threads: config["rl"]["threads"]
    resources:
        **rule_resources("train_rl"),
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


if SEPARATE_VERIFIER:

    rule train_verifier:
        """The separate-verifier baseline: the base model trained on the Yes/No verification loss alone (RL^V's
        verification term, no RL) over the base RL run's training rollouts; same size as the policy."""
        input:
            base="results/models/base",
            rollouts=f"results/rollouts/train/{config['figures']['parallel_scaling']['base_run']}.parquet",
        output:
            model=directory(f"results/models/{SEPARATE_VERIFIER}"),
        params:
            p=as_json({**{k: v for k, v in config["separate_verifier"].items() if k != "label"}, "seed": config["seed"]}),
            run=SEPARATE_VERIFIER,
        threads: config["rl"]["threads"]
        resources:
            **rule_resources("train_verifier"),
        conda:
            "../../environment.yml"
        log:
            f"results/logs/train_verifier/{SEPARATE_VERIFIER}.log",
        benchmark:
            f"results/benchmarks/train_verifier/{SEPARATE_VERIFIER}.tsv"
        shell:
            "rlv train-verifier --base {input.base:q} --rollouts {input.rollouts:q} --run {params.run:q}"
            " --out {output.model:q} --params {params.p:q} --threads {threads} 2> {log:q}"


if HEAD_RUNS:

    rule train_verifier_head:
        """A verifier head (the verifier-form ablation): the base model trained exactly as the separate verifier
        (same rollouts, steps, batch size, rate and order; backbone fine-tuned) with a linear scalar head on the
        last solution token, by BCE against the 0/1 label (bce) or MSE against the reward (regression)."""
        input:
            base="results/models/base",
            rollouts=f"results/rollouts/train/{config['figures']['parallel_scaling']['base_run']}.parquet",
        output:
            model=directory(f"results/models/{config['figures']['parallel_scaling']['base_run']}+{{form}}"),
        wildcard_constraints:
            form="|".join(HEAD_RUNS),
        params:
            p=lambda w: as_json(
                {
                    **{k: v for k, v in config["separate_verifier"].items() if k != "label"},
                    "form": w.form,
                    "seed": config["seed"],
                }
            ),
            run=lambda w: HEAD_RUNS[w.form],
        threads: config["rl"]["threads"]
        resources:
            **rule_resources("train_verifier"),
        conda:
            "../../environment.yml"
        log:
            f"results/logs/train_verifier/{config['figures']['parallel_scaling']['base_run']}+{{form}}.log",
        benchmark:
            f"results/benchmarks/train_verifier/{config['figures']['parallel_scaling']['base_run']}+{{form}}.tsv"
        shell:
            "rlv train-verifier-head --base {input.base:q} --rollouts {input.rollouts:q} --run {params.run:q}"
            " --out {output.model:q} --params {params.p:q} --threads {threads} 2> {log:q}"
