import numpy as np
import pytest

from ctdenoise.metrics.nps import NoisePowerSpectrum, detrend_rois, nps_from_rois
from ctdenoise.simulate.scan_noise import structure_free
from ctdenoise.simulate.selection_bias import draw_noise_rois, selection_bias

PIXEL_MM = (0.7, 0.7)
ROI_PX = 24


def _field_rois(rng: np.random.Generator, n: int, nps_of_f) -> np.ndarray:
    """ROIs cut from large fields of Gaussian noise with the analytic NPS ``nps_of_f(f)`` (up to scale): made
    without :mod:`ctdenoise.simulate.selection_bias`."""
    side = 512
    frequency = np.fft.fftfreq(side, d=PIXEL_MM[0])
    amplitude = np.sqrt(nps_of_f(np.hypot(frequency[:, None], frequency[None, :])))
    rois = []
    while len(rois) < n:
        field = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(side, side))) * amplitude))
        step = 2 * ROI_PX  # apart, so that neighbouring ROIs share little noise
        rois.extend(
            field[r : r + ROI_PX, c : c + ROI_PX]
            for r in range(0, side - ROI_PX, step)
            for c in range(0, side - ROI_PX, step)
        )
    return np.array(rois[:n])


def _smooth_kernel_rois(rng: np.random.Generator, n: int) -> np.ndarray:
    """Noise with NPS ∝ f·exp(−(f/0.15)²) (peak 0.106 mm⁻¹: a smooth kernel like GE STANDARD or B19f), σ 20 HU."""
    rois = _field_rois(rng, n, lambda f: f * np.exp(-((f / 0.15) ** 2)))
    return rois * 20.0 / rois.std()


def test_drawn_noise_has_the_nps_it_was_drawn_with():
    # A Gaussian NPS, P(f) = A·exp(−(f/0.3 mm⁻¹)²), given analytically: variance ∫P = A·π·0.3² (Parseval); seen
    # through the same 24 px ROIs, the draws' NPS is that of ROIs cut from a large field with P.
    frequency = np.linspace(0.0, 1.2, 400)
    given = NoisePowerSpectrum(
        np.zeros((1, 1)), np.zeros(2), np.zeros(2), frequency, 100.0 * np.exp(-((frequency / 0.3) ** 2)), 0, PIXEL_MM
    )
    drawn = draw_noise_rois(np.random.default_rng(1), 1000, ROI_PX, PIXEL_MM, given)
    assert drawn.var() == pytest.approx(100.0 * np.pi * 0.3**2, rel=0.03)
    reference = _field_rois(np.random.default_rng(2), 1000, lambda f: np.exp(-((f / 0.3) ** 2)))
    ratio = nps_from_rois(drawn, PIXEL_MM).radial_nps[1:] / nps_from_rois(reference, PIXEL_MM).radial_nps[1:]
    np.testing.assert_allclose(ratio / ratio.mean(), 1.0, atol=0.06)


def test_the_correction_gives_back_the_nps_of_all_candidates_that_the_structure_test_chose_from():
    # Pure noise, no anatomy: every ROI the structure test rejects is noise, so the truth is the NPS of all of them.
    rois = _smooth_kernel_rois(np.random.default_rng(4), 1600)
    pairs = np.repeat(np.arange(8), 200)
    keep = structure_free(detrend_rois(rois), pairs)
    truth, kept = nps_from_rois(rois, PIXEL_MM), nps_from_rois(rois[keep], PIXEL_MM)
    assert 0.5 < keep.mean() < 0.95
    assert kept.radial_nps[1] / truth.radial_nps[1] < 0.95  # the bias: the test cuts the noise's low-frequency tail
    bias = selection_bias(kept, pairs, ROI_PX, structure_free)
    corrected = bias.apply(kept)
    np.testing.assert_allclose(corrected.radial_nps[1:6] / truth.radial_nps[1:6], 1.0, atol=0.05)
    assert corrected.noise_std_hu == pytest.approx(truth.noise_std_hu, rel=0.02)
    assert corrected.fine_radial_nps[4:24].max() == pytest.approx(truth.fine_radial_nps[4:24].max(), rel=0.05)


def test_a_choice_that_does_not_look_at_the_noise_is_not_corrected():
    # Keeping every other ROI, whatever its noise, biases nothing: the factor stays 1 (within the draws' scatter).
    rois = _smooth_kernel_rois(np.random.default_rng(5), 800)
    nps = nps_from_rois(rois, PIXEL_MM)
    bias = selection_bias(
        nps, np.zeros(800, dtype=int), ROI_PX, lambda residuals, _: np.arange(len(residuals)) % 2 == 0
    )
    np.testing.assert_allclose(bias.radial_factor[1:], 1.0, atol=0.06)
    everything = selection_bias(
        nps, np.zeros(800, dtype=int), ROI_PX, lambda residuals, _: np.ones(len(residuals), bool)
    )
    np.testing.assert_allclose(everything.apply(nps).radial_nps, nps.radial_nps, rtol=1e-12)


def test_the_correction_is_the_same_every_time():
    nps = nps_from_rois(_smooth_kernel_rois(np.random.default_rng(6), 400), PIXEL_MM)
    first = selection_bias(nps, np.repeat(np.arange(4), 100), ROI_PX, structure_free)
    second = selection_bias(nps, np.repeat(np.arange(4), 100), ROI_PX, structure_free)
    np.testing.assert_array_equal(first.radial_factor, second.radial_factor)
