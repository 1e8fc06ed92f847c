"""Tables from the pipeline's outputs, frames in and frames out: the test-time estimators and their bootstrap CIs
(aggregate.py), iso-accuracy compute ratios (efficiency.py), the paper's claims with verdicts (claims.py), the
summary (summary.py), the per-method comparison (method_comparison.py), sequential scaling and adaptive length
(sequential.py), and the design searches' tables (designs.py)."""
