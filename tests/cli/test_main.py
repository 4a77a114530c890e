import subprocess
import sys

from typer.testing import CliRunner

from ctdenoise import __version__
from ctdenoise.cli.main import app


def test_version_command_prints_package_version():
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == __version__


def test_python_dash_m_runs_the_cli():
    completed = subprocess.run(
        [sys.executable, "-m", "ctdenoise", "--help"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert "ctdenoise" in completed.stdout


def test_usage_errors_end_in_one_line_naming_the_option(capsys, tmp_path):
    import pytest

    from ctdenoise.cli.main import main

    for argv, expected in (
        (["simulate", str(tmp_path / "in.nii.gz"), str(tmp_path / "out.nii.gz"), "--dose", "abc"], "'--dose'"),
        (["denoise", "--no-such-option", "a", "b"], "--no-such-option"),
        (["simulate", str(tmp_path / "in.nii.gz")], "'OUT'"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("ctdenoise: error: ctdenoise "), err
        assert expected in err and "--help" in err
    assert not (tmp_path / "out.nii.gz").exists()


def test_option_without_its_value_names_the_subcommand(capsys):
    """Click raises "requires an argument" without a context; the line still names `ctdenoise denoise`."""
    import pytest

    from ctdenoise.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["denoise", "in.nii.gz", "out.nii.gz", "--model"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("ctdenoise: error: ctdenoise denoise: Option '--model' requires an argument"), err
    assert "(see 'ctdenoise denoise --help')" in err and err.count("\n") == 1


def test_help_and_commands_keep_their_exit_codes():
    for argv, code in ((["--help"], 0), (["version"], 0), ([], 2)):
        completed = subprocess.run([sys.executable, "-m", "ctdenoise", *argv], capture_output=True, text=True)
        assert completed.returncode == code, (argv, completed.stderr)
        assert "Traceback" not in completed.stderr
