"""Budget forcing (rlv/inference/budget.py): the forced-answer layout against a hand-built sequence, the budgets
sharing one reasoning and forcing only unfinished samples, and their rows scored as `rlv score` scores them."""

import pytest

from rlv.inference.budget import (finished_within, forced_completion, forced_input, phrase_for, phrase_ids,
                                  sample_under_budgets)
from rlv.tasks.synthetic import generate
from rlv.tasks.worked import FINAL_PHRASE


def test_forced_answer_layout_matches_a_hand_built_sequence(tiny):
    _, tokenizer = tiny
    solution = generate("train", 1, [3], seed=0, family="inverse", verbose=True)["solution"].iloc[0]
    reasoning_text, answer_text = solution.split(f" {FINAL_PHRASE}")
    prompt = [7, 8, 9]
    reasoning = tokenizer.encode(reasoning_text + " more reasoning", add_special_tokens=False)
    budget = len(tokenizer.encode(reasoning_text, add_special_tokens=False))
    phrase = phrase_ids(tokenizer, FINAL_PHRASE)
    # what the warm-up saw: the solution's own tokens up to and including the phrase
    hand_built = tokenizer.encode(f"{reasoning_text} {FINAL_PHRASE}", add_special_tokens=False)
    assert forced_input(prompt, reasoning, budget, phrase) == prompt + hand_built
    answer = tokenizer.encode(answer_text, add_special_tokens=False) + [tokenizer.eos_token_id]
    assert tokenizer.decode(forced_completion(reasoning, budget, phrase, answer), skip_special_tokens=True) == solution
    eos = tokenizer.eos_token_id
    assert finished_within([1, 2, eos], 3, eos) and not finished_within([1, 2, eos], 2, eos)
    assert not finished_within([1, 2, 3], 3, eos) and not finished_within([], 3, eos)


class _Chars:
    """One token per character: encode and decode are each other's inverse."""

    def encode(self, text, add_special_tokens=False):
        return [ord(c) for c in text]

    def decode(self, ids, skip_special_tokens=False):
        return "".join(map(chr, ids))


def test_a_closed_reasoning_block_is_not_closed_again():
    chars, phrase = _Chars(), "\n</think>\n\nThe final answer is"
    still_thinking = chars.encode("Let me add 2 and 3")
    assert chars.decode(phrase_for(chars, still_thinking, phrase)) == phrase
    closed = chars.encode("2 + 3 = 5.\n</think>\n\nSo the sum")
    assert chars.decode(phrase_for(chars, closed, phrase)) == "\n\nThe final answer is"
    assert phrase_for(chars, chars.encode("done </think>"), "\n</think>") == []
    # a phrase without a closing tag is the plain phrase, one space before it
    assert chars.decode(phrase_for(chars, closed, "The final answer is")) == " The final answer is"


@pytest.fixture(scope="module")
def budget_rows(tiny_model_dir, problems):
    from rlv.models import load_model
    model, tokenizer = load_model(tiny_model_dir)
    rows = sample_under_budgets(model, tokenizer, problems.head(3), [4, 8, 16], 3, 1.0, 5, FINAL_PHRASE, 4, seed=0,
                                run="r", dataset="d")
    return rows, model, tokenizer


def test_budgets_continue_one_reasoning_and_force_only_unfinished_samples(budget_rows):
    rows, _, tokenizer = budget_rows
    eos, phrase = tokenizer.eos_token_id, phrase_ids(tokenizer, FINAL_PHRASE)
    assert len(rows) == 3 * 3 * 3 and set(rows["budget"]) == {4, 8, 16} and rows["forced"].any()
    for (_, sample), group in rows.groupby(["problem_id", "sample"]):
        longest = group[group["budget"] == 16].iloc[0]
        reasoning = list(longest["completion_ids"])[:longest["reasoning_tokens"]]
        for row in group.itertuples(index=False):
            ids = list(row.completion_ids)
            assert row.num_tokens == len(ids) == row.reasoning_tokens + row.forced_tokens
            if row.forced:
                assert ids[:row.budget] == reasoning[:row.budget] and row.reasoning_tokens == row.budget
                assert ids[row.budget:row.budget + len(phrase)] == phrase
                assert len(phrase) <= row.forced_tokens <= len(phrase) + 5
            else:
                assert ids == reasoning and len(ids) <= row.budget and ids[-1] == eos and row.forced_tokens == 0
    assert rows["p_yes"].between(0, 1).all() and (rows["mean_logprob"] <= 0).all()


def test_budget_rows_are_scored_as_rlv_score_scores_them(budget_rows):
    from rlv.tasks.chat import prompt_ids
    from rlv.verifier import answer_token_ids, score_solutions, verification_suffix_ids
    rows, model, tokenizer = budget_rows
    row = rows.iloc[5]
    yes, no = answer_token_ids(tokenizer)
    alone = score_solutions(model, [prompt_ids(tokenizer, row["prompt"], "")], [list(row["completion_ids"])],
                            verification_suffix_ids(tokenizer), yes, no, {tokenizer.eos_token_id, tokenizer.pad_token_id},
                            tokenizer.pad_token_id)
    assert alone["p_yes"][0] == pytest.approx(row["p_yes"], abs=1e-5)
    assert alone["mean_logprob"][0] == pytest.approx(row["mean_logprob"], abs=1e-5)
