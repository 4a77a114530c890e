"""Training configuration: defaults ← YAML preset or file ← overrides, resolved into one plain dict.

The resolved dict is written to ``RUN_DIR/config.yaml`` and into every checkpoint, so a run can be repeated.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models.config import ModelConfig
from ctdenoise.models.normalization import HUNormalization
from ctdenoise.models.presets import DEFAULT_ARCH, preset_config
from ctdenoise.pairs import PAPER_SPLIT_PATIENTS

DEFAULTS: dict[str, Any] = {
    "model": {"preset": "quick"},  # plus arch, z_scale and the network's own settings (features, ...) over the preset
    "normalization": HUNormalization().as_dict(),
    "data": {
        "pairs": None,  # pairs CSV: subject_id,low_dose,full_dose[,split]
        "split_seed": 0,
        "split_proportions": list(PAPER_SPLIT_PATIENTS),  # train/val/test patients
        "patch_zyx": [8, 48, 48],  # on the low-dose (input) grid
        "batch_size": 4,  # global: over all processes together
        "workers": 0,
        "flips": True,
        "val_patches": 8,
        "val_patch_zyx": [16, 96, 96],
    },
    "train": {
        "steps": 300,
        "loss": "l1",  # l1 | l2
        "lr": 1.0e-3,
        "betas": [0.9, 0.999],
        "weight_decay": 0.0,
        "schedule": "cosine",  # cosine | step
        "step_milestones": [0.5, 0.75],  # step schedule: fractions of the run
        "step_gamma": 0.5,
        "warmup_steps": 0,
        "grad_clip": 1.0,  # max gradient L2 norm; 0 = off
        "precision": "fp32",  # fp32 | bf16 | fp16 (fp16 on CUDA only)
        # channels_last_3d memory format. Off by default: on CPU it made SRResNet FP32 3-4x slower (F=16 and 64)
        # while helping STResNet only at small F (docs/models.md); on GPUs with fp16/bf16 it is usually faster.
        "channels_last": False,
        "device": "auto",  # auto | cpu | cuda
        "seed": 0,
        "log_every": 10,
        "val_every": 100,
        "checkpoint_every": 50,
        "tensorboard": True,
    },
}

CHOICES = {
    ("train", "loss"): ("l1", "l2"),
    ("train", "schedule"): ("cosine", "step"),
    ("train", "precision"): ("fp32", "bf16", "fp16"),
    ("train", "device"): ("auto", "cpu", "cuda"),
}


def preset_path(name: str) -> Path:
    """The packaged YAML of a training preset (``quick``, ``paper``)."""
    return Path(str(resources.files("ctdenoise") / "configs" / f"{name}.yaml"))


def available_presets() -> list[str]:
    folder = Path(str(resources.files("ctdenoise") / "configs"))
    return sorted(p.stem for p in folder.glob("*.yaml"))


def _merge(base: dict[str, Any], update: dict[str, Any], where: str) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(merged.get(key), dict):
            if not isinstance(value, dict):
                raise CtDenoiseError(f"{where}: '{key}' must be a section (mapping), got {value!r}")
            merged[key] = _merge(merged[key], value, where)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _check(config: dict[str, Any], where: str) -> None:
    unknown_sections = set(config) - set(DEFAULTS)
    if unknown_sections:
        raise CtDenoiseError(f"{where}: unknown section(s) {sorted(unknown_sections)}; known: {sorted(DEFAULTS)}")
    for section in ("data", "train", "normalization"):
        unknown = set(config[section]) - set(DEFAULTS[section])
        if unknown:
            raise CtDenoiseError(f"{where}: unknown {section} setting(s) {sorted(unknown)}")
    for (section, key), allowed in CHOICES.items():
        if config[section][key] not in allowed:
            raise CtDenoiseError(f"{where}: {section}.{key} must be one of {', '.join(allowed)}")
    for key in ("patch_zyx", "val_patch_zyx"):
        value = config["data"][key]
        if not (isinstance(value, list | tuple) and len(value) == 3 and all(int(v) >= 1 for v in value)):
            raise CtDenoiseError(f"{where}: data.{key} must be three positive sizes (z, y, x), got {value!r}")
    if int(config["train"]["steps"]) < 1 or int(config["data"]["batch_size"]) < 1:
        raise CtDenoiseError(f"{where}: train.steps and data.batch_size must be ≥ 1")
    try:
        model_config(config)  # validates the model section
        HUNormalization.from_dict(config["normalization"])
    except CtDenoiseError as error:
        raise CtDenoiseError(f"{where}: {error}") from None


def model_config(config: dict[str, Any]) -> ModelConfig:
    """The network a resolved training config describes: a named size of a network, with setting overrides.

    Example:
        >>> model_config({"model": {"preset": "quick", "arch": "srresnet", "blocks": 2}}).settings["blocks"]
        2
    """
    section = dict(config["model"])
    arch = section.pop("arch", DEFAULT_ARCH)
    z_scale = int(section.pop("z_scale", ModelConfig.z_scale))
    base = preset_config(section.pop("preset", "quick"), arch, z_scale)
    return ModelConfig(arch, z_scale, {**base.settings, **section})


def load_training_config(
    config: str | Path | dict[str, Any] = "quick", overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Resolve a training config from a preset name, a YAML path or a dict, plus overrides.

    A relative ``data.pairs`` in a YAML file is taken relative to that file's folder.

    Example:
        >>> config = load_training_config("quick", {"data": {"pairs": "/data/pairs.csv"}, "train": {"steps": 50}})
        >>> config["train"]["steps"], config["model"]["preset"]
        (50, 'quick')
    """
    where = "training config"
    if isinstance(config, dict):
        loaded = config
    else:
        path = Path(config)
        if not path.exists() and str(config) in available_presets():
            path = preset_path(str(config))
        elif not path.exists():
            raise CtDenoiseError(f"{config}: no such config file or preset (presets: {', '.join(available_presets())})")
        where = str(path)
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise CtDenoiseError(f"{path}: not valid YAML: {str(error).splitlines()[0]}") from None
        if not isinstance(loaded, dict):
            raise CtDenoiseError(f"{path}: a training config must be a mapping of sections")
        pairs = (loaded.get("data") or {}).get("pairs")
        if pairs and not Path(pairs).is_absolute():
            loaded = _merge(loaded, {"data": {"pairs": str((path.parent / pairs).resolve())}}, where)
    resolved = _merge(DEFAULTS, loaded, where)
    if overrides:
        resolved = _merge(resolved, overrides, where)
    _check(resolved, where)
    return resolved
