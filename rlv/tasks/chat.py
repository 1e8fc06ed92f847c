"""Prompt formatting shared by training, sampling and scoring: a problem is one user turn, optionally
followed by an instruction (the paper-scale config asks Qwen-Math to box its answer; the tiny model needs none),
and `prompt_ids` renders it with the tokenizer's own chat template, opening the assistant's turn."""


def problem_messages(problem: str, instruction: str = "") -> list[dict]:
    content = f"{problem}\n{instruction}" if instruction else problem
    return [{"role": "user", "content": content}]


def prompt_ids(tokenizer, problem: str, instruction: str) -> list[int]:
    text = tokenizer.apply_chat_template(problem_messages(problem, instruction), add_generation_prompt=True,
                                         tokenize=False)
    return tokenizer.encode(text, add_special_tokens=False)
