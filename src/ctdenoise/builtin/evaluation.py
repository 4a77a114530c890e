"""How the built-in models are judged on real scans they never saw: a simulated 10 %-dose input against the real
full-dose scan, next to the untouched input and the best Gaussian filter of it.

For each held-out full-dose scan ``F`` (z spacing Δz):

* z×1: ``L = simulate_low_dose(F, 0.1)`` on F's own slices (an even number of them); the reference is ``F``.
* z×2: ``L = simulate_low_dose(F, 0.1, slice_mm=2Δz)``; the reference is ``F``; the
  input is brought onto F's grid by linear interpolation at each output voxel's physical position
  (``ctdenoise.radiomics.grid.resample_to_grid``, as the study does) — "the low-dose input interpolated to the
  output grid".

Scores (``ctdenoise.metrics.image_quality``): PSNR/SSIM in the paper's window [−1000, 500] HU, mean of the three
views, and PSNR/SSIM in 3D in [−1000, 1000] HU over the body (:func:`body_mask`). Values below −1024 HU are the
scanner's padding outside the field of view and lie outside the body mask.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from ctdenoise.volume import Volume

PAPER_WINDOW_HU = (-1000.0, 500.0)
BODY_WINDOW_HU = (-1000.0, 1000.0)
#: Gaussian widths (mm, isotropic) swept for the best-Gaussian baseline.
GAUSSIAN_SIGMAS_MM = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)


def body_mask(full: Volume, threshold_hu: float = -500.0) -> np.ndarray:
    """The patient's body: voxels above ``threshold_hu`` (after a 3-voxel in-plane smoothing), the largest
    3D connected component, holes (lungs, airways) filled slice by slice. Shape ``full.shape``, bool."""
    smooth = ndimage.uniform_filter(full.hu, size=(1, 3, 3))
    labels, count = ndimage.label(smooth > threshold_hu)
    if count == 0:
        return np.zeros(full.shape, dtype=bool)
    sizes = np.bincount(labels.ravel())[1:]
    largest = labels == 1 + int(np.argmax(sizes))
    return np.stack([ndimage.binary_fill_holes(plane) for plane in largest])


def low_dose_cases(full: Volume, dose_fraction: float = 0.1, seed: int = 0) -> dict[int, tuple[Volume, Volume]]:
    """``{z_scale: (low_dose_input, reference)}`` for z×1 and z×2 from one simulation (see the module docstring).

    The z×2 input averages the z×1 input's slice pairs, which is exactly ``simulate_low_dose(..., slice_mm=2Δz)``
    with the same seed (noise is inserted per thin slice, then slices are averaged)."""
    from ctdenoise.simulate import simulate_low_dose
    from ctdenoise.simulate.slice_thickness import average_slices

    full = full.with_array(full.hu[: full.shape[0] // 2 * 2].copy())
    low = simulate_low_dose(full, dose_fraction, slice_mm=None, seed=seed, progress=False)
    return {1: (low, full), 2: (average_slices(low, 2 * full.spacing_mm[0]), full)}


def gains_db(case: Mapping[str, Mapping[str, float]], label: str, metric: str = "psnr_body_db") -> tuple[float, float]:
    """How many dB row ``label`` of a :func:`score_case` result gains over (a) the input and (b) the best Gaussian."""
    value = case[label][metric]
    return value - case["input"][metric], value - case["best_gaussian"][metric]


def score(pred: Volume, reference: Volume, body: np.ndarray) -> dict[str, float]:
    """PSNR/SSIM in the paper window (three views) and over the body in [−1000, 1000] HU (3D only: the body scores
    are computed as ``image_quality``'s ``psnr_3d``/``ssim_3d``, without its per-view passes that would be dropped)."""
    from ctdenoise.metrics import image_quality, ssim_3d, window_to_unit
    from ctdenoise.metrics.evaluate import PAPER_BORDER_CROP_PX

    paper = image_quality(pred, reference, window_hu=PAPER_WINDOW_HU)
    pred_unit, target_unit = window_to_unit(pred.hu, BODY_WINDOW_HU), window_to_unit(reference.hu, BODY_WINDOW_HU)
    return {
        "psnr_paper_window_db": round(paper["psnr"], 3),
        "ssim_paper_window": round(paper["ssim"], 4),
        "psnr_body_db": round(body_psnr_db(pred, reference, body), 3),
        "ssim_body": round(ssim_3d(pred_unit, target_unit, body, border_crop_px=PAPER_BORDER_CROP_PX), 4),
    }


def body_psnr_db(pred: Volume, reference: Volume, body: np.ndarray) -> float:
    """PSNR (dB) in 3D over the body in [−1000, 1000] HU, border-cropped as the paper's metrics are."""
    from ctdenoise.metrics import psnr_3d, window_to_unit
    from ctdenoise.metrics.evaluate import PAPER_BORDER_CROP_PX

    pred_unit, target_unit = window_to_unit(pred.hu, BODY_WINDOW_HU), window_to_unit(reference.hu, BODY_WINDOW_HU)
    return psnr_3d(pred_unit, target_unit, body, border_crop_px=PAPER_BORDER_CROP_PX)


def best_gaussian(low_on_grid: Volume, reference: Volume, body: np.ndarray) -> tuple[float, dict[str, float]]:
    """The Gaussian filter of the input (isotropic σ in mm, from :data:`GAUSSIAN_SIGMAS_MM`) with the highest
    body PSNR against the reference — an oracle baseline, since it peeks at the reference. Returns ``(σ_mm, scores)``."""
    from ctdenoise.metrics import psnr_3d, window_to_unit

    target_unit = window_to_unit(reference.hu, BODY_WINDOW_HU)
    best_sigma, best_psnr = GAUSSIAN_SIGMAS_MM[0], -np.inf
    for sigma_mm in GAUSSIAN_SIGMAS_MM:
        smoothed = ndimage.gaussian_filter(low_on_grid.hu, [sigma_mm / s for s in low_on_grid.spacing_mm])
        psnr = psnr_3d(window_to_unit(smoothed, BODY_WINDOW_HU), target_unit, body)
        if psnr > best_psnr:
            best_sigma, best_psnr = sigma_mm, psnr
    smoothed = ndimage.gaussian_filter(low_on_grid.hu, [best_sigma / s for s in low_on_grid.spacing_mm])
    return best_sigma, score(reference.with_array(smoothed), reference, body)
