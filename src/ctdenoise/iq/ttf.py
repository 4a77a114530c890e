"""Task transfer function (TTF) from a circular rod: AAPM TG-233's resolution measure for nonlinear CT.

Richard, Husarik, Yadava, Murphy & Samei (Med Phys 39:4115, 2012) and AAPM TG-233 (Samei et al. 2019, §4.2):
pixels around a rod of radius ``R`` are binned by their distance to its centre into an oversampled edge spread
function ``ESF(r)`` (bin width ``Δx / oversampling``); the line spread function is its derivative,
``LSF(r) = dESF/dr``, windowed around the edge; and::

    TTF(f) = |F{LSF}(f)| / |F{LSF}(0)|

The rod's own curvature is ignored (fine when ``R`` is many times the blur). A nonlinear denoiser's TTF depends on
the rod's contrast and the noise, so it is measured at more than one contrast, on the ensemble mean of many
realisations (which leaves the mean response, not the noise). ``f50`` and ``f10`` are the frequencies where the
TTF first falls to 0.5 and 0.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.signal.windows import tukey

from ctdenoise.errors import CtDenoiseError


@dataclass(frozen=True)
class TaskTransferFunction:
    """A TTF and the edge profile it came from.

    Attributes:
        frequency_per_mm: ``(K,)`` spatial frequencies in mm⁻¹.
        ttf: ``(K,)`` TTF, 1 at zero frequency.
        esf_radius_mm: ``(M,)`` centres of the ESF bins in mm from the rod centre.
        esf_hu: ``(M,)`` ESF in HU.
        contrast_hu: rod minus background, from the ESF's inner and outer plateaus.
        diameter_mm: rod diameter.
    """

    frequency_per_mm: np.ndarray
    ttf: np.ndarray
    esf_radius_mm: np.ndarray
    esf_hu: np.ndarray
    contrast_hu: float
    diameter_mm: float

    def frequency_at(self, level: float) -> float | None:
        """First frequency (mm⁻¹, linear interpolation) where the TTF falls to ``level``; None if it never does."""
        below = np.nonzero(self.ttf <= level)[0]
        if below.size == 0 or below[0] == 0:
            return None
        k = below[0]
        f0, f1, t0, t1 = self.frequency_per_mm[k - 1], self.frequency_per_mm[k], self.ttf[k - 1], self.ttf[k]
        return float(f0 + (t0 - level) * (f1 - f0) / (t0 - t1))

    @property
    def f50_per_mm(self) -> float | None:
        return self.frequency_at(0.5)

    @property
    def f10_per_mm(self) -> float | None:
        return self.frequency_at(0.1)

    def summary(self, max_frequency_per_mm: float | None = None) -> dict[str, Any]:
        """JSON-ready: contrast, diameter, f50, f10 and the curve (up to ``max_frequency_per_mm``)."""
        keep = slice(None)
        if max_frequency_per_mm is not None:
            keep = self.frequency_per_mm <= max_frequency_per_mm
        f50, f10 = self.f50_per_mm, self.f10_per_mm
        return {
            "contrast_hu": round(self.contrast_hu, 2),
            "diameter_mm": self.diameter_mm,
            "f50_per_mm": None if f50 is None else round(f50, 4),
            "f10_per_mm": None if f10 is None else round(f10, 4),
            "frequency_per_mm": [round(float(v), 4) for v in self.frequency_per_mm[keep]],
            "ttf": [round(float(v), 4) for v in self.ttf[keep]],
        }


def edge_spread_function(
    image: np.ndarray,
    pixel_mm: tuple[float, float],
    center_rc: tuple[float, float],
    radius_mm: float,
    half_width_mm: float,
    oversampling: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Oversampled radial ESF of a rod: pixels binned by distance to ``center_rc`` within ``R ± half_width_mm``.

    Empty bins (close to the centre a bin may hold no pixel) are filled by linear interpolation.

    Returns:
        ``(bin_centres_mm, esf)``, both ``(M,)``.
    """
    rows = (np.arange(image.shape[0]) - center_rc[0]) * pixel_mm[0]
    cols = (np.arange(image.shape[1]) - center_rc[1]) * pixel_mm[1]
    distance = np.hypot(rows[:, None], cols[None, :])
    step = min(pixel_mm) / oversampling
    low, high = radius_mm - half_width_mm, radius_mm + half_width_mm
    n_bins = int(np.floor((high - low) / step))
    inside = (distance >= low) & (distance < low + n_bins * step)
    index = ((distance[inside] - low) / step).astype(int)
    sums = np.bincount(index, weights=np.asarray(image, dtype=np.float64)[inside], minlength=n_bins)
    counts = np.bincount(index, minlength=n_bins)
    centres = low + (np.arange(n_bins) + 0.5) * step
    filled = counts > 0
    if filled.sum() < 4:
        raise CtDenoiseError("TTF: too few pixels around the rod edge; is the rod inside the image?")
    esf = np.interp(centres, centres[filled], sums[filled] / counts[filled])
    return centres, esf


