"""config/paper.yaml without GPUs: valid, a dry run plans every rule family for every run and dataset (with the data
paths pointed at fixtures in the real formats), the data stage really runs on those fixtures, and the base model
can be a pretrained checkpoint copied as safetensors."""

import json
import re
import shutil

import pandas as pd
import pytest
import yaml

from conftest import REPO, snakemake
from helpers import FIXTURE_PATHS, RULE_FAMILIES, planned_jobs

PAPER = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())


def paper_on_fixtures() -> dict:
    config = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    assert set(config["datasets"]) == set(FIXTURE_PATHS)
    for name, path in FIXTURE_PATHS.items():
        config["datasets"][name]["path"] = str(path)
    return config


@pytest.fixture(scope="module")
def paper_workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("paper")
    (workdir / "config").mkdir()
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(paper_on_fixtures(), sort_keys=False))
    return workdir


def test_paper_config_covers_the_paper():
    assert PAPER["base_model"]["pretrained"] == "Qwen/Qwen2.5-Math-1.5B"
    runs = PAPER["rl"]["runs"]
    assert {(r["trainer"], r["verify_coef"]) for r in runs.values()} == {
        (trainer, coef) for trainer in ("grpo", "rloo", "loop", "vineppo") for coef in (0, 1)}
    defaults = PAPER["rl"]["defaults"]
    vine = [r for r in runs.values() if r["trainer"] == "vineppo"]
    assert all(r["vine_mc_samples"] == 9 for r in vine)  # VinePPO's MATH setting
    assert all((r["num_iterations"], r["beta"], r["vine_max_steps"]) == (2, 1e-4, 20) for r in vine)  # its epochs, KL
    assert all(r["num_iterations"] == 2 and "beta" not in r for r in runs.values() if r["trainer"] == "loop")
    # every run trains on as many generation batches (optimizer steps / epochs), the two-epoch ones too
    assert {r.get("steps", defaults["steps"]) // r.get("num_iterations", defaults["num_iterations"])
            for r in runs.values()} == {defaults["steps"]}
    assert {r["label"] for r in runs.values() if r["trainer"] == "rloo"} == {"RLOO", "RLOO$^V$"}
    assert PAPER["datasets"]["train"] == {"source": "math_dir", "path": "data/MATH", "split": "train"}
    sources = {PAPER["datasets"][d]["source"] for d in PAPER["eval"]["datasets"]}
    assert sources == {"jsonl", "math_dir", "gpqa", "aime"} and PAPER["eval"]["num_samples"] >= 128
    long_cot = yaml.safe_load((REPO / "config" / "paper_long_cot.yaml").read_text())
    assert long_cot["base_model"]["pretrained"] == "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    assert "aime24" in long_cot["eval"]["datasets"]


def sampled_models() -> int:
    """(model, dataset) pairs the paper config samples: eval.runs on each dataset, or its eval.runs_by_dataset."""
    by_dataset = PAPER["eval"].get("runs_by_dataset") or {}
    return sum(len(by_dataset.get(dataset, PAPER["eval"]["runs"])) for dataset in PAPER["eval"]["datasets"])


def test_paper_dry_run_plans_every_rule_family(paper_workdir):
    jobs = planned_jobs(snakemake("-n", "--cores", "2", cwd=paper_workdir))
    assert set(jobs) == RULE_FAMILIES
    datasets = len(PAPER["eval"]["datasets"])
    expected = {"problems": 1 + datasets, "base_model": 1, "train_rl": len(PAPER["rl"]["runs"]),
                "sample": sampled_models(), "score": sampled_models(), "sweep": datasets, "summary": 1, "all": 1}
    assert {rule: jobs[rule] for rule in expected} == expected


