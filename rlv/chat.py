"""Prompt formatting shared by training, sampling and scoring: a problem is one user turn, optionally
followed by an instruction (the paper-scale config asks Qwen-Math to box its answer; the tiny model needs none)."""


def problem_messages(problem: str, instruction: str = "") -> list[dict]:
    content = f"{problem}\n{instruction}" if instruction else problem
    return [{"role": "user", "content": content}]
