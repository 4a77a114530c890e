"""The networks: SRResNet-3D and STResNet (Wei & Hsu, MIDL 2021), their HU normalisation and model files."""

from ctdenoise.models.checkpoint import LoadedModel, load_model_file, save_model_file
from ctdenoise.models.complexity import count_parameters, macs_per_output_voxel
from ctdenoise.models.config import ARCHITECTURES, ModelConfig, build_model
from ctdenoise.models.normalization import HUNormalization
from ctdenoise.models.presets import PRESETS, preset_config
from ctdenoise.models.srresnet3d import SRResNet3D
from ctdenoise.models.stresnet import STResNet

__all__ = [
    "ARCHITECTURES",
    "PRESETS",
    "HUNormalization",
    "LoadedModel",
    "ModelConfig",
    "SRResNet3D",
    "STResNet",
    "build_model",
    "count_parameters",
    "load_model_file",
    "macs_per_output_voxel",
    "preset_config",
    "save_model_file",
]
