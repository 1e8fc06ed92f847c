"""Which code produced an output, and which outputs a code change touches.

Stage digests. Each rule passes `code=<digest>` among its params: the digest of the source of every rlv module its
`rlv <subcommand>` runs. Those modules are found from the imports: the stage module itself, its module-level
imports and those inside the stage function (stages import the library lazily, inside the function, so a module
holding several stages does not tie them together), then every rlv module those import, transitively, imports
inside functions included. The digest is sha256 over the modules' dotted names and source
bytes (12 hex digits), so it depends on the code alone, not on where it is installed. Snakemake reruns a job whose
params changed: editing a module reruns exactly the jobs of the stages that run it and what depends on their
outputs; editing anything else (tests, docs, another stage's modules) reruns nothing. The rules' own shell commands
are covered by Snakemake's code trigger.

Code version. `code_version()`: the package's version, the digest of all of rlv's source, and the git commit of the
checkout it is imported from when there is one (with "+dirty" when rlv/ has uncommitted changes). Every model
directory records it in provenance.json with its stage's parameters' digest and seed, and results/summary.md says
which code and config wrote it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import subprocess
from pathlib import Path

import rlv

PACKAGE = Path(rlv.__file__).resolve().parent


@functools.cache
def package_modules() -> dict[str, Path]:
    """Dotted name -> source file of every module of the rlv package."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("rlv", *path.relative_to(PACKAGE).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported(tree: ast.AST) -> set[str]:
    """The rlv modules an AST imports (`from rlv.x import y` counts rlv.x.y when that is a module, else rlv.x)."""
    modules, found = package_modules(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rlv":
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found & set(modules)


@functools.cache
def module_imports(module: str) -> frozenset[str]:
    return frozenset(imported(ast.parse(package_modules()[module].read_text())))


def closure(roots: set[str]) -> set[str]:
    """`roots` and every rlv module they import, transitively (with the packages the import system runs too)."""
    seen, todo = set(), list(roots)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        todo += [*module_imports(module), *(p for p in parents if p in package_modules())]
    return seen


def stage_modules(function) -> set[str]:
    """The rlv modules a stage function runs: its module's imports, those in its body, transitively."""
    module = function.__module__
    body = ast.parse(inspect.getsource(function).lstrip())
    tree = ast.parse(package_modules()[module].read_text())
    top = ast.Module(body=[node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))],
                     type_ignores=[])
    # the stage module's own source counts, but only this function's imports are followed (not its siblings')
    return {module} | closure(imported(top) | imported(body) - {module})


def digest_modules(modules: set[str]) -> str:
    sources = package_modules()
    hashed = hashlib.sha256()
    for module in sorted(modules):
        hashed.update(module.encode() + b"\0" + sources[module].read_bytes() + b"\0")
    return hashed.hexdigest()[:12]


@functools.cache
def stage_digest(function) -> str:
    """The digest of the code a stage function runs."""
    return digest_modules(stage_modules(function))


def params_digest(params) -> str:
    """sha256 of a mapping (or dataclass) as sorted JSON, 12 hex digits: a config's or a stage's parameters."""
    if not isinstance(params, dict):
        import dataclasses
        params = dataclasses.asdict(params)
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]


@functools.cache
def code_version() -> dict:
    """rlv's version, the digest of all its source and, in a git checkout, the commit (+dirty)."""
    version = {"rlv": rlv.__version__, "source_digest": digest_modules(set(package_modules()))}
    try:
        run = lambda *args: subprocess.run(["git", "-C", str(PACKAGE), *args], capture_output=True, text=True,  # noqa: E731
                                           timeout=10, check=True).stdout.strip()
        commit = run("rev-parse", "--short=12", "HEAD")
        version["commit"] = commit + ("+dirty" if run("status", "--porcelain", "--", str(PACKAGE)) else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return version


def describe(version: dict) -> str:
    """One line: rlv 0.1.0, commit abc (source digest d)."""
    commit = f"commit {version['commit']}, " if "commit" in version else ""
    return f"rlv {version['rlv']}, {commit}source digest {version['source_digest']}"


def record(directory: str | Path, stage, params, seed: int | None = None) -> None:
    """Write directory/provenance.json: the code version, the stage function, its code's and its parameters'
    digests, the seed."""
    from rlv.rollouts import write_text_atomic
    entry = {**code_version(), "stage": f"{stage.__module__}.{stage.__name__}", "stage_digest": stage_digest(stage),
             "params_digest": params_digest(params)}
    if seed is not None:
        entry["seed"] = seed
    write_text_atomic(json.dumps(entry, indent=2, sort_keys=True) + "\n", Path(directory) / "provenance.json")
