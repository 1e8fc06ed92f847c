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
        (trainer, coef) for trainer in ("grpo", "rloo", "vineppo") for coef in (0, 1)}
    assert all(r["vine_mc_samples"] == 9 for r in runs.values() if r["trainer"] == "vineppo")  # VinePPO's MATH setting
    assert PAPER["datasets"]["train"] == {"source": "math_dir", "path": "data/MATH", "split": "train"}
    sources = {PAPER["datasets"][d]["source"] for d in PAPER["eval"]["datasets"]}
    assert sources == {"jsonl", "math_dir", "gpqa", "aime"} and PAPER["eval"]["num_samples"] >= 128
    long_cot = yaml.safe_load((REPO / "config" / "paper_long_cot.yaml").read_text())
    assert long_cot["base_model"]["pretrained"] == "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    assert "aime24" in long_cot["eval"]["datasets"]


def test_paper_dry_run_plans_every_rule_family(paper_workdir):
    jobs = planned_jobs(snakemake("-n", "--cores", "2", cwd=paper_workdir))
    assert set(jobs) == RULE_FAMILIES
    runs, datasets = len(PAPER["eval"]["runs"]), len(PAPER["eval"]["datasets"])
    expected = {"problems": 1 + datasets, "base_model": 1, "train_rl": len(PAPER["rl"]["runs"]),
                "sample": runs * datasets, "score": runs * datasets, "sweep": datasets, "summary": 1, "all": 1}
    assert {rule: jobs[rule] for rule in expected} == expected


def test_paper_as_configfile_over_the_default_plans_the_same_jobs(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "paper.yaml").write_text(yaml.safe_dump(paper_on_fixtures()))
    output = snakemake("-n", "--cores", "2", "--configfile", "paper.yaml", "-p", cwd=tmp_path)
    assert planned_jobs(output)["train_rl"] == 6 and planned_jobs(output)["sample"] == 28  # 7 models x 4 datasets
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
