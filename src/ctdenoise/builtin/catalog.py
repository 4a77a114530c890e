"""The built-in models that ship inside the package, and how a ``--model`` argument resolves to one.

Each built-in is a folder ``ctdenoise/builtin/models/<name>/`` holding a deployed-model folder (``model.json``,
OpenVINO FP32 and NNCF INT8 IR; see ``ctdenoise.inference.model_folder``), the FP32 PyTorch weights
``model.pt`` and ``card.json`` (how it was trained and what it measured on held-out real scans). The model cards
for people are in ``docs/builtin-models.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ctdenoise.errors import CtDenoiseError

BUILTIN_MODELS_DIR = Path(__file__).resolve().parent / "models"
#: Every built-in, in the order ``ctdenoise models`` lists them; the name says the network and its z scale.
BUILTIN_NAMES = ("stresnet-x1", "stresnet-x2", "srresnet-x1", "srresnet-x2")
#: What ``ctdenoise denoise`` uses without ``--model``: STResNet, z×1 unless ``--z-scale 2``.
DEFAULT_BUILTIN = {1: "stresnet-x1", 2: "stresnet-x2"}


def builtin_names() -> list[str]:
    """The built-ins installed with this package (those of :data:`BUILTIN_NAMES` whose folder is present)."""
    return [name for name in BUILTIN_NAMES if (BUILTIN_MODELS_DIR / name / "model.json").is_file()]


def builtin_folder(name: str) -> Path:
    """The folder of built-in ``name``; a clear error lists the built-ins when there is none of that name."""
    if name not in builtin_names():
        raise CtDenoiseError(f"no built-in model named '{name}'; built-ins: {', '.join(builtin_names()) or 'none'}")
    return BUILTIN_MODELS_DIR / name


def builtin_card(name: str) -> dict[str, Any]:
    """The built-in's ``card.json`` (training, INT8 accuracy, held-out scores)."""
    return json.loads((builtin_folder(name) / "card.json").read_text())


def resolve_model(
    model: str | Path | None, z_scale: int | None = None, runtime: str | None = None
) -> tuple[Any, str | None]:
    """What a ``--model`` argument means: ``(model for load_inference_model, built-in name or None)``.

    Args:
        model: None (the default built-in for ``z_scale``), a built-in's name, or a path (used as it is; an
            existing file or folder always wins over a built-in of the same name).
        z_scale: 1 or 2, to pick the default built-in; None means 1.
        runtime: PyTorch runs a built-in from its ``model.pt``; the other runtimes from its model folder.

    Raises:
        CtDenoiseError: ``z_scale`` is not 1 or 2, or the name is no built-in and no path.
    """
    if z_scale not in (None, 1, 2):
        raise CtDenoiseError(f"--z-scale must be 1 or 2, got {z_scale}")
    if model is None:
        name = DEFAULT_BUILTIN[z_scale or 1]
    elif not isinstance(model, str) or Path(model).exists():
        return model, None
    elif model not in BUILTIN_NAMES:
        raise CtDenoiseError(
            f"{model}: no such model file or folder, and no built-in of that name (built-ins: "
            f"{', '.join(builtin_names())}; see `ctdenoise models`)"
        )
    else:
        name = model
    folder = builtin_folder(name)
    return (folder / "model.pt" if runtime == "torch" else folder), name


def builtin_summary(name: str) -> dict[str, Any]:
    """One row of ``ctdenoise models``: size on disk, parameters, MACs per output voxel and the held-out quality
    (mean over held-out real scans of the INT8 model's body PSNR gain over the low-dose input and over the best
    Gaussian filter, dB; None before ``scripts/build_builtin_models.py evaluate`` has run)."""
    from ctdenoise.builtin.evaluation import gains_db
    from ctdenoise.builtin.training_data import HELD_OUT_SCANS
    from ctdenoise.models import ModelConfig, build_model, count_parameters, macs_per_output_voxel

    folder, card = builtin_folder(name), builtin_card(name)
    config = ModelConfig.from_dict(card["model"])
    gains_input, gains_gaussian = [], []
    for key, case in card.get("held_out", {}).items():
        real_scan = key.rsplit("-x", 1)[0] in HELD_OUT_SCANS  # not the phantom test split
        if real_scan and f"{name}-int8" in case:
            over_input, over_gaussian = gains_db(case, f"{name}-int8")
            gains_input.append(over_input)
            gains_gaussian.append(over_gaussian)
    return {
        "name": name,
        "arch": config.arch,
        "z_scale": config.z_scale,
        "parameters": count_parameters(build_model(config)),
        "macs_per_voxel": macs_per_output_voxel(config),
        "size_mb": sum(path.stat().st_size for path in folder.iterdir()) / 1e6,
        "gain_over_input_db": sum(gains_input) / len(gains_input) if gains_input else None,
        "gain_over_gaussian_db": sum(gains_gaussian) / len(gains_gaussian) if gains_gaussian else None,
    }
