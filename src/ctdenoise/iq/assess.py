"""Task-based image quality of one image set: detectability per insert, NPS and TTF, as one JSON-ready dict.

An *image set* is ``n₁`` signal-present and ``n₀`` signal-absent 2D images of the same object (realisations of
the same scan), with known insert locations — from the built-in phantom, an ``inserts.json`` or found in the
noiseless ground truth (:func:`find_inserts`), as the FDA LCD-CT tool does. For each insert an ROI centred on it is
cut from every image and the LG-CHO and NPW observers of :mod:`ctdenoise.iq.observers` score it; the NPS comes
from the signal-absent images minus their ensemble mean (TG-233's ensemble-subtraction noise images) in a uniform
region (:func:`ctdenoise.metrics.nps.nps_from_rois`), the TTF from the ensemble mean image around each
high-contrast rod (:mod:`ctdenoise.iq.ttf`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError
from ctdenoise.iq.observers import lg_cho, npw_observer
from ctdenoise.iq.phantom import LowContrastPhantom
from ctdenoise.iq.realisations import RealisationSet
from ctdenoise.iq.ttf import ttf_from_rod
from ctdenoise.metrics.nps import nps_from_rois

#: Inserts whose contrast exceeds this (HU) are high-contrast TTF rods, not detection targets.
MAX_DETECTION_CONTRAST_HU = 100.0
#: Number of Laguerre–Gauss channels (Gallas & Barrett 2003 use 5–6 for disk signals).
LG_CHANNELS = 5


@dataclass(frozen=True)
class InsertLocation:
    """A rod insert on the image grid: centre ``(row, column)`` (continuous index), diameter and contrast."""

    center_rc: tuple[float, float]
    diameter_mm: float
    contrast_hu: float


def remove_hu_offset(images: np.ndarray) -> tuple[np.ndarray, float]:
    """HU images with a storage offset removed: the FDA LCD-CT data store HU + 1000 (water 1000, air 0).

    In HU, air is −1000 and water 0; with the offset, air is 0 and water 1000. A stack with no values near air
    (1st percentile above −500) but water-like values near 1000 (99th percentile above 500) carries the offset.
    Returns ``(float32 images in HU, offset removed)``.
    """
    images = np.asarray(images, dtype=np.float32)
    low, high = np.percentile(images, [1.0, 99.0])
    offset = 1000.0 if low > -500.0 and high > 500.0 else 0.0
    return images - offset, offset


def object_background_hu(ground_truth: np.ndarray) -> float:
    """The most common value (0.1 HU bins) above −500 HU: the object's background, not the air around it."""
    inside = ground_truth > -500.0
    if not inside.any():
        raise CtDenoiseError("ground truth holds no object above -500 HU")
    values, counts = np.unique(np.round(ground_truth[inside], 1), return_counts=True)
    return float(values[np.argmax(counts)])


def find_inserts(
    ground_truth: np.ndarray, pixel_mm: tuple[float, float], min_contrast_hu: float = 0.5
) -> list[InsertLocation]:
    """Rod inserts of a noiseless image: compact regions that differ from the background (its most common HU).

    The background is :func:`object_background_hu`. Each connected region of ``|GT − background| >
    min_contrast_hu`` that does not touch the image border is an insert: contrast = median of its pixels beyond half
    its peak difference, diameter = that half-maximum area's equivalent circle, centre = its centroid. The object's partial-volume rim (a thin ring, not compact) is left out.

    Args:
        ground_truth: ``(y, x)`` noiseless image in HU.
        pixel_mm: ``(Δy, Δx)`` in mm.
        min_contrast_hu: smallest difference from the background that counts.

    Returns:
        Inserts sorted by diameter (smallest first).
    """
    truth = np.asarray(ground_truth, dtype=np.float64)
    difference = truth - object_background_hu(truth)
    labels, n_regions = ndimage.label(np.abs(difference) > min_contrast_hu)
    inserts = []
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        rows, cols = region
        if rows.start == 0 or cols.start == 0 or rows.stop == truth.shape[0] or cols.stop == truth.shape[1]:
            continue
        mask = labels[region] == index
        values_in = difference[region][mask]
        peak = values_in[np.argmax(np.abs(values_in))]
        core = mask & (np.abs(difference[region]) >= 0.5 * abs(peak))
        height, width = rows.stop - rows.start, cols.stop - cols.start
        if mask.sum() < 0.4 * height * width:  # a ring or a sliver, not a rod
            continue
        center = ndimage.center_of_mass(core)
        area_mm2 = float(core.sum()) * pixel_mm[0] * pixel_mm[1]
        inserts.append(
            InsertLocation(
                (center[0] + rows.start, center[1] + cols.start),
                round(2.0 * math.sqrt(area_mm2 / math.pi), 2),
                round(float(np.median(difference[region][core])), 2),
            )
        )
    return sorted(inserts, key=lambda insert: insert.diameter_mm)


