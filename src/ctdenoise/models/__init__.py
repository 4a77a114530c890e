"""The networks (SRResNet-3D, STResNet), their registry, HU normalisation and model files."""

from ctdenoise.models.checkpoint import LoadedModel, load_model_file, save_model_file
from ctdenoise.models.complexity import count_parameters, macs_per_output_voxel
from ctdenoise.models.config import ModelConfig, build_model, network_settings
from ctdenoise.models.normalization import HUNormalization
from ctdenoise.models.presets import preset_config
from ctdenoise.models.registry import NETWORKS, SIZES, NetworkEntry, network_entry
from ctdenoise.models.srresnet3d import SRResNet3D
from ctdenoise.models.stresnet import STResNet

__all__ = [
    "NETWORKS",
    "SIZES",
    "HUNormalization",
    "LoadedModel",
    "ModelConfig",
    "NetworkEntry",
    "SRResNet3D",
    "STResNet",
    "build_model",
    "count_parameters",
    "load_model_file",
    "macs_per_output_voxel",
    "network_entry",
    "network_settings",
    "preset_config",
    "save_model_file",
]
