"""Image quality of denoised CT against the full-dose reference: one case (``image_quality``) or many
(``evaluate_cases``, per-case values plus mean ± std over cases).

The protocol follows the STResNet authors' evaluation code (Wei & Hsu, MIDL 2021): HU clipped to [−1000, 500],
PSNR and SSIM per 2D slice in the axial, coronal and sagittal views with a 2-pixel border crop, plus LPIPS v0.1.
Here the window maps to [0, 1] (data range 1, i.e. 1500 HU) and 3D PSNR/SSIM are reported as well.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.psnr_ssim import (
    VIEW_SLICE_AXIS,
    mean_over_slices,
    psnr_3d,
    psnr_per_slice,
    ssim_3d,
    ssim_per_slice,
)
from ctdenoise.metrics.window import DEFAULT_WINDOW_HU, window_to_unit
from ctdenoise.volume import Volume

PAPER_BORDER_CROP_PX = 2  # the authors' evaluation code crops 2 pixels from every slice border


def check_same_grid(pred: Volume, target: Volume, pred_name: str = "prediction", target_name: str = "target") -> None:
    """Raise ``CtDenoiseError`` unless both volumes sample the same voxels (shape, spacing, origin, direction)."""
    if pred.same_grid_as(target):
        return
    raise CtDenoiseError(
        f"{pred_name} and {target_name} are not on the same grid: shape {pred.shape} vs {target.shape}, "
        f"spacing {pred.spacing_mm} vs {target.spacing_mm} mm, origin {pred.origin_mm} vs {target.origin_mm} mm; "
        "resample one onto the other first"
    )


def mask_to_bool(mask: Volume | np.ndarray | None, target: Volume, mask_name: str = "mask") -> np.ndarray | None:
    """Boolean (z, y, x) array of a label mask (non-zero = inside) that must lie on the target's grid."""
    if mask is None:
        return None
    if isinstance(mask, Volume):
        mask_name = str(mask.metadata.get("source_path", mask_name))
        check_same_grid(mask, target, mask_name, "target")
        array = mask.hu
    else:
        array = np.asarray(mask)
        if array.shape != target.shape:
            raise CtDenoiseError(f"{mask_name} shape {array.shape} differs from target shape {target.shape}")
    inside = array != 0
    if not inside.any():
        raise CtDenoiseError(f"{mask_name} is empty: it has no non-zero voxel")
    return inside


def image_quality(
    pred: Volume,
    target: Volume,
    window_hu: tuple[float, float] = DEFAULT_WINDOW_HU,
    mask: Volume | np.ndarray | None = None,
    border_crop_px: int = PAPER_BORDER_CROP_PX,
    progress: bool = False,
) -> dict[str, float]:
    """PSNR (dB) and SSIM of ``pred`` against ``target`` per view, averaged over views, and in 3D.

    Args:
        pred: denoised volume.
        target: full-dose reference on the same grid.
        window_hu: HU window; values are clipped to it and mapped to [0, 1] first.
        mask: optional label mask on the same grid (non-zero = inside). PSNR uses the masked voxels' MSE; SSIM
            averages the SSIM map over masked pixels (see ``ctdenoise.metrics.psnr_ssim``).
        border_crop_px: pixels cropped from each border of every slice (2, as the authors; 0 for none). 3D values
            crop every axis.
        progress: show a progress bar over the views.

    Returns:
        ``psnr_axial``, ``psnr_coronal``, ``psnr_sagittal`` (means of per-slice PSNR), ``psnr`` (their mean),
        the same for ``ssim_*``/``ssim``, and ``psnr_3d``, ``ssim_3d`` (whole volume at once).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> target = Volume(np.full((16, 32, 32), -500.0))  # uniform lung-like tissue
        >>> noisy = target.with_array(target.hu + rng.normal(0, 15, target.shape))
        >>> round(image_quality(noisy, target, border_crop_px=0)["psnr_3d"])  # 20·log10(1500 HU / 15 HU) = 40 dB
        40
    """
    from tqdm import tqdm

    pred_name = str(pred.metadata.get("source_path", "prediction"))
    check_same_grid(pred, target, pred_name, str(target.metadata.get("source_path", "target")))
    inside = mask_to_bool(mask, target)
    pred_unit, target_unit = window_to_unit(pred.hu, window_hu), window_to_unit(target.hu, window_hu)
    metrics: dict[str, float] = {}
    for view in tqdm([*VIEW_SLICE_AXIS, "3d"], desc="image quality", unit="view", disable=not progress, leave=False):
        try:
            if view == "3d":
                metrics["psnr_3d"] = psnr_3d(pred_unit, target_unit, inside, border_crop_px=border_crop_px)
                metrics["ssim_3d"] = ssim_3d(pred_unit, target_unit, inside, border_crop_px=border_crop_px)
                continue
            psnr = psnr_per_slice(pred_unit, target_unit, view, inside, border_crop_px=border_crop_px)
            ssim = ssim_per_slice(pred_unit, target_unit, view, inside, border_crop_px=border_crop_px)
        except CtDenoiseError as error:  # the metric code knows arrays only; the message names the file
            raise CtDenoiseError(f"{pred_name}: shape {pred.shape}, {view} view: {error}") from None
        metrics[f"psnr_{view}"], metrics[f"ssim_{view}"] = mean_over_slices(psnr), mean_over_slices(ssim)
    metrics["psnr"] = float(np.mean([metrics[f"psnr_{view}"] for view in VIEW_SLICE_AXIS]))
    metrics["ssim"] = float(np.mean([metrics[f"ssim_{view}"] for view in VIEW_SLICE_AXIS]))
    return {key: metrics[key] for key in sorted(metrics, key=_metric_order)}


