"""The simulator's physics checks (issue 3), shared by the tests and ``scripts/validate_simulator.py``.

Each check builds its phantom from :mod:`ctdenoise.simulate.analytic`, runs the simulator's own pieces and returns
the measured numbers; the caller compares them with the expected values:

* projector vs exact ellipse line integrals (relative L2 error ≤ 1 %);
* noise-free projector → FBP round trip (RMSE ≤ 3 HU in flat regions ≥ 3 px from edges);
* dose scaling of the inserted noise on a water cylinder: ∝ √((1−a)/a) without, ∝ 1/√a with full-dose noise;
* mean bias of the inserted noise (≤ 3 HU) and its noise power spectrum (band-pass, not white).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ctdenoise.simulate.analytic import (
    chest_like_phantom,
    ellipse_line_integrals,
    rasterize_ellipses,
    water_cylinder,
)
from ctdenoise.simulate.attenuation import PADDING_BELOW_HU, circle_mask
from ctdenoise.simulate.fbp import fbp_reconstruct
from ctdenoise.simulate.geometry import MU_WATER_PER_MM, FanBeamGeometry
from ctdenoise.simulate.lowdose import low_dose_noise_hu, scan_noise_hu, slice_rng
from ctdenoise.simulate.noise import FluxModel
from ctdenoise.simulate.noise_kernel import STANDARD_KERNEL, NoiseKernel
from ctdenoise.simulate.projector import forward_project


def _mu_to_hu(mu: np.ndarray) -> np.ndarray:
    return 1000.0 * (mu / MU_WATER_PER_MM - 1.0)


def projector_error(geometry: FanBeamGeometry, size_px: int, pixel_mm: float) -> dict[str, float]:
    """Relative L2 error (and max error relative to the largest value) of the projected chest-like phantom."""
    ellipses = chest_like_phantom(size_px * pixel_mm)
    image = rasterize_ellipses(ellipses, (size_px, size_px), (pixel_mm, pixel_mm))
    projected = forward_project(image, (pixel_mm, pixel_mm), geometry).astype(np.float64)
    exact = ellipse_line_integrals(ellipses, geometry)
    return {
        "relative_l2_error": float(np.linalg.norm(projected - exact) / np.linalg.norm(exact)),
        "max_error_over_max": float(np.abs(projected - exact).max() / exact.max()),
    }


def flat_region_mask(hu: np.ndarray, pixel_mm: float, margin_px: int = 3) -> np.ndarray:
    """Pixels at least ``margin_px`` from any edge (HU step > 1) and inside the reconstruction circle."""
    edges = ndimage.morphological_gradient(hu, size=3) > 1.0
    near_edge = ndimage.binary_dilation(edges, structure=np.ones((3, 3), dtype=bool), iterations=margin_px)
    size = hu.shape[0]
    inside = circle_mask(hu.shape, (pixel_mm, pixel_mm), (size / 2 - margin_px) * pixel_mm)
    return ~near_edge & inside


def round_trip_rmse_hu(geometry: FanBeamGeometry, size_px: int, pixel_mm: float) -> float:
    """RMSE (HU) of FBP(projection) against the chest-like phantom in flat regions ≥ 3 px from edges."""
    image = rasterize_ellipses(chest_like_phantom(size_px * pixel_mm), (size_px, size_px), (pixel_mm, pixel_mm))
    sinogram = forward_project(image, (pixel_mm, pixel_mm), geometry)
    reconstruction = fbp_reconstruct(sinogram, image.shape, (pixel_mm, pixel_mm), geometry)
    hu, reconstructed_hu = _mu_to_hu(image), _mu_to_hu(reconstruction)
    flat = flat_region_mask(hu, pixel_mm)
    return float(np.sqrt(np.mean((reconstructed_hu - hu)[flat] ** 2)))


def water_cylinder_hu(size_px: int, pixel_mm: float, diameter_mm: float) -> np.ndarray:
    """A noise-free water cylinder in HU on air (padding outside the image circle, like a scanner)."""
    hu = _mu_to_hu(rasterize_ellipses(water_cylinder(diameter_mm), (size_px, size_px), (pixel_mm, pixel_mm)))
    hu[~circle_mask(hu.shape, (pixel_mm, pixel_mm), size_px * pixel_mm / 2)] = PADDING_BELOW_HU - 1000
    return hu


def noise_dose_scaling(
    geometry: FanBeamGeometry,
    size_px: int,
    pixel_mm: float,
    diameter_mm: float,
    dose_fractions: tuple[float, ...] = (0.5, 0.25, 0.1),
    repeats: int = 2,
    flux: FluxModel | None = None,
    kernel: NoiseKernel = STANDARD_KERNEL,
) -> dict[str, dict[float, float]]:
    """Noise standard deviation and mean bias (HU) inside a water cylinder for each dose fraction.

    ``kernel`` reconstructs all inserted noise (the laws hold for any kernel: it is linear with unit DC gain).
    Returns a dict with ``"inserted_std"`` (noise-free cylinder: std of the inserted noise), ``"total_std"``
    (cylinder that already carries full-dose noise: std of everything around the true 0 HU) and ``"bias"`` (mean
    inserted HU on the noise-free cylinder), each keyed by dose fraction; the central 60 % of the radius is used.
    """
    flux = flux or FluxModel()
    pixel = (pixel_mm, pixel_mm)
    clean = water_cylinder_hu(size_px, pixel_mm, diameter_mm)
    roi = circle_mask(clean.shape, pixel, 0.6 * diameter_mm / 2)
    inserted_std, total_std, bias = {}, {}, {}
    for dose in dose_fractions:
        inserted, total, means = [], [], []
        for repeat in range(repeats):
            added = low_dose_noise_hu(clean, pixel, dose, geometry, flux, slice_rng(repeat, 0), kernel)
            inserted.append(added[roi])
            means.append(added[roi].mean())
            # Full-dose noise: one scan at the flux, from an independent stream.
            full_dose = clean + scan_noise_hu(clean, pixel, geometry, flux, slice_rng(1000 + repeat, 0), kernel)
            on_top = low_dose_noise_hu(full_dose, pixel, dose, geometry, flux, slice_rng(2000 + repeat, 0), kernel)
            total.append((full_dose + on_top - clean)[roi])
        inserted_std[dose] = float(np.std(np.concatenate(inserted)))
        total_std[dose] = float(np.std(np.concatenate(total)))
        bias[dose] = float(np.mean(means))
    return {"inserted_std": inserted_std, "total_std": total_std, "bias": bias}


def radial_noise_power_spectrum(noise_hu: np.ndarray, pixel_mm: float, roi_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged 2D NPS (HU²·mm²) of the central ``roi_px`` square, and its frequencies (1/mm).

    NPS = |DFT(ROI − mean)|² · pixel² / N² (ICRU Report 87 / Boedeker 2007 definition for one ROI).
    """
    centre = noise_hu.shape[0] // 2
    half = roi_px // 2
    roi = noise_hu[centre - half : centre + half, centre - half : centre + half].astype(np.float64)
    roi = roi - roi.mean()
    power = np.abs(np.fft.fftshift(np.fft.fft2(roi))) ** 2 * pixel_mm**2 / roi.size
    freq = np.fft.fftshift(np.fft.fftfreq(roi.shape[0], d=pixel_mm))
    radius = np.hypot(*np.meshgrid(freq, freq))
    step = freq[1] - freq[0]
    bins = np.round(radius / step).astype(int)
    counts = np.bincount(bins.ravel())
    spectrum = np.bincount(bins.ravel(), weights=power.ravel()) / np.maximum(counts, 1)
    n_bins = roi_px // 2
    return np.arange(n_bins) * step, spectrum[:n_bins]


