"""YAML files a user writes (rlv/pipeline/config.py): a syntax error names path:line:column."""

import pytest

from rlv.pipeline import ConfigError
from rlv.pipeline.config import main, read_yaml


@pytest.mark.parametrize("text, where, what", [
    ("seed: 0\ntask:\n  levels: [1, 2\n  train_problems: 3\n", ":4:17:",
     "expected ',' or ']', but got ':' (while parsing a flow sequence at line 3, column 11)"),
    ("seed: 0\n\tinstruction: x\n", ":2:1:", "found character '\\t' that cannot start any token"),
    ("a: 1\n b: 2\n", ":2:3:", "mapping values are not allowed here"),
])
def test_a_syntax_error_names_file_line_and_column(tmp_path, text, where, what):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        read_yaml(path)
    assert str(error.value).startswith(f"{path}{where} not valid YAML: ") and what in str(error.value)


def test_the_checker_exits_nonzero_on_a_bad_file_and_reads_a_good_one(tmp_path, capsys):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("seed: 0\n")
    bad.write_text("seed: [0\n")
    assert read_yaml(good) == {"seed": 0} and main([str(good)]) == 0
    assert main([str(good), str(bad)]) == 1 and f"{bad}:2:1: not valid YAML" in capsys.readouterr().err
