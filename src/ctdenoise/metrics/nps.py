"""Noise power spectrum (NPS) of CT noise from square regions of interest: 2D, radially averaged, and its summaries.

The estimator is the one of ICRU Report 87 (2012, §5.3) and AAPM TG-233 (Samei et al., Med Phys 46:e735, 2019,
eq. 4), also used for patient images by Solomon, Christianson & Samei (Med Phys 39:3216, 2012)::

    NPS(fx, fy) = (Δx·Δy / (Nx·Ny)) · ⟨ |DFT2{ROI_i(x, y) − P_i(x, y)}|² ⟩_i

with ``P_i`` a low-order polynomial fitted to each ROI (detrending removes the mean and slow anatomy or cupping),
averaged over an ensemble of ROIs. Its integral over the frequency plane is the noise variance (Parseval):
``σ² = Σ NPS · Δfx · Δfy``. The radial average bins ``NPS`` in annuli of width ``1 / (N·Δx)``; the mean frequency
is ``f̄ = ∫ f·NPS(f) df / ∫ NPS(f) df`` (Solomon et al. 2012), the peak frequency the radial bin of largest NPS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ctdenoise.errors import CtDenoiseError

#: Detrending choices: polynomial order fitted to (and removed from) each ROI before its DFT.
DETREND_ORDERS = {"mean": 0, "plane": 1, "quadratic": 2}


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
    """

    nps_2d: np.ndarray
    frequency_y_per_mm: np.ndarray
    frequency_x_per_mm: np.ndarray
    radial_frequency_per_mm: np.ndarray
    radial_nps: np.ndarray
    n_rois: int
    pixel_mm: tuple[float, float]

    @property
    def noise_std_hu(self) -> float:
        """Noise σ in HU: the square root of the NPS integrated over the frequency plane (Parseval)."""
        df_y = abs(self.frequency_y_per_mm[1] - self.frequency_y_per_mm[0])
        df_x = abs(self.frequency_x_per_mm[1] - self.frequency_x_per_mm[0])
        return float(np.sqrt(self.nps_2d.sum() * df_y * df_x))

    @property
    def peak_frequency_per_mm(self) -> float:
        """Frequency (mm⁻¹) of the radial bin with the largest NPS."""
        return float(self.radial_frequency_per_mm[int(np.argmax(self.radial_nps))])

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
            "pixel_mm": [float(value) for value in self.pixel_mm],
            "radial_frequency_per_mm": [round(float(value), 5) for value in self.radial_frequency_per_mm],
            "radial_nps_hu2_mm2": [float(f"{value:.6g}") for value in self.radial_nps],
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
    fy, fx = np.meshgrid(frequency_y_per_mm, frequency_x_per_mm, indexing="ij")
    radius = np.hypot(fy, fx)
    step = min(abs(frequency_y_per_mm[1] - frequency_y_per_mm[0]), abs(frequency_x_per_mm[1] - frequency_x_per_mm[0]))
    nyquist = min(np.abs(frequency_y_per_mm).max(), np.abs(frequency_x_per_mm).max())
    n_bins = int(np.floor(nyquist / step + 0.5)) + 1
    index = np.floor(radius / step + 0.5).astype(int)
    inside = index < n_bins
    sums = np.bincount(index[inside], weights=nps_2d[inside], minlength=n_bins)
    counts = np.bincount(index[inside], minlength=n_bins)
    return np.arange(n_bins) * step, sums / np.maximum(counts, 1)


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
    _, n_y, n_x = rois.shape
    residual = detrend_rois(rois, DETREND_ORDERS[detrend])
    power = np.abs(np.fft.fft2(residual)) ** 2
    nps_2d = np.fft.fftshift(power.mean(axis=0) * (dy * dx) / (n_y * n_x)) * noise_only_scale
    frequency_y = np.fft.fftshift(np.fft.fftfreq(n_y, d=dy))
    frequency_x = np.fft.fftshift(np.fft.fftfreq(n_x, d=dx))
    radial_f, radial_nps = radial_average(nps_2d, frequency_y, frequency_x)
    return NoisePowerSpectrum(
        nps_2d=nps_2d,
        frequency_y_per_mm=frequency_y,
        frequency_x_per_mm=frequency_x,
        radial_frequency_per_mm=radial_f,
        radial_nps=radial_nps,
        n_rois=int(rois.shape[0]),
        pixel_mm=(dy, dx),
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
