"""Self-describing model files: weights + ``ModelConfig`` + ``HUNormalization`` + metadata, loaded weights-only.

One file format serves both the exported model (``save_model_file``) and the training checkpoints
(``last.pt`` / ``best.pt``, which add optimizer, scheduler and RNG state under ``"training"``), so
``load_model_file`` works on either. Files are read with ``torch.load(weights_only=True)``: a model file from
someone else can never run code on this machine.
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.atomic import atomic_path
from ctdenoise.models.config import ModelConfig, build_model
from ctdenoise.models.normalization import HUNormalization

FORMAT_NAME = "ctdenoise-model"
FORMAT_VERSION = 1


@dataclass
class LoadedModel:
    """A network ready for inference (eval mode, float32, CPU) with what it needs to be fed.

    Args:
        model: the network.
        config: its architecture.
        normalization: how HU map to network values and back.
        metadata: free-form information saved with it (training step, data, precision, ...).
    """

    model: nn.Module
    config: ModelConfig
    normalization: HUNormalization
    metadata: dict[str, Any] = field(default_factory=dict)


def unwrap_model(model: nn.Module) -> nn.Module:
    """The plain network inside a DistributedDataParallel or ``torch.compile`` wrapper."""
    while True:
        if hasattr(model, "module") and isinstance(model.module, nn.Module):
            model = model.module
        elif hasattr(model, "_orig_mod") and isinstance(model._orig_mod, nn.Module):
            model = model._orig_mod
        else:
            return model


def model_record(
    model: nn.Module, config: ModelConfig, normalization: HUNormalization, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The dict a model file holds (CPU float32 weights, plain-Python config and metadata)."""
    state = {
        name: tensor.detach().to("cpu", torch.float32) for name, tensor in unwrap_model(model).state_dict().items()
    }
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "model_config": config.as_dict(),
        "normalization": normalization.as_dict(),
        "state_dict": state,
        "metadata": dict(extra or {}),
    }


def save_record(record: dict[str, Any], path: Path | str) -> Path:
    """Write a record atomically (a crash leaves the previous file intact, never half a file)."""
    path = Path(path)
    with atomic_path(path) as temporary:
        torch.save(record, temporary)
    return path


def save_model_file(
    path: Path | str,
    model: nn.Module,
    config: ModelConfig,
    normalization: HUNormalization,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Save a self-describing model file (atomic; ``extra`` must hold plain Python values and tensors).

    Example:
        >>> from ctdenoise.models import build_model, preset_config
        >>> config = preset_config("tiny")
        >>> save_model_file(tmp / "tiny.pt", build_model(config), config, HUNormalization(), {"note": "demo"})  # doctest: +SKIP
    """
    return save_record(model_record(model, config, normalization, extra), path)


def read_record(path: Path | str) -> dict[str, Any]:
    """Load a model file or training checkpoint weights-only; any problem becomes a one-line ``CtDenoiseError``."""
    path = Path(path)
    if not path.exists():
        raise CtDenoiseError(f"{path}: no such model file")
    if path.is_dir():
        raise CtDenoiseError(f"{path}: is a folder, not a model file (.pt)")
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CtDenoiseError(
            f"{path}: refused: the file holds pickled Python objects that a safe (weights-only) load does not "
            "allow; only ctdenoise model files and training checkpoints can be loaded"
        ) from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CtDenoiseError(f"{path}: not a readable PyTorch file (corrupt or truncated?): {first_line}") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT_NAME:
        raise CtDenoiseError(f"{path}: not a ctdenoise model file (no '{FORMAT_NAME}' header)")
    if record.get("format_version") != FORMAT_VERSION:
        raise CtDenoiseError(
            f"{path}: model file format version {record.get('format_version')} is not supported "
            f"(this ctdenoise reads version {FORMAT_VERSION})"
        )
    return record


def _without_legacy_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Files written before the network registry stored STResNet's ``temporal_relu`` for SRResNet too (where it
    did nothing); drop it there so those files still load."""
    if values.get("arch") == "srresnet":
        return {key: value for key, value in values.items() if key != "temporal_relu"}
    return values


def load_model_file(path: Path | str) -> LoadedModel:
    """Rebuild the network a model file or a training checkpoint (``last.pt``/``best.pt``) describes.

    Raises:
        CtDenoiseError: missing, corrupt or pickled file, or weights that do not fit the stored architecture.
    """
    path = Path(path)
    record = read_record(path)
    try:
        config = ModelConfig.from_dict(_without_legacy_settings(record["model_config"]))
    except (KeyError, TypeError) as error:
        raise CtDenoiseError(f"{path}: model file has no valid architecture record: {error}") from None
    except CtDenoiseError as error:
        raise CtDenoiseError(f"{path}: {error}") from None
    normalization = HUNormalization.from_dict(record.get("normalization", {}))
    model = build_model(config)
    try:
        model.load_state_dict(record["state_dict"], strict=True)
    except (KeyError, RuntimeError) as error:
        detail = str(error).strip().splitlines()[0]
        raise CtDenoiseError(
            f"{path}: weights do not match the stored architecture ({config.as_dict()}): {detail}"
        ) from None
    metadata = dict(record.get("metadata", {}))
    if "training" in record:
        metadata.setdefault("training_step", int(record["training"].get("step", 0)))
    return LoadedModel(model=model.eval(), config=config, normalization=normalization, metadata=metadata)
