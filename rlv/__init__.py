"""rlv: RL^V (reasoners unified with generative verifiers) as one reproducible pipeline.

Floors, from the top: the bindings (the Snakefile and workflow/rules/*.smk, and cli.py) call the pipeline
(rlv.pipeline: the only package that knows config keys, stage parameters and results/ paths), which calls the
library grouped by concern (tasks, training, inference, baselines, analysis, figures) over the shared ground
(models.py, verifier.py, rollouts.py). Data flows one way through files (Parquet, safetensors checkpoints):
problems -> base model -> RL runs and their rollouts -> sampled and scored solutions -> tables -> figures.
"""

__version__ = "0.1.0"
