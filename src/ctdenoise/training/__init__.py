"""Training: pairs manifest → random 3D patches → Adam/L1 with mixed precision, DDP and bit-exact resume."""

from ctdenoise.pairs import PairRecord, assign_splits, read_pairs_manifest
from ctdenoise.training.config import DEFAULTS, available_presets, load_training_config, model_config
from ctdenoise.training.loop import TrainResult, train

__all__ = [
    "DEFAULTS",
    "PairRecord",
    "TrainResult",
    "assign_splits",
    "available_presets",
    "load_training_config",
    "model_config",
    "read_pairs_manifest",
    "train",
]
