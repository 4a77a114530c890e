"""A real scan's own noise: σ (HU) and noise power spectrum from flat regions of the patient image itself.

Patient-image noise estimation in the spirit of Christianson et al. 2015 (Radiology 275:725, the "global noise
level": the mode of local noise over soft tissue, robust to anatomy because anatomy only ever adds variance) and
the patient NPS of Malkus & Szczykutowicz 2017 (Med Phys 44:2173: uniform ROIs picked in the patient image, then
the ICRU 87 / TG-233 ensemble NPS):

1. On a handful of slice pairs ``(k, k+1)`` spread over the scan, square ROIs (24 × 24 px by default,
   half-overlapping) are candidates when the smoothed image stays within :data:`FLAT_TISSUE_HU` (fat, muscle,
   organs, contrast-enhanced blood) over the whole ROI in both slices (inside the simulator's reconstruction
   circle when calibrating).
2. The ROIs are cut from the difference of neighbouring slices ``(S_k − S_{k+1}) / √(2(1 − ρ₁))``, which keeps one
   slice's noise power (the difference-image method of ICRU Report 87 §5.3 applied to adjacent slices) while
   anatomy that changes slowly along z cancels. ρ₁ is the correlation of the noise of neighbouring slices
   (:func:`slice_noise_correlation`): a helical reconstruction's slice sensitivity profile is wider than the slice
   spacing, so contiguous slices share part of their noise, and the plain difference ``/√2`` (ρ₁ = 0, as until
   2026-12-01) reads one slice's noise variance 1 − ρ₁ low. On the real scans in ``../shared`` ρ₁ is 0.09–0.36
   (Siemens B70f 0.19–0.21 on every slab, where the lag-2 and lag-3 differences agree to 2 %).
3. Each ROI is detrended (quadratic surface, TG-233). What anatomy is left only adds variance, and mostly at low
   spatial frequencies, where CT noise has little power (its NPS vanishes at zero frequency, the ramp filter).
   So an ROI is kept when its standard deviation and its fraction of power in the lowest frequency rings both
   stay within :data:`STRUCTURE_FACTOR` × their mode (half-sample mode, Bickel & Frühwirth 2006, Comput Stat
   Data Anal 50:3500): the mode is the noise level, the upper tail is structure. The standard deviation is judged
   against the mode of the ROI's own slice pair (noise changes along z), the low-frequency fraction against the
   mode of all candidates.
4. The kept ROIs give the NPS (:func:`ctdenoise.metrics.nps.nps_from_rois`), whose integral is σ² (Parseval).
5. The test of step 3 is made on the noise the NPS is measured on, so it also rejects the noise's own upper tail:
   on noise drawn with the NPS of each real scan in ``../shared``, the kept ROIs' NPS reads 11–21 % low in radial
   bins 1–2. The bias is
   measured by drawing Gaussian noise with the measured NPS on the candidates, putting it through the same test,
   and removed (a parametric bootstrap, :mod:`ctdenoise.simulate.selection_bias`).

Assumes slices whose noise is independent two slices apart (ρ₂ = 0): contiguous reconstructions (spacing ≥
thickness). Overlapping slices (spacing below the thickness) share noise over more slices and ρ₁ is then
underestimated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.nps import NoisePowerSpectrum, detrend_rois, ensemble_periodogram, nps_from_rois
from ctdenoise.simulate.attenuation import circle_mask
from ctdenoise.simulate.selection_bias import SelectionBias, selection_bias
from ctdenoise.volume import Volume

#: HU range of flat tissue after smoothing: fat (≈ −100) to contrast-enhanced blood (≈ 300); no lung, no bone.
FLAT_TISSUE_HU = (-200.0, 400.0)
#: An ROI whose detrended std, or low-frequency power fraction, exceeds this multiple of its mode holds anatomy.
STRUCTURE_FACTOR = 1.3
#: Radius of the "low-frequency" rings in DFT bins of the ROI (the rings anatomy fills and CT noise leaves empty).
LOW_FREQUENCY_BINS = 2.5
#: Fewer kept ROIs than this is too little flat tissue to measure noise on.
MIN_ROIS = 12
#: A slice pair with at least this many candidate ROIs is judged against its own noise level (noise changes along z).
MIN_PAIR_CANDIDATES = 8
#: Frequencies (mm⁻¹) from which on the NPS holds noise only: structures over ~12 mm, where what anatomy survives
#: ROI selection and detrending still adds power, sit below it, while CT noise (ramp-filtered) has little there.
NOISE_BAND_FROM_PER_MM = 0.08
#: Below this σ (HU) a scan has no measurable noise (a noise-free phantom, a synthetic image).
MIN_NOISE_HU = 0.1
#: ρ₁ is estimated on frequencies above this fraction of the Nyquist frequency, where flat tissue holds the least
#: anatomy (noise's correlation along z is the slice sensitivity profile's, the same at every in-plane frequency).
CORRELATION_BAND_FROM_NYQUIST = 0.5
#: Estimates of ρ₁ are kept within these bounds (beyond them the model of :func:`slice_noise_correlation` fails:
#: overlapping slices, or anatomy that the flat ROIs did not reject).
SLICE_CORRELATION_RANGE = (-0.2, 0.6)
#: A slice whose own ρ₁ lies further than this many robust standard deviations (1.4826 × MAD) from the slices'
#: median is left out of ρ₁ (Hampel identifier, :func:`_stationary_slices`).
OUTLIER_MADS = 3.0
DEFAULT_ROI_PX = 24
DEFAULT_SLICES = 8


@dataclass(frozen=True)
class FlatRois:
    """Where the flat ROIs of a scan are: one entry per ROI.

    Attributes:
        slice_index: ``(n,)`` axial slice of each ROI (its noise image is the difference with the next slice).
        top: ``(n,)`` first row of each ROI.
        left: ``(n,)`` first column of each ROI.
        roi_px: side of the square ROIs in pixels.
    """

    slice_index: np.ndarray
    top: np.ndarray
    left: np.ndarray
    roi_px: int

    def __len__(self) -> int:
        return int(self.slice_index.size)

    def select(self, keep: np.ndarray) -> FlatRois:
        """The ROIs where the boolean ``(n,)`` mask ``keep`` is true."""
        return FlatRois(self.slice_index[keep], self.top[keep], self.left[keep], self.roi_px)

    def cut(self, images: dict[int, np.ndarray]) -> np.ndarray:
        """The ROIs ``(n, roi_px, roi_px)`` (float64) cut from ``images[slice_index]`` (any 2D images per slice)."""
        size = self.roi_px
        return np.stack(
            [
                np.asarray(images[int(z)][r : r + size, c : c + size], dtype=np.float64)
                for z, r, c in zip(self.slice_index, self.top, self.left, strict=True)
            ]
        )


@dataclass(frozen=True)
class ScanNoise:
    """A scan's own noise, measured on its flat ROIs.

    Attributes:
        nps: ensemble NPS of the kept ROIs (HU²·mm²); ``nps.noise_std_hu`` is σ.
        rois: the kept ROIs.
        candidates: every flat-tissue ROI before structured ones were rejected (``rois`` is a subset).
        global_noise_level_hu: mode of the candidates' detrended standard deviations (Christianson et al. 2015),
            of the plain slice differences ``(S_k − S_{k+1})/√2``.
        slice_correlation: ρ₁, the correlation of neighbouring slices' noise (:func:`slice_noise_correlation`);
            ``nps`` is one slice's noise, corrected for it. None when too few slices let it be measured (then
            ``nps`` assumes independent slices).
        slice_correlation_error: jackknife standard error of ``slice_correlation``
            (:func:`slice_noise_correlation_estimate`); None when ρ₁ was given rather than measured, or could not be
            resampled (fewer than three slices).
        selection_bias: how much choosing the ROIs on the noise lowered its NPS (removed from ``nps``;
            :mod:`ctdenoise.simulate.selection_bias`). On another scan's ROIs (:func:`measure_on_rois_of`) it is
            that scan's, so that the two NPS are treated alike bin by bin.
    """

    nps: NoisePowerSpectrum
    rois: FlatRois
    candidates: FlatRois
    global_noise_level_hu: float
    slice_correlation: float | None = None
    slice_correlation_error: float | None = None
    selection_bias: SelectionBias | None = None

    def summary(self) -> dict:
        """JSON-ready: σ, NPS peak and mean frequency, the ROI counts, ρ₁ and the radial NPS curve."""
        return {
            **self.nps.summary(),
            "roi_px": self.rois.roi_px,
            "n_candidate_rois": len(self.candidates),
            "n_slice_pairs": int(np.unique(self.rois.slice_index).size),
            "global_noise_level_hu": round(self.global_noise_level_hu, 4),
            "slice_noise_correlation": None if self.slice_correlation is None else round(self.slice_correlation, 4),
            "slice_noise_correlation_standard_error": (
                None if self.slice_correlation_error is None else round(self.slice_correlation_error, 4)
            ),
            # c(f) by which the radial NPS was multiplied: the power the structure test took from the noise itself.
            "selection_bias_correction": (
                None if self.selection_bias is None else [round(float(c), 4) for c in self.selection_bias.radial_factor]
            ),
        }


def band_noise_variance(nps: NoisePowerSpectrum, from_per_mm: float = NOISE_BAND_FROM_PER_MM) -> float:
    """Noise variance (HU²) in the band ``|f| ≥ from_per_mm``: the NPS summed over it times ``Δfx·Δfy`` (Parseval)."""
    fy, fx = np.meshgrid(nps.frequency_y_per_mm, nps.frequency_x_per_mm, indexing="ij")
    df_y = abs(nps.frequency_y_per_mm[1] - nps.frequency_y_per_mm[0])
    df_x = abs(nps.frequency_x_per_mm[1] - nps.frequency_x_per_mm[0])
    return float(nps.nps_2d[np.hypot(fy, fx) >= from_per_mm].sum() * df_y * df_x)


def half_sample_mode(values: np.ndarray) -> float:
    """Robust mode of a sample: repeatedly keep the half of the sorted values in the narrowest interval.

    Bickel & Frühwirth 2006 (Comput Stat Data Anal 50:3500); unbiased for a symmetric peak, insensitive to a
    long upper tail (here: ROIs that hold anatomy).
    """
    data = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if data.size == 0:
        raise ValueError("half-sample mode of an empty sample")
    while data.size > 2:
        half = (data.size + 1) // 2
        widths = data[half - 1 :] - data[: data.size - half + 1]
        start = int(np.argmin(widths))
        data = data[start : start + half]
    return float(data.mean())


def measurement_slices(n_z: int, n_slices: int) -> np.ndarray:
    """Up to ``n_slices`` distinct first slices ``k`` of pairs ``(k, k+1)``, spread over the middle 80 % of the scan."""
    n_pairs = n_z - 1
    if n_pairs <= n_slices:
        return np.arange(max(n_pairs, 0))
    first, last = int(0.1 * n_pairs), max(int(0.1 * n_pairs), int(np.ceil(0.9 * n_pairs)) - 1)
    return np.unique(np.linspace(first, last, n_slices).round().astype(int))


def slice_difference_noise(
    volume: Volume, slice_indices: np.ndarray, correlation: float = 0.0, lag: int = 1
) -> dict[int, np.ndarray]:
    """``{k: (S_k − S_{k+lag}) / √(2(1 − ρ))}`` in HU (float64): one slice's noise with slowly varying anatomy
    removed, for slices whose noise has correlation ``correlation`` (ρ) at that lag."""
    scale = np.sqrt(2.0 * (1.0 - correlation))
    return {int(k): (volume.hu[int(k)].astype(np.float64) - volume.hu[int(k) + lag]) / scale for k in slice_indices}


def slice_noise_correlation(volume: Volume, rois: FlatRois) -> float | None:
    """ρ₁ of :func:`slice_noise_correlation_estimate`, without its standard error."""
    estimate = slice_noise_correlation_estimate(volume, rois)
    return None if estimate is None else estimate[0]


def slice_noise_correlation_estimate(volume: Volume, rois: FlatRois) -> tuple[float, float | None] | None:
    """ρ₁, the correlation of the noise of neighbouring slices, from the flat ROIs' differences at lags 1–3, and
    its standard error.

    On each ROI the plain differences ``(S_k − S_{k+L})/√2``, L = 1, 2, 3, are detrended and their power summed
    above :data:`CORRELATION_BAND_FROM_NYQUIST` × Nyquist, where flat tissue holds the least anatomy. With one
    slice's noise variance σ², the noise's correlation ρ_L at lag L and anatomy that changes smoothly along z
    (its difference growing ∝ L, so its power ∝ L²), these powers are ``V_L = σ²(1 − ρ_L) + A·L²``; with ρ₂ = ρ₃ = 0
    (contiguous slices: the slice sensitivity profile reaches the next slice, not the one after):
    ``A = (V₃ − V₂)/5`` (at least 0), ``σ² = V₂ − 4A``, ``ρ₁ = 1 − (V₁ − A)/σ²``. Without slices three apart the
    lag-2 difference alone gives ``ρ₁ = 1 − V₁/V₂`` (A = 0).

    The standard error is the delete-one-slice jackknife (Efron & Tibshirani 1993, *An Introduction to the
    Bootstrap*, §11.2): ρ₁ recomputed without each slice's ROIs in turn, ``SE² = (g−1)/g · Σ(ρ₁₍ᵢ₎ − ρ̄₁)²`` over
    the ``g`` slices. On synthetic scans with ρ₁ = 0.25 it follows the estimate's scatter over noise draws
    (``tests/simulate/test_scan_noise.py``); a 6-slice crop's is several times a whole scan's.

    Measured on the real scans in ``../shared`` (``scripts/validate_slice_correlation.py``, 2026-12-01, three
    13-slice slabs each; its ratios above 0.3 mm⁻¹): ``V₂/V₁`` and ``V₃/V₁`` are 1.25–1.26 and 1.26–1.27 on Siemens
    B70f 3 mm slices — equal, so no anatomy, and ρ₁ = 0.19–0.20 — 1.10–1.21 and 1.07–1.26 on Philips C 2 mm, and
    rise with the lag on the smooth kernels (GE STANDARD, B19f), whose flat tissue keeps more anatomy there.

    Args:
        volume: the scan in HU, axial slices.
        rois: its flat ROIs (:func:`find_flat_rois`); only those with the slices two (three) further are used.

    Returns:
        ``(ρ₁, standard error)``, ρ₁ within :data:`SLICE_CORRELATION_RANGE`, the error None when fewer than three
        slices hold the ROIs or a jackknife sample leaves no noise; None when fewer than :data:`MIN_ROIS` ROIs have
        the slice two further (too few slices to tell) or the lag powers leave no noise.
    """
    n_z = volume.shape[0]
    lags = 3 if np.sum(rois.slice_index + 3 < n_z) >= MIN_ROIS else 2
    usable = rois.select(rois.slice_index + lags < n_z)
    if len(usable) < MIN_ROIS:
        return None
    pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
    from_per_mm = CORRELATION_BAND_FROM_NYQUIST * 0.5 / max(pixel_mm)
    slices = np.unique(usable.slice_index)
    per_slice = [usable.select(usable.slice_index == index) for index in slices]
    # power[i, L − 1]: the band power of slice i's ROIs at lag L, summed over those ROIs.
    power = np.zeros((slices.size, lags))
    for lag in range(1, lags + 1):
        differences = slice_difference_noise(volume, slices, 0.0, lag)
        for i, on_slice in enumerate(per_slice):
            nps_2d, frequency_y, frequency_x = ensemble_periodogram(
                detrend_rois(on_slice.cut(differences), order=2), pixel_mm
            )
            band = np.hypot(frequency_y[:, None], frequency_x[None, :]) >= from_per_mm
            power[i, lag - 1] = float(nps_2d[band].sum()) * len(on_slice)
    power = power[_stationary_slices(power)]
    total = power.sum(axis=0)
    value = _correlation_from_lag_powers(total)
    if value is None:
        return None
    leave_one_out = [_correlation_from_lag_powers(total - row) for row in power]
    error = None
    if len(power) >= 3 and all(estimate is not None for estimate in leave_one_out):
        samples = np.array(leave_one_out, dtype=np.float64)
        error = float(np.sqrt((len(power) - 1) / len(power) * np.sum((samples - samples.mean()) ** 2)))
    low, high = SLICE_CORRELATION_RANGE
    return float(np.clip(value, low, high)), error


def _stationary_slices(power: np.ndarray) -> np.ndarray:
    """Boolean ``(g,)``: the slices of the lag powers ``(g, lags)`` whose own ρ₁ is not an outlier.

    The lag model assumes one noise level over the slices a difference spans; a slice noisier than its neighbours
    (a streak, a tube-current step) breaks it — on the Philips scan in ``../shared`` one slice carries 1.3× its
    neighbours' σ, its own ρ₁ reads −0.24 against 0.0–0.26 on the 15 other slices, and with 3× their noise power it
    pulled the pooled ρ₁ to 0.01 (0.13 without it). Each slice's ρ₁ from its own powers is tested with the Hampel identifier
    (Hampel 1974, J Am Stat Assoc 69:383; Davies & Gather 1993): an outlier lies more than
    :data:`OUTLIER_MADS` × 1.4826 × MAD from the median. Fewer than four slices are all kept.
    """
    keep = np.ones(len(power), dtype=bool)
    if len(power) < 4:
        return keep
    own = np.array([_correlation_from_lag_powers(row) for row in power], dtype=np.float64)  # None → nan
    finite = np.isfinite(own)
    if finite.sum() < 4:
        return keep
    centre = np.median(own[finite])
    spread = 1.4826 * np.median(np.abs(own[finite] - centre))
    return finite & (np.abs(own - centre) <= OUTLIER_MADS * max(spread, 1e-3))


def _correlation_from_lag_powers(power: np.ndarray) -> float | None:
    """ρ₁ (unclipped) from the band powers ``(V₁, V₂[, V₃])`` of :func:`slice_noise_correlation_estimate`; None
    when they leave no noise."""
    anatomy = max(0.0, (power[2] - power[1]) / 5.0) if power.size == 3 else 0.0
    variance = power[1] - 4.0 * anatomy
    if variance <= 0.0:
        return None
    return float(1.0 - (power[0] - anatomy) / variance)


def low_frequency_fraction(residuals: np.ndarray) -> np.ndarray:
    """``(n,)`` fraction of each ROI's power within :data:`LOW_FREQUENCY_BINS` DFT bins of zero frequency."""
    n_y, n_x = residuals.shape[1:]
    radius = np.hypot(*np.meshgrid(np.fft.fftfreq(n_y) * n_y, np.fft.fftfreq(n_x) * n_x, indexing="ij"))
    power = np.abs(np.fft.fft2(residuals)) ** 2
    return power[:, radius <= LOW_FREQUENCY_BINS].sum(axis=1) / np.maximum(power.sum(axis=(1, 2)), 1e-30)


