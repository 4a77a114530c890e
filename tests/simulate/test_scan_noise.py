import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.nps import detrend_rois, nps_from_rois
from ctdenoise.simulate.scan_noise import find_flat_rois, half_sample_mode, measure_scan_noise, tissue_rois
from ctdenoise.volume import Volume

PIXEL_MM = 0.7
SIZE_PX = 256
F0_PER_MM = 0.4  # noise with NPS ∝ f·exp(−(f/f0)²): peak at f0/√2 = 0.283 mm⁻¹ (d/df = 0 analytically)


def _band_pass_noise(rng: np.random.Generator, sigma_hu: float, f0_per_mm: float = F0_PER_MM) -> np.ndarray:
    """Noise of a known NPS shape, scaled to exactly ``sigma_hu`` over the image."""
    frequency = np.fft.fftfreq(SIZE_PX, d=PIXEL_MM)
    radius = np.hypot(frequency[:, None], frequency[None, :])
    amplitude = np.sqrt(radius * np.exp(-((radius / f0_per_mm) ** 2)))
    noise = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(SIZE_PX, SIZE_PX))) * amplitude))
    return noise / noise.std() * sigma_hu


def _anatomy(shift_px: int) -> np.ndarray:
    """Body of muscle (40 HU) with a fat layer and contrast-filled vessels (200 HU) that move between slices."""
    yy, xx = np.mgrid[:SIZE_PX, :SIZE_PX] - (SIZE_PX - 1) / 2
    image = np.full((SIZE_PX, SIZE_PX), -1000.0)
    image[(xx / 125) ** 2 + (yy / 110) ** 2 < 1] = -100.0  # fat
    image[(xx / 110) ** 2 + (yy / 95) ** 2 < 1] = 40.0  # muscle
    for cy, cx, r in [(-40, -50, 9), (30, 60, 12), (50, -20, 6), (-10, 20, 7), (-60, 40, 5)]:
        image[(yy - cy - shift_px) ** 2 + (xx - cx) ** 2 < r**2] = 200.0
    return image


def _scan(sigma_hu: float, n_slices: int = 4, seed: int = 0) -> Volume:
    rng = np.random.default_rng(seed)
    slices = [_anatomy(3 * k) + _band_pass_noise(rng, sigma_hu) for k in range(n_slices)]
    return Volume(np.stack(slices), spacing_mm=(2.5, PIXEL_MM, PIXEL_MM))


def test_half_sample_mode_finds_the_peak_under_a_long_upper_tail():
    rng = np.random.default_rng(1)
    sample = np.concatenate([rng.normal(10.0, 0.5, 400), rng.uniform(12.0, 40.0, 600)])
    assert half_sample_mode(sample) == pytest.approx(10.0, abs=0.3)
    assert np.median(sample) > 13.0  # where the median lands instead


def test_scan_noise_sigma_and_nps_peak_match_the_known_noise_despite_anatomy():
    scan = _scan(sigma_hu=20.0)
    measured = measure_scan_noise(scan, roi_px=32, n_slices=3, source="synthetic")
    assert measured.nps.noise_std_hu == pytest.approx(20.0, rel=0.08)
    bin_width = 1.0 / (32 * PIXEL_MM)
    assert measured.nps.peak_frequency_per_mm == pytest.approx(F0_PER_MM / np.sqrt(2), abs=bin_width)
    assert len(measured.candidates) > len(measured.rois) >= 12  # ROIs over the moving vessels were rejected
    # The same candidates, single slices, nothing rejected: the vessels inflate σ far beyond the truth.
    everything = tissue_rois(scan, roi_px=32, n_slices=4)
    naive = detrend_rois(everything.cut({k: scan.hu[k] for k in range(4)})).std()
    assert naive > 1.3 * 20.0


