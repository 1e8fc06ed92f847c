"""One module per paper figure; each takes its metrics table and writes a PNG and a PDF beside it."""

from rlv.figures.parallel_scaling import parallel_scaling

FIGURES = {"parallel_scaling": parallel_scaling}
