"""NPS estimator against analytic spectra: white noise is flat at σ²·Δx·Δy; filtered noise follows |H(f)|²."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.nps import detrend_rois, nps_from_rois, nps_shape_correlation


def _rois(field: np.ndarray, size: int) -> np.ndarray:
    n_y, n_x = field.shape[-2] // size, field.shape[-1] // size
    tiles = field[..., : n_y * size, : n_x * size].reshape(-1, n_y, size, n_x, size)
    return tiles.transpose(0, 1, 3, 2, 4).reshape(-1, size, size)


def test_white_noise_is_flat_at_variance_times_pixel_area():
    rng = np.random.default_rng(1)
    sigma, pixel = 12.0, (0.7, 0.5)
    nps = nps_from_rois(rng.normal(0, sigma, size=(400, 32, 32)), pixel, detrend="mean")
    expected = sigma**2 * pixel[0] * pixel[1]
    inner = nps.radial_nps[1:]  # the zero bin is removed by the mean subtraction
    assert np.abs(inner / expected - 1).max() < 0.1
    assert nps.noise_std_hu == pytest.approx(sigma * np.sqrt(1 - 1 / 32**2), rel=0.02)


def test_gaussian_filtered_noise_follows_the_filter_squared():
    rng = np.random.default_rng(2)
    sigma, width_px, pixel_mm = 20.0, 1.5, 0.8
    field = ndimage.gaussian_filter(rng.normal(0, sigma, size=(24, 512, 512)), (0, width_px, width_px), mode="wrap")
    nps = nps_from_rois(_rois(field, 64), (pixel_mm, pixel_mm), detrend="mean")
    f = nps.radial_frequency_per_mm
    # Continuous Gaussian of σ_f pixels: H(f) = exp(−2π²σ_f²(f·Δx)²), so NPS = σ²ΔxΔy·H².
    analytic = sigma**2 * pixel_mm**2 * np.exp(-4 * np.pi**2 * width_px**2 * (f * pixel_mm) ** 2)
    significant = (analytic > 0.05 * analytic.max()) & (f > 0)
    assert np.abs(nps.radial_nps[significant] / analytic[significant] - 1).max() < 0.08
    # Mean frequency against the analytic curve on the same bins (the zero bin is emptied by detrending).
    analytic_mean = (f[1:] * analytic[1:]).sum() / analytic[1:].sum()
    assert nps.mean_frequency_per_mm == pytest.approx(analytic_mean, rel=0.05)


def test_quadratic_detrend_removes_a_smooth_background_exactly():
    y, x = np.mgrid[0:16, 0:16] / 15.0
    background = 40 + 3 * x - 2 * y + 5 * x * y + 7 * x**2
    assert np.abs(detrend_rois(background[None], 2)).max() < 1e-9


def test_shape_correlation_is_one_for_the_same_texture_at_another_magnitude():
    rng = np.random.default_rng(3)
    field = ndimage.gaussian_filter(rng.normal(0, 1, size=(8, 256, 256)), (0, 1, 1), mode="wrap")
    a = nps_from_rois(_rois(field, 32), (0.7, 0.7))
    b = nps_from_rois(_rois(3 * field[::-1], 32), (0.7, 0.7))
    white = nps_from_rois(_rois(rng.normal(0, 1, size=(8, 256, 256)), 32), (0.7, 0.7))
    assert nps_shape_correlation(a, b) > 0.99
    assert nps_shape_correlation(a, white) < 0.5


@pytest.mark.parametrize(
    ("rois", "pixel", "detrend"),
    [
        (np.zeros((2, 4, 4)), (1, 1), "mean"),
        (np.zeros((2, 16, 16)), (0, 1), "mean"),
        (np.zeros((2, 16, 16)), (1, 1), "x"),
    ],
)
def test_bad_input_is_refused(rois, pixel, detrend):
    with pytest.raises(CtDenoiseError):
        nps_from_rois(rois, pixel, detrend=detrend)


def test_non_finite_rois_are_refused():
    rois = np.zeros((2, 16, 16))
    rois[0, 3, 3] = np.nan
    with pytest.raises(CtDenoiseError, match="NaN"):
        nps_from_rois(rois, (1, 1))


def _band_pass_field(rng: np.random.Generator, f0_per_mm: float, pixel_mm: float, size: int = 512) -> np.ndarray:
    """White noise shaped to the NPS ∝ f·exp(−(f/f0)²), whose peak is at f0/√2 (d/df = 0 analytically)."""
    frequency = np.fft.fftfreq(size, d=pixel_mm)
    radius = np.hypot(frequency[:, None], frequency[None, :])
    amplitude = np.sqrt(radius * np.exp(-((radius / f0_per_mm) ** 2)))
    return np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(size, size))) * amplitude))


def test_peak_between_the_first_bins_of_a_small_roi_is_not_quantised():
    # The analytic peak 0.106 mm⁻¹ lies between DFT bins 1 and 2 (0.060, 0.119 mm⁻¹) of a 24 px, 0.7 mm ROI.
    rng = np.random.default_rng(4)
    pixel_mm, f0 = 0.7, 0.15
    field = np.stack([_band_pass_field(rng, f0, pixel_mm) for _ in range(3)])
    nps = nps_from_rois(_rois(field, 24), (pixel_mm, pixel_mm))  # quadratic detrending, as for patient ROIs
    analytic_peak = f0 / np.sqrt(2)
    bin_peak = nps.radial_frequency_per_mm[int(np.argmax(nps.radial_nps))]
    assert abs(bin_peak / analytic_peak - 1) > 0.1  # a whole bin off: what the fine curve is for
    assert nps.peak_frequency_per_mm == pytest.approx(analytic_peak, rel=0.07)


def test_zero_padded_curve_of_white_noise_is_flat_at_the_same_level():
    rng = np.random.default_rng(5)
    sigma, pixel = 8.0, (0.6, 0.6)
    nps = nps_from_rois(rng.normal(0, sigma, size=(300, 24, 24)), pixel, detrend="mean")
    step = nps.fine_frequency_per_mm[1]
    assert step == pytest.approx(nps.radial_frequency_per_mm[1] / 4)
    beyond_first_bin = nps.fine_frequency_per_mm > nps.radial_frequency_per_mm[1]  # the mean removal's dip
    np.testing.assert_allclose(nps.fine_radial_nps[beyond_first_bin], sigma**2 * 0.36, rtol=0.1)
