"""Reading the YAML files a user writes (workflow configs, design searches, studies, `--params` files): a syntax error
names the file, the line and the column (path:line:column, as compilers do), which Snakemake's own "Config file is
not valid JSON or YAML" does not. `check_schema` names the file and the key a JSON schema rejects;
`discover_targets` reads a directory of files that are each a target (design searches, studies).

`python -m rlv.pipeline.config FILE...` checks files by hand, e.g. a config given with `--configfile` (Snakemake
reads those before the Snakefile runs, so its message is the one a user sees first).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from rlv.pipeline import ConfigError


def read_yaml(path: str | Path):
    """The file's YAML, or ConfigError naming path:line:column and what the parser expected there."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark, context = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or str(error)
        if context is not None and getattr(error, "context", None):
            problem += f" ({error.context} at line {context.line + 1}, column {context.column + 1})"
        raise ConfigError(f"{where}: not valid YAML: {problem}") from error


TARGET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # a target file's name is its target's name


def check_schema(spec: dict, schema_path: Path, source: str) -> None:
    """ConfigError naming `source` and the key at fault for the first error (by key path) `schema_path` finds."""
    import jsonschema
    schema = yaml.safe_load(Path(schema_path).read_text())
    for error in sorted(jsonschema.Draft202012Validator(schema).iter_errors(spec), key=lambda e: list(e.path)):
        where = ".".join(str(part) for part in error.path)
        raise ConfigError(f"{source}: {where + ': ' if where else ''}{error.message}")


def discover_targets(directory: str | Path, what: str, load) -> dict[str, dict]:
    """Name -> `load(path)` for every `{directory}/{name}.yaml` (none without the directory); `what` names the kind
    of file in the error for a name that cannot be a target's."""
    found = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        if not TARGET_NAME.match(path.stem):
            raise ConfigError(f"{path}: {what}'s file name is its target's name: letters, digits and underscores, "
                              "starting with a letter")
        found[path.stem] = load(path)
    return found


def main(paths: list[str]) -> int:
    failed = 0
    for path in paths:
        try:
            read_yaml(path)
        except (ConfigError, OSError) as error:
            print(error, file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
