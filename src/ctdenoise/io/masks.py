"""Read a mask from a label image (NIfTI/NRRD/MetaImage) or from one ROI of a DICOM RTSTRUCT.

Masks are Volumes whose ``hu`` holds label values (0 = background) with modality ``"SEG"``. When a reference image
is given the mask must lie on its grid: radiomics and masked metrics compare voxel by voxel, and silently
resampling a mask would change the very features being measured.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.itk_formats import ITK_SUFFIXES, is_itk_file, read_itk_volume
from ctdenoise.io.rtstruct import read_rtstruct_masks, rtstruct_roi_names
from ctdenoise.volume import Volume

#: How far (mm) a mask voxel centre may lie beyond the image's outer voxel faces: rounding of origins written as
#: decimal strings, not a real offset (pyradiomics' geometryTolerance serves the same purpose).
GEOMETRY_TOLERANCE_MM = 1e-3
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


def _lps_extent(corners_lps: np.ndarray) -> str:
    low, high = corners_lps.min(axis=0), corners_lps.max(axis=0)
    return ", ".join(f"{axis} {a:.1f} to {b:.1f}" for axis, a, b in zip("xyz", low, high, strict=True))


def _box_corners_zyx(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.array([[(low, high)[bit][axis] for axis, bit in enumerate(bits)] for bits in np.ndindex(2, 2, 2)])


def _outside_image(image: Volume, corners_lps: np.ndarray) -> bool:
    index = image.lps_to_index(corners_lps)
    tolerance = GEOMETRY_TOLERANCE_MM / np.asarray(image.spacing_mm)
    return bool(np.any(index < -0.5 - tolerance) or np.any(index > np.asarray(image.shape) - 0.5 + tolerance))


def check_mask_inside_image(mask: Volume, image: Volume) -> None:
    """Refuse a mask whose labelled voxels lie (partly) outside the image, instead of measuring the fill value.

    A mask may be on another grid than its image (the image is then resampled onto it); its labelled voxel
    centres must lie within the image's outer voxel faces (± ``GEOMETRY_TOLERANCE_MM``).

    Raises:
        CtDenoiseError: naming both files, where the mask's voxels lie and where the image lies (LPS mm), with
            a hint when the mask's x and y look written with the RAS sign.
    """
    labelled = np.argwhere(mask.hu != 0)
    if labelled.size == 0:
        return
    corners = mask.index_to_lps(_box_corners_zyx(labelled.min(axis=0), labelled.max(axis=0)))
    if not _outside_image(image, corners):
        return
    image_corners = image.index_to_lps(_box_corners_zyx(np.full(3, -0.5), np.asarray(image.shape) - 0.5))
    hint = ""
    origin = np.asarray(mask.origin_mm)
    if not _outside_image(image, corners - origin + LPS_TO_RAS @ origin):
        hint = "; with its origin's x and y negated it would fit: is the mask's origin written in RAS, not LPS?"
    raise CtDenoiseError(
        f"{mask.metadata.get('source_path', 'mask')}: the mask's labelled voxels lie outside the image "
        f"{image.metadata.get('source_path', '')}: mask voxels at LPS {_lps_extent(corners)} mm, image covers "
        f"{_lps_extent(image_corners)} mm{hint}"
    )


def _describe_grid(volume: Volume) -> str:
    spacing = ", ".join(f"{s:.4g}" for s in volume.spacing_mm)
    origin = ", ".join(f"{o:.4g}" for o in volume.origin_mm)
    return f"shape {volume.shape}, spacing ({spacing}) mm, origin ({origin}) mm"


def _rtstruct_roi(path: Path, reference: Volume | None, roi: str | None) -> Volume:
    names = rtstruct_roi_names(path)  # a clear error first when the file is no RTSTRUCT at all
    if reference is None:
        raise CtDenoiseError(f"{path}: an RTSTRUCT needs the image it was drawn on (reference / --image)")
    listing = ", ".join(names) or "none"
    if roi is None:
        if len(names) != 1:
            raise CtDenoiseError(f"{path}: holds {len(names)} ROIs; choose one with --roi: {listing}")
        roi = names[0]
    if roi not in names:
        raise CtDenoiseError(f"{path}: no ROI named '{roi}'; available: {listing}")
    return read_rtstruct_masks(path, reference, roi_names=[roi])[roi]


def _label_image(path: Path, roi: str | None) -> Volume:
    labels = read_itk_volume(path)
    if not np.array_equal(labels.hu, np.round(labels.hu)):
        raise CtDenoiseError(f"{path}: holds non-integer values, so it is not a label image (a CT image?)")
    labels.modality = "SEG"
    if roi is None:
        return labels
    if not roi.strip().isdigit():
        raise CtDenoiseError(f"{path}: a label image has no ROI names; give --roi as a label number, not '{roi}'")
    label = int(roi)
    if not np.any(labels.hu == label):
        present = ", ".join(str(int(v)) for v in np.unique(labels.hu) if v != 0) or "none"
        raise CtDenoiseError(f"{path}: no voxel has label {label}; labels present: {present}")
    return labels.with_array((labels.hu == label).astype(np.float32))


def read_mask(path: Path | str, reference: Volume | None = None, roi: str | None = None) -> Volume:
    """Read a mask on the image grid from a label image or an RTSTRUCT.

    Args:
        path: a label image (``.nii``/``.nii.gz``/``.nrrd``/``.mha``/``.mhd``, 0 = background) or an RTSTRUCT
            ``.dcm`` file.
        reference: the image the mask belongs to. Required for an RTSTRUCT (its grid is where the contours are
            filled); for a label image it is checked that the mask lies on the same grid.
        roi: for an RTSTRUCT the ROI name (may be left out when there is only one ROI); for a label image an
            optional label number, giving a binary mask of that label.

    Returns:
        A Volume with label values in ``hu`` (0/1 for an RTSTRUCT ROI or a chosen label), modality ``"SEG"``.

    Example:
        >>> ct = read_volume("../shared/data/lung1-001/dicom")                                    # doctest: +SKIP
        >>> gtv = read_mask("../shared/data/lung1-001/rtstruct.dcm", reference=ct, roi="GTV-1")   # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise CtDenoiseError(f"{path}: no such file")
    if path.is_dir():
        raise CtDenoiseError(
            f"{path}: a folder; a mask is a label image ({', '.join(ITK_SUFFIXES)}) or an RTSTRUCT file"
        )
    mask = _label_image(path, roi) if is_itk_file(path) else _rtstruct_roi(path, reference, roi)
    if reference is not None and not mask.same_grid_as(reference):
        raise CtDenoiseError(
            f"{path}: the mask is not on the image grid (mask {_describe_grid(mask)}; image {_describe_grid(reference)})"
        )
    return mask
