"""``ctdenoise phantom`` end to end on a tiny cohort, and its one-line errors."""

import json

import pytest
from typer.testing import CliRunner

from ctdenoise.cli.main import app, main


def test_phantom_command_writes_a_cohort(tmp_path):
    out = tmp_path / "cohort"
    args = ["phantom", str(out), "--n", "1", "--seed", "3", "--shape", "16,48,48", "--spacing-mm", "1,4,4"]
    result = CliRunner().invoke(app, [*args, "--preview"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["shape_zyx"] == [16, 48, 48]
    assert manifest["spacing_mm"] == [1.0, 4.0, 4.0]
    assert (out / "phantom-000" / "preview.png").is_file()


def test_no_progress_draws_no_bar(tmp_path, capsys):
    args = ["phantom", str(tmp_path / "cohort"), "--n", "1", "--shape", "16,48,48", "--spacing-mm", "1,4,4"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--no-progress"])
    assert exit_info.value.code in (0, None)
    assert "phantom subjects" not in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--shape", "16,48"], ["--spacing-mm", "1,a,4"], ["--format", "jpeg"]])
def test_bad_arguments_are_one_line_errors(tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as exit_info:
        main(["phantom", str(tmp_path / "out"), "--n", "1", *bad])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("ctdenoise: error:") and len(error.strip().splitlines()) == 1
