"""``ModelConfig``: the few numbers that fully describe a network, and ``build_model`` to make it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from torch import nn

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models.srresnet3d import SRResNet3D
from ctdenoise.models.stresnet import STResNet

ARCHITECTURES: dict[str, type[SRResNet3D]] = {"srresnet": SRResNet3D, "stresnet": STResNet}


@dataclass(frozen=True)
class ModelConfig:
    """Architecture hyper-parameters; stored in every model file so a checkpoint rebuilds its own network.

    Args:
        arch: ``"srresnet"`` (full 3×3×3 convs) or ``"stresnet"`` (spatial 1×3×3 + temporal 3×1×1).
        features: feature maps F (paper: 64).
        blocks: residual blocks N (paper: 9).
        z_scale: 2 maps 2 mm input slices to the 1 mm grid (Z → 2Z); 1 keeps the grid.
        head_kernel: odd kernel size of the head conv (paper: 5).
        temporal_relu: STResNet only: ReLU between the spatial and the temporal conv.
    """

    arch: str = "stresnet"
    features: int = 64
    blocks: int = 9
    z_scale: int = 2
    head_kernel: int = 5
    temporal_relu: bool = True

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise CtDenoiseError(f"unknown architecture '{self.arch}'; choose one of {', '.join(ARCHITECTURES)}")
        if self.z_scale not in (1, 2):
            raise CtDenoiseError(f"z_scale must be 1 or 2, got {self.z_scale}")
        if self.features < 1 or self.blocks < 0:
            raise CtDenoiseError(f"features must be ≥ 1 and blocks ≥ 0, got {self.features} and {self.blocks}")
        if self.head_kernel < 1 or self.head_kernel % 2 == 0:
            raise CtDenoiseError(f"head_kernel must be a positive odd number, got {self.head_kernel}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        """Build from a dict (a YAML section or a model file), refusing unknown keys with a clear message."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise CtDenoiseError(f"unknown model setting(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**values)


def build_model(config: ModelConfig) -> nn.Module:
    """A freshly initialised network for ``config`` (forward: (B, 1, Z, Y, X) → (B, 1, Z·z_scale, Y, X)).

    Example:
        >>> model = build_model(ModelConfig(arch="stresnet", features=8, blocks=2))
        >>> type(model).__name__
        'STResNet'
    """
    kwargs = {
        "features": config.features,
        "blocks": config.blocks,
        "z_scale": config.z_scale,
        "head_kernel": config.head_kernel,
    }
    if config.arch == "stresnet":
        kwargs["temporal_relu"] = config.temporal_relu
    return ARCHITECTURES[config.arch](**kwargs)
