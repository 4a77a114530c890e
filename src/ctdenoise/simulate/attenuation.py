"""Hounsfield units ↔ linear attenuation, and the reconstruction circle.

HU is defined relative to water: ``HU = 1000 (μ − μ_water) / μ_water`` (air ≈ −1000 HU, μ ≈ 0), so
``μ = μ_water (1 + HU/1000)``.
"""

from __future__ import annotations

import numpy as np

from ctdenoise.simulate.geometry import MU_WATER_PER_MM

#: Values below this are scanner padding (outside the scanned field), not tissue; they become air.
PADDING_BELOW_HU = -1024.0


def hu_to_mu(hu: np.ndarray, inside_circle: np.ndarray | None = None) -> np.ndarray:
    """Linear attenuation in 1/mm of an HU image: clipped at 0, padding and everything outside the circle = air.

    Args:
        hu: HU values (any shape).
        inside_circle: optional boolean mask of the reconstruction circle (same shape); outside becomes air.
    """
    hu = np.asarray(hu, dtype=np.float32)
    mu = np.clip(MU_WATER_PER_MM * (1.0 + hu / 1000.0), 0.0, None).astype(np.float32)
    mu[hu < PADDING_BELOW_HU] = 0.0
    if inside_circle is not None:
        mu[~inside_circle] = 0.0
    return mu


def mu_to_hu_difference(delta_mu_per_mm: np.ndarray) -> np.ndarray:
    """HU change of an attenuation change (e.g. a reconstructed noise image): ``ΔHU = 1000 Δμ / μ_water``."""
    return (1000.0 / MU_WATER_PER_MM) * np.asarray(delta_mu_per_mm, dtype=np.float32)


def circle_mask(shape_yx: tuple[int, int], pixel_mm: tuple[float, float], radius_mm: float) -> np.ndarray:
    """Boolean mask of the pixels whose centre lies within ``radius_mm`` of the image centre (the isocentre)."""
    rows = (np.arange(shape_yx[0]) - (shape_yx[0] - 1) / 2.0) * pixel_mm[0]
    cols = (np.arange(shape_yx[1]) - (shape_yx[1] - 1) / 2.0) * pixel_mm[1]
    return rows[:, None] ** 2 + cols[None, :] ** 2 <= radius_mm**2
