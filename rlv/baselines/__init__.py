"""The verifiers RL^V's unified verifier is compared with: a separately trained generative verifier
(separate_verifier.py), scalar verifier heads trained by BCE or regression (verifier_heads.py), and the base RL
model as a prompted judge that writes a verification before its verdict (judge.py)."""
