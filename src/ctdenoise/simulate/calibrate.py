"""Estimate the full-dose photon flux I0 of a real scan from its own noise in uniform soft tissue.

Quantum noise variance goes as 1/I0 (Yu et al. 2012), so ``I0 ≈ I0_ref · (σ_ref / σ_scan)²``: σ_scan is the
local standard deviation the scan shows in flat soft tissue, σ_ref that of the simulator's full-dose noise for a
reference flux, both measured the same way at the same pixels. A dose fraction of 0.5 inserts exactly the noise of
one more full-dose scan (a′ = 1), which is the reference. Anatomy left in the windows makes σ_scan a little too
large, so the estimate errs towards too little flux (too much noise), never the other way.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.lowdose import low_dose_noise_hu, resolve_geometry, slice_rng
from ctdenoise.simulate.noise import FluxModel
from ctdenoise.volume import Volume

SOFT_TISSUE_HU = (-20.0, 120.0)
_WINDOW_PX = 9
_MIN_PIXELS = 200


def local_std(image: np.ndarray, window_px: int = _WINDOW_PX) -> np.ndarray:
    """Standard deviation in a square window around each pixel."""
    image = np.asarray(image, dtype=np.float64)
    mean = ndimage.uniform_filter(image, window_px)
    mean_square = ndimage.uniform_filter(image * image, window_px)
    return np.sqrt(np.clip(mean_square - mean * mean, 0.0, None))


def uniform_soft_tissue(hu_slice: np.ndarray, window_px: int = _WINDOW_PX) -> np.ndarray:
    """Pixels whose whole window is soft tissue (the smoothed image stays within :data:`SOFT_TISSUE_HU`)."""
    smooth = ndimage.uniform_filter(np.asarray(hu_slice, dtype=np.float64), 3)
    soft = (smooth > SOFT_TISSUE_HU[0]) & (smooth < SOFT_TISSUE_HU[1])
    return ndimage.binary_erosion(soft, structure=np.ones((window_px + 4, window_px + 4), dtype=bool))


def calibrated_flux(
    volume: Volume,
    geometry: str | FanBeamGeometry = "siemens",
    reference: FluxModel | None = None,
    n_slices: int = 3,
    seed: int = 0,
    source: str = "input",
) -> FluxModel:
    """The flux model whose full-dose noise matches the scan's own noise in uniform soft tissue.

    Args:
        volume: the full-dose scan.
        geometry: scanner geometry used for the simulation.
        reference: flux to scale from (its electronic noise is kept); default ``FluxModel()``.
        n_slices: number of slices, spread over the middle half of the volume, to measure on.
        seed: seed of the reference noise.
        source: name of the input for error messages.

    Returns:
        ``FluxModel`` with the estimated ``full_dose_photons``.
    """
    scanner = resolve_geometry(geometry)
    reference = reference or FluxModel()
    pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
    n_z = volume.shape[0]
    candidates = np.unique(np.linspace(n_z // 4, max(n_z // 4, 3 * n_z // 4 - 1), n_slices).round().astype(int))
    scan_std, reference_std = [], []
    for index in candidates:
        hu_slice = volume.hu[index]
        flat = uniform_soft_tissue(hu_slice)
        if flat.sum() < _MIN_PIXELS:
            continue
        noise = low_dose_noise_hu(hu_slice, pixel_mm, 0.5, scanner, reference, slice_rng(seed, int(index)))
        scan_std.append(local_std(hu_slice)[flat])
        reference_std.append(local_std(noise)[flat])
    if not scan_std:
        raise CtDenoiseError(f"{source}: no uniform soft tissue found to calibrate the noise on; give I0 instead")
    ratio = np.median(np.concatenate(reference_std)) / np.median(np.concatenate(scan_std))
    return FluxModel(
        full_dose_photons=float(reference.full_dose_photons * ratio**2),
        electronic_noise_variance=reference.electronic_noise_variance,
    )
