"""The study's YAML presets (``quick``, ``paper``): loading, validating and resolving them.

A preset fully describes a run; ``reproduce`` writes the resolved config next to its outputs so anyone can
repeat it.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ctdenoise.errors import CtDenoiseError

STUDY_PRESETS = ("quick", "paper")
REQUIRED_SECTIONS = ("seed", "data", "training", "inference", "quantize", "evaluation", "radiomics", "benchmark")


def _preset_text(name: str) -> str:
    return resources.files("ctdenoise").joinpath("configs", f"reproduce-{name}.yaml").read_text()


def load_study_config(preset_or_path: str | Path) -> dict[str, Any]:
    """The study config of a preset name (``quick``/``paper``) or a YAML file path, checked for its sections."""
    if str(preset_or_path) in STUDY_PRESETS:
        source, text = f"preset '{preset_or_path}'", _preset_text(str(preset_or_path))
    else:
        path = Path(preset_or_path)
        if not path.is_file():
            raise CtDenoiseError(
                f"{path}: no such study config; use a preset ({', '.join(STUDY_PRESETS)}) or a YAML file"
            )
        source, text = str(path), path.read_text()
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CtDenoiseError(f"{source}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(config, dict):
        raise CtDenoiseError(f"{source}: a study config must be a mapping of sections")
    missing = [section for section in REQUIRED_SECTIONS if section not in config]
    if missing:
        raise CtDenoiseError(f"{source}: missing section(s) {', '.join(missing)}")
    return copy.deepcopy(config)