def test_choosing_flat_rois_does_not_bias_the_noise_measured_on_them():
    # A smooth kernel's noise (NPS peak 0.106 mm⁻¹, like B19f or GE STANDARD): most of its power lies in the few
    # lowest DFT rings of an ROI, so an ROI's own low-frequency power fraction scatters widely, and a test on it
    # rejects noise as well as anatomy.
    rng = np.random.default_rng(3)
    noise = [_band_pass_noise(rng, 25.0, f0_per_mm=0.15) for _ in range(8)]
    body = _anatomy(0)
    body[body == 200.0] = 40.0  # no vessels: every candidate ROI holds noise only
    scan = Volume(np.stack([body + n for n in noise]), spacing_mm=(2.5, PIXEL_MM, PIXEL_MM))
    # The slices are independent (ρ₁ = 0, given: its estimate on 7 pairs scatters by ±0.05, which scales every bin).
    measured = measure_scan_noise(scan, roi_px=32, n_slices=7, source="smooth-kernel", slice_correlation=0.0)
    # The truth: the known noise itself on every candidate ROI, one slice at a time, nothing rejected.
    truth = nps_from_rois(measured.candidates.cut(dict(enumerate(noise))), (PIXEL_MM, PIXEL_MM), detrend="quadratic")
    assert len(measured.rois) >= 0.5 * len(measured.candidates)
    assert measured.nps.noise_std_hu == pytest.approx(truth.noise_std_hu, rel=0.04)
    ratio = measured.nps.radial_nps[1:6] / truth.radial_nps[1:6]
    np.testing.assert_allclose(ratio, 1.0, atol=0.08)
    # What the correction removed: without it bins 1–2 read 0.82–0.89 of the truth (the test's own cut).
    uncorrected = measured.nps.radial_nps[1:3] / measured.selection_bias.radial_factor[1:3] / truth.radial_nps[1:3]
    assert uncorrected.max() < 0.9


def test_noise_free_and_lung_only_scans_are_refused_with_the_reason():
    noise_free = Volume(np.stack([_anatomy(0)] * 3), spacing_mm=(2.5, PIXEL_MM, PIXEL_MM))
    with pytest.raises(CtDenoiseError, match="clean.nii.gz: no measurable noise"):
        measure_scan_noise(noise_free, source="clean.nii.gz")
    lung = Volume(np.full((3, 128, 128), -800.0), spacing_mm=(2.5, PIXEL_MM, PIXEL_MM))
    with pytest.raises(CtDenoiseError, match="lung.nii.gz: too little flat tissue"):
        find_flat_rois(lung, source="lung.nii.gz")
    with pytest.raises(CtDenoiseError, match="only one slice"):
        measure_scan_noise(_scan(20.0, n_slices=1), source="one.nii.gz")


def _correlated_scan(
    sigma_hu: float, rho1: float, n_slices: int, drift_px: int, seed: int, louder: dict[int, float] | None = None
) -> Volume:
    """Noise whose neighbouring slices correlate by ``rho1`` (a [c, 1, c] filter along z over independent slices:
    ρ₁ = 2c/(1+2c²), ρ₂ = c²/(1+2c²)), one slice's σ = ``sigma_hu`` (× ``louder[k]`` on slice k); vessels drift
    ``drift_px`` per slice."""
    c = (1.0 - np.sqrt(1.0 - 2.0 * rho1**2)) / (2.0 * rho1) if rho1 > 0 else 0.0
    rng = np.random.default_rng(seed)
    white = [_band_pass_noise(rng, 1.0) for _ in range(n_slices + 2)]
    noise = [(white[k + 1] + c * (white[k] + white[k + 2])) / np.sqrt(1.0 + 2.0 * c**2) for k in range(n_slices)]
    louder = louder or {}
    slices = [_anatomy(drift_px * k) + sigma_hu * louder.get(k, 1.0) * n for k, n in enumerate(noise)]
    return Volume(np.stack(slices), spacing_mm=(2.5, PIXEL_MM, PIXEL_MM))


