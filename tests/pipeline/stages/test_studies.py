"""The study stages (rlv/pipeline/stages/studies.py) on files with a tiny model: an arm trains the number of steps
its n and epochs give, on the labels its rule draws, and scores every test sample; n = 0 is the warm-up model's own
verdict, equal to `rlv score`'s; the table reads every arm."""

import math

import pandas as pd
import pytest
import yaml

from helpers import STUDY
from rlv.analysis.aggregate import auroc
from rlv.figures import FIGURES
from rlv.pipeline.stages import parse_params
from rlv.pipeline.stages.evaluate import ScoreParams, score
from rlv.pipeline.stages.studies import ArmParams, StudyTableParams, arm, table
from rlv.rollouts import EVAL_COLUMNS


def rollouts(tokenizer, problems: pd.DataFrame, num_samples: int, run: str, dataset: str) -> pd.DataFrame:
    """Sample k of each problem is its worked solution when k < problem index % num_samples + 1, else a wrong one."""
    rows = []
    for index, problem in enumerate(problems.itertuples(index=False)):
        for sample in range(num_samples):
            right = sample <= index % num_samples
            answer = problem.answer if right else str(int(problem.answer) + 1)
            completion = problem.solution.replace(f"\\boxed{{{problem.answer}}}", f"\\boxed{{{answer}}}")
            ids = tokenizer.encode(completion, add_special_tokens=False) + [tokenizer.eos_token_id]
            rows.append({"run": run, "dataset": dataset, "problem_id": problem.id, "sample": sample,
                         "prompt": problem.problem, "completion": completion, "completion_ids": ids, "answer": answer,
                         "correct": right, "num_tokens": len(ids), "truncated": False, "seed": 0})
    return pd.DataFrame(rows, columns=EVAL_COLUMNS)


@pytest.fixture(scope="module")
def files(tiny_model_dir, problems, tmp_path_factory):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    root = tmp_path_factory.mktemp("study")
    rollouts(tokenizer, problems.iloc[:20], 4, "base", "pool").to_parquet(root / "pool.parquet")
    test = rollouts(tokenizer, problems.iloc[20:26], 4, "grpo", "test").assign(mean_logprob=-0.5)
    test.to_parquet(root / "test.parquet")
    return root


def arm_params(**overrides) -> ArmParams:
    values = {"form": "generative", "labels": "natural", "size": 20, "batch_size": 8, "learning_rate": 1e-3,
              "epochs": 2, "seed": 0, "score_batch_size": 16}
    return parse_params(ArmParams, {**values, **overrides}, "study-arm")


@pytest.mark.parametrize("form, labels", [("generative", "natural"), ("generative", "within"), ("bce", "balanced")])
def test_an_arm_trains_its_steps_and_scores_every_test_sample(tiny_model_dir, files, form, labels):
    out, history = files / f"{form}_{labels}.parquet", files / f"{form}_{labels}.csv"
    arm(base_model=tiny_model_dir, pool=[files / "pool.parquet"], samples=files / "test.parquet", out=out,
        history=history, params=arm_params(form=form, labels=labels))
    scored, steps = pd.read_parquet(out), pd.read_csv(history)
    test = pd.read_parquet(files / "test.parquet")
    assert len(steps) == 5  # ceil(20 x 2 / 8)
    assert steps["pool_share_correct"].iloc[-1] == pytest.approx(test["correct"].mean(), abs=0.2)
    if labels != "natural":
        assert steps["label_mean"].mean() == pytest.approx(0.5)  # every batch of a balanced draw's epoch averages 0.5
    assert len(scored) == len(test) and scored["p_yes"].between(0, 1).all()
    assert (scored["mean_logprob"] == -0.5).all() and scored["problem_id"].equals(test["problem_id"])
    assert (scored["p_yes"] + scored["p_no"] <= 1 + 1e-6).all()


def test_n_zero_is_the_warm_up_models_own_verdict(tiny_model_dir, files):
    arm(base_model=tiny_model_dir, pool=[files / "pool.parquet"], samples=files / "test.parquet",
        out=files / "n0.parquet", history=files / "n0.csv", params=arm_params(size=0))
    score(model=tiny_model_dir, samples=files / "test.parquet", out=files / "scored.parquet", run=None,
          verdict_only=True, params=parse_params(ScoreParams, {"batch_size": 16}, "score"))
    ours, theirs = pd.read_parquet(files / "n0.parquet"), pd.read_parquet(files / "scored.parquet")
    assert ours["p_yes"].to_numpy() == pytest.approx(theirs["p_yes"].to_numpy(), abs=1e-6)


