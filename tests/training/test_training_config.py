"""Training configs: presets by name, YAML files with relative pairs paths, clear errors for bad settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ctdenoise.errors import CtDenoiseError
from ctdenoise.training import available_presets, load_training_config, model_config


def test_presets_resolve_and_match_their_model_presets() -> None:
    assert {"quick", "paper"} <= set(available_presets())
    paper = model_config(load_training_config("paper"))
    assert (paper.settings["features"], paper.settings["blocks"], paper.settings["head_kernel"], paper.z_scale) == (
        64,
        9,
        5,
        2,
    )
    quick = load_training_config("quick", {"model": {"arch": "srresnet"}, "train": {"precision": "bf16"}})
    assert model_config(quick).arch == "srresnet" and quick["train"]["precision"] == "bf16"


def test_yaml_file_with_relative_pairs(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "mine.yaml"
    path.write_text(yaml.safe_dump({"data": {"pairs": "../pairs.csv"}, "train": {"steps": 5}}))
    config = load_training_config(path)
    assert Path(config["data"]["pairs"]) == (tmp_path / "pairs.csv").resolve()
    assert config["train"]["steps"] == 5 and config["train"]["loss"] == "l1"  # defaults fill the rest


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"train": {"lr_typo": 1}}, "unknown train setting"),
        ({"train": {"precision": "int4"}}, "precision must be one of"),
        ({"model": {"arch": "unet"}}, "unknown architecture"),
        ({"data": {"patch_zyx": [8, 0, 8]}}, "patch_zyx"),
        ({"optimiser": {}}, "unknown section"),
    ],
)
def test_bad_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(CtDenoiseError, match=message):
        load_training_config("quick", settings)


def test_missing_config_and_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(CtDenoiseError, match="no such config file or preset"):
        load_training_config(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("train: [unclosed\n")
    with pytest.raises(CtDenoiseError, match="not valid YAML"):
        load_training_config(broken)


@pytest.mark.parametrize(
    ("section", "key"),
    [("model", "featurs"), ("train", "lr_typo"), ("data", "patch_size"), ("normalization", "scale")],
)
def test_unknown_keys_in_a_yaml_file_are_errors_naming_the_key_and_the_file(
    tmp_path: Path, section: str, key: str
) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump({section: {key: 1}}))
    with pytest.raises(CtDenoiseError, match=rf"typo\.yaml: .*{key}"):
        load_training_config(path)


def test_each_network_takes_its_own_settings() -> None:
    same_grid = load_training_config("quick", {"model": {"arch": "srresnet", "blocks": 2, "z_scale": 1}})
    assert model_config(same_grid).settings["blocks"] == 2 and model_config(same_grid).z_scale == 1
    with pytest.raises(CtDenoiseError, match="temporal_relu.*for srresnet|for srresnet"):
        load_training_config("quick", {"model": {"arch": "srresnet", "colour": 1}})