@pytest.mark.parametrize("rho1", [0.0, 0.25])
def test_noise_shared_by_neighbouring_slices_is_measured_and_one_slice_sigma_recovered(rho1):
    # Contiguous helical slices share noise (real scans: ρ₁ ≈ 0.2, docs/simulate.md); the plain difference of
    # neighbours then reads σ·√(1 − ρ₁): 17.3 HU for 20 at ρ₁ = 0.25, which this test would not pass.
    scan = _correlated_scan(20.0, rho1, n_slices=10, drift_px=1, seed=5)
    measured = measure_scan_noise(scan, roi_px=32, n_slices=7, source="correlated")
    expected_rho2 = 0.0 if rho1 == 0 else 0.0156  # the filter's own lag-2 correlation, which the estimate ignores
    assert measured.slice_correlation == pytest.approx(rho1 - expected_rho2, abs=0.04)
    assert measured.nps.noise_std_hu == pytest.approx(20.0, rel=0.04)
    assert measured.summary()["slice_noise_correlation"] == pytest.approx(measured.slice_correlation, abs=1e-4)


def test_the_standard_error_of_the_slice_correlation_follows_its_scatter_over_noise_draws():
    # The jackknife over slices against the truth it estimates: the spread of ρ₁ over independent noise draws.
    draws = [
        measure_scan_noise(_correlated_scan(20.0, 0.25, 6, 1, seed), roi_px=32, n_slices=5, source="crop")
        for seed in range(100, 112)
    ]
    estimates = np.array([draw.slice_correlation for draw in draws])
    errors = np.array([draw.slice_correlation_error for draw in draws])
    assert np.all(errors > 0)
    assert 0.6 < np.sqrt(np.mean(errors**2)) / estimates.std(ddof=1) < 1.6  # measured: 1.13
    assert draws[0].summary()["slice_noise_correlation_standard_error"] == pytest.approx(errors[0], abs=1e-4)


def test_one_slice_noisier_than_its_neighbours_does_not_decide_the_slice_correlation():
    # A noisy region (1.7× σ, tube-current modulation) with one slice 1.3× noisier still (a streak: the Philips scan
    # in ../shared has one), sitting inside one measured window (pairs at 3, 8, 12, …; the window of 8 is 8–11).
    # The lag model breaks on that window, and pooled by power it outweighs the seven quiet ones.
    louder = dict.fromkeys(range(7, 13), 1.7) | {9: 1.7 * 1.3}
    scan = _correlated_scan(20.0, 0.25, n_slices=40, drift_px=1, seed=7, louder=louder)
    measured = measure_scan_noise(scan, roi_px=32, n_slices=8, source="one loud slice")
    assert measured.slice_correlation == pytest.approx(0.25 - 0.0156, abs=0.035)  # 0.230; without the screen 0.159


def test_a_given_slice_correlation_is_used_instead_of_the_measured_one_and_checked():
    scan = _correlated_scan(20.0, 0.25, n_slices=6, drift_px=1, seed=5)
    given = measure_scan_noise(scan, roi_px=32, n_slices=5, source="crop", slice_correlation=0.0)
    assert given.slice_correlation == 0.0 and given.slice_correlation_error is None
    assert given.nps.noise_std_hu == pytest.approx(20.0 * np.sqrt(1 - 0.25), rel=0.05)  # the plain difference
    with pytest.raises(CtDenoiseError, match=r"crop: slice correlation 0.9 is outside −?-0.2…0.6"):
        measure_scan_noise(scan, roi_px=32, n_slices=5, source="crop", slice_correlation=0.9)


def test_a_slice_correlation_that_too_few_slices_cannot_tell_is_reported_as_not_measured():
    measured = measure_scan_noise(_scan(20.0, n_slices=2), roi_px=32, n_slices=1, source="two slices")
    assert measured.slice_correlation is None
    assert measured.summary()["slice_noise_correlation"] is None