def read_inserts_json(path: Path) -> list[InsertLocation]:
    """Inserts from a JSON list of ``{"center_px": [row, col], "diameter_mm": d, "contrast_hu": c}``."""
    try:
        entries = json.loads(Path(path).read_text())
        return [
            InsertLocation(
                (float(e["center_px"][0]), float(e["center_px"][1])), float(e["diameter_mm"]), float(e["contrast_hu"])
            )
            for e in entries
        ]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise CtDenoiseError(
            f"{path}: expected a JSON list of {{center_px: [row, col], diameter_mm, contrast_hu}} ({error})"
        ) from None


def extract_rois(images: np.ndarray, center_rc: tuple[float, float], side_px: int) -> np.ndarray:
    """``(n, side, side)`` square ROIs centred on the pixel nearest ``center_rc``.

    Raises:
        CtDenoiseError: when the ROI leaves the image.
    """
    row, col, half = int(round(center_rc[0])), int(round(center_rc[1])), side_px // 2
    if row - half < 0 or col - half < 0 or row + half >= images.shape[1] or col + half >= images.shape[2]:
        raise CtDenoiseError(f"the {side_px}-pixel ROI around ({row}, {col}) leaves the {images.shape[1:]} image")
    return images[:, row - half : row + half + 1, col - half : col + half + 1]


def observer_geometry(diameter_mm: float, pixel_mm: tuple[float, float]) -> tuple[float, int]:
    """LG channel width ``a`` (pixels; about the signal diameter, ≥ 2 px) and the odd ROI side holding 3·a."""
    width_px = max(diameter_mm / min(pixel_mm), 2.0)
    return width_px, max(2 * math.ceil(1.5 * width_px) + 1, 9)


