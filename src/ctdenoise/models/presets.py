"""Named network sizes: ``tiny`` for tests, ``quick`` for a few CPU minutes, ``bench`` and ``paper`` (F=64)."""

from __future__ import annotations

from dataclasses import replace

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models.config import ModelConfig

PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(arch="stresnet", features=4, blocks=1, head_kernel=3),
    "quick": ModelConfig(arch="stresnet", features=16, blocks=3, head_kernel=5),
    "bench": ModelConfig(arch="stresnet", features=64, blocks=8, head_kernel=5),
    "paper": ModelConfig(arch="stresnet", features=64, blocks=9, head_kernel=5),
}


def preset_config(name: str, arch: str | None = None) -> ModelConfig:
    """The preset ``name``, optionally with another architecture (``"srresnet"`` or ``"stresnet"``)."""
    if name not in PRESETS:
        raise CtDenoiseError(f"unknown model preset '{name}'; choose one of {', '.join(PRESETS)}")
    return PRESETS[name] if arch is None else replace(PRESETS[name], arch=arch)
