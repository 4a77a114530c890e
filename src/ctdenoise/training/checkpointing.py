"""Training checkpoints (``last.pt``, ``best.pt``): a model file plus everything a bit-exact resume needs.

The file is a ctdenoise model file (``ctdenoise.models.load_model_file`` reads it) with a ``"training"`` entry:
optimizer, LR scheduler, gradient scaler, RNG states, step, best validation PSNR and the resolved config. It
holds only tensors and plain Python values, so it loads with ``weights_only=True``; writes are atomic.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models.checkpoint import model_record, read_record, save_record
from ctdenoise.models.config import ModelConfig
from ctdenoise.models.normalization import HUNormalization

LAST_NAME = "last.pt"
BEST_NAME = "best.pt"


def capture_rng_state() -> dict[str, Any]:
    """Python, NumPy and torch (CPU and CUDA) generator states as plain values and tensors."""
    kind, keys, position, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": [kind, keys.tolist(), int(position), int(has_gauss), float(cached_gaussian)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached_gaussian = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached_gaussian))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_training_checkpoint(
    path: Path,
    model: nn.Module,
    config: ModelConfig,
    normalization: HUNormalization,
    *,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    step: int,
    best_val_psnr_db: float | None,
    resolved_config: dict[str, Any],
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write a resumable checkpoint atomically (a crash mid-write leaves the previous one intact)."""
    record = model_record(model, config, normalization, {"step": step, **(metadata or {})})
    record["training"] = {
        "step": step,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "rng": capture_rng_state(),
        "best_val_psnr_db": best_val_psnr_db,
        "config": resolved_config,
    }
    return save_record(record, path)


def read_training_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint's record; refuses plain model files (they cannot resume training)."""
    record = read_record(path)
    if "training" not in record:
        raise CtDenoiseError(f"{path}: a model file without training state; it cannot be resumed")
    return record
