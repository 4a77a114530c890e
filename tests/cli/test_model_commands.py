"""``ctdenoise models`` and ``ctdenoise train``: thin commands over the models/training API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ctdenoise.cli.main import app, main
from ctdenoise.models import NETWORKS, SIZES, build_model, count_parameters, preset_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from training_helpers import tiny_config, write_pairs  # noqa: E402


def test_models_table_lists_every_size_of_every_registered_network() -> None:
    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.split("\n\n")[0].splitlines()[1:]]  # the presets table
    assert [(row[0], row[1]) for row in rows] == [(name, arch) for name in SIZES for arch in NETWORKS]
    for row in rows:
        assert int(row[3].replace(",", "")) == count_parameters(build_model(preset_config(row[0], row[1])))
        if row[1] == "srresnet":
            assert row[5] == "1.00×"


def test_train_command_runs_a_yaml_and_refuses_bad_configs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pairs = write_pairs(tmp_path, ["train", "train", "val"])
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(yaml.safe_dump(tiny_config(pairs)))
    result = CliRunner().invoke(
        app, ["train", "--config", str(config_path), "--out", str(tmp_path / "run"), "--steps", "2", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "last checkpoint" in result.stdout and (tmp_path / "run" / "last.pt").is_file()
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--config", str(tmp_path / "absent.yaml"), "--out", str(tmp_path / "run2")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "absent.yaml" in error and "Traceback" not in error and len(error.strip().splitlines()) == 1
