"""Image sets on disk for ``ctdenoise iq``: stacks of 2D realisations as the FDA LCD-CT data are laid out.

The signal-present and signal-absent sets are each either one 3D file (MetaImage, NIfTI, NRRD) whose slices are
independent realisations, a folder of such files (stacked in name order), or a DICOM series folder. The ground
truth is the noiseless image (its first slice if it holds several). Values stored with a +1000 offset (FDA LCD-CT:
water 1000) are detected and brought back to HU (:func:`ctdenoise.iq.assess.remove_hu_offset`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.iq.assess import (
    MAX_DETECTION_CONTRAST_HU,
    InsertLocation,
    assess_image_set,
    find_inserts,
    object_background_hu,
    read_inserts_json,
    remove_hu_offset,
)


def read_image_stack(path: Path) -> tuple[np.ndarray, tuple[float, float]]:
    """``(n, y, x)`` images in HU and the pixel size ``(Δy, Δx)`` in mm of a file, folder of files or DICOM series.

    Raises:
        CtDenoiseError: for a missing path, an unreadable file, or files of different sizes.
    """
    from ctdenoise.io import read_volume
    from ctdenoise.io.itk_formats import is_itk_file

    path = Path(path)
    files = sorted(p for p in path.iterdir() if is_itk_file(p)) if path.is_dir() else []
    volumes = [read_volume(p) for p in files] if files else [read_volume(path)]
    shapes = {volume.shape[1:] for volume in volumes}
    if len(shapes) != 1:
        raise CtDenoiseError(f"{path}: images of different sizes {sorted(shapes)}")
    stack = np.concatenate([volume.hu for volume in volumes])
    pixel_mm = (volumes[0].spacing_mm[1], volumes[0].spacing_mm[2])
    return remove_hu_offset(stack)[0], pixel_mm


def uniform_region(ground_truth: np.ndarray, inserts: list[InsertLocation], pixel_mm, margin_px: int = 3):
    """Background pixels of the ground truth (within 0.5 HU of its insert-free mode), ``margin_px`` from any edge."""
    from scipy import ndimage

    background = np.abs(ground_truth - object_background_hu(ground_truth)) <= 0.5
    rows, cols = np.indices(ground_truth.shape)
    for insert in inserts:
        radius_px = insert.diameter_mm / (2 * min(pixel_mm)) + margin_px
        background &= np.hypot(rows - insert.center_rc[0], cols - insert.center_rc[1]) > radius_px
    return ndimage.binary_erosion(background, iterations=margin_px)


def assess_image_files(
    present_path: Path,
    absent_path: Path,
    ground_truth_path: Path | None = None,
    inserts_path: Path | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """:func:`ctdenoise.iq.assess.assess_image_set` on image sets on disk.

    Args:
        present_path, absent_path: signal-present / signal-absent stacks (see the module docstring).
        ground_truth_path: noiseless signal-present image; its low-contrast inserts (≤ 100 HU) are the detection
            targets, higher-contrast rods give the TTF, its uniform background the NPS region.
        inserts_path: JSON list of inserts (overrides the ones found in the ground truth).
        n_bootstrap, seed: see :func:`ctdenoise.iq.observers.lg_cho`.

    Raises:
        CtDenoiseError: when neither a ground truth nor an inserts file is given, or on unreadable input.
    """
    if ground_truth_path is None and inserts_path is None:
        raise CtDenoiseError(f"{present_path}: give --ground-truth or --inserts so the insert locations are known")
    present, pixel_mm = read_image_stack(present_path)
    absent, absent_pixel_mm = read_image_stack(absent_path)
    if present.shape[1:] != absent.shape[1:] or not np.allclose(pixel_mm, absent_pixel_mm, rtol=1e-3):
        raise CtDenoiseError(f"{absent_path}: not on the grid of {present_path}")
    found, nps_region = [], None
    if ground_truth_path is not None:
        truth = read_image_stack(ground_truth_path)[0][0]
        if truth.shape != present.shape[1:]:
            raise CtDenoiseError(f"{ground_truth_path}: {truth.shape} image, the image sets are {present.shape[1:]}")
        found = find_inserts(truth, pixel_mm)
        nps_region = uniform_region(truth, found, pixel_mm)
    inserts = [i for i in found if abs(i.contrast_hu) <= MAX_DETECTION_CONTRAST_HU]
    rods = [i for i in found if abs(i.contrast_hu) > MAX_DETECTION_CONTRAST_HU]
    if inserts_path is not None:
        inserts = read_inserts_json(inserts_path)
    result = assess_image_set(present, absent, pixel_mm, inserts, nps_region, rods, n_bootstrap=n_bootstrap, seed=seed)
    return {"present": str(present_path), "absent": str(absent_path), **result}
