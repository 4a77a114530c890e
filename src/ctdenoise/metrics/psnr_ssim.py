"""PSNR and SSIM of a CT volume, per 2D slice in the axial, coronal and sagittal views and in 3D.

Inputs are arrays already mapped to [0, 1] by a HU window (``ctdenoise.metrics.window``), so the data range is 1.

SSIM follows Wang et al., "Image quality assessment: from error visibility to structural similarity", IEEE TIP
2004: an 11-tap Gaussian window with σ = 1.5 px, K1 = 0.01, K2 = 0.03, population (co)variances. The SSIM map is
computed only where the whole window lies inside the image ("valid" filtering, as MATLAB's ``ssim_index.m``),
which is exactly the region that ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
use_sample_covariance=False)`` averages after cropping its 5-pixel border — so the per-slice values agree with
scikit-image to floating-point precision.

Masks (e.g. body or lungs) apply like this:

* PSNR: the mean squared error is taken over the masked voxels only.
* SSIM: the SSIM map is computed on the whole image (the Gaussian window still sees unmasked neighbours) and
  averaged over the masked pixels of the valid region.
* A slice without masked pixels has no value (NaN) and is left out of the view's mean.

A slice whose error is exactly zero (e.g. a sagittal edge slice outside the scan's field of view, clipped to
−1000 HU in both volumes) has an infinite PSNR; view means leave such slices out, because they say nothing about
the denoiser. Filtering uses scipy's separable ``correlate1d`` on chunks of slices in float64.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError

SSIM_SIGMA_PX = 1.5
SSIM_TRUNCATE = 3.5  # scipy's and scikit-image's default: radius = int(3.5 σ + 0.5) = 5 px, an 11-tap window
SSIM_K1 = 0.01
SSIM_K2 = 0.03

VIEW_SLICE_AXIS = {"axial": 0, "coronal": 1, "sagittal": 2}  # the axis of a (z, y, x) array that a view steps along


def gaussian_window_1d(sigma_px: float = SSIM_SIGMA_PX, truncate: float = SSIM_TRUNCATE) -> np.ndarray:
    """Normalised 1D Gaussian taps, the same as ``scipy.ndimage.gaussian_filter`` uses (radius ``int(truncate σ + 0.5)``)."""
    radius_px = int(truncate * sigma_px + 0.5)
    offsets_px = np.arange(-radius_px, radius_px + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (offsets_px / sigma_px) ** 2)
    return taps / taps.sum()


SSIM_RADIUS_PX = (len(gaussian_window_1d()) - 1) // 2


def _check_pair(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
    if pred.shape != target.shape:
        raise CtDenoiseError(f"prediction shape {pred.shape} differs from target shape {target.shape}")
    if pred.ndim != 3:
        raise CtDenoiseError(f"expected 3D (z, y, x) arrays, got shape {pred.shape}")
    if mask is None:
        return None
    if mask.shape != pred.shape:
        raise CtDenoiseError(f"mask shape {mask.shape} differs from image shape {pred.shape}")
    return np.asarray(mask, dtype=bool)


def _crop(array: np.ndarray, axes: tuple[int, ...], crop_px: int) -> np.ndarray:
    """Remove ``crop_px`` voxels from both ends of each of ``axes``."""
    if crop_px <= 0:
        return array
    index = [slice(None)] * array.ndim
    for axis in axes:
        if array.shape[axis] <= 2 * crop_px:
            raise CtDenoiseError(f"a border crop of {crop_px} px leaves nothing of an image of shape {array.shape}")
        index[axis] = slice(crop_px, -crop_px)
    return array[tuple(index)]


def _in_plane_axes(view: str) -> tuple[int, int]:
    if view not in VIEW_SLICE_AXIS:
        raise CtDenoiseError(f"unknown view {view!r}; use one of {', '.join(VIEW_SLICE_AXIS)}")
    slice_axis = VIEW_SLICE_AXIS[view]
    return tuple(axis for axis in range(3) if axis != slice_axis)  # type: ignore[return-value]


def _as_slices(array: np.ndarray, view: str, border_crop_px: int) -> np.ndarray:
    """View ``array`` as a stack of 2D slices ``(n, rows, cols)`` of ``view``, cropped in-plane."""
    cropped = _crop(array, _in_plane_axes(view), border_crop_px)
    return np.moveaxis(cropped, VIEW_SLICE_AXIS[view], 0)


def _masked_mean(values: np.ndarray, weights: np.ndarray | None, axes: tuple[int, ...]) -> np.ndarray:
    if weights is None:
        return np.mean(values, axis=axes)
    counts = weights.sum(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.sum(values * weights, axis=axes) / np.maximum(counts, 1), np.nan)


def _psnr_from_mse(mse: np.ndarray | float, data_range: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range**2 / np.asarray(mse, dtype=np.float64))


def psnr_per_slice(
    pred: np.ndarray,
    target: np.ndarray,
    view: str = "axial",
    mask: np.ndarray | None = None,
    data_range: float = 1.0,
    border_crop_px: int = 0,
) -> np.ndarray:
    """PSNR in dB of every 2D slice of ``view``: ``10 log10(data_range² / MSE)``.

    Args:
        pred: denoised volume ``(z, y, x)`` mapped to [0, data_range].
        target: reference volume, same shape.
        view: ``"axial"``, ``"coronal"`` or ``"sagittal"``.
        mask: optional boolean ``(z, y, x)``; the MSE is taken over masked pixels. NaN for slices without any.
        data_range: peak-to-peak range of the inputs (1 after ``window_to_unit``).
        border_crop_px: pixels removed from each in-plane border of every slice first (the authors use 2).

    Returns:
        One PSNR per slice (``inf`` where the slice is reproduced exactly).
    """
    mask = _check_pair(pred, target, mask)
    squared_error = (_as_slices(pred, view, border_crop_px) - _as_slices(target, view, border_crop_px)) ** 2
    weights = None if mask is None else _as_slices(mask, view, border_crop_px)
    return _psnr_from_mse(_masked_mean(squared_error, weights, (1, 2)), data_range)


def psnr_3d(
    pred: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray | None = None,
    data_range: float = 1.0,
    border_crop_px: int = 0,
) -> float:
    """PSNR in dB over the whole volume (or its masked voxels), cropped by ``border_crop_px`` on every axis."""
    mask = _check_pair(pred, target, mask)
    squared_error = (_crop(pred, (0, 1, 2), border_crop_px) - _crop(target, (0, 1, 2), border_crop_px)) ** 2
    weights = None if mask is None else _crop(mask, (0, 1, 2), border_crop_px)
    return float(_psnr_from_mse(_masked_mean(squared_error, weights, (0, 1, 2)), data_range))


def _valid_gaussian(values: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Gaussian-filter ``values`` along ``axes`` and keep only the samples whose window lies inside the array."""
    taps = gaussian_window_1d()
    for axis in axes:
        values = ndimage.correlate1d(values, taps, axis=axis, mode="nearest")
    return _crop(values, axes, SSIM_RADIUS_PX)


