"""Hounsfield units ↔ linear attenuation, and the reconstruction circle.

HU is defined relative to water: ``HU = 1000 (μ − μ_water) / μ_water`` (air ≈ −1000 HU, μ ≈ 0), so
``μ = μ_water (1 + HU/1000)``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.geometry import MU_WATER_PER_MM

#: Values below this are scanner padding (outside the scanned field), not tissue; they become air.
PADDING_BELOW_HU = -1024.0
#: A pixel whose HU, smoothed by a Gaussian of :data:`AIR_SMOOTHING_MM`, lies below this is air (μ = 0)
#: whatever its own noise: lung parenchyma (−950…−700 HU) stays tissue.
AIR_BELOW_HU = -950.0
#: Standard deviation (mm) of that smoothing: it brings a 25 % dose scan's air noise (σ ≈ 80 HU, B19f) to ≈ 20 HU.
AIR_SMOOTHING_MM = 2.0
#: HU are floored here before anything else: far below any noisy air (4σ of a 10 % dose B70f scan's), above the
#: padding values scanners use (−2048, −3024), which then read as air.
HU_FLOOR = -2000.0


def hu_to_mu(hu: np.ndarray, pixel_mm: tuple[float, float], inside_circle: np.ndarray | None = None) -> np.ndarray:
    """Linear attenuation in 1/mm of an axial HU image, with noise in air and lung projected without bias.

    ``μ = μ_water (1 + HU/1000)`` (HU floored at :data:`HU_FLOOR`). Air — where the image smoothed over
    :data:`AIR_SMOOTHING_MM` lies below :data:`AIR_BELOW_HU`, which includes padding — and everything outside the
    circle are μ = 0. Elsewhere μ is not clipped at 0: the noise of a real or simulated scan is zero-mean, and
    rectifying it (μ < 0 → 0 and HU < −1024 → air, as until simulator revision 3) adds attenuation wherever air
    or lung is noisy: +8 HU on average over the field of a simulated 25 % dose of LUNG1-001's upper chest, +0.06
    in its line integrals, so the re-projected 25 % scan had 9 % more noise variance per quantum (Σ 1/N) than
    its full dose, and calibrating it gave 1.1× the dose law's I0.

    Args:
        hu: HU image ``(y, x)``.
        pixel_mm: pixel size ``(y, x)`` in mm.
        inside_circle: optional boolean mask of the reconstruction circle (same shape); outside becomes air.

    Returns:
        float32 μ in 1/mm, ``hu``'s shape.

    Raises:
        CtDenoiseError: ``pixel_mm`` is not two positive sizes (e.g. a mask passed in its place).
    """
    if np.ndim(pixel_mm) != 1 or len(pixel_mm) != 2 or min(pixel_mm) <= 0:
        raise CtDenoiseError(f"pixel size must be (y, x) in mm, got {np.shape(pixel_mm)} values")
    hu = np.maximum(np.asarray(hu, dtype=np.float32), HU_FLOOR)
    mu = (MU_WATER_PER_MM * (1.0 + hu / 1000.0)).astype(np.float32)
    sigma_px = [AIR_SMOOTHING_MM / spacing for spacing in pixel_mm]
    mu[ndimage.gaussian_filter(hu, sigma_px, mode="nearest") < AIR_BELOW_HU] = 0.0
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
