"""``ModelConfig``: which network (a name in ``registry.NETWORKS``) with which settings, and ``build_model``."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models.registry import network_entry


def network_settings(arch: str) -> dict[str, Any]:
    """The settings a network's constructor takes besides ``z_scale``, with its defaults: its positional-or-keyword
    arguments (keyword-only ones are for subclasses, e.g. SRResNet3D's ``factorised`` that STResNet sets).

    Example:
        >>> network_settings("redcnn")
        {'features': 96}
    """
    parameters = inspect.signature(network_entry(arch).constructor).parameters.values()
    return {p.name: p.default for p in parameters if p.name != "z_scale" and p.kind is p.POSITIONAL_OR_KEYWORD}


@dataclass(frozen=True)
class ModelConfig:
    """A network and its settings; stored in every model file so a checkpoint rebuilds its own network.

    Args:
        arch: a name in ``ctdenoise.models.NETWORKS`` (``"srresnet"``, ``"stresnet"``, ``"redcnn"``).
        z_scale: 2 maps 2 mm input slices to the 1 mm grid (Z → 2Z); 1 keeps the grid.
        settings: constructor arguments of the network (e.g. ``features``); the ones left out take the
            constructor's defaults, and ``settings`` holds them all once the config is made.

    Raises:
        CtDenoiseError: unknown architecture, a setting the network does not take, or values it refuses.
    """

    arch: str = "stresnet"
    z_scale: int = 2
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = network_settings(self.arch)
        unknown = set(self.settings) - set(known)
        if unknown:
            raise CtDenoiseError(
                f"unknown model setting(s) {sorted(unknown)} for {self.arch}; known: {sorted(['arch', 'z_scale', *known])}"
            )
        object.__setattr__(self, "settings", {**known, **self.settings})
        with torch.device("meta"):  # checks the values at no cost: no memory, no random numbers drawn
            build_model(self)

    @classmethod
    def of(cls, arch: str = "stresnet", z_scale: int = 2, **settings: Any) -> ModelConfig:
        """``ModelConfig.of("stresnet", features=8, blocks=2)`` (settings as keywords)."""
        return cls(arch, z_scale, settings)

    def as_dict(self) -> dict[str, Any]:
        """Flat and plain: ``{"arch", "z_scale", **settings}`` (what model files and YAML sections hold)."""
        return {"arch": self.arch, "z_scale": self.z_scale, **self.settings}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        """Build from a flat dict (a YAML section or a model file), refusing unknown keys with a clear message."""
        values = dict(values)
        return cls(values.pop("arch", cls.arch), int(values.pop("z_scale", cls.z_scale)), values)


def build_model(config: ModelConfig) -> nn.Module:
    """A freshly initialised network for ``config`` (forward: (B, 1, Z, Y, X) → (B, 1, Z·z_scale, Y, X)).

    Raises:
        CtDenoiseError: the network refuses the settings (its ``ValueError``, e.g. an even head kernel).

    Example:
        >>> model = build_model(ModelConfig.of("stresnet", features=8, blocks=2))
        >>> type(model).__name__
        'STResNet'
    """
    try:
        return network_entry(config.arch).constructor(z_scale=config.z_scale, **config.settings)
    except ValueError as error:
        raise CtDenoiseError(f"{config.arch}: {error}") from None
