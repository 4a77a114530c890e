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
