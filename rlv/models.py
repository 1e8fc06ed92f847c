"""The embedded default's base model: a digit-level tokenizer, a tiny Qwen2 and its supervised warm-up.

Tokenizer: byte-level BPE trained locally with `tokenizers` on the warm-up text, with a pre-tokenizer that
isolates every digit (so numbers are read digit by digit, as in Qwen's tokenizer), ChatML control tokens
(`<|im_start|>`, `<|im_end|>` = end of turn and EOS, `<|endoftext|>` = padding) and a ChatML chat template.
"Yes" and "No" are single tokens, as in the real models, so p("Yes") is one softmax entry.

Model: `Qwen2ForCausalLM` from a small config (hidden 128, 4 layers by default, tied embeddings).

Warm-up (the analogue of pretraining a math model): next-token cross-entropy on the worked solutions of the
training problems and on single-equation Yes/No checks, only on the assistant's tokens, AdamW with linear
warm-up and cosine decay (to 10% of the peak) for a fixed number of steps, on batches drawn uniformly at
random. (Batches of similar length pad less and ran 1.7x faster, but each is a batch of one problem shape,
and with them the loss stalled near 0.65 where uniform batches reached 0.05.) The number of steps sets how
good the base model is (the config aims at 20-50% pass@1).
Everything is saved with `save_pretrained` (safetensors) and reloads with the Auto classes.
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path

import pandas as pd
import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from rlv.tasks.chat import problem_messages
from rlv.verifier import VERIFICATION_QUESTION, stop_ids

CONTROL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ANSWER_TOKENS = ["Yes", "No"]
MIN_LR_RATIO = 0.1  # the cosine decays to this fraction of the peak learning rate
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tokenizer(texts: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Train a digit-splitting byte-level BPE on `texts` and wrap it as a chat tokenizer."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\d"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=CONTROL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token=None, eos_token="<|im_end|>",
                                      pad_token="<|endoftext|>", additional_special_tokens=CONTROL_TOKENS[1:])
    wrapped.add_tokens(ANSWER_TOKENS)
    wrapped.chat_template = CHAT_TEMPLATE
    wrapped.padding_side = "left"
    return wrapped


def build_model(tokenizer, hidden_size: int, num_layers: int, num_heads: int, num_kv_heads: int,
                intermediate_size: int, max_positions: int, seed: int) -> Qwen2ForCausalLM:
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=intermediate_size,
        num_hidden_layers=num_layers, num_attention_heads=num_heads, num_key_value_heads=num_kv_heads,
        max_position_embeddings=max_positions, tie_word_embeddings=True,
        bos_token_id=None, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def warmup_pairs(problems: pd.DataFrame, instruction: str, checks: list[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """(user turn, assistant turn) pairs: every problem with its worked solution, then the equation checks."""
    pairs = [(problem_messages(p, instruction)[0]["content"], s) for p, s in zip(problems["problem"], problems["solution"])]
    return pairs + list(checks)


def encode_pairs(tokenizer, pairs: list[tuple[str, str]]) -> list[tuple[list[int], int]]:
    """(token ids of chat prompt + reply + EOS, number of prompt tokens) per (user, assistant) pair."""
    encoded = []
    for user, reply in pairs:
        prompt = tokenizer.apply_chat_template([{"role": "user", "content": user}], add_generation_prompt=True,
                                               tokenize=False)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        reply_ids = tokenizer(reply, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        encoded.append((prompt_ids + reply_ids, len(prompt_ids)))
    return encoded


def _batch(examples: list[tuple[list[int], int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids, _ in examples)
    input_ids = torch.full((len(examples), width), pad_id)
    attention = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), -100)
    for row, (ids, prompt_len) in enumerate(examples):
        input_ids[row, :len(ids)] = torch.tensor(ids)
        attention[row, :len(ids)] = 1
        labels[row, prompt_len:len(ids)] = torch.tensor(ids[prompt_len:])
    return input_ids, attention, labels


def warm_up(model, examples: list[tuple[list[int], int]], steps: int, batch_size: int, lr: float,
            warmup_steps: int, seed: int, pad_id: int, log=print, on_step=None,
            compute_dtype: torch.dtype = torch.float32) -> list[dict]:
    """Supervised next-token training on the reply tokens, on the model's device (under autocast to
    `compute_dtype` when it is not float32); returns the per-step loss log."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.95))

    def schedule(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, steps - warmup_steps)
        return MIN_LR_RATIO + (1 - MIN_LR_RATIO) * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    model.train()
    history, start = [], time.perf_counter()
    for step in range(steps):
        rows = torch.randint(len(examples), (batch_size,), generator=generator).tolist()
        input_ids, attention, labels = (tensor.to(model.device) for tensor in _batch([examples[r] for r in rows], pad_id))
        with autocast(model.device, compute_dtype):
            loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        history.append({"step": step + 1, "loss": loss.item(), "lr": scheduler.get_last_lr()[0],
                        "seconds": time.perf_counter() - start})
        if on_step is not None:
            on_step(step + 1)
        if (step + 1) % 50 == 0 or step + 1 == steps:
            log(f"warm-up step {step + 1}/{steps} loss {loss.item():.4f} ({time.perf_counter() - start:.0f}s)")
    model.eval()
    return history


def tokenizer_corpus(pairs: list[tuple[str, str]]) -> list[str]:
    """The text the tokenizer is trained on: the warm-up pairs and the verification question."""
    return [f"{user}\n{reply}" for user, reply in pairs] + [f"user\nassistant\n{VERIFICATION_QUESTION}"] * 100


DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")


def resolve_device(device: str = "auto") -> torch.device:
    """`auto`: the first visible CUDA device when there is one, else the CPU."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {list(DEVICES)}, not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: cuda, but no CUDA device is visible (CUDA_VISIBLE_DEVICES, drivers)")
    return torch.device("cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu")


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    """`auto`: bfloat16 on a GPU, float32 on the CPU (where bf16 gains nothing at the tiny model's size)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {list(PRECISIONS)}, not {precision!r}")
    bf16 = precision == "bf16" or (precision == "auto" and device.type == "cuda")
    return torch.bfloat16 if bf16 else torch.float32


def autocast(device: torch.device, dtype: torch.dtype):
    """Mixed precision for training with fp32 weights: autocast to `dtype`, or nothing for float32."""
    return contextlib.nullcontext() if dtype == torch.float32 else torch.autocast(device.type, dtype=dtype)


def load_model(path: str | Path, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"):
    """Model and tokenizer from a local directory, never remote code; the model on `device` in `dtype`, its
    generation config stopping at every stop token of the tokenizer (EOS and the chat template's end of turn,
    rlv.verifier.stop_ids), which TRL's rollouts read."""
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, trust_remote_code=False, use_safetensors=True)
    stops = stop_ids(tokenizer)
    model.generation_config.eos_token_id = stops[0] if len(stops) == 1 else stops
    model.to(device)
    model.eval()
    return model, tokenizer
