"""The reconstruction kernel of the inserted noise, matched to a scan's own noise texture (its NPS shape).

A scan's noise power spectrum is set by its reconstruction kernel: for FBP, ``NPS(f) ∝ |f| · |W(f)|² / I0`` with
``W`` the apodisation of the ramp (Kak & Slaney 1988 §3; Hanson 1979, Med Phys 6:441), and clinical kernels
(Siemens B19f…B70f, GE STANDARD, Philips C) differ mainly in ``W``. The simulator reconstructs the inserted noise
with a mildly apodised ramp (Shepp–Logan window, the *base*) and then applies a radial filter ``T(f)`` to the noise
image — for a radially symmetric window this is the same as apodising the ramp with ``W_base · T``. ``T`` is
fitted so that the inserted noise's NPS takes the scan's measured NPS shape. With both spectra measured on the
same ROIs, the ratio ``R(f) = NPS_scan(f) / NPS_base(f)`` is ``(I0_ref / I0) · |T(f)|²``; a smooth fit

    ln R(f) ≈ c₀ + Σ_{j=1..3} b_j (f / f_N)^{2j}        (f_N: the image's Nyquist frequency)

extrapolates it to zero frequency, where every clinical kernel passes the mean (``T(0) = 1``), so ``e^{c₀}`` is
the magnitude ratio and ``|T(f)|² = R(f) / e^{c₀}`` at the measured radial frequencies (the fit's residual is kept,
smoothed over three bins, so the shape follows the measurement rather than the power series). The magnitude of the
inserted noise then still follows the dose physics (Yu et al. 2012; Zeng et al. 2015) through I0. ``T`` is
tabulated on the radial bins, interpolated linearly between them and held constant beyond the last one.

Both NPS curves are seen through the ROI's spectral window (its size and detrending blur each DFT bin over its
neighbours), so a ratio of the *measured* curves is not quite the ratio of the true ones where the NPS changes
fast — in the first bins of a small ROI, where smooth kernels (GE STANDARD, B19f) peak. :func:`refine_noise_kernel`
therefore corrects ``|T|²`` a few times by the ratio of the target's measured NPS to that of the base noise
filtered with the current ``T``, measured on the same ROIs (a Van Cittert iteration, Jansson 1997, *Deconvolution
of images and spectra*, ch. 3): when the two measured curves agree bin by bin, the true spectra agree to the
ROI's resolution. The correction is shape only (its NPS-weighted log-mean is removed), so ``T(0) = 1`` and the
extrapolated level stay.

Along z the inserted noise takes the scan's own correlation of neighbouring slices ρ₁
(:func:`ctdenoise.simulate.scan_noise.slice_noise_correlation`; 0.1–0.3 on real helical scans, whose slice
sensitivity profile is wider than the slice spacing): :func:`correlate_slices`. Independent slices (ρ₁ = 0, as
until 2026-12-01) would give a real scan's low-dose version noise that neighbouring slices no longer
share, and averaging them into thicker slices would remove more of it than it removes from a real scan's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.nps import NoisePowerSpectrum

#: Power-series terms (in (f/f_N)²) of the smooth fit that extrapolates the NPS ratio to zero frequency.
FIT_DEGREE = 3
#: Radial NPS bins below this index are left out of the smooth fit that sets ``T(0) = 1`` (bin 0 is removed by
#: detrending, bin 1 damped by it, and bins 1–2 carry what the flat-ROI test does to the noise — 11–21 % of their
#: power, restored by :mod:`ctdenoise.simulate.selection_bias` — and what anatomy passes it). With bin 2 in the
#: fit, restoring that power moved the level, and the calibrated I0, by up to 14 % (LIDC-IDRI-0001's test crop),
#: and the I0 a 25 % scan's refitted kernel gives back fell to 0.21 of the original's on both GE crops
#: (``tests/simulate/test_calibrate_real_scans.py``, seeds 0–3); from bin 3 the correction moves I0 by < 1 % and
#: the ratio is 0.22–0.24 (without it 0.22–0.25; 2026-12-01) …
FIRST_FIT_BIN = 3
#: … but the measured shape is followed from this bin on (smooth kernels peak as low as bin 1 of a 24 px ROI).
FIRST_SHAPE_BIN = 1
#: Corrections of the fitted shape against the NPS measured through the same ROIs (:func:`refine_noise_kernel`).
REFINE_ITERATIONS = 3
#: Zero pixels added around the noise image before the FFT filter, so that it does not wrap around.
_FILTER_PAD_PX = 32
#: Largest |ρ₁| :func:`correlate_slices` can give (2c/(1+2c²) peaks at 1/√2 for c = 1/√2).
MAX_SLICE_CORRELATION = 0.7


@dataclass(frozen=True)
class NoiseKernel:
    """How the inserted noise is reconstructed: the ramp's window and an optional radial shaping filter ``T``.

    Args:
        name: label written into the output's metadata, e.g. ``"standard"`` or ``"matched to scan.nii.gz"``.
        window: apodisation of the FBP ramp (:data:`ctdenoise.simulate.fbp.RAMP_WINDOWS`).
        frequency_per_mm: radial frequencies (mm⁻¹, increasing, starting at 0) where ``|T|²`` is tabulated;
            empty = no filter.
        power_gain_table: ``|T(f)|²`` at those frequencies (1 at zero frequency).
        slice_correlation: correlation ρ₁ of the noise of neighbouring slices (:func:`correlate_slices`); 0 =
            independent slices. Within ±:data:`MAX_SLICE_CORRELATION`.
    """

    name: str = "standard"
    window: str = "hann"
    frequency_per_mm: tuple[float, ...] = ()
    power_gain_table: tuple[float, ...] = ()
    slice_correlation: float = 0.0

    def __post_init__(self) -> None:
        if not abs(self.slice_correlation) <= MAX_SLICE_CORRELATION:
            raise CtDenoiseError(
                f"noise kernel {self.name!r}: slice correlation {self.slice_correlation} is outside "
                f"±{MAX_SLICE_CORRELATION} (a 3-tap filter along z cannot give it)"
            )
        frequency, gain = np.asarray(self.frequency_per_mm), np.asarray(self.power_gain_table)
        if frequency.shape != gain.shape or (frequency.size and (frequency[0] != 0 or np.any(np.diff(frequency) <= 0))):
            raise CtDenoiseError(f"noise kernel {self.name!r}: needs increasing frequencies from 0, one gain each")
        if frequency.size and not (np.isfinite(gain).all() and gain.min() > 0):
            raise CtDenoiseError(f"noise kernel {self.name!r}: power gains must be positive and finite")

    @staticmethod
    def from_log_polynomial(
        name: str, window: str, coefficients: tuple[float, ...], nyquist_per_mm: float, n_bins: int = 65
    ) -> NoiseKernel:
        """A kernel with ``ln |T(f)|² = Σ_j b_j (f / f_N)^{2j}`` tabulated on ``[0, f_N]`` (analytic kernels)."""
        frequency = np.linspace(0.0, nyquist_per_mm, n_bins)
        x2 = (frequency / nyquist_per_mm) ** 2
        gain = np.exp(sum(b * x2 ** (j + 1) for j, b in enumerate(coefficients)))
        return NoiseKernel(name, window, tuple(frequency.tolist()), tuple(gain.tolist()))

    @property
    def shapes_noise(self) -> bool:
        """True when the kernel filters the reconstructed noise image."""
        return bool(self.frequency_per_mm)

    def power_gain(self, frequency_per_mm: np.ndarray) -> np.ndarray:
        """``|T(f)|²`` at radial frequencies ``f`` (mm⁻¹), any shape; 1 everywhere without a filter."""
        frequency = np.asarray(frequency_per_mm, dtype=np.float64)
        if not self.shapes_noise:
            return np.ones_like(frequency)
        return np.interp(frequency, self.frequency_per_mm, self.power_gain_table)

    def filter_noise(self, noise_hu: np.ndarray, pixel_mm: tuple[float, float]) -> np.ndarray:
        """Apply ``T`` to a 2D noise image ``(y, x)`` in HU (float32 out); a copy when there is no filter."""
        noise = np.asarray(noise_hu, dtype=np.float32)
        if not self.shapes_noise:
            return noise.copy()
        padded_shape = (noise.shape[0] + 2 * _FILTER_PAD_PX, noise.shape[1] + 2 * _FILTER_PAD_PX)
        spectrum = np.fft.rfft2(noise, s=padded_shape)
        frequency_y = np.fft.fftfreq(padded_shape[0], d=pixel_mm[0])
        frequency_x = np.fft.rfftfreq(padded_shape[1], d=pixel_mm[1])
        radius = np.hypot(frequency_y[:, None], frequency_x[None, :])
        filtered = np.fft.irfft2(spectrum * np.sqrt(self.power_gain(radius)), s=padded_shape)
        return filtered[: noise.shape[0], : noise.shape[1]].astype(np.float32)

    def record(self) -> dict[str, Any]:
        """JSON-ready description (written into the output's metadata)."""
        return {
            "name": self.name,
            "window": self.window,
            "frequency_per_mm": [round(float(f), 5) for f in self.frequency_per_mm],
            "power_gain": [float(f"{g:.5g}") for g in self.power_gain_table],
            "slice_correlation": round(float(self.slice_correlation), 4),
        }


#: The simulator's own kernel: Hann-apodised ramp, no shaping (a smooth soft-tissue kernel).
STANDARD_KERNEL = NoiseKernel("standard", "hann")
#: What a matched kernel starts from: the Shepp–Logan ramp, which keeps power up to the image's Nyquist frequency.
BASE_KERNEL = NoiseKernel("shepp-logan", "shepp-logan")


def fit_noise_kernel(
    target: NoisePowerSpectrum, base: NoisePowerSpectrum, name: str, degree: int = FIT_DEGREE
) -> NoiseKernel:
    """The :class:`NoiseKernel` whose noise has ``target``'s NPS shape, given the NPS of the base kernel's noise.

    Args:
        target: the NPS to match (a scan's own, :func:`ctdenoise.simulate.scan_noise.measure_scan_noise`, or one
            read from ``ctdenoise noise --json``); only its shape matters.
        base: NPS of noise reconstructed with :data:`BASE_KERNEL` on the same pixel grid (ideally the same ROIs).
        name: label of the result.
        degree: number of terms ``J`` of the power series (module docstring).

    Returns:
        A kernel with the Shepp–Logan window and ``|T|²`` tabulated on ``base``'s radial frequencies (``T(0) = 1``).

    Raises:
        CtDenoiseError: when the spectra overlap in too few frequency bins to fit.
    """
    frequency = base.radial_frequency_per_mm
    limit = min(frequency[-1], target.radial_frequency_per_mm[-1])
    wanted = np.interp(frequency, target.radial_frequency_per_mm, target.radial_nps)
    measured = (np.arange(frequency.size) >= FIRST_SHAPE_BIN) & (frequency <= limit + 1e-9)
    measured &= (wanted > 0) & (base.radial_nps > 0)
    usable = measured & (np.arange(frequency.size) >= FIRST_FIT_BIN)
    if usable.sum() < degree + 2:
        raise CtDenoiseError(f"noise kernel {name!r}: the NPS curves share too few frequencies to fit a kernel")
    x2 = (frequency / frequency[-1]) ** 2
    design = np.stack([x2**j for j in range(degree + 1)], axis=1)
    log_ratio = np.zeros_like(frequency)
    log_ratio[measured] = np.log(wanted[measured] / base.radial_nps[measured])
    # Weight each bin by where the target has its power: that is the texture; bins without power are noise.
    weights = np.sqrt(np.clip(wanted[usable] / wanted[usable].max(), 0.05, None))
    coefficients, *_ = np.linalg.lstsq(design[usable] * weights[:, None], log_ratio[usable] * weights, rcond=None)
    log_gain = design[:, 1:] @ coefficients[1:]  # the smooth fit without c₀: ln|T|², 0 at f = 0
    residual = np.zeros_like(frequency)
    residual[measured] = log_ratio[measured] - design[measured] @ coefficients
    residual[measured] = np.convolve(np.pad(residual[measured], 1, mode="edge"), np.ones(3) / 3.0, mode="valid")
    gain = np.exp(log_gain + residual)
    return NoiseKernel(name, BASE_KERNEL.window, tuple(frequency.tolist()), tuple(gain.tolist()))


def refine_noise_kernel(
    kernel: NoiseKernel,
    target: NoisePowerSpectrum,
    measure: Callable[[NoiseKernel], NoisePowerSpectrum],
    iterations: int = REFINE_ITERATIONS,
) -> NoiseKernel:
    """Correct ``kernel``'s shape until the NPS ``measure(kernel)`` returns matches ``target``'s (module docstring).

    Args:
        kernel: a fitted kernel (:func:`fit_noise_kernel`), tabulated on the radial bins ``measure`` returns.
        target: the NPS to match, measured with the same ROI size (ideally the same ROIs).
        measure: the NPS of the base kernel's noise filtered with a given kernel, on the target's ROIs.
        iterations: number of corrections.

    Returns:
        The corrected kernel (same name, window and frequencies; ``T(0) = 1``).
    """
    frequency = np.asarray(kernel.frequency_per_mm)
    gain = np.asarray(kernel.power_gain_table, dtype=np.float64)
    wanted = np.interp(frequency, target.radial_frequency_per_mm, target.radial_nps)
    for _ in range(iterations):
        measured = measure(kernel)
        if measured.radial_frequency_per_mm.shape != frequency.shape:
            raise CtDenoiseError(f"noise kernel {kernel.name!r}: the measured NPS is not on the kernel's bins")
        usable = (np.arange(frequency.size) >= FIRST_SHAPE_BIN) & (wanted > 0) & (measured.radial_nps > 0)
        if usable.sum() < 2:
            break
        log_ratio = np.log(wanted[usable] / measured.radial_nps[usable])
        gain[usable] *= np.exp(log_ratio - np.average(log_ratio, weights=wanted[usable]))
        kernel = replace(kernel, power_gain_table=tuple(gain.tolist()))
    return kernel


def noise_power_spectrum_from_summary(summary: dict[str, Any], source: str = "NPS") -> NoisePowerSpectrum:
    """A radial-only :class:`NoisePowerSpectrum` from ``ctdenoise noise --json`` output (to match a kernel to).

    The 2D NPS is not stored in the JSON; the returned object carries the radial curve (what kernel fitting uses)
    and a one-pixel 2D placeholder, so its ``noise_std_hu`` is not meaningful.

    Raises:
        CtDenoiseError: when the radial curve is missing or malformed, naming ``source``.
    """
    try:
        frequency = np.asarray(summary["radial_frequency_per_mm"], dtype=np.float64)
        radial = np.asarray(summary["radial_nps_hu2_mm2"], dtype=np.float64)
        pixel_mm = tuple(float(value) for value in summary["pixel_mm"])
    except (KeyError, TypeError, ValueError) as error:
        raise CtDenoiseError(f"{source}: not an NPS from 'ctdenoise noise --json' ({error})") from None
    if frequency.ndim != 1 or frequency.size < 4 or radial.shape != frequency.shape or not np.isfinite(radial).all():
        raise CtDenoiseError(f"{source}: the radial NPS needs ≥ 4 finite values on its frequencies")
    return NoisePowerSpectrum(
        nps_2d=np.zeros((1, 1)),
        frequency_y_per_mm=np.array([0.0, 1.0]),
        frequency_x_per_mm=np.array([0.0, 1.0]),
        radial_frequency_per_mm=frequency,
        radial_nps=radial,
        n_rois=int(summary.get("n_rois", 0)),
        pixel_mm=(pixel_mm[0], pixel_mm[-1]),
    )


def correlate_slices(noise: np.ndarray, correlation: float) -> np.ndarray:
    """Give a stack of independent noise slices ``(z, y, x)`` the correlation ``correlation`` (ρ₁) between
    neighbours, each slice keeping its variance and in-plane NPS.

    A 3-tap filter along z: ``n′_k = (n_k + c·(n_{k−1} + n_{k+1})) / √(1 + 2c²)`` has lag-1 correlation
    ``ρ₁ = 2c / (1 + 2c²)``, so ``c = (1 − √(1 − 2ρ₁²)) / (2ρ₁)`` (the root with |c| < 1/√2), and lag-2
    correlation ``c² / (1 + 2c²)`` (0.016 at ρ₁ = 0.25). The first and last slice have one neighbour:
    ``(n_0 + c·n_1) / √(1 + c²)``.

    Args:
        noise: float array ``(z, y, x)`` of independent slices of equal variance (HU).
        correlation: ρ₁ within ±:data:`MAX_SLICE_CORRELATION`.

    Returns:
        float32 array like ``noise`` (a copy); ``noise`` itself when ρ₁ = 0 or there is one slice.

    Raises:
        CtDenoiseError: ρ₁ outside ±:data:`MAX_SLICE_CORRELATION`.
    """
    if not abs(correlation) <= MAX_SLICE_CORRELATION:
        raise CtDenoiseError(f"slice correlation {correlation} is outside ±{MAX_SLICE_CORRELATION}")
    if correlation == 0.0 or noise.shape[0] < 2:
        return noise
    c = (1.0 - np.sqrt(1.0 - 2.0 * correlation**2)) / (2.0 * correlation)
    mixed = np.asarray(noise, dtype=np.float32).copy()
    mixed[1:] += np.float32(c) * noise[:-1]
    mixed[:-1] += np.float32(c) * noise[1:]
    weights = np.full(noise.shape[0], 1.0 + 2.0 * c * c)
    weights[[0, -1]] = 1.0 + c * c
    mixed /= np.sqrt(weights).astype(np.float32)[:, None, None]
    return mixed