def _metric_order(key: str) -> tuple[int, str]:
    return (0 if key in ("psnr", "ssim") else 1 if key.endswith("_3d") else 2, key)


@dataclass
class CasePair:
    """One case to evaluate: a prediction, its reference and an optional mask (Volumes or file paths).

    Args:
        case_id: name reported for this case, e.g. ``"LUNG1-001"``.
        pred: denoised volume or a path ``ctdenoise.io.read_volume`` understands.
        target: full-dose reference (volume or path).
        mask: optional label mask (volume or path) on the reference's grid.
    """

    case_id: str
    pred: Volume | Path | str
    target: Volume | Path | str
    mask: Volume | Path | str | None = None


def _as_volume(item: Volume | Path | str) -> Volume:
    if isinstance(item, Volume):
        return item
    from ctdenoise.io import read_volume

    return read_volume(item)


def summarize_cases(cases: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean ± sample standard deviation (ddof = 1) over cases of every numeric metric.

    Non-finite values (e.g. an infinite PSNR) are left out and counted in ``n`` only when used; ``std`` is NaN
    for fewer than two values.
    """
    names = [key for key, value in cases[0].items() if isinstance(value, float | int)] if cases else []
    summary = {}
    for name in names:
        values = np.array([case[name] for case in cases], dtype=np.float64)
        values = values[np.isfinite(values)]
        summary[name] = {
            "mean": float(values.mean()) if values.size else math.nan,
            "std": float(values.std(ddof=1)) if values.size > 1 else math.nan,
            "n": int(values.size),
        }
    return summary


def evaluate_cases(
    pairs: Iterable[CasePair],
    window_hu: tuple[float, float] = DEFAULT_WINDOW_HU,
    border_crop_px: int = PAPER_BORDER_CROP_PX,
    lpips_net: str | None = None,
    lpips_weights_dir: Path | str | None = None,
    progress: bool = True,
) -> dict:
    """Image quality of many cases: per-case metrics and their mean ± std.

    Args:
        pairs: the cases (``CasePair``); volumes are read one case at a time, so memory stays at one case.
        window_hu: HU window for every metric.
        border_crop_px: slice border crop for PSNR/SSIM.
        lpips_net: ``"alex"`` or ``"vgg"`` to add an ``lpips`` value per case (mean over axial slices), or None.
        lpips_weights_dir: LPIPS weights folder (None: default search, see ``ctdenoise.metrics.LPIPS``).
        progress: show a progress bar over cases.

    Returns:
        ``{"cases": [{"case_id": ..., "psnr": ..., ...}], "summary": {metric: {"mean", "std", "n"}}}``.
    """
    from tqdm import tqdm

    from ctdenoise.io import read_mask

    lpips = None
    if lpips_net is not None:
        from ctdenoise.metrics.lpips import LPIPS

        lpips = LPIPS(lpips_net, lpips_weights_dir)
    cases = []
    for pair in tqdm(list(pairs), desc="cases", unit="case", disable=not progress):
        pred, target = _as_volume(pair.pred), _as_volume(pair.target)
        mask = (
            pair.mask if pair.mask is None or isinstance(pair.mask, Volume) else read_mask(pair.mask, reference=target)
        )
        metrics = image_quality(pred, target, window_hu, mask, border_crop_px)
        if lpips is not None:
            metrics["lpips"] = lpips.volume_distance(pred, target, window_hu)
        cases.append({"case_id": pair.case_id, **metrics})
    return {"cases": cases, "summary": summarize_cases([_numeric(case) for case in cases])}


def _numeric(case: dict) -> dict[str, float]:
    return {key: value for key, value in case.items() if key != "case_id"}