def nps_roi_corners(region: np.ndarray, side_px: int) -> list[tuple[int, int]]:
    """Top-left corners of non-overlapping ``side × side`` squares lying wholly inside ``region``."""
    if not region.any():
        return []
    fits = ndimage.minimum_filter(region.astype(np.uint8), size=side_px, origin=-(side_px // 2), mode="constant")
    rows, cols = np.nonzero(region)
    corners = []
    for row in range(rows.min(), region.shape[0] - side_px + 1, side_px):  # tiles start at the region's corner
        for col in range(cols.min(), region.shape[1] - side_px + 1, side_px):
            if fits[row, col]:
                corners.append((int(row), int(col)))
    return corners


def ensemble_nps(absent: np.ndarray, pixel_mm: tuple[float, float], region: np.ndarray) -> dict[str, Any] | None:
    """NPS summary of ``absent − mean(absent)`` in the largest ROI size (64…8 px) that fits ``region``.

    The ensemble mean is itself noisy: the noise images carry ``(n − 1)/n`` of one image's variance, so the NPS is
    scaled by ``n / (n − 1)``. None when no 8-pixel ROI fits.
    """
    n = len(absent)
    for side in (64, 32, 16, 8):
        corners = nps_roi_corners(region, side)
        if corners:
            break
    else:
        return None
    noise = absent - absent.mean(axis=0, keepdims=True)
    rois = np.concatenate([noise[:, r : r + side, c : c + side] for r, c in corners])
    return nps_from_rois(rois, pixel_mm, detrend="quadratic", noise_only_scale=n / (n - 1)).summary()


def assess_image_set(
    present: np.ndarray,
    absent: np.ndarray,
    pixel_mm: tuple[float, float],
    inserts: list[InsertLocation],
    nps_region: np.ndarray | None = None,
    ttf_rods: list[InsertLocation] = (),
    n_readers: int = 10,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Detectability (LG-CHO, with NPW for comparison), NPS and TTF of one image set.

    Args:
        present: ``(n₁, y, x)`` signal-present images in HU.
        absent: ``(n₀, y, x)`` signal-absent images in HU (same grid).
        pixel_mm: ``(Δy, Δx)`` in mm.
        inserts: detection targets (known locations).
        nps_region: ``(y, x)`` boolean uniform region for the NPS; None skips the NPS.
        ttf_rods: high-contrast rods for the TTF (measured on the mean of all images).
        n_readers, n_bootstrap, seed: see :func:`ctdenoise.iq.observers.lg_cho`.

    Returns:
        ``{"observer": "LG-CHO", "n_present", "n_absent", "pixel_mm", "inserts": [{"diameter_mm",
        "contrast_hu", "center_px", "auc", "auc_ci", "dprime", "dprime_ci", "npw": {…}}], "nps": {…} | None,
        "ttf": [{…}]}``.

    Raises:
        CtDenoiseError: on mismatched stacks, no inserts, or an ROI outside the image.
    """
    present, absent = np.asarray(present, dtype=np.float64), np.asarray(absent, dtype=np.float64)
    if present.ndim != 3 or absent.ndim != 3 or present.shape[1:] != absent.shape[1:]:
        raise CtDenoiseError(
            f"signal-present {present.shape} and signal-absent {absent.shape} images must be (n, y, x) stacks "
            "of one size"
        )
    if not inserts:
        raise CtDenoiseError("no inserts to detect: give a ground truth with low-contrast rods or an inserts file")
    rows = []
    for insert in inserts:
        width_px, side = observer_geometry(insert.diameter_mm, pixel_mm)
        rois_p, rois_a = extract_rois(present, insert.center_rc, side), extract_rois(absent, insert.center_rc, side)
        cho = lg_cho(rois_p, rois_a, width_px, LG_CHANNELS, n_readers, n_bootstrap, seed)
        npw = npw_observer(rois_p, rois_a, n_readers, n_bootstrap, seed)
        summary = cho.summary()
        rows.append(
            {
                "diameter_mm": insert.diameter_mm,
                "contrast_hu": insert.contrast_hu,
                "center_px": [round(v, 2) for v in insert.center_rc],
                "roi_px": side,
                "channel_width_mm": round(width_px * min(pixel_mm), 3),
                "auc": summary["auc"],
                "auc_ci": summary["auc_ci"],
                "dprime": summary["dprime"],
                "dprime_ci": summary["dprime_ci"],
                "npw": {key: value for key, value in npw.summary().items() if key != "observer"},
            }
        )
    mean_image = np.concatenate([present, absent]).mean(axis=0)
    nyquist = 0.5 / min(pixel_mm)
    return {
        "observer": "LG-CHO",
        "n_present": len(present),
        "n_absent": len(absent),
        "pixel_mm": [float(v) for v in pixel_mm],
        "inserts": rows,
        "nps": None if nps_region is None else ensemble_nps(absent, pixel_mm, nps_region),
        "ttf": [
            ttf_from_rod(mean_image, pixel_mm, rod.center_rc, rod.diameter_mm).summary(nyquist) for rod in ttf_rods
        ],
    }


def phantom_locations(phantom: LowContrastPhantom) -> tuple[list[InsertLocation], list[InsertLocation]]:
    """The phantom's detection inserts and TTF rods on its image grid."""

    def locate(rods):
        return [
            InsertLocation(rod.center_rc(phantom.shape_yx, phantom.pixel_mm), rod.diameter_mm, rod.contrast_hu)
            for rod in rods
        ]

    return locate(phantom.detection_inserts), locate(phantom.ttf_rods)


def assess_phantom_images(
    present: np.ndarray, absent: np.ndarray, phantom: LowContrastPhantom, seed: int = 0, n_bootstrap: int = 1000
) -> dict[str, Any]:
    """:func:`assess_image_set` on images of the built-in phantom (its inserts, TTF rods and uniform region)."""
    inserts, rods = phantom_locations(phantom)
    return assess_image_set(
        present,
        absent,
        phantom.pixel_mm,
        inserts,
        nps_region=phantom.nps_region_mask(),
        ttf_rods=rods,
        seed=seed,
        n_bootstrap=n_bootstrap,
    )


def assess_realisations(realisations: RealisationSet, phantom: LowContrastPhantom, seed: int = 0) -> dict[str, Any]:
    """:func:`assess_phantom_images` of a simulated :class:`RealisationSet`, with its dose."""
    result = assess_phantom_images(realisations.present, realisations.absent, phantom, seed)
    return {"dose_fraction": realisations.dose_fraction, **result}