def flat_roi_candidates(
    hu_slice: np.ndarray, pixel_mm: tuple[float, float], roi_px: int, radius_mm: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-left corners of the half-overlapping ROIs that lie wholly in flat-tissue HU and inside the circle.

    Args:
        hu_slice: ``(y, x)`` HU image.
        pixel_mm: ``(Δy, Δx)`` in mm.
        roi_px: ROI side in pixels.
        radius_mm: radius of the usable circle around the image centre; default None, the whole image (padding is
            never flat tissue).

    Returns:
        ``(top, left)`` integer arrays.
    """
    image = np.asarray(hu_slice, dtype=np.float64)
    smooth = ndimage.gaussian_filter(image, 2.0)  # σ = 2 px: noise no longer leaves the range, edges still do
    tissue = (smooth > FLAT_TISSUE_HU[0]) & (smooth < FLAT_TISSUE_HU[1])
    if radius_mm is not None:
        tissue &= circle_mask(image.shape, pixel_mm, radius_mm)
    # Whole-ROI test with a summed-area table: the count of tissue pixels in every roi_px × roi_px window.
    table = np.pad(tissue.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    count = table[roi_px:, roi_px:] - table[:-roi_px, roi_px:] - table[roi_px:, :-roi_px] + table[:-roi_px, :-roi_px]
    stride = max(1, roi_px // 2)
    top, left = np.meshgrid(np.arange(0, count.shape[0], stride), np.arange(0, count.shape[1], stride), indexing="ij")
    full = count[top, left] == roi_px * roi_px
    return top[full], left[full]


def _candidate_corners(
    volume: Volume, slices: np.ndarray, roi_px: int, radius_mm: float | None, also_next_slice: bool
) -> list[tuple[int, int, int]]:
    """``(slice, top, left)`` of the flat-tissue ROI candidates on ``slices`` (and on the next slice too)."""
    pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
    corners = []
    for index in slices:
        top, left = flat_roi_candidates(volume.hu[index], pixel_mm, roi_px, radius_mm)
        found = zip(top.tolist(), left.tolist(), strict=True)
        if also_next_slice:
            in_next = set(zip(*flat_roi_candidates(volume.hu[index + 1], pixel_mm, roi_px, radius_mm), strict=True))
            found = [corner for corner in found if corner in in_next]
        corners.extend((int(index), r, c) for r, c in found)
    return corners


def _as_rois(corners: list[tuple[int, int, int]], roi_px: int) -> FlatRois:
    z, top, left = (np.array(column, dtype=np.int64) for column in zip(*corners, strict=True))
    return FlatRois(z, top, left, roi_px)


def tissue_rois(
    volume: Volume,
    roi_px: int = DEFAULT_ROI_PX,
    n_slices: int = DEFAULT_SLICES,
    radius_mm: float | None = None,
    source: str = "input",
) -> FlatRois:
    """ROIs wholly in flat-tissue HU on single slices, without rejecting structure.

    For measuring *simulated* noise images (which hold no anatomy) where the scan itself has no measurable
    noise, e.g. to match a kernel to a given NPS.

    Raises:
        CtDenoiseError: when there is no such ROI, naming the scan.
    """
    slices = measurement_slices(volume.shape[0] + 1, n_slices)  # every slice may be used, not only pairs
    corners = _candidate_corners(volume, slices, roi_px, radius_mm, also_next_slice=False)
    if not corners:
        raise CtDenoiseError(f"{source}: no {roi_px}×{roi_px} px region of soft tissue to measure noise on")
    return _as_rois(corners, roi_px)


def candidate_residuals(volume: Volume, rois: FlatRois, correlation: float = 0.0) -> np.ndarray:
    """``(n, roi_px, roi_px)`` the ROIs cut from ``volume``'s slice-difference noise (neighbouring slices' noise
    correlated by ``correlation``, ρ₁), quadratically detrended."""
    return detrend_rois(rois.cut(slice_difference_noise(volume, np.unique(rois.slice_index), correlation)), order=2)


def local_noise_levels(slice_index: np.ndarray, roi_std: np.ndarray, overall: float) -> np.ndarray:
    """``(n,)`` the noise level each ROI is compared with: the half-sample mode of the ROIs of its own slice pair
    when that pair has at least :data:`MIN_PAIR_CANDIDATES` of them, else ``overall`` (the mode of all).

    A real scan's noise changes along z (tube-current modulation, the shoulders against the abdomen; 13–24 HU
    within LIDC-IDRI-0001); one mode for all would reject every ROI of the noisier slices as structure."""
    levels = np.full(roi_std.shape, overall)
    for index in np.unique(slice_index):
        here = slice_index == index
        if here.sum() >= MIN_PAIR_CANDIDATES:
            levels[here] = half_sample_mode(roi_std[here])
    return levels


def find_flat_rois(
    volume: Volume,
    roi_px: int = DEFAULT_ROI_PX,
    n_slices: int = DEFAULT_SLICES,
    radius_mm: float | None = None,
    source: str = "input",
) -> tuple[FlatRois, FlatRois, float]:
    """Flat ROIs of a scan, structured ones rejected (module docstring, steps 1–3).

    Args:
        volume: the scan in HU, at least two slices.
        roi_px: ROI side in pixels (≥ 8).
        n_slices: how many slice pairs to search (:func:`measurement_slices`).
        radius_mm: usable circle (the simulator's reconstruction circle); default the whole image.
        source: name of the scan for error messages.

    Returns:
        ``(kept_rois, candidate_rois, global_noise_level_hu)``.

    Raises:
        CtDenoiseError: fewer than :data:`MIN_ROIS` flat ROIs (too little flat tissue), naming the scan.
    """
    if volume.shape[0] < 2:
        raise CtDenoiseError(f"{source}: noise is measured on neighbouring slices; this scan has only one slice")
    pairs = measurement_slices(volume.shape[0], n_slices)
    corners = _candidate_corners(volume, pairs, roi_px, radius_mm, also_next_slice=True)
    slices_text = f"{len(pairs)} slice pairs"
    if len(corners) < MIN_ROIS:
        raise CtDenoiseError(
            f"{source}: too little flat tissue to measure noise: {len(corners)} ROIs of {roi_px}×{roi_px} px "
            f"in {FLAT_TISSUE_HU[0]:g}…{FLAT_TISSUE_HU[1]:g} HU on {slices_text} (need {MIN_ROIS})"
        )
    candidates = _as_rois(corners, roi_px)
    residuals = candidate_residuals(volume, candidates)
    noise_level = half_sample_mode(residuals.std(axis=(1, 2)))
    keep = structure_free(residuals, candidates.slice_index)
    if noise_level < MIN_NOISE_HU:
        raise CtDenoiseError(f"{source}: no measurable noise in flat tissue (σ ≈ {noise_level:.2g} HU: noise-free?)")
    if keep.sum() < MIN_ROIS:
        raise CtDenoiseError(
            f"{source}: too little flat tissue to measure noise: {int(keep.sum())} of {len(candidates)} ROIs are "
            f"free of structure on {slices_text} (need {MIN_ROIS})"
        )
    return candidates.select(keep), candidates, noise_level


def structure_free(residuals: np.ndarray, slice_index: np.ndarray) -> np.ndarray:
    """Boolean ``(n,)``: the detrended ROIs ``(n, roi, roi)`` whose σ (against the mode of their slice pair,
    :func:`local_noise_levels`) and low-frequency power fraction (against the mode of all) both stay within
    :data:`STRUCTURE_FACTOR` × that mode (module docstring, step 3); ``slice_index`` ``(n,)`` groups them."""
    roi_std = residuals.std(axis=(1, 2))
    low_fraction = low_frequency_fraction(residuals)
    return (roi_std <= STRUCTURE_FACTOR * local_noise_levels(slice_index, roi_std, half_sample_mode(roi_std))) & (
        low_fraction <= STRUCTURE_FACTOR * half_sample_mode(low_fraction)
    )


def measure_scan_noise(
    volume: Volume,
    roi_px: int = DEFAULT_ROI_PX,
    n_slices: int = DEFAULT_SLICES,
    radius_mm: float | None = None,
    source: str = "input",
    slice_correlation: float | None = None,
) -> ScanNoise:
    """σ (HU) and NPS of a scan's own noise from its flat ROIs (see the module docstring for the method).

    Args:
        volume: the scan in HU with axial slices.
        roi_px: ROI side in pixels.
        n_slices: slice pairs to search, spread over the middle 80 % of the scan.
        radius_mm: usable circle; default the whole image.
        source: name of the scan for error messages.
        slice_correlation: ρ₁ of the scan's noise when known — a property of its reconstruction, the same all
            along it, so a thin crop can take the whole scan's (its own few slices give a scattered estimate);
            None measures it (:func:`slice_noise_correlation_estimate`).

    Returns:
        :class:`ScanNoise`; ``.nps.noise_std_hu`` is σ in HU, ``.nps.peak_frequency_per_mm`` the NPS peak.

    Raises:
        CtDenoiseError: too little flat tissue, or no measurable noise (below :data:`MIN_NOISE_HU`), naming the scan;
            a given ``slice_correlation`` outside :data:`SLICE_CORRELATION_RANGE`.

    Example:
        >>> scan = read_volume("../shared/data/lung1-001/dicom")          # doctest: +SKIP
        >>> noise = measure_scan_noise(scan, source="lung1-001")           # doctest: +SKIP
        >>> round(noise.nps.noise_std_hu), noise.rois.roi_px                # doctest: +SKIP
        (24, 24)
    """
    check_slice_correlation(slice_correlation, source)
    rois, candidates, noise_level = find_flat_rois(volume, roi_px, n_slices, radius_mm, source)
    return _one_slice_noise(volume, rois, candidates, noise_level, slice_correlation)


def check_slice_correlation(slice_correlation: float | None, source: str = "input") -> None:
    """Refuse a given ρ₁ outside :data:`SLICE_CORRELATION_RANGE` (contiguous helical slices: 0.09–0.36 measured on
    the scans in ``../shared``), naming ``source``."""
    low, high = SLICE_CORRELATION_RANGE
    if slice_correlation is not None and not low <= slice_correlation <= high:
        raise CtDenoiseError(
            f"{source}: slice correlation {slice_correlation:g} is outside {low:g}…{high:g} (the correlation of "
            "neighbouring slices' noise; contiguous helical slices show about 0.1–0.35)"
        )


def measure_on_rois_of(
    volume: Volume,
    reference: Volume,
    roi_px: int = DEFAULT_ROI_PX,
    n_slices: int = DEFAULT_SLICES,
    source: str = "input",
    reference_source: str = "reference",
    slice_correlation: float | None = None,
) -> ScanNoise:
    """σ and NPS of ``volume``'s noise on the flat ROIs of ``reference`` (a scan on the same grid).

    To compare two versions of one scan — full dose and a (simulated) lower dose — on the same tissue: each scan's
    own ROI selection is relative to its own noise, so a noisier scan lets more anatomy count as flat
    (``docs/simulate.md``), which moves its σ by more than the dose does.

    Args:
        slice_correlation: ρ₁ of ``volume``'s noise when known (as :func:`measure_scan_noise`); None measures it.

    Returns:
        :class:`ScanNoise` of ``volume``: its NPS on ``reference``'s kept ROIs, corrected for choosing them as
        ``reference``'s is (the same factor, so the two NPS compare bin by bin; exact for noise that is a scaled
        copy of the reference's, an overcorrection of bins 1–2 for noise independent of it), and its global noise
        level on ``reference``'s candidate ROIs.

    Raises:
        CtDenoiseError: when the grids differ (shape, spacing, origin or direction; naming both scans), as
            :func:`find_flat_rois` on ``reference``, or a ``slice_correlation`` outside
            :data:`SLICE_CORRELATION_RANGE`.
    """
    check_slice_correlation(slice_correlation, source)
    if not volume.same_grid_as(reference):

        def grid(scan: Volume) -> str:
            return f"{'×'.join(map(str, scan.shape))} voxels of {' × '.join(f'{v:.4g}' for v in scan.spacing_mm)} mm"

        differ = f"{grid(volume)} against {grid(reference)}"
        if grid(volume) == grid(reference):
            differ = f"both {grid(volume)}, but their origin or direction differ"
        raise CtDenoiseError(f"{source}: not on the grid of {reference_source} ({differ}); its ROIs cannot be reused")
    rois, candidates, _ = find_flat_rois(reference, roi_px, n_slices, None, reference_source)
    # The global noise level of ``volume`` itself, on the reference's candidate ROIs (not the reference's level).
    noise_level = half_sample_mode(candidate_residuals(volume, candidates).std(axis=(1, 2)))
    return _one_slice_noise(volume, rois, candidates, noise_level, slice_correlation, chosen_on=reference)


def _one_slice_noise(
    volume: Volume,
    rois: FlatRois,
    candidates: FlatRois,
    noise_level: float,
    given: float | None = None,
    chosen_on: Volume | None = None,
) -> ScanNoise:
    """:class:`ScanNoise` of ``volume`` on ``rois``: its ρ₁ (``given``, else measured there) and the NPS of one
    slice's noise, corrected for it and for the choice of the ROIs among ``candidates`` on the noise of
    ``chosen_on`` (default ``volume``; :func:`ctdenoise.simulate.selection_bias.selection_bias`, drawn with that
    noise's NPS shape)."""
    estimate = (given, None) if given is not None else slice_noise_correlation_estimate(volume, rois)
    correlation, error = estimate if estimate is not None else (None, None)
    nps = rois_nps(volume, rois, correlation or 0.0)
    chooser_nps = nps if chosen_on is None or chosen_on is volume else rois_nps(chosen_on, rois)
    bias = selection_bias(chooser_nps, candidates.slice_index, rois.roi_px, structure_free)
    return ScanNoise(bias.apply(nps), rois, candidates, noise_level, correlation, error, bias)


def rois_nps(volume: Volume, rois: FlatRois, correlation: float = 0.0) -> NoisePowerSpectrum:
    """NPS of one slice's noise on given flat ROIs: their slice-difference images (neighbouring slices' noise
    correlated by ``correlation``, ρ₁, :func:`slice_noise_correlation`), quadratically detrended."""
    noise = slice_difference_noise(volume, np.unique(rois.slice_index), correlation)
    return nps_from_rois(rois.cut(noise), (volume.spacing_mm[1], volume.spacing_mm[2]), detrend="quadratic")
