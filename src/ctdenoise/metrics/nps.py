"""Noise power spectrum (NPS) of CT noise from square regions of interest: 2D, radially averaged, and its summaries.

The estimator is the one of ICRU Report 87 (2012, §5.3) and AAPM TG-233 (Samei et al., Med Phys 46:e735, 2019,
eq. 4), also used for patient images by Solomon, Christianson & Samei (Med Phys 39:3216, 2012)::

    NPS(fx, fy) = (Δx·Δy / (Nx·Ny)) · ⟨ |DFT2{ROI_i(x, y) − P_i(x, y)}|² ⟩_i

with ``P_i`` a low-order polynomial fitted to each ROI (detrending removes the mean and slow anatomy or cupping),
averaged over an ensemble of ROIs. Its integral over the frequency plane is the noise variance (Parseval):
``σ² = Σ NPS · Δfx · Δfy``. The radial average bins ``NPS`` in annuli of width ``1 / (N·Δx)``; the mean frequency
is ``f̄ = ∫ f·NPS(f) df / ∫ NPS(f) df`` (Solomon et al. 2012).

The peak frequency is read from a finer curve: each detrended ROI is zero-padded to :data:`ZERO_PAD` times its size
before the DFT, which samples the same periodogram (the ROI's DTFT) between the DFT bins, and the radial average
then uses :data:`ZERO_PAD` times finer annuli. A smooth kernel's NPS peaks within the first two bins of a small ROI
(0.06 mm⁻¹ wide for 24 px of 0.7 mm; Dolly et al. 2016, J Appl Clin Med Phys 17:392, on ROI size and detrending
at low frequencies), where the bin of largest NPS quantises the peak to a whole bin. The peak is the centroid of
the curve's top :data:`PEAK_WITHIN` (:func:`top_centroid`), so a flat-topped NPS (Philips C) gives the centre
of its plateau, not whichever end the estimation noise favours. Zero-padding adds no resolution: the curve is the
NPS seen through the ROI's spectral window (and its detrending), which moves a peak in the first bins of a small
ROI up (by ≈ 20 % at 1.4 bins, 24 px, quadratic detrending); spectra are therefore compared on the same ROIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ctdenoise.errors import CtDenoiseError

#: Detrending choices: polynomial order fitted to (and removed from) each ROI before its DFT.
DETREND_ORDERS = {"mean": 0, "plane": 1, "quadratic": 2}
#: Zero-padding factor of the ROIs for the fine radial curve the peak frequency is read from.
ZERO_PAD = 4
#: The peak frequency is the centroid of the fine curve where it lies within this fraction of its maximum.
PEAK_WITHIN = 0.05


@dataclass(frozen=True)
class NoisePowerSpectrum:
    """An NPS estimate and what it was made from.

    Attributes:
        nps_2d: ``(Ny, Nx)`` NPS in HU²·mm², zero frequency at the centre (``np.fft.fftshift`` layout).
        frequency_y_per_mm: ``(Ny,)`` spatial frequencies of the rows of ``nps_2d`` in mm⁻¹ (cycles per mm).
        frequency_x_per_mm: ``(Nx,)`` the same for the columns.
        radial_frequency_per_mm: ``(K,)`` centres of the radial bins in mm⁻¹.
        radial_nps: ``(K,)`` radially averaged NPS in HU²·mm².
        n_rois: number of ROIs in the ensemble.
        pixel_mm: ``(Δy, Δx)`` in mm.
        fine_frequency_per_mm: ``(L,)`` centres of :data:`ZERO_PAD` times finer radial bins (None: not computed).
        fine_radial_nps: ``(L,)`` radial average of the zero-padded periodogram on them (module docstring).
    """

    nps_2d: np.ndarray
    frequency_y_per_mm: np.ndarray
    frequency_x_per_mm: np.ndarray
    radial_frequency_per_mm: np.ndarray
    radial_nps: np.ndarray
    n_rois: int
    pixel_mm: tuple[float, float]
    fine_frequency_per_mm: np.ndarray | None = None
    fine_radial_nps: np.ndarray | None = None

    @property
    def noise_std_hu(self) -> float:
        """Noise σ in HU: the square root of the NPS integrated over the frequency plane (Parseval)."""
        df_y = abs(self.frequency_y_per_mm[1] - self.frequency_y_per_mm[0])
        df_x = abs(self.frequency_x_per_mm[1] - self.frequency_x_per_mm[0])
        return float(np.sqrt(self.nps_2d.sum() * df_y * df_x))

    @property
    def peak_frequency_per_mm(self) -> float:
        """Frequency (mm⁻¹) where the NPS peaks: the centroid of the top :data:`PEAK_WITHIN` of the fine
        zero-padded curve (:func:`top_centroid`); without a fine curve, the radial bin of largest NPS."""
        if self.fine_radial_nps is None or self.fine_frequency_per_mm is None:
            return float(self.radial_frequency_per_mm[int(np.argmax(self.radial_nps))])
        return top_centroid(self.fine_frequency_per_mm, self.fine_radial_nps)

    @property
    def mean_frequency_per_mm(self) -> float:
        """NPS-weighted mean radial frequency ``∫ f·NPS df / ∫ NPS df`` in mm⁻¹ (Solomon et al. 2012)."""
        weights = np.clip(self.radial_nps, 0.0, None)
        return float((self.radial_frequency_per_mm * weights).sum() / max(weights.sum(), 1e-30))

    def normalized_radial_nps(self) -> np.ndarray:
        """Radial NPS divided by its area (``Σ nNPS·Δf = 1``): the noise *texture*, independent of magnitude."""
        step = self.radial_frequency_per_mm[1] - self.radial_frequency_per_mm[0]
        return self.radial_nps / max(float(self.radial_nps.sum() * step), 1e-30)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: σ, peak and mean frequency, ROI count and the radial curve."""
        return {
            "noise_std_hu": round(self.noise_std_hu, 4),
            "peak_frequency_per_mm": round(self.peak_frequency_per_mm, 4),
            "mean_frequency_per_mm": round(self.mean_frequency_per_mm, 4),
            "n_rois": self.n_rois,
            "pixel_mm": [float(f"{value:.6g}") for value in self.pixel_mm],
            "radial_frequency_per_mm": [round(float(value), 5) for value in self.radial_frequency_per_mm],
            # Bin 0 is removed by detrending: its ~1e-27 rounding residue is written as 0.
            "radial_nps_hu2_mm2": [
                float(f"{value:.6g}") if abs(value) > 1e-9 * np.abs(self.radial_nps).max() else 0.0
                for value in self.radial_nps
            ],
        }


