#!/usr/bin/env bash
# Size a study base's warm-up on the TRAINING split: for each step count, build the base's warm-up model with that
# many steps and measure its pass@1 on a pool's problems (temperature-1 samples, as the pool draws them).
#
#   scripts/warmup-sizing.sh BASE_CONFIG POOL_PROBLEMS WORKDIR STEPS...
#
# BASE_CONFIG: a base's generated config (results/studies/{study}/{base}/config/config.yaml); POOL_PROBLEMS: its
# pool's problems (results/studies/{study}/{base}/pool/problems.parquet; the first 1,000 are used); each step count
# runs in WORKDIR/s{steps}/. Prints "steps S pass@1 P N" per step count. The sort base's warm-up
# (config/studies/verification_scaling.yaml) was sized with it:
#   scripts/warmup-sizing.sh results/studies/verification_scaling/sort/config/config.yaml \
#       results/studies/verification_scaling/sort/pool/problems.parquet /tmp/sizing 100 150 250
set -euo pipefail
config=$(realpath "$1"); problems=$(realpath "$2"); workdir=$3; shift 3
snakefile=$(realpath "$(dirname "$0")/../Snakefile")
mkdir -p "$workdir"
python -c "import pandas as pd, sys; pd.read_parquet(sys.argv[1]).iloc[:1000].to_parquet(sys.argv[2])" \
    "$problems" "$workdir/problems.parquet"
for steps in "$@"; do
    run="$workdir/s$steps"
    mkdir -p "$run/config"
    python - "$config" "$run/config/config.yaml" "$steps" <<'PY'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
config["base_model"]["warmup"]["steps"] = int(sys.argv[3])
yaml.safe_dump(config, open(sys.argv[2], "w"), sort_keys=False)
PY
    (cd "$run" && snakemake --snakefile "$snakefile" --cores 2 -- results/models/base > snakemake.log 2>&1)
    params=$(cd "$run" && python - <<'PY'
import json
from rlv.pipeline.config import read_yaml
from rlv.pipeline.plan import Plan
# the pool's decoding (rlv.pipeline.plan.study_pool_params), 4 samples per problem
print(json.dumps({**Plan(read_yaml("config/config.yaml")).sample_params("base"), "num_samples": 4,
                  "self_score": False}))
PY
)
    (cd "$run" && rlv sample --model results/models/base --data "$workdir/problems.parquet" --run base \
        --dataset pool --out pool.parquet --threads 2 --params "$params" 2> sample.log)
    python -c "import pandas as pd, sys; d = pd.read_parquet(sys.argv[1]); print('steps', sys.argv[2], 'pass@1',
d['correct'].mean(), len(d))" "$run/pool.parquet" "$steps"
done