def noise_power_shape(
    geometry: FanBeamGeometry,
    size_px: int,
    pixel_mm: float,
    diameter_mm: float,
    dose_fraction: float = 0.1,
    repeats: int = 3,
    flux: FluxModel | None = None,
) -> dict[str, float]:
    """Where the inserted noise's power sits: near zero frequency, at its peak and at the Nyquist frequency.

    White noise would give ratios ≈ 1; CT noise (ramp × window) is band-pass: low power near 0, a peak at
    mid frequencies and less again at the highest frequencies.
    """
    flux = flux or FluxModel()
    clean = water_cylinder_hu(size_px, pixel_mm, diameter_mm)
    roi_px = int(0.5 * diameter_mm / pixel_mm) // 2 * 2
    spectra = []
    for repeat in range(repeats):
        noise = low_dose_noise_hu(clean, (pixel_mm, pixel_mm), dose_fraction, geometry, flux, slice_rng(repeat, 0))
        freq, spectrum = radial_noise_power_spectrum(noise, pixel_mm, roi_px)
        spectra.append(spectrum)
    spectrum = np.mean(spectra, axis=0)
    peak = int(np.argmax(spectrum))
    return {
        "peak_frequency_per_mm": float(freq[peak]),
        "low_over_peak": float(spectrum[1] / spectrum[peak]),  # bin 0 only holds the removed mean
        "nyquist_over_peak": float(spectrum[-1] / spectrum[peak]),
        "nyquist_per_mm": float(0.5 / pixel_mm),
    }