def detrend_rois(rois: np.ndarray, order: int = 2) -> np.ndarray:
    """Subtract from each ROI its least-squares 2D polynomial of total degree ``order``.

    Args:
        rois: ``(n, Ny, Nx)`` ROIs in HU.
        order: 0 removes the mean, 1 a plane, 2 a quadratic surface (TG-233 recommends a 2nd-order fit).

    Returns:
        ``(n, Ny, Nx)`` float64 residuals.
    """
    rois = np.asarray(rois, dtype=np.float64)
    _, n_y, n_x = rois.shape
    y, x = np.meshgrid(np.linspace(-1, 1, n_y), np.linspace(-1, 1, n_x), indexing="ij")
    terms = [y**i * x**j for i in range(order + 1) for j in range(order + 1 - i)]
    design = np.stack([term.ravel() for term in terms], axis=1)
    flat = rois.reshape(len(rois), -1).T
    coefficients, *_ = np.linalg.lstsq(design, flat, rcond=None)
    return (flat - design @ coefficients).T.reshape(rois.shape)


def radial_average(
    nps_2d: np.ndarray, frequency_y_per_mm: np.ndarray, frequency_x_per_mm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Average a centred 2D NPS over annuli of width ``Δf = min(Δfy, Δfx)`` up to the smaller Nyquist frequency.

    Returns:
        ``(bin_centres_per_mm, radial_nps)``, both ``(K,)``; the first bin holds the frequencies below ``Δf/2``.
    """
    step = min(abs(frequency_y_per_mm[1] - frequency_y_per_mm[0]), abs(frequency_x_per_mm[1] - frequency_x_per_mm[0]))
    nyquist = min(np.abs(frequency_y_per_mm).max(), np.abs(frequency_x_per_mm).max())
    n_bins = int(np.floor(nyquist / step + 0.5)) + 1
    index = radial_bin_index(frequency_y_per_mm, frequency_x_per_mm, step)
    inside = index < n_bins
    sums = np.bincount(index[inside], weights=nps_2d[inside], minlength=n_bins)
    counts = np.bincount(index[inside], minlength=n_bins)
    return np.arange(n_bins) * step, sums / np.maximum(counts, 1)


def radial_bin_index(frequency_y_per_mm: np.ndarray, frequency_x_per_mm: np.ndarray, step_per_mm: float) -> np.ndarray:
    """``(Ny, Nx)`` the radial bin of each point of a 2D frequency grid: its radius over ``step_per_mm``, rounded
    (bin ``k`` is centred on ``k·step``; the binning of :func:`radial_average`)."""
    radius = np.hypot(frequency_y_per_mm[:, None], frequency_x_per_mm[None, :])
    return np.floor(radius / step_per_mm + 0.5).astype(int)


def top_centroid(frequency: np.ndarray, values: np.ndarray, within: float = PEAK_WITHIN) -> float:
    """Where a curve peaks, robustly: the centroid of its top, ``Σ f·w / Σ w`` with ``w = max(v − (1 − within)·v_max, 0)``.

    A single peak gives (nearly) its apex; a plateau whose ends differ by less than ``within`` gives its centre
    rather than whichever end the estimation noise happens to favour.
    """
    weights = np.clip(values - (1.0 - within) * values.max(), 0.0, None)
    return float((frequency * weights).sum() / max(weights.sum(), 1e-300))


def ensemble_periodogram(
    residuals: np.ndarray, pixel_mm: tuple[float, float], pad: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Δx·Δy / (Nx·Ny)) · ⟨|DFT2|²⟩`` of detrended ROIs ``(n, Ny, Nx)``, their DFTs zero-padded to ``pad`` × size.

    ``pad = 1`` is the ICRU 87 estimator; a larger ``pad`` samples the same periodogram (each ROI's DTFT) ``pad``
    times more finely, keeping the normalisation by the ROI's own pixel count.

    Returns:
        ``(nps_2d, frequency_y_per_mm, frequency_x_per_mm)``, zero frequency at the centre.
    """
    n, n_y, n_x = residuals.shape
    shape = (pad * n_y, pad * n_x)
    power = np.zeros(shape)
    for start in range(0, n, 64):  # in batches: a zero-padded spectrum is pad² times the ROI's size
        power += (np.abs(np.fft.fft2(residuals[start : start + 64], s=shape)) ** 2).sum(axis=0)
    nps_2d = np.fft.fftshift(power / n * (pixel_mm[0] * pixel_mm[1]) / (n_y * n_x))
    frequency_y = np.fft.fftshift(np.fft.fftfreq(shape[0], d=pixel_mm[0]))
    frequency_x = np.fft.fftshift(np.fft.fftfreq(shape[1], d=pixel_mm[1]))
    return nps_2d, frequency_y, frequency_x


def nps_from_rois(
    rois: np.ndarray,
    pixel_mm: tuple[float, float],
    detrend: str = "quadratic",
    noise_only_scale: float = 1.0,
) -> NoisePowerSpectrum:
    """Ensemble NPS of square noise ROIs (ICRU 87 / TG-233 estimator, see the module docstring).

    Args:
        rois: ``(n, Ny, Nx)`` ROIs in HU, each holding noise on a smooth background (a uniform region of one image,
            or one realisation minus the ensemble mean). ``n ≥ 1``, ``Ny, Nx ≥ 8``.
        pixel_mm: ``(Δy, Δx)`` pixel size in mm.
        detrend: ``"mean"``, ``"plane"`` or ``"quadratic"`` (polynomial removed from each ROI first).
        noise_only_scale: factor applied to the NPS; 0.5 for ROIs of the difference of two independent images
            (their noise variance is twice one image's).

    Returns:
        :class:`NoisePowerSpectrum` in HU²·mm².

    Raises:
        CtDenoiseError: on a wrong shape, non-positive pixel size, unknown detrend or non-finite values.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> white = rng.normal(0.0, 10.0, size=(200, 32, 32))   # σ = 10 HU white noise
        >>> nps = nps_from_rois(white, (0.5, 0.5), detrend="mean")
        >>> round(float(nps.nps_2d.mean()) / (100 * 0.25), 1)   # flat at σ²·Δx·Δy
        1.0
    """
    rois = np.asarray(rois, dtype=np.float64)
    if rois.ndim != 3 or rois.shape[0] < 1 or min(rois.shape[1:]) < 8:
        raise CtDenoiseError(f"NPS needs ROIs shaped (n, Ny, Nx) with Ny, Nx >= 8, got {rois.shape}")
    if detrend not in DETREND_ORDERS:
        raise CtDenoiseError(f"detrend {detrend!r}: expected one of {', '.join(DETREND_ORDERS)}")
    dy, dx = (float(value) for value in pixel_mm)
    if not (dy > 0 and dx > 0):
        raise CtDenoiseError(f"pixel size must be positive, got {pixel_mm}")
    if not np.isfinite(rois).all():
        raise CtDenoiseError("NPS ROIs contain NaN or infinite values")
    residual = detrend_rois(rois, DETREND_ORDERS[detrend])
    nps_2d, frequency_y, frequency_x = ensemble_periodogram(residual, (dy, dx))
    nps_2d *= noise_only_scale
    radial_f, radial_nps = radial_average(nps_2d, frequency_y, frequency_x)
    fine_f, fine_nps = radial_average(*ensemble_periodogram(residual, (dy, dx), ZERO_PAD))
    return NoisePowerSpectrum(
        nps_2d=nps_2d,
        frequency_y_per_mm=frequency_y,
        frequency_x_per_mm=frequency_x,
        radial_frequency_per_mm=radial_f,
        radial_nps=radial_nps,
        n_rois=int(rois.shape[0]),
        pixel_mm=(dy, dx),
        fine_frequency_per_mm=fine_f,
        fine_radial_nps=fine_nps * noise_only_scale,
    )


def nps_shape_correlation(first: NoisePowerSpectrum, second: NoisePowerSpectrum) -> float:
    """Pearson correlation of two radial NPS curves on the first one's frequencies (texture similarity, 1 = same).

    The second curve is linearly interpolated onto the first's bins, so pixel sizes may differ; frequencies
    beyond the second's Nyquist limit are left out.
    """
    limit = second.radial_frequency_per_mm[-1]
    keep = first.radial_frequency_per_mm <= limit
    a = first.radial_nps[keep]
    b = np.interp(first.radial_frequency_per_mm[keep], second.radial_frequency_per_mm, second.radial_nps)
    if a.size < 3 or a.std() == 0 or b.std() == 0:
        raise CtDenoiseError("NPS curves too short or flat to correlate")
    return float(np.corrcoef(a, b)[0, 1])
