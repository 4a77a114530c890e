"""The study's YAML: the packaged presets load, and a misspelt key is an error naming the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models import NETWORKS
from ctdenoise.study.study_config import STUDY_PRESETS, load_study_config

TINY_STUDY = Path(__file__).parent / "tiny-study.yaml"


def test_every_preset_loads_and_names_only_registered_networks() -> None:
    for preset in STUDY_PRESETS:
        networks = load_study_config(preset)["training"]["networks"]
        assert "srresnet" in networks and set(networks) <= set(NETWORKS)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["quantize"].update(n_patchs=3), r"unknown key 'quantize\.n_patchs'"),
        (lambda c: c["data"]["phantom"].update(subjects=3), r"unknown key 'data\.phantom\.subjects'"),
        (lambda c: c.update(sead=1), r"unknown key 'sead'"),
        (lambda c: c["training"]["networks"].update(unet={}), r"training\.networks\.unet: .*unknown architecture"),
        (lambda c: c["training"]["networks"].update(stresnet={"colour": 1}), r"training\.networks\.stresnet: .*colour"),
        (
            lambda c: c["training"]["networks"].pop("srresnet"),
            r"training\.networks must .* include the baseline 'srresnet'",
        ),
    ],
)
def test_unknown_keys_and_networks_are_errors_naming_them_and_the_file(tmp_path: Path, edit, message: str) -> None:
    config = yaml.safe_load(TINY_STUDY.read_text())
    edit(config)
    path = tmp_path / "my-study.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(CtDenoiseError, match=rf"my-study\.yaml: {message}"):
        load_study_config(path)
