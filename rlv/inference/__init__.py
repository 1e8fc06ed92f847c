"""Test-time generation: the project's decoder that samples and self-scores in one pass (decoding.py), N graded
solutions per problem in resumable shards (sampling.py), budget forcing for sequential scaling (budget.py), and the
generation backends, hf in process or a vLLM engine in its own environment (backends.py, vllm_engine.py,
vllm_worker.py)."""
