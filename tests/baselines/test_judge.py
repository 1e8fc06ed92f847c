"""The prompted judge (rlv.baselines.judge) against a hand-built token sequence and a brute-force forward on a tiny model."""

import json

import pandas as pd
import pytest
import torch

from rlv.cli import main
from rlv.baselines.judge import judge_context, judge_solutions
from rlv.rollouts import EVAL_COLUMNS
from rlv.tasks.chat import prompt_ids
from rlv.verifier import VERIFICATION_QUESTION, answer_token_ids, verification_suffix_ids

PROBLEMS = ["Compute $3+4$.", "Compute $12-5$.", "Solve $2x+1=7$ for $x$."]
SOLUTIONS = ["$3+4=7$. The answer is $\\boxed{7}$.", "$12-5=8$. The answer is $\\boxed{8}$.", "$x=3$"]
JUDGE_PROMPT = "Check this solution: put its answer back into the problem."


def encode(tokenizer, text):
    return tokenizer.encode(text, add_special_tokens=False)


def inputs(tokenizer):
    prompts = [prompt_ids(tokenizer, p, "") for p in PROBLEMS]
    completions = [encode(tokenizer, s) + [tokenizer.eos_token_id] for s in SOLUTIONS]
    completions[2] = completions[2][:-1]  # a truncated solution: no EOS to strip
    return prompts, completions


def hand_built(tokenizer, problem, solution, verification_ids):
    """ChatML written out by hand: problem, solution, judge turn, the verification, then the verdict question."""
    context = encode(tokenizer, f"<|im_start|>user\n{problem}<|im_end|>\n<|im_start|>assistant\n{solution}"
                                f"<|im_end|>\n<|im_start|>user\n{JUDGE_PROMPT}<|im_end|>\n<|im_start|>assistant\n")
    question = encode(tokenizer, f"<|im_end|>\n<|im_start|>user\n{VERIFICATION_QUESTION}<|im_end|>\n"
                                 "<|im_start|>assistant\n")
    kept = list(verification_ids)
    while kept and kept[-1] == tokenizer.eos_token_id:
        kept.pop()
    return context, context + kept + question


def test_context_is_the_chat_transcript_up_to_the_judge_turn(tiny):
    _, tokenizer = tiny
    prompts, completions = inputs(tokenizer)
    suffix = verification_suffix_ids(tokenizer, JUDGE_PROMPT)
    drop = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    for prompt, completion, problem, solution in zip(prompts, completions, PROBLEMS, SOLUTIONS):
        assert judge_context(prompt, completion, suffix, drop) == hand_built(tokenizer, problem, solution, [])[0]


def test_greedy_verification_and_p_yes_equal_a_brute_force_over_the_hand_built_sequence(tiny):
    model, tokenizer = tiny
    prompts, completions = inputs(tokenizer)
    yes_id, no_id = answer_token_ids(tokenizer)
    judged = judge_solutions(model, tokenizer, prompts, completions, JUDGE_PROMPT, max_new_tokens=6, temperature=0.0,
                             batch_size=2, seed=0)
    for i, (problem, solution) in enumerate(zip(PROBLEMS, SOLUTIONS)):
        written = judged["verification_ids"][i]
        context, full = hand_built(tokenizer, problem, solution, written)
        # greedy decoding, one unpadded token at a time, until EOS or max_new_tokens
        expected, ids = [], list(context)
        with torch.no_grad():
            while len(expected) < 6 and (not expected or expected[-1] != tokenizer.eos_token_id):
                expected.append(model(torch.tensor([ids])).logits[0, -1].argmax().item())
                ids.append(expected[-1])
            verdict = model(torch.tensor([full])).logits[0, -1].float().softmax(-1)
        assert written == expected
        assert judged["p_yes"][i] == pytest.approx(verdict[yes_id].item(), abs=1e-5)
        assert judged["p_no"][i] == pytest.approx(verdict[no_id].item(), abs=1e-5)
        assert judged["judge_num_tokens"][i] == len(written)
        assert judged["judge_verification"][i] == tokenizer.decode(written, skip_special_tokens=True)


def test_sampled_verifications_are_seeded(tiny):
    model, tokenizer = tiny
    prompts, completions = inputs(tokenizer)

    def run(seed):
        return judge_solutions(model, tokenizer, prompts, completions, JUDGE_PROMPT, max_new_tokens=8,
                               temperature=1.0, batch_size=2, seed=seed)
    first, again, other = run(0), run(0), run(1)
    assert first["verification_ids"] == again["verification_ids"] and first["p_yes"] == again["p_yes"]
    assert first["verification_ids"] != other["verification_ids"]


def test_too_long_an_input_names_the_key(tiny):
    model, tokenizer = tiny
    prompts, completions = inputs(tokenizer)
    with pytest.raises(ValueError, match="judge.max_new_tokens"):
        judge_solutions(model, tokenizer, prompts, completions, JUDGE_PROMPT, max_new_tokens=10_000, temperature=0.0,
                        batch_size=2, seed=0)


