"""The house plan holds: bindings -> pipeline -> library by concern -> shared ground, read from the code's imports.

- no `raise` in a .smk file (the checks live in rlv/pipeline/checks.py, where they are unit-tested);
- nothing in the library imports rlv.pipeline, and each floor imports only the floors it may (LAYERS);
- no import cycle among rlv's modules, counting imports inside functions;
- no module imports another module's private (underscore) names.
"""

import ast
import functools
import re
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "rlv"
SHARED = {"rlv.models", "rlv.verifier", "rlv.rollouts"}
# floor -> the floors its modules may import (a floor is a subpackage of rlv, "shared" or "cli")
LAYERS = {
    "tasks": {"tasks"},
    "shared": {"shared", "tasks"},
    "inference": {"inference", "shared", "tasks"},
    "training": {"training", "inference", "shared", "tasks"},
    "baselines": {"baselines", "inference", "shared", "tasks"},
    "analysis": {"analysis", "shared"},
    "figures": {"figures", "analysis", "shared"},
    "pipeline": {"pipeline", "figures", "analysis", "baselines", "training", "inference", "shared", "tasks", "rlv"},
    "cli": {"pipeline"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def floor(module: str) -> str:
    """`shared`, `cli`, a subpackage's name, or `rlv` for the package itself."""
    if module in SHARED:
        return "shared"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "rlv"


def imports(module: str) -> list[tuple[str, list[str]]]:
    """(imported rlv module, names taken from it) for every import statement of `module`, functions included."""
    tree = ast.parse(MODULES[module].read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "rlv"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rlv":
            for alias in node.names:  # `from rlv.tasks import expression` imports a module
                submodule = f"{node.module}.{alias.name}"
                found.append((submodule, []) if submodule in MODULES else (node.module, [alias.name]))
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    return {module: {target for target, _ in imports(module) if target != module} for module in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_raise_in_a_smk_file():
    rules = sorted((REPO / "workflow").rglob("*.smk")) + [REPO / "Snakefile"]
    raising = [f"{path.relative_to(REPO)}:{number}" for path in rules
               for number, line in enumerate(path.read_text().splitlines(), 1) if re.match(r"\s*raise\b", line)]
    assert raising == []


def test_the_library_never_imports_the_pipeline():
    library = [m for m in MODULES if floor(m) not in ("pipeline", "cli")]
    offenders = {m: sorted(t for t in graph()[m] if t.startswith("rlv.pipeline")) for m in library}
    assert {m: t for m, t in offenders.items() if t} == {}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_floor_imports_only_the_floors_below_it(module):
    if floor(module) == "rlv":  # the package's own __init__
        return
    allowed = LAYERS[floor(module)]
    assert {t: floor(t) for t in graph()[module] if floor(t) not in allowed} == {}


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_another_modules_private_names():
    private = [(module, target, name) for module in MODULES for target, names in imports(module) for name in names
               if name.startswith("_") and target != module]
    assert private == []


def test_the_readme_file_tree_lists_every_module():
    tree = (REPO / "README.md").read_text().split("## File tree", 1)[1]
    listed = set(re.findall(r"^    (rlv/\S+\.py)\b", tree, re.M))
    assert {str(path.relative_to(REPO)) for path in MODULES.values() if path.name != "__init__.py"
            or path.parent.name in ("stages", "figures")} - listed == set()
