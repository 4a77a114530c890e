import numpy as np
import pytest

from ctdenoise.metrics.nps import NoisePowerSpectrum, nps_from_rois, nps_shape_correlation
from ctdenoise.simulate.calibrate import fit_noise_model
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.lowdose import low_dose_noise_hu, slice_rng
from ctdenoise.simulate.noise import FluxModel
from ctdenoise.simulate.noise_kernel import NoiseKernel, fit_noise_kernel
from ctdenoise.simulate.validation import water_cylinder_hu
from ctdenoise.volume import Volume

GEOMETRY = FanBeamGeometry.preset("siemens").with_views(240)
#: A sharp kernel: |T|² = exp(3x² − 1.5x⁴) rises towards the Nyquist frequency (like B70f against B30f).
SHARP = NoiseKernel.from_log_polynomial("sharp", "shepp-logan", (3.0, -1.5), 0.25)


def _radial(frequency: np.ndarray, values: np.ndarray) -> NoisePowerSpectrum:
    return NoisePowerSpectrum(
        np.zeros((1, 1)), np.array([0.0, 1.0]), np.array([0.0, 1.0]), frequency, values, 1, (1, 1)
    )


def test_power_gain_is_one_at_zero_frequency_and_constant_beyond_nyquist():
    assert SHARP.power_gain(np.array([0.0]))[0] == 1.0
    assert SHARP.power_gain(np.array([0.125]))[0] == pytest.approx(np.exp(3.0 / 4 - 1.5 / 16), rel=1e-3)
    assert SHARP.power_gain(np.array([0.25]))[0] == pytest.approx(np.exp(1.5))
    assert SHARP.power_gain(np.array([0.4]))[0] == pytest.approx(np.exp(1.5))


def test_filtering_white_noise_multiplies_its_nps_by_the_power_gain():
    rng = np.random.default_rng(0)
    white = rng.normal(0.0, 10.0, size=(512, 512))  # flat NPS σ²·Δx² = 100·4 HU²mm² at 2 mm pixels
    filtered = SHARP.filter_noise(white, (2.0, 2.0))
    rois = np.stack([filtered[r : r + 32, c : c + 32] for r in range(64, 448, 32) for c in range(64, 448, 32)])
    nps = nps_from_rois(rois, (2.0, 2.0), detrend="mean")
    middle = slice(3, 16)
    expected = 400.0 * SHARP.power_gain(nps.radial_frequency_per_mm[middle])
    np.testing.assert_allclose(nps.radial_nps[middle], expected, rtol=0.15)


@pytest.mark.parametrize(
    "gain",
    [
        lambda f: np.exp(-2.0 * (f / 0.5) ** 2 + 0.8 * (f / 0.5) ** 4),  # inside the power-series family: exact
        lambda f: 1.0 / (1.0 + (f / 0.2) ** 4),  # a Butterworth roll-off, outside it
    ],
    ids=["log-polynomial", "butterworth"],
)
def test_fit_recovers_a_known_power_gain_whatever_the_magnitude(gain):
    frequency = np.linspace(0.0, 0.5, 17)
    base = frequency * np.exp(-((frequency / 0.3) ** 2)) + 1e-3
    target = 7.0 * base * gain(frequency)  # any magnitude: only the shape is matched, T(0) = 1
    kernel = fit_noise_kernel(_radial(frequency, target), _radial(frequency, base), "known")
    assert kernel.power_gain(np.array([0.0]))[0] == 1.0
    fitted, expected = kernel.power_gain(frequency[2:]), gain(frequency[2:])  # bins 0, 1: extrapolated
    np.testing.assert_allclose(fitted / fitted[0], expected / expected[0], rtol=0.08)  # the shape (3-bin smoothing)
    # The level comes from extrapolating to f = 0 (exact inside the family, ≈ 15 % off for a Butterworth).
    np.testing.assert_allclose(fitted, expected, rtol=0.2)


def test_auto_kernel_and_calibration_recover_a_known_kernel_and_flux():
    # A "scan": water cylinder carrying full-dose noise of I0 = 5e4 reconstructed with the SHARP kernel.
    true_flux = FluxModel(full_dose_photons=5e4)
    clean = water_cylinder_hu(128, 2.0, 220.0)
    noise = [low_dose_noise_hu(clean, (2.0, 2.0), 0.5, GEOMETRY, true_flux, slice_rng(99, k), SHARP) for k in range(4)]
    scan = Volume([clean + n for n in noise], spacing_mm=(1.0, 2.0, 2.0))
    model = fit_noise_model(scan, GEOMETRY, "auto", calibrate=True, n_slices=3, roi_px=16, source="scan")
    assert model.flux.full_dose_photons == pytest.approx(5e4, rel=0.15)
    frequency = np.linspace(0.05, 0.25, 9)
    np.testing.assert_allclose(model.kernel.power_gain(frequency), SHARP.power_gain(frequency), rtol=0.25)
    inserted = low_dose_noise_hu(clean, (2.0, 2.0), 0.25, GEOMETRY, model.flux, slice_rng(5, 0), model.kernel)
    rois = model.scan_noise.rois
    inserted_nps = nps_from_rois(rois.cut(dict.fromkeys(rois.slice_index.tolist(), inserted)), (2.0, 2.0))
    assert nps_shape_correlation(model.scan_noise.nps, inserted_nps) >= 0.95