def ttf_from_rod(
    image: np.ndarray,
    pixel_mm: tuple[float, float],
    center_rc: tuple[float, float],
    diameter_mm: float,
    oversampling: int = 10,
    half_width_fraction: float = 0.8,
) -> TaskTransferFunction:
    """TTF of a circular rod (TG-233 §4.2; Richard et al. 2012), see the module docstring.

    Args:
        image: ``(y, x)`` HU image holding the rod (best: the mean of many realisations).
        pixel_mm: ``(Δy, Δx)`` in mm.
        center_rc: rod centre as a continuous ``(row, column)`` index.
        diameter_mm: rod diameter in mm.
        oversampling: ESF bins per pixel (TG-233: ~10).
        half_width_fraction: the ESF spans ``R ± half_width_fraction·R``; its outer 25 % on each side is tapered
            (Tukey window on the LSF) to keep noise in the tails out of the TTF.

    Returns:
        :class:`TaskTransferFunction` up to the pixel Nyquist frequency.

    Raises:
        CtDenoiseError: when the rod lies (partly) outside the image or has no contrast.

    Example:
        >>> from ctdenoise.iq.phantom import LowContrastPhantom
        >>> phantom = LowContrastPhantom((256, 256), (1.0, 1.0))
        >>> rod = phantom.ttf_rods[0]                          # 25 mm, +340 HU
        >>> ttf = ttf_from_rod(phantom.hu_image(False), (1.0, 1.0), rod.center_rc((256, 256), (1.0, 1.0)), 25.0)
        >>> round(ttf.contrast_hu)
        340
    """
    image = np.asarray(image, dtype=np.float64)
    radius = diameter_mm / 2.0
    half_width = half_width_fraction * radius
    reach_rows = (radius + half_width) / pixel_mm[0]
    reach_cols = (radius + half_width) / pixel_mm[1]
    if not (
        reach_rows <= center_rc[0] <= image.shape[0] - 1 - reach_rows
        and reach_cols <= center_rc[1] <= image.shape[1] - 1 - reach_cols
    ):
        raise CtDenoiseError(f"TTF: the {diameter_mm:g} mm rod at {center_rc} does not fit in the image")
    radius_mm, esf = edge_spread_function(image, pixel_mm, center_rc, radius, half_width, oversampling)
    plateau = max(len(esf) // 8, 1)
    contrast = float(esf[:plateau].mean() - esf[-plateau:].mean())
    if abs(contrast) < 1e-6:
        raise CtDenoiseError("TTF: the rod has no contrast against its background")
    lsf = -np.gradient(esf, radius_mm) * tukey(len(esf), alpha=0.5)
    step = radius_mm[1] - radius_mm[0]
    # Zero-padding samples the same spectrum finely (Δf ≤ 0.002 mm⁻¹) so f50/f10 interpolate accurately.
    n_fft = max(len(lsf), int(np.ceil(1.0 / (step * 0.002))))
    spectrum = np.abs(np.fft.rfft(lsf, n=n_fft))
    frequency = np.fft.rfftfreq(n_fft, d=step)
    keep = frequency <= 0.5 / min(pixel_mm) + 1e-9
    return TaskTransferFunction(
        frequency_per_mm=frequency[keep],
        ttf=spectrum[keep] / spectrum[0],
        esf_radius_mm=radius_mm,
        esf_hu=esf,
        contrast_hu=contrast,
        diameter_mm=float(diameter_mm),
    )
