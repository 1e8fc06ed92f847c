"""The pipeline layer: the only part of rlv that knows the workflow config's keys, stage parameters and the
paths under results/.

- `plan.Plan(config)`: the run universe (RL runs, pseudo-runs of the baselines, datasets, comparisons, labels),
  every stage's parameters and every check across keys (`checks`).
- `stages/`: the body of each `rlv <stage>`, one module per rule file, each with typed parameters.
- `nested`: the configs of nested DAGs (design searches, sequential_parallel's own base).
- `manifest`: the figure manifest (paper claim -> figure -> rule -> module -> test).

The library below (tasks, training, inference, baselines, analysis, figures and the shared models, verifier and
rollouts modules) takes tensors, frames and named values, and never imports this package.
"""


class ConfigError(ValueError):
    """A workflow config (or a stage's parameters) that breaks a rule; the message names the key."""