def scored_samples(tokenizer):
    _, completions = inputs(tokenizer)
    return pd.DataFrame({"run": "grpo", "dataset": "test", "problem_id": ["a", "b", "c"], "sample": 0,
                         "prompt": PROBLEMS, "completion": SOLUTIONS, "completion_ids": completions, "answer": None,
                         "correct": [True, False, False], "num_tokens": 1, "truncated": False, "seed": 0,
                         "p_yes": 0.5, "p_no": 0.5, "mean_logprob": [-0.1, -0.2, -0.3]})[
                             EVAL_COLUMNS + ["p_yes", "p_no", "mean_logprob"]]


PARAMS = {"prompt": JUDGE_PROMPT, "max_new_tokens": 5, "temperature": 0.0, "batch_size": 2, "seed": 0,
          "instruction": ""}


def test_cli_writes_the_judge_pseudo_run(tiny, tiny_model_dir, tmp_path):
    model, tokenizer = tiny
    samples = scored_samples(tokenizer)
    samples.to_parquet(tmp_path / "scored.parquet")
    out = tmp_path / "judge.parquet"
    main(["judge", "--model", str(tiny_model_dir), "--samples", str(tmp_path / "scored.parquet"), "--out", str(out),
          "--run", "grpo+judge", "--params", json.dumps(PARAMS)])
    frame = pd.read_parquet(out)
    expected = judge_solutions(model, tokenizer, [prompt_ids(tokenizer, p, "") for p in PROBLEMS],
                               list(samples["completion_ids"].map(list)), JUDGE_PROMPT, 5, 0.0, 2, 0)
    assert set(frame["run"]) == {"grpo+judge"} and frame["mean_logprob"].equals(samples["mean_logprob"])
    assert list(frame["p_yes"]) == pytest.approx(expected["p_yes"], abs=1e-6)
    assert list(frame["judge_verification"]) == expected["judge_verification"]
    assert list(frame["judge_num_tokens"]) == expected["judge_num_tokens"]
    kept = [c for c in EVAL_COLUMNS[1:] if c != "completion_ids"]
    assert frame[kept].equals(samples[kept])
    assert [list(ids) for ids in frame["completion_ids"]] == [list(ids) for ids in samples["completion_ids"]]


# the judge's stage has no backend key (it runs on hf only): a backend in its params is an unknown key, named; the
# config key eval.backend with a judge section stops the plan (rlv.pipeline.checks, tests/pipeline/test_checks.py)
@pytest.mark.parametrize("change,key", [({"backend": "vllm"}, r"rlv judge --params: unknown key\(s\) \['backend'\]"),
                                        ({"max_new_tokens": 0}, "judge.max_new_tokens"),
                                        ({"temperature": -1}, "judge.temperature"), ({"prompt": " "}, "judge.prompt")])
def test_cli_bad_params_name_the_key(tiny_model_dir, tmp_path, change, key):
    with pytest.raises(SystemExit, match=key):
        main(["judge", "--model", str(tiny_model_dir), "--samples", str(tmp_path / "none.parquet"), "--out",
              str(tmp_path / "out.parquet"), "--params", json.dumps({**PARAMS, **change})])


def test_figures_carry_the_judge_and_drop_its_copied_log_prob(tmp_path):
    from rlv.analysis.aggregate import sweep, verifier_metrics
    from rlv.figures import FIGURES
    from rlv.figures.parallel_scaling import curve_specs
    from rlv.figures.verifier_quality import scorer_rows
    from helpers import STRATEGIES, scored_samples
    frames = [scored_samples(run, 0.45, seed) for seed, run in enumerate(["grpo", "grpo_v"])]
    frames.append(frames[0].assign(run="grpo+judge", p_yes=frames[0]["p_yes"] ** 2))
    specs = curve_specs("grpo", "grpo_v", {"grpo+judge": "GRPO + judge"}, judge="grpo+judge")
    assert [(s["run"], s["strategy"], s["score"], s["label"]) for s in specs if s["run"] == "grpo+judge"] == [
        ("grpo+judge", "weighted_vote", "p_yes", "GRPO + judge: weighted vote")]
    verifier = pd.DataFrame([{"run": f["run"].iloc[0], "dataset": "test", "score": score, **verifier_metrics(f, score)}
                             for f in frames for score in ("p_yes", "mean_logprob")])
    params = {"dataset": "test", "base_run": "grpo", "verifier_run": "grpo_v", "judge_run": "grpo+judge",
              "labels": {"grpo+judge": "GRPO + judge"}}
    rows = scorer_rows(verifier, "test", params)
    assert [label for run, label in zip(rows["run"], rows["label"]) if run == "grpo+judge"] == [
        "GRPO + judge: p(Yes) (verification first)"]
    curves = pd.concat([sweep(f, [1, 2, 4], STRATEGIES, 10, 20, 0.95, 0).assign(run=f["run"].iloc[0], dataset="test")
                        for f in frames], ignore_index=True)
    FIGURES["parallel_scaling"](curves, str(tmp_path / "parallel_scaling.png"), params)
    FIGURES["verifier_quality"](verifier=verifier, scores=frames, out=str(tmp_path / "verifier_quality.png"),
                                params=params)
    assert (tmp_path / "parallel_scaling.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "verifier_quality.png").read_bytes()[:4] == b"\x89PNG"