def test_a_draw_the_pool_cannot_supply_names_the_pool(tiny_model_dir, files):
    with pytest.raises(ValueError, match="pool.parquet: natural labels: n = 500 but the pool holds 80"):
        arm(base_model=tiny_model_dir, pool=[files / "pool.parquet"], samples=files / "test.parquet",
            out=files / "x.parquet", history=files / "x.csv", params=arm_params(size=500))
    assert not (files / "x.parquet").exists()


def test_the_table_matches_files_to_arms_by_name_in_the_files_order(tiny_model_dir, files):
    """Families listed out of alphabetical order, files given in another order: each row is its own arm's."""
    study = {**STUDY, "bases": {"default": STUDY["bases"]["default"]},
             "families": {"zeta": {**STUDY["families"]["generative"], "bases": ["default"], "sizes": [20]},
                          "alpha": {**STUDY["families"]["generative"], "bases": ["default"], "sizes": [0]}}}
    (files / "vs.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    arms = files / "default" / "arms"
    arms.mkdir(parents=True, exist_ok=True)
    for name, size in (("zeta_n20", 20), ("alpha_n0", 0)):
        arm(base_model=tiny_model_dir, pool=[files / "pool.parquet"], samples=files / "test.parquet",
            out=arms / f"{name}.parquet", history=arms / f"{name}.csv", params=arm_params(size=size))
    reference = pd.read_parquet(files / "test.parquet").assign(p_yes=0.5, p_no=0.5)
    reference.to_parquet(files / "reference.parquet")
    params = parse_params(StudyTableParams, {"name": "vs", "labels": {"grpo": "GRPO"}, "num_bootstrap": 50},
                          "study-table")
    table(study=files / "vs.yaml", arms=[arms / "alpha_n0.parquet", arms / "zeta_n20.parquet"],
          histories=[arms / "zeta_n20.csv", arms / "alpha_n0.csv"],
          references=[files / "test.parquet", files / "reference.parquet"], out=files / "vs.md",
          rows_out=files / "vs.parquet", params=params)
    rows = pd.read_parquet(files / "vs.parquet")
    joint, rows = rows[rows["kind"] == "joint"], rows[rows["kind"] != "joint"].reset_index(drop=True)
    assert list(rows["label"]) == ["GRPO mean log-prob (reference)", "grpo_v own p(Yes), its own samples (reference)",
                                   "zeta_n20", "alpha_n0"]
    n_max = int(rows["n_max"].iloc[0])  # the paper's comparison at 1, 2, 4, ... samples, after the arms
    assert list(joint["budget"]) == [2 ** k for k in range(n_max.bit_length()) if 2 ** k < n_max] + [n_max]
    assert joint["RL^V majority"].tolist() == pytest.approx(joint["base majority"].tolist())  # the same samples
    assert "| n | GRPO majority | grpo_v majority | grpo_v weighted vote |" in (files / "vs.md").read_text()
    assert list(rows["steps"].iloc[2:]) == [5, 0] and rows["loss"].iloc[2] > 0 and math.isnan(rows["loss"].iloc[3])
    for _, row in rows.iloc[2:].iterrows():  # each row measured on its own arm's verdicts
        own = pd.read_parquet(arms / f"{row['label']}.parquet")
        assert row["AUROC pooled"] == pytest.approx(auroc(own["p_yes"].to_numpy(), own["correct"].to_numpy()))
    assert rows["verdict"].iloc[2:].isin(["chance", "separates", "target", "n/a"]).all()
    assert "| zeta_n20 | 20 | 5 |" in (files / "vs.md").read_text()
    with pytest.raises(SystemExit, match=r"no scored file or history for arm\(s\) \['default/alpha_n0'\]"):
        table(study=files / "vs.yaml", arms=[arms / "zeta_n20.parquet"], histories=[arms / "zeta_n20.csv"],
              references=[files / "test.parquet", files / "reference.parquet"], out=files / "x.md",
              rows_out=files / "x.parquet", params=params)
    partial = parse_params(StudyTableParams, {"name": "vs", "labels": {}, "num_bootstrap": 50, "partial": True},
                           "study-table")
    table(study=files / "vs.yaml", arms=[arms / "zeta_n20.parquet"], histories=[arms / "zeta_n20.csv"],
          references=[files / "test.parquet", files / "reference.parquet"], out=files / "p.md",
          rows_out=files / "p.parquet", params=partial)
    rows = pd.read_parquet(files / "p.parquet")
    assert list(rows["verdict"].iloc[2:4]) == [rows["verdict"].iloc[2], "not run"] and rows["kind"].iloc[3] == "not run"
    assert "| alpha_n0 | 0 | 0 | not run yet |" in (files / "p.md").read_text()
    assert "**Partial**: 1 of 2 arms have not run yet" in (files / "p.md").read_text()
    table(study=files / "vs.yaml", arms=[arms / "zeta_n20.parquet"], histories=[arms / "zeta_n20.csv"],
          references=[files / "none.parquet", files / "none.parquet"], out=files / "q.md", rows_out=files / "q.parquet",
          params=partial)  # a base not built yet: its arms, no reference rows
    assert list(pd.read_parquet(files / "q.parquet")["kind"]) == ["arm", "not run"]
    FIGURES["verification_scaling"](arms=rows, out=str(files / "p.png"), params={})
    assert (files / "p.png").exists()


def test_the_table_holds_each_joint_pair_of_a_base_and_the_own_verdict_of_each_further_rlv_run(tiny_model_dir, files):
    study = {**STUDY, "bases": {"default": {**STUDY["bases"]["default"],
                                            "joint": [{"base_run": "grpo_s1", "verifier_run": "grpo_v_s1"},
                                                      {"base_run": "grpo", "verifier_run": "grpo_v_s1"}]}},
             "families": {"alpha": {**STUDY["families"]["generative"], "bases": ["default"], "sizes": [0]}}}
    (files / "joint.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    arms = files / "joint" / "default" / "arms"
    arms.mkdir(parents=True, exist_ok=True)
    arm(base_model=tiny_model_dir, pool=[files / "pool.parquet"], samples=files / "test.parquet",
        out=arms / "alpha_n0.parquet", history=arms / "alpha_n0.csv", params=arm_params(size=0))
    test = pd.read_parquet(files / "test.parquet")
    runs = {"grpo": test, "grpo_v": test.assign(p_yes=0.5, p_no=0.5),  # the first pair: no gain from a flat verdict
            "grpo_s1": test.assign(correct=False, answer="wrong"),  # its majority vote is never right
            "grpo_v_s1": test.assign(p_yes=test["correct"].astype(float), p_no=1 - test["correct"].astype(float))}
    for run, frame in runs.items():
        frame.to_parquet(files / f"{run}.parquet")
    params = parse_params(StudyTableParams, {"name": "joint", "labels": {"grpo": "GRPO"}, "num_bootstrap": 50},
                          "study-table")
    table(study=files / "joint.yaml", arms=[arms / "alpha_n0.parquet"], histories=[arms / "alpha_n0.csv"],
          references=[files / f"{run}.parquet" for run in runs], out=files / "joint.md",
          rows_out=files / "joint.parquet", params=params)
    rows = pd.read_parquet(files / "joint.parquet")
    assert list(rows[rows["kind"] != "joint"]["label"]) == [
        "GRPO mean log-prob (reference)", "grpo_v own p(Yes), its own samples (reference)",
        "grpo_v_s1 own p(Yes), its own samples", "alpha_n0"]
    assert rows[rows["kind"] == "joint reference"]["AUROC pooled"].iloc[0] == pytest.approx(1.0)
    joint = rows[rows["kind"] == "joint"]
    pairs = list(dict.fromkeys(zip(joint["test label"], joint["joint label"])))
    assert pairs == [("GRPO", "grpo_v"), ("grpo_s1", "grpo_v_s1"), ("GRPO", "grpo_v_s1")]
    mixed = test.groupby("problem_id")["correct"].any().mean()  # the oracle verdict's weighted vote: any right sample
    n_max = int(joint["budget"].max())
    last = {pair: row for pair, row in zip(zip(joint["test label"], joint["joint label"]), joint.to_dict("records"))
            if row["budget"] == n_max}
    assert last["GRPO", "grpo_v"]["difference"] == pytest.approx(0.0, abs=1e-9)  # a flat verdict is the majority
    assert last["grpo_s1", "grpo_v_s1"]["base majority"] == 0.0
    assert last["grpo_s1", "grpo_v_s1"]["RL^V weighted vote"] == pytest.approx(mixed)
    text = (files / "joint.md").read_text()
    assert text.count("The paper's comparison:") == 3 and "| n | grpo_s1 majority | grpo_v_s1 majority |" in text
    with pytest.raises(SystemExit, match=r"4 reference files expected .*'grpo_s1', 'grpo_v_s1'.*got 2"):
        table(study=files / "joint.yaml", arms=[arms / "alpha_n0.parquet"], histories=[arms / "alpha_n0.csv"],
              references=[files / "grpo.parquet", files / "grpo_v.parquet"], out=files / "x.md",
              rows_out=files / "x.parquet", params=params)