def test_paper_as_configfile_over_the_default_plans_the_same_jobs(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "paper.yaml").write_text(yaml.safe_dump(paper_on_fixtures()))
    output = snakemake("-n", "--cores", "2", "--configfile", "paper.yaml", "-p", cwd=tmp_path)
    # 10 runs (4 methods x lambda 0, 1 and the two easy-to-hard runs); 9 models x 4 datasets + the 2 easy runs on level 5
    assert planned_jobs(output)["train_rl"] == 10 and planned_jobs(output)["sample"] == 38
    assert '"pretrained": "Qwen/Qwen2.5-Math-1.5B"' in output and '"source": "math_dir"' in output


def test_paper_dry_run_requests_gpus(paper_workdir):
    resources = PAPER.get("resources")
    if not resources:
        pytest.skip("config/paper.yaml has no `resources` section yet: no GPU requests to check")
    gpu_rules = {rule for rule, spec in resources.items()
                 if isinstance(spec, dict) and any(spec.get(key) for key in ("gpu", "gpus"))}
    assert gpu_rules, "the resources section of config/paper.yaml gives no rule a GPU"
    output = snakemake("-n", "--cores", "2", cwd=paper_workdir)
    blocks = re.findall(r"^(?:local)?rule (\w+):\n((?:    .*\n)+)", output, flags=re.MULTILINE)
    checked = [(rule, body) for rule, body in blocks if rule in gpu_rules]
    assert checked, f"no planned job of {sorted(gpu_rules)}"
    for rule, body in checked:
        assert re.search(r"resources: .*\bgpus?=[1-9]", body), f"{rule}: no GPU in {body}"


def test_paper_data_stage_runs_on_the_fixtures(paper_workdir):
    targets = [f"results/data/{name}.parquet" for name in FIXTURE_PATHS]
    snakemake("--cores", "2", *targets, cwd=paper_workdir, timeout=300)
    frames = {name: pd.read_parquet(paper_workdir / target) for name, target in zip(FIXTURE_PATHS, targets)}
    assert {name: len(frame) for name, frame in frames.items()} == {
        "train": 4, "math500": 3, "math_level5": 1, "gpqa_physics": 3, "aime24": 2}
    assert set(frames["gpqa_physics"]["answer"]) <= set("ABCD") and set(frames["aime24"]["level"]) == {5}
    assert "Level ?" in (paper_workdir / "results" / "logs" / "problems" / "train.log").read_text()


def test_pretrained_base_model_is_copied_as_safetensors(tiny_model_dir, tmp_path):
    import torch

    from rlv.cli import main
    from rlv.models import load_model
    out = tmp_path / "base"
    main(["base-model", "--data", "unused.parquet", "--out", str(out),
          "--params", json.dumps({"pretrained": str(tiny_model_dir), "seed": 0, "threads": 1})])
    assert (out / "model.safetensors").exists() and not list(out.glob("*.bin"))
    assert json.loads((out / "pretrained.json").read_text()) == {"pretrained": str(tiny_model_dir)}
    copied, tokenizer = load_model(out)
    original, original_tokenizer = load_model(tiny_model_dir)
    assert tokenizer.get_vocab() == original_tokenizer.get_vocab()
    for (name, a), (_, b) in zip(copied.state_dict().items(), original.state_dict().items()):
        assert torch.equal(a, b), name
    with pytest.raises(SystemExit, match=r"config key base_model\.pretrained: cannot load"):
        main(["base-model", "--data", "unused.parquet", "--out", str(tmp_path / "x"),
              "--params", json.dumps({"pretrained": str(tmp_path / "no_model"), "seed": 0, "threads": 1})])


def qwen_like_stand_in(directory, problems: pd.DataFrame) -> None:
    """A tiny randomly initialised Qwen2 saved as a pretrained checkpoint, with a ChatML tokenizer whose EOS and
    padding are <|endoftext|> while its turns end with <|im_end|>, as Qwen2.5-Math's tokenizer has them."""
    from rlv.models import build_model, build_tokenizer, tokenizer_corpus, warmup_pairs
    tokenizer = build_tokenizer(tokenizer_corpus(warmup_pairs(problems, "")), vocab_size=400)
    tokenizer.eos_token = "<|endoftext|>"
    model = build_model(tokenizer, hidden_size=32, num_layers=2, num_heads=2, num_kv_heads=1, intermediate_size=64,
                        max_positions=4096, seed=0)
    model.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)


