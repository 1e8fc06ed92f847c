"""Problems and their grading: the synthetic task's families behind one dispatcher (synthetic.py over expression.py
and inverse.py, sharing worked.py), loaders for real benchmarks (loaders.py, jsonl.py, math_dir.py, gpqa.py), all
producing one record (records.py); answer extraction and equivalence (grading.py); a problem as a chat turn and
its prompt ids (chat.py). Imports nothing of rlv outside tasks/."""
