"""Fan-beam filtered backprojection for an equiangular (arc) detector.

Kak & Slaney, *Principles of Computerized Tomographic Imaging* (1988), §3.4.2, equiangular rays:

    f(x, y) = Δβ · Σ_β  L⁻² · Q_β(γ'),   Q_β = (R_β(γ) · D · cos γ) ⊛ g,   g(γ) = ½ (γ / sin γ)² h(γ),

with ``h`` the band-limited ramp (Ram-Lak) kernel sampled at the channel angle, ``L`` the source–pixel distance
and ``γ'`` the fan angle of the ray through the pixel. The ramp is apodised with a Hann window so the noise looks
like a standard soft-tissue kernel (band-pass noise power spectrum) and does not alias on the image grid; the
milder Shepp–Logan window (Shepp & Logan 1974, IEEE Trans Nucl Sci 21:21, ``sinc(f / 2f_c)``) keeps power up to
the cutoff, the base that :mod:`ctdenoise.simulate.noise_kernel` shapes into a scan's own kernel.
Backprojection runs in parallel over image rows (numba ``prange``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.projector import reconstruction_radius_mm

# Taylor coefficients of atan(t)/t, float32 so the pixel loop stays in single precision.
_C3, _C5, _C7, _C9, _C11, _C13, _C15 = (np.float32((-1) ** n / (2 * n + 1)) for n in range(1, 8))
_PAD = 2  # zero channels added on each side of a view before backprojection


def filter_cutoff_for_pixels(pixel_mm: tuple[float, float], geometry: FanBeamGeometry) -> float:
    """Hann cutoff as a fraction of the detector Nyquist frequency that stops at the image's Nyquist frequency.

    The channel spacing measured at the isocentre is ``D·Δγ``; pixels larger than that cannot hold the finer
    frequencies, so the window ends at ``1 / (2·pixel)`` instead.
    """
    channel_at_isocenter_mm = geometry.source_to_isocenter_mm * geometry.channel_angle_rad
    return min(1.0, channel_at_isocenter_mm / max(pixel_mm))


#: Apodisation windows of the ramp, as functions of ``f / f_c`` on [0, 1] (zero beyond the cutoff ``f_c``).
RAMP_WINDOWS = {
    "hann": lambda relative: 0.5 * (1.0 + np.cos(np.pi * relative)),
    "shepp-logan": lambda relative: np.sinc(0.5 * relative),
}


def fan_beam_filter(geometry: FanBeamGeometry, cutoff: float = 1.0, window: str = "hann") -> np.ndarray:
    """Frequency response of the equiangular fan-beam filter ``g`` (Kak & Slaney §3.4.2), apodised.

    Args:
        geometry: scanner (channel angle and count).
        cutoff: end of the window as a fraction of the detector Nyquist frequency, in (0, 1].
        window: ``"hann"`` (default, a smooth soft-tissue kernel) or ``"shepp-logan"`` (a mild one).

    Returns:
        complex spectrum of length ``n_fft`` (a power of two ≥ 2·channels), ready to multiply an FFT.
    """
    if not 0 < cutoff <= 1:
        raise ValueError(f"filter cutoff must be in (0, 1], got {cutoff}")
    n_channels = geometry.n_channels
    n_fft = 1 << int(math.ceil(math.log2(2 * n_channels)))
    alpha = geometry.channel_angle_rad
    offsets = np.fft.fftfreq(n_fft, d=1.0 / n_fft).round().astype(np.int64)  # 0, 1, …, -1 (circular)
    ramp = np.zeros(n_fft)
    ramp[offsets == 0] = 1.0 / (4.0 * alpha**2)
    odd = offsets % 2 == 1
    ramp[odd] = -1.0 / (np.pi * offsets[odd] * alpha) ** 2
    frequency = np.abs(np.fft.fftfreq(n_fft))  # cycles per channel, Nyquist = 0.5
    relative = frequency / (0.5 * cutoff)
    apodisation = np.where(relative <= 1.0, RAMP_WINDOWS[window](np.minimum(relative, 1.0)), 0.0)
    windowed_ramp = np.real(np.fft.ifft(np.fft.fft(ramp) * apodisation))
    gamma = offsets * alpha
    with np.errstate(invalid="ignore", divide="ignore"):
        fan_factor = np.where(offsets == 0, 1.0, (gamma / np.sin(gamma)) ** 2)
    kernel = 0.5 * fan_factor * windowed_ramp * alpha  # × α: the convolution sum approximates an integral
    return np.fft.fft(kernel)


def filter_sinogram(
    sinogram: np.ndarray, geometry: FanBeamGeometry, cutoff: float = 1.0, window: str = "hann"
) -> np.ndarray:
    """Cosine-weight and ramp-filter every view: ``Q_β = (R_β · D · cos γ) ⊛ g``; shape stays ``(views, channels)``."""
    n_channels = geometry.n_channels
    spectrum = fan_beam_filter(geometry, cutoff, window)
    weighted = sinogram * (geometry.source_to_isocenter_mm * np.cos(geometry.fan_angles_rad()))
    filtered = np.fft.irfft(np.fft.rfft(weighted, n=spectrum.size, axis=1) * spectrum[: spectrum.size // 2 + 1], axis=1)
    return np.ascontiguousarray(filtered[:, :n_channels], dtype=np.float32)


@numba.njit(inline="always", fastmath=True)
def _fan_angle(across, along):
    """atan(across / along) for along > 0, branch-free so the pixel loop vectorises.

    Half-angle reduction tan(γ/2) = u / (1 + √(1 + u²)) keeps |t| ≤ tan(45°) for any fan narrower than 180°;
    the odd Taylor series to t¹⁵ is then within 2e-8 rad for clinical fans (|γ| ≤ 30°, |t| ≤ 0.27).
    """
    u = across / along
    t = u / (np.float32(1.0) + math.sqrt(np.float32(1.0) + u * u))
    t2 = t * t
    series = np.float32(1.0) + t2 * (_C3 + t2 * (_C5 + t2 * (_C7 + t2 * (_C9 + t2 * (_C11 + t2 * (_C13 + t2 * _C15))))))
    return np.float32(2.0) * t * series


@numba.njit(parallel=True, fastmath=True, cache=True)
def _backproject(padded, cos_b, sin_b, gamma_first, gamma_step, source_mm, n_rows, n_cols, pixel_y, pixel_x, radius):
    # ``padded`` holds each filtered view with _PAD zero channels on both sides, so the clamp below never changes
    # a pixel inside the field of view and the loops need no branch: pass 1 vectorises, pass 2 is a plain gather
    # (unsigned indices skip numba's negative-index wrap-around).
    n_views, n_padded = padded.shape
    image = np.zeros((n_rows, n_cols), dtype=np.float32)
    center_row = (n_rows - 1) / 2.0
    center_col = (n_cols - 1) / 2.0
    delta_beta = np.float32(2.0 * math.pi / n_views)
    inverse_step = np.float32(1.0 / gamma_step)
    offset = np.float32(_PAD - gamma_first / gamma_step)
    zero = np.float32(0.0)
    one = np.float32(1.0)
    top = np.float32(n_padded - 2)
    for i in numba.prange(n_rows):
        y = (i - center_row) * pixel_y
        if abs(y) >= radius:
            continue
        half_width = math.sqrt(radius * radius - y * y) / pixel_x
        j_first = max(0, int(math.ceil(center_col - half_width)))
        j_last = min(n_cols - 1, int(math.floor(center_col + half_width)))
        width = j_last - j_first + 1
        if width <= 0:
            continue
        x_first = (j_first - center_col) * pixel_x
        row = np.zeros(width, dtype=np.float32)
        steps = np.arange(width).astype(np.float32)
        position = np.empty(width, dtype=np.float32)
        inverse_l2 = np.empty(width, dtype=np.float32)
        for v in range(n_views):
            cb = cos_b[v]
            sb = sin_b[v]
            view = padded[v]
            along_first = np.float32(source_mm - (x_first * cb + y * sb))  # source distance along the central ray
            across_first = np.float32(x_first * sb - y * cb)
            along_step = np.float32(-pixel_x * cb)
            across_step = np.float32(pixel_x * sb)
            # Pass 1 (vectorised): where each pixel's ray hits the detector and its 1/L² weight.
            for j in range(width):
                along = along_first + steps[j] * along_step
                across = across_first + steps[j] * across_step
                position[j] = min(max(_fan_angle(across, along) * inverse_step + offset, zero), top)
                inverse_l2[j] = one / (along * along + across * across)
            # Pass 2 (a gather): linear interpolation of the filtered view.
            for j in range(width):
                k = np.uint64(position[j])
                weight = position[j] - np.float32(k)
                below = view[k]
                row[j] += (below + weight * (view[k + np.uint64(1)] - below)) * inverse_l2[j]
        for j in range(width):
            image[i, j_first + j] = row[j] * delta_beta
    return image


def backproject(
    filtered: np.ndarray, shape_yx: tuple[int, int], pixel_mm: tuple[float, float], geometry: FanBeamGeometry
) -> np.ndarray:
    """Distance-weighted (1/L²) fan-beam backprojection of filtered views onto the image grid (zero outside)."""
    betas = geometry.view_angles_rad()
    gammas = geometry.fan_angles_rad()
    padded = np.pad(np.asarray(filtered, dtype=np.float32), ((0, 0), (_PAD, _PAD)))
    return _backproject(
        padded,
        np.cos(betas),
        np.sin(betas),
        float(gammas[0]),
        float(geometry.channel_angle_rad),
        float(geometry.source_to_isocenter_mm),
        int(shape_yx[0]),
        int(shape_yx[1]),
        float(pixel_mm[0]),
        float(pixel_mm[1]),
        float(reconstruction_radius_mm(shape_yx, pixel_mm, geometry)),
    )


def fbp_reconstruct(
    sinogram: np.ndarray,
    shape_yx: tuple[int, int],
    pixel_mm: tuple[float, float],
    geometry: FanBeamGeometry,
    cutoff: float | None = None,
    window: str = "hann",
) -> np.ndarray:
    """Reconstruct a 2D image (same units as the sinogram per mm, e.g. μ in 1/mm) from a full-scan fan-beam sinogram.

    Args:
        sinogram: line integrals, shape ``(n_views, n_channels)`` of ``geometry``.
        shape_yx: output image shape; the reconstruction field of view is the image's (pixels × pixel_mm).
        pixel_mm: output pixel size ``(y, x)``.
        geometry: the scanner the sinogram came from.
        cutoff: Hann window end as a fraction of the detector Nyquist; None = stop at the image Nyquist
            (:func:`filter_cutoff_for_pixels`).
        window: apodisation of the ramp, a key of :data:`RAMP_WINDOWS`.

    Returns:
        float32 image of shape ``shape_yx``; zero outside the reconstruction circle.
    """
    if cutoff is None:
        cutoff = filter_cutoff_for_pixels(pixel_mm, geometry)
    return backproject(filter_sinogram(sinogram, geometry, cutoff, window), shape_yx, pixel_mm, geometry)
