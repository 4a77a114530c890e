"""The study's YAML presets (``quick``, ``paper``): loading, validating and resolving them.

A preset fully describes a run; ``reproduce`` writes the resolved config next to its outputs so anyone can
repeat it. Every key is checked against ``SCHEMA``: a misspelt key is an error naming it and the file, never a
silent fall-back to a default.
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
# The keys each section may hold (a nested dict: a sub-section; None: a value). ``training.overrides`` is a
# training config (checked by ``ctdenoise.training.load_training_config``), ``training.networks`` maps network
# names to model settings (checked by ``ModelConfig``), ``quantize`` holds ``quantize_model``'s keyword arguments.
SCHEMA: dict[str, Any] = {
    "seed": None,
    "data": {
        "phantom": {"n_subjects": None, "shape_zyx": None, "spacing_mm": None},
        "dose_fraction": None,
        "slice_mm": None,
        "geometry": None,
        "full_dose_photons": None,
        "split": {"train": None, "val": None, "test": None},
    },
    "training": {"preset": None, "mixed_precision": None, "networks": None, "overrides": None},
    "inference": {
        "runtime_fp32": None,
        "runtime_bf16": None,
        "runtime_fp16": None,
        "runtime_int8": None,
        "num_threads": None,
    },
    "quantize": {"n_patches": None, "patch_zyx": None, "n_eval_patches": None, "max_drop_db": None},
    "evaluation": {"window_hu": None, "lpips_net": None},
    "radiomics": {"min_voxels": None, "params": None},
    "benchmark": {"shape_zyx": None, "preset": None, "repetitions": None},
    # Optional: task-based image quality on the low-contrast phantom (``ctdenoise.study.iq_stage``).
    "iq": {"doses": None, "n_realisations": None, "n_bootstrap": None, "image_px": None},
    # Optional: the networks and the built-ins on held-out real scans (``ctdenoise.study.real_scans_stage``).
    "real_scans": {
        "enabled": None,
        "scans": None,
        "n_slices": None,
        "crop_yx": None,
        "simulate_crop_only": None,
        "builtin_precisions": None,
    },
}


def check_keys(values: dict[str, Any], schema: dict[str, Any], source: str, prefix: str = "") -> None:
    """Refuse any key that ``schema`` does not name (recursively), with the dotted key and the file in the message.

    Example:
        >>> check_keys({"seed": 0, "benchmark": {"shape": [4, 8, 8]}}, SCHEMA, "my-study.yaml")
        Traceback (most recent call last):
        ...
        ctdenoise.errors.CtDenoiseError: my-study.yaml: unknown key 'benchmark.shape'; known in 'benchmark': preset, repetitions, shape_zyx
    """
    for key, value in values.items():
        if key not in schema:
            where = f"'{prefix.rstrip('.')}'" if prefix else "the top level"
            raise CtDenoiseError(
                f"{source}: unknown key '{prefix}{key}'; known in {where}: {', '.join(sorted(schema))}"
            )
        if isinstance(schema[key], dict):
            if not isinstance(value, dict):
                raise CtDenoiseError(f"{source}: '{prefix}{key}' must be a section (mapping), got {value!r}")
            check_keys(value, schema[key], source, f"{prefix}{key}.")


def check_training(training: dict[str, Any], source: str) -> None:
    """Every network of the study must exist, take its settings, and resolve to a valid training config."""
    from ctdenoise.study.methods import BASELINE_ARCH
    from ctdenoise.study.training_stage import training_config

    networks = training.get("networks")
    if not isinstance(networks, dict) or BASELINE_ARCH not in networks:
        raise CtDenoiseError(
            f"{source}: training.networks must map network names to their settings and include the baseline "
            f"'{BASELINE_ARCH}', got {networks!r}"
        )
    for arch in networks:
        try:
            training_config(arch, "fp32", None, {"training": training, "seed": 0})
        except CtDenoiseError as error:
            raise CtDenoiseError(f"{source}: training.networks.{arch}: {error}") from None


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
    check_keys(config, SCHEMA, source)
    check_training(config["training"], source)
    return copy.deepcopy(config)
