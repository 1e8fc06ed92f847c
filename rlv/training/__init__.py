"""One RL run (run.py, with its parameters in params.py): TRL's GRPO and RLOO trainers behind the RL^V mixin that adds
the verification loss on the same rollouts (trainers.py), VinePPO's Monte Carlo step advantages (vineppo.py), and
resumable checkpoints with the rollout store's snapshots (checkpoints.py)."""
