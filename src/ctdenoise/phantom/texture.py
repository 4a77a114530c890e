"""Smooth random textures: lung parenchyma mottle and the faint texture of soft tissue in a full-dose scan.

A noise-free phantom looks unlike CT (flat plateaus); real full-dose parenchyma shows fine, spatially correlated
density fluctuations from sub-resolution vessels and alveolar walls. White noise filtered with a Gaussian
gives such correlated texture; two scales (about 1 and 4 voxels) give fine grain and slow density variation.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def correlated_noise(rng: np.random.Generator, shape_zyx: tuple[int, int, int], sigma_voxels: float) -> np.ndarray:
    """Gaussian-filtered white noise rescaled to unit standard deviation (float32)."""
    white = rng.standard_normal(size=shape_zyx, dtype=np.float32)
    smooth = ndimage.gaussian_filter(white, sigma=sigma_voxels, mode="reflect", truncate=2.5)
    return smooth / (float(smooth.std()) + 1e-6)


def coarse_noise(rng: np.random.Generator, shape_zyx: tuple[int, int, int], factor: int = 4) -> np.ndarray:
    """Slowly varying unit-std noise made on a grid ``factor`` times coarser and interpolated up (fast)."""
    small_shape = tuple(max(2, -(-n // factor) + 1) for n in shape_zyx)
    small = correlated_noise(rng, small_shape, sigma_voxels=1.0)
    zoom = [(n + factor - 1) / max(m - 1, 1) for n, m in zip(shape_zyx, small_shape, strict=True)]
    large = ndimage.zoom(small, zoom, order=1, mode="nearest", grid_mode=False)
    large = large[: shape_zyx[0], : shape_zyx[1], : shape_zyx[2]]
    return large / (float(large.std()) + 1e-6)
