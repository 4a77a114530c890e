"""The bias a choice of ROIs puts into the NPS measured on them, and its correction (a parametric bootstrap).

A scan's flat ROIs are kept when their own noise image looks free of structure
(:func:`ctdenoise.simulate.scan_noise.find_flat_rois`): detrended σ and low-frequency power fraction within
1.3 × their mode. The test is made on the same noise the NPS is then measured on, so besides anatomy it also
rejects the noise's own upper tail — mostly ROIs whose few lowest DFT rings happen to hold much power (a ring of
radius ≤ 2.5 bins has ~20 of an ROI's 576 DFT samples, so its power scatters widely). On pure noise with the
NPS of each real scan in ``../shared`` the test keeps 66–80 % of the ROIs, and their NPS reads 11–21 % low in
radial bins 1–2 (c = 1.13–1.27 below) and within 2 % elsewhere (2026-12-01; GE STANDARD, Philips C, Siemens B19f
and B70f alike).

The correction is the parametric bootstrap's (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*,
ch. 10 with the parametric bootstrap of ch. 6: estimate the bias of a statistic by applying it to data drawn
from the fitted model): Gaussian noise
with the measured NPS is drawn on one ROI per candidate (the same slice-pair grouping), put through the same
test, and the ratio of the NPS of all draws to that of the kept ones,

    c(f) = NPS_all(f) / NPS_kept(f),

multiplies the measured NPS (its 2D values by ``c`` of their radial bin, its fine curve by the fine ratio). The
draws are then made again with the corrected NPS — their input adjusted so that what all of them measure through
the ROI is the corrected NPS (a Van Cittert step) — and ``c`` measured again, :data:`ITERATIONS` rounds in all, so
that it is the bias of the noise the scan has rather than of its biased estimate. Multiplying assumes that the
kept ROIs' power is noise: what anatomy the test lets through is scaled by ``c`` too. The draws are seeded: the
same scan always gives the same correction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ctdenoise.metrics.nps import (
    ZERO_PAD,
    NoisePowerSpectrum,
    detrend_rois,
    ensemble_periodogram,
    radial_average,
    radial_bin_index,
)

#: Draw-and-correct rounds (the first draws with the biased estimate, the next with the corrected one).
ITERATIONS = 3
#: Seed of the noise draws (fixed: a measurement must not change from one run to the next).
SEED = 20_261_201
#: The noise is drawn on a periodic field this many times the ROI's side and cut to the ROI, so that the ROI
#: does not wrap around (CT noise correlates over a few pixels).
FIELD_FACTOR = 2
#: Candidates drawn per batch (bounds the memory of the draws' FFTs).
_BATCH = 256

#: ``keep(residuals, slice_index) -> (n,) bool``: the structure test, on detrended ROIs ``(n, roi, roi)``.
KeepRule = Callable[[np.ndarray, np.ndarray], np.ndarray]


def draw_noise_rois(
    rng: np.random.Generator, n: int, roi_px: int, pixel_mm: tuple[float, float], nps: NoisePowerSpectrum
) -> np.ndarray:
    """``(n, roi_px, roi_px)`` Gaussian noise ROIs (HU) whose NPS is ``nps``'s radial curve (isotropic).

    White noise on a periodic field of :data:`FIELD_FACTOR` × ``roi_px`` is filtered by ``√(NPS(|f|) / (Δx·Δy))``
    (for which the ICRU 87 estimator returns NPS itself) and cut to the ROI; beyond the radial curve's last
    frequency (the corners of the frequency plane) its last value is held.
    """
    side = FIELD_FACTOR * roi_px
    radius = np.hypot(*np.meshgrid(np.fft.fftfreq(side, pixel_mm[0]), np.fft.fftfreq(side, pixel_mm[1]), indexing="ij"))
    amplitude = np.sqrt(
        np.interp(radius, nps.radial_frequency_per_mm, np.clip(nps.radial_nps, 0.0, None)) / (pixel_mm[0] * pixel_mm[1])
    )
    white = rng.standard_normal((n, side, side))
    return np.fft.ifft2(np.fft.fft2(white) * amplitude).real[:, :roi_px, :roi_px]


@dataclass(frozen=True)
class SelectionBias:
    """How much a choice of ROIs lowered the NPS measured on them: ``c(f) = NPS_all / NPS_kept`` (module docstring).

    Attributes:
        radial_factor: ``(K,)`` ``c`` on the NPS's radial bins (1 where nothing was biased).
        fine_factor: ``(L,)`` ``c`` on its fine, zero-padded radial bins.
    """

    radial_factor: np.ndarray
    fine_factor: np.ndarray

    def apply(self, nps: NoisePowerSpectrum) -> NoisePowerSpectrum:
        """``nps`` (measured on the same ROI size and pixel grid) with the bias removed: its 2D values scaled by the
        factor of their radial bin (the binning of :func:`ctdenoise.metrics.nps.radial_average`, so the radial curve
        is scaled bin by bin; the frequency plane's corners, beyond the last bin, by the last), its fine curve by
        ``fine_factor``."""
        step = nps.radial_frequency_per_mm[1] - nps.radial_frequency_per_mm[0]
        index = np.minimum(
            radial_bin_index(nps.frequency_y_per_mm, nps.frequency_x_per_mm, step), self.radial_factor.size - 1
        )
        nps_2d = nps.nps_2d * self.radial_factor[index]
        radial_frequency, radial_nps = radial_average(nps_2d, nps.frequency_y_per_mm, nps.frequency_x_per_mm)
        fine = None if nps.fine_radial_nps is None else nps.fine_radial_nps * self.fine_factor
        return replace(
            nps, nps_2d=nps_2d, radial_frequency_per_mm=radial_frequency, radial_nps=radial_nps, fine_radial_nps=fine
        )


def selection_bias(
    nps: NoisePowerSpectrum, slice_index: np.ndarray, roi_px: int, keep: KeepRule, seed: int = SEED
) -> SelectionBias:
    """The bias that choosing ROIs with ``keep`` among candidates put into ``nps``, measured on the kept ones.

    Args:
        nps: ensemble NPS of the kept ROIs (:func:`ctdenoise.metrics.nps.nps_from_rois`, quadratic detrending).
        slice_index: ``(n,)`` slice pair of each *candidate* ROI (the test judges σ against its pair's mode).
        roi_px: ROI side in pixels.
        keep: the structure test (module docstring), applied to quadratically detrended ROIs.
        seed: seed of the noise draws.

    Returns:
        :class:`SelectionBias`; its ``apply(nps)`` is the corrected NPS (σ and peak follow from it).
    """
    rng = np.random.default_rng(seed)
    drawn_with = nps.radial_nps.copy()
    for _ in range(ITERATIONS):
        factors, measured_all = _bias_factor(rng, replace(nps, radial_nps=drawn_with), slice_index, roi_px, keep)
        bias = SelectionBias(*factors)
        # The draws' NPS is seen through the ROI's window as the scan's is: correct what they are drawn with until
        # what all of them measure is the corrected NPS (a Van Cittert step, as in refine_noise_kernel).
        target = bias.apply(nps).radial_nps
        usable = (measured_all > 0) & (target > 0)
        drawn_with[usable] *= target[usable] / measured_all[usable]
    return bias


def _bias_factor(
    rng: np.random.Generator, truth: NoisePowerSpectrum, slice_index: np.ndarray, roi_px: int, keep: KeepRule
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """``c`` on the radial bins and on the fine (zero-padded) bins, from one draw per candidate with ``truth``'s
    radial NPS, and the radial NPS measured on all the draws."""
    pixel_mm = truth.pixel_mm
    residuals = np.concatenate(
        [
            detrend_rois(draw_noise_rois(rng, min(_BATCH, slice_index.size - start), roi_px, pixel_mm, truth), order=2)
            for start in range(0, slice_index.size, _BATCH)
        ]
    )
    kept = keep(residuals, slice_index)
    factors, curves_all = [], []
    for pad in (1, ZERO_PAD):
        curves = [
            radial_average(*ensemble_periodogram(subset, pixel_mm, pad))[1] for subset in (residuals, residuals[kept])
        ]
        # Bins without power (zero frequency, removed by detrending: a rounding residue) keep a factor of 1.
        powered = curves[1] > 1e-9 * curves[1].max()
        factors.append(np.where(powered, curves[0] / np.where(powered, curves[1], 1.0), 1.0))
        curves_all.append(curves[0])
    return (factors[0], factors[1]), curves_all[0]
