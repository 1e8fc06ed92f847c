"""environment.yml (conda) and pyproject.toml (pip) pin the same exact versions, and the venv matches them."""

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][0-9A-Za-z.+!-]*)$")
# pip options allowed in environment.yml besides the pins: the project itself
_ALLOWED_OPTIONS = {"-e ."}


def normalise(name: str) -> str:
    """PEP 503: lowercase, runs of `-`, `_`, `.` become one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(requirements: list[str], source: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = _PIN.fullmatch(requirement.strip())
        assert match, f"{source}: {requirement!r} is not pinned exactly as name==version"
        name = normalise(match.group(1))
        assert name not in pins, f"{source}: {name} is listed twice"
        pins[name] = match.group(2)
    return pins


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def pyproject_pins() -> dict[str, str]:
    project = pyproject()["project"]
    return parse_pins(project["dependencies"] + project["optional-dependencies"]["dev"], "pyproject.toml")


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def environment_pip_list() -> list[str]:
    pip_lists = [entry["pip"] for entry in environment()["dependencies"] if isinstance(entry, dict)]
    assert len(pip_lists) == 1, "environment.yml must have exactly one `pip:` list"
    return [str(entry).strip() for entry in pip_lists[0]]


def environment_pins() -> dict[str, str]:
    return parse_pins([e for e in environment_pip_list() if not e.startswith("-")], "environment.yml")


def test_normalise_follows_pep503():
    assert normalise("Math_Verify") == normalise("math.verify") == normalise("math-verify") == "math-verify"
    assert normalise("PyYAML") == "pyyaml"
    for name in ["Snakemake_Executor.Plugin-SLURM", "a__b", "X.Y"]:
        assert normalise(name) == canonicalize_name(name)


def test_pyproject_pins_every_dependency_exactly():
    project = pyproject()["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        specifiers = list(Requirement(requirement).specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", requirement
    assert "pytest" in pyproject_pins()


def test_environment_yml_shape():
    env = environment()
    assert env["name"] == "rlv"
    assert env["channels"] == ["conda-forge"]
    conda_deps = [entry for entry in env["dependencies"] if not isinstance(entry, dict)]
    assert sorted(conda_deps) == ["pip", "python=3.11"]
    entries = environment_pip_list()
    assert entries[0] == "torch==2.13.0", "torch (CPU 2.13.0) must come first in the pip list"
    options = [e for e in entries if e.startswith("-")]
    assert "-e ." in options, "the project itself must be installed in editable mode"
    assert set(options) <= _ALLOWED_OPTIONS, options
    assert len(options) == len(set(options))


def test_environment_and_pyproject_pin_the_same_versions():
    conda, pip = environment_pins(), pyproject_pins()
    assert sorted(set(pip) - set(conda)) == [], "pinned in pyproject.toml but missing from environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "pinned in environment.yml but missing from pyproject.toml"
    differing = {name: (pip[name], conda[name]) for name in pip if pip[name] != conda[name]}
    assert differing == {}, "pyproject.toml vs environment.yml"
    assert {f"{n}=={v}" for n, v in conda.items()} == {f"{n}=={v}" for n, v in pip.items()}


def test_torch_is_the_cpu_release_2_13_0():
    assert pyproject_pins()["torch"] == environment_pins()["torch"] == "2.13.0"


@pytest.mark.parametrize("name,pinned", sorted(pyproject_pins().items()))
def test_installed_version_matches_pin(name, pinned):
    try:
        installed = version(name)
    except PackageNotFoundError:
        pytest.fail(f"{name}=={pinned} is pinned but not installed; rerun setup.sh")
    # a local label (torch's "+cpu") is a build variant of the same release, as pip's == treats it
    assert SpecifierSet(f"=={pinned}").contains(installed, prereleases=True), f"{name}: installed {installed}, pinned {pinned}"
