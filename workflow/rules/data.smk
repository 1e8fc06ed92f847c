rule problems:
    """Synthetic arithmetic problems in MATH's record format, one split per file."""
    output:
        "results/data/{split}.parquet",
    params:
        p=lambda w: as_json(
            {
                "num_problems": config["task"][f"{w.split}_problems"],
                "levels": config["task"]["levels"],
                "seed": config["seed"],
                "test_fraction": config["task"]["test_fraction"],
                **{key: config["task"][key] for key in ("family",) if key in config["task"]},
            }
        ),
    conda:
        "../../environment.yml"
    log:
        "results/logs/problems/{split}.log",
    benchmark:
        "results/benchmarks/problems/{split}.tsv"
    shell:
        "rlv data --split {wildcards.split} --params {params.p:q} --out {output:q} 2> {log:q}"
