"""Named network sizes (``registry.SIZES``: tiny for tests, quick for a few CPU minutes, bench, paper) as configs."""

from __future__ import annotations

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models.config import ModelConfig
from ctdenoise.models.registry import SIZES, network_entry

DEFAULT_ARCH = "stresnet"


def preset_config(name: str, arch: str | None = None, z_scale: int = 2) -> ModelConfig:
    """The size ``name`` of network ``arch`` (default STResNet, the paper's network).

    Example:
        >>> preset_config("quick", "srresnet").settings["features"]
        16
    """
    entry = network_entry(arch or DEFAULT_ARCH)
    if name not in SIZES:
        raise CtDenoiseError(f"unknown model preset '{name}'; choose one of {', '.join(SIZES)}")
    return ModelConfig(arch or DEFAULT_ARCH, z_scale, dict(entry.sizes[name]))
