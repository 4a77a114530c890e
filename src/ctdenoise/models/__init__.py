"""The networks (SRResNet-3D, STResNet), their registry, HU normalisation and model files.

Names are imported on first use (PEP 562 ``__getattr__``): code that needs only ``HUNormalization`` (inference
with OpenVINO or ONNX Runtime) then runs without importing PyTorch, which takes ~1.5 s.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctdenoise.models.checkpoint import LoadedModel, load_model_file, save_model_file
    from ctdenoise.models.complexity import count_parameters, macs_per_output_voxel
    from ctdenoise.models.config import ModelConfig, build_model, network_settings
    from ctdenoise.models.normalization import HUNormalization
    from ctdenoise.models.presets import preset_config
    from ctdenoise.models.registry import NETWORKS, SIZES, NetworkEntry, network_entry
    from ctdenoise.models.srresnet3d import SRResNet3D
    from ctdenoise.models.stresnet import STResNet

# Each public name and the submodule that defines it.
_SUBMODULE = {
    "LoadedModel": "checkpoint",
    "load_model_file": "checkpoint",
    "save_model_file": "checkpoint",
    "count_parameters": "complexity",
    "macs_per_output_voxel": "complexity",
    "ModelConfig": "config",
    "build_model": "config",
    "network_settings": "config",
    "HUNormalization": "normalization",
    "preset_config": "presets",
    "NETWORKS": "registry",
    "SIZES": "registry",
    "NetworkEntry": "registry",
    "network_entry": "registry",
    "SRResNet3D": "srresnet3d",
    "STResNet": "stresnet",
}


def __getattr__(name: str) -> Any:
    if name not in _SUBMODULE:
        raise AttributeError(f"module 'ctdenoise.models' has no attribute {name!r}")
    value = getattr(import_module(f"ctdenoise.models.{_SUBMODULE[name]}"), name)
    globals()[name] = value
    return value


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
