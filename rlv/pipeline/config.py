"""Reading the YAML files a user writes (workflow configs, design searches, `--params` files): a syntax error names
the file, the line and the column (path:line:column, as compilers do), which Snakemake's own "Config file is not
valid JSON or YAML" does not.

`python -m rlv.pipeline.config FILE...` checks files by hand, e.g. a config given with `--configfile` (Snakemake
reads those before the Snakefile runs, so its message is the one a user sees first).
"""

from __future__ import annotations

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
