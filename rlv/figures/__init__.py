"""One module per paper figure. Each takes its tables as keyword arguments (`sweep`, `efficiency`, `metrics`,
`verifier`, `scores`, `sweeps`, `arms` (a search's or a study's rows), `budget_strategies`, `ratios`, `adaptive`; none
for the overview), `out` (the PNG path; a PDF is written beside it) and `params`."""

from rlv.figures.adaptive_length import adaptive_length
from rlv.figures.generalization import generalization
from rlv.figures.lambda_sweep import lambda_sweep
from rlv.figures.overview import overview
from rlv.figures.parallel_scaling import parallel_scaling
from rlv.figures.rl_methods import rl_methods
from rlv.figures.sequential_parallel import sequential_parallel
from rlv.figures.strategies import strategies
from rlv.figures.training_dynamics import training_dynamics
from rlv.figures.verifier_form import verifier_form
from rlv.figures.verifier_quality import verifier_quality
from rlv.figures.verification_scaling import verification_scaling

FIGURES = {"parallel_scaling": parallel_scaling, "training_dynamics": training_dynamics, "overview": overview,
           "strategies": strategies, "verifier_quality": verifier_quality, "generalization": generalization}
FIGURES["verifier_form"] = verifier_form
FIGURES["lambda_sweep"] = lambda_sweep  # built by its own target (workflow/rules/experiments.smk)
FIGURES["rl_methods"] = rl_methods  # built by its own target (workflow/rules/experiments.smk)
FIGURES["sequential_parallel"] = sequential_parallel  # built by target sequential_parallel (workflow/rules/sequential.smk)
FIGURES["adaptive_length"] = adaptive_length  # the same target
FIGURES["verification_scaling"] = verification_scaling  # built by each study's target (workflow/rules/studies.smk)
