"""Tiny networks and volumes for the inference tests (imported by conftest.py and the tests) (a 4-feature, 1-block STResNet runs in milliseconds).

Freshly built networks have a zero-initialised tail (they start as the identity); the fixtures give every
parameter random values so that each runtime has real convolutions to get right.
"""

from __future__ import annotations

import numpy as np
import torch

from ctdenoise.models import ModelConfig, build_model

TINY_Z2 = ModelConfig.of("stresnet", features=4, blocks=1, head_kernel=3, z_scale=2)
TINY_Z1 = ModelConfig.of("srresnet", features=4, blocks=1, head_kernel=3, z_scale=1)


def randomised_model(config: ModelConfig, seed: int = 0) -> torch.nn.Module:
    """A network of ``config`` with all weights drawn at random (std 0.15), biases small."""
    generator = torch.Generator().manual_seed(seed)
    model = build_model(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            scale = 0.02 if name.endswith("bias") else 0.15
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale)
    return model


def ct_like_hu(shape_zyx: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """Air around a soft-tissue block with a lung-density hole, plus noise: the HU ranges a CT has."""
    rng = np.random.default_rng(seed)
    hu = np.full(shape_zyx, -1000.0, dtype=np.float32)
    z, y, x = shape_zyx
    hu[:, y // 6 : y - y // 6, x // 8 : x - x // 8] = 40.0
    hu[:, y // 3 : y - y // 3, x // 4 : x // 2] = -850.0
    return hu + rng.normal(0.0, 25.0, shape_zyx).astype(np.float32)