def ssim_map(pred: np.ndarray, target: np.ndarray, axes: tuple[int, ...], data_range: float = 1.0) -> np.ndarray:
    """SSIM map of two arrays with the Gaussian window spanning ``axes``; valid region only (``2·5`` px smaller).

    Args:
        pred: array of any dimension, float.
        target: array of the same shape.
        axes: the axes the window spans, e.g. ``(1, 2)`` for a stack of 2D slices, ``(0, 1, 2)`` for 3D SSIM.
        data_range: peak-to-peak range of the inputs.
    """
    sizes_px = tuple(pred.shape[axis] for axis in axes)
    if min(sizes_px) < 2 * SSIM_RADIUS_PX + 1:
        raise CtDenoiseError(
            f"image of {' x '.join(map(str, sizes_px))} voxels (after any border crop) is too small for SSIM: "
            f"the Gaussian window needs at least {2 * SSIM_RADIUS_PX + 1} voxels along each axis it spans"
        )
    x = np.asarray(pred, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    mean_x, mean_y = _valid_gaussian(x, axes), _valid_gaussian(y, axes)
    variance_x = _valid_gaussian(x * x, axes) - mean_x * mean_x
    variance_y = _valid_gaussian(y * y, axes) - mean_y * mean_y
    covariance = _valid_gaussian(x * y, axes) - mean_x * mean_y
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    numerator = (2 * mean_x * mean_y + c1) * (2 * covariance + c2)
    denominator = (mean_x**2 + mean_y**2 + c1) * (variance_x + variance_y + c2)
    return numerator / denominator


def ssim_per_slice(
    pred: np.ndarray,
    target: np.ndarray,
    view: str = "axial",
    mask: np.ndarray | None = None,
    data_range: float = 1.0,
    border_crop_px: int = 0,
    chunk_slices: int = 16,
) -> np.ndarray:
    """Mean SSIM of every 2D slice of ``view`` (Gaussian σ = 1.5 px window, valid region).

    Args:
        pred: denoised volume ``(z, y, x)`` mapped to [0, data_range].
        target: reference volume, same shape.
        view: ``"axial"``, ``"coronal"`` or ``"sagittal"``.
        mask: optional boolean ``(z, y, x)``; each slice's SSIM map is averaged over its masked pixels (NaN if none).
        data_range: peak-to-peak range of the inputs.
        border_crop_px: pixels removed from each in-plane border of every slice first (the authors use 2).
        chunk_slices: slices filtered at once; bounds memory to a few float64 copies of that many slices.
    """
    mask = _check_pair(pred, target, mask)
    pred_slices = _as_slices(pred, view, border_crop_px)
    target_slices = _as_slices(target, view, border_crop_px)
    mask_slices = None if mask is None else _as_slices(mask, view, border_crop_px)
    values = []
    for start in range(0, pred_slices.shape[0], chunk_slices):
        chunk = slice(start, start + chunk_slices)
        ssim = ssim_map(pred_slices[chunk], target_slices[chunk], axes=(1, 2), data_range=data_range)
        weights = None if mask_slices is None else _crop(mask_slices[chunk], (1, 2), SSIM_RADIUS_PX)
        values.append(_masked_mean(ssim, weights, (1, 2)))
    return np.concatenate(values)


def ssim_3d(
    pred: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray | None = None,
    data_range: float = 1.0,
    border_crop_px: int = 0,
    chunk_slices: int = 16,
) -> float:
    """Mean 3D SSIM: an 11×11×11 Gaussian window (σ = 1.5 voxels on every axis, as scikit-image on a 3D array).

    Computed in chunks of ``chunk_slices`` axial output slices (each chunk reads 10 extra slices of context), so
    memory stays small; the result equals one pass over the whole volume.
    """
    mask = _check_pair(pred, target, mask)
    pred = _crop(pred, (0, 1, 2), border_crop_px)
    target = _crop(target, (0, 1, 2), border_crop_px)
    mask = None if mask is None else _crop(mask, (0, 1, 2), border_crop_px)
    window_px = 2 * SSIM_RADIUS_PX + 1
    if pred.shape[0] < window_px:
        ssim_map(pred, target, axes=(0, 1, 2), data_range=data_range)  # raises the size error
    total, count = 0.0, 0
    for start in range(0, pred.shape[0] - window_px + 1, chunk_slices):
        rows = slice(start, start + chunk_slices + window_px - 1)
        ssim = ssim_map(pred[rows], target[rows], axes=(0, 1, 2), data_range=data_range)
        if mask is None:
            total, count = total + float(ssim.sum()), count + ssim.size
        else:
            weights = _crop(mask[rows], (0, 1, 2), SSIM_RADIUS_PX)
            total, count = total + float(ssim[weights].sum()), count + int(weights.sum())
    return total / count if count else float("nan")


def mean_over_slices(values: np.ndarray) -> float:
    """Mean of per-slice values that are finite (slices without mask pixels or with zero error are left out).

    Returns ``inf`` when every slice with a value is reproduced exactly, NaN when no slice has a value.
    """
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size:
        return float(finite.mean())
    return float("inf") if np.isposinf(values).any() else float("nan")