@pytest.mark.slow
def test_the_paper_dag_runs_end_to_end_on_the_cpu(tmp_path):
    """config/paper.yaml's whole DAG through the summary, with a small override: the Qwen-like stand-in as
    base_model.pretrained, the datasets at fixtures in their published layouts, two training processes (torchrun
    over gloo) with micro-batches and gradient checkpointing, steps and N cut down. Every rule family it plans
    runs; models stop at the end of their turn; the summary measures its generalization claims."""
    from rlv.tasks.loaders import load_problems
    config = paper_on_fixtures()
    stand_in = tmp_path / "stand_in"
    qwen_like_stand_in(stand_in, load_problems({"source": "jsonl", "path": str(FIXTURE_PATHS["math500"])}, "m"))
    config.update(device="cpu", precision="fp32")
    config["base_model"] = {"pretrained": str(stand_in), "threads": 1}
    config["rl"]["threads"], config["rl"]["processes"] = 1, 2
    config["rl"]["defaults"].update(steps=2, prompts_per_step=2, num_generations=2, max_completion_length=16,
                                    checkpoint_every=1, micro_batch_size=1)
    for spec in config["rl"]["runs"].values():
        spec["steps"] = 2  # the two-epoch runs (LOOP, VinePPO) train both epochs on one generation batch
        if spec["trainer"] == "vineppo":
            spec.update(vine_mc_samples=2, vine_max_steps=2)
        if spec.get("train_levels"):
            spec["train_levels"] = [2, 3]  # the train fixture has no level-1 problem
    config["eval"].update(num_samples=4, max_new_tokens=16, batch_size=16, shard_problems=2, score_batch_size=16,
                          threads=1)
    config["resources"] = {"default": {"threads": 1, "mem_mb": 1000, "runtime": 30}}
    config["separate_verifier"].update(steps=2, batch_size=4)
    config["judge"].update(max_new_tokens=8, batch_size=8)
    config["sweep"].update(num_subsets=10, num_bootstrap=20)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    output = snakemake("--cores", "2", cwd=tmp_path, timeout=1500)
    jobs = planned_jobs(output)
    assert set(jobs) == RULE_FAMILIES and jobs["train_rl"] == len(config["rl"]["runs"])
    results = tmp_path / "results"
    im_end = "<|im_end|>"
    for run, spec in config["rl"]["runs"].items():
        rollouts = pd.read_parquet(results / "rollouts" / "train" / f"{run}.parquet")
        generations = 2 // spec.get("num_iterations", 1)  # 2 optimizer steps, one generation batch per epochs
        assert len(rollouts) == generations * 2 * 2 and not rollouts.duplicated(["step", "group", "sample"]).any()
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(results / "models" / "grpo_v")
    stop_ids = {tokenizer.convert_tokens_to_ids(im_end), tokenizer.eos_token_id}
    samples = pd.read_parquet(results / "rollouts" / "scored" / "grpo_v" / "math500.parquet")
    for ids, truncated in zip(samples["completion_ids"], samples["truncated"]):
        ids = list(ids)
        assert not set(ids[:-1]) & stop_ids and truncated == (not ids or ids[-1] not in stop_ids)
    summary = (results / "summary.md").read_text()
    for claim in ("generalizes easy-to-hard (dataset `math_level5`)", "generalizes out of domain (dataset `gpqa_physics`)"):
        assert f"| {claim} |" in summary
    assert (results / "figures" / "generalization.png").exists() and (results / "figures" / "verifier_form.png").exists()
