"""Split a nodule mask into one region of interest per nodule: per label value, or per connected component."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError
from ctdenoise.volume import Volume

#: Regions smaller than this many voxels are skipped: texture matrices of a handful of voxels are noise.
DEFAULT_MIN_VOXELS = 10

SPLIT_MODES = ("auto", "labels", "components")


@dataclass
class NoduleRoi:
    """One nodule: its number (label value, or component index for a binary mask) and its voxels on the mask grid."""

    label: int
    voxels: np.ndarray  # bool (z, y, x)

    @property
    def voxel_count(self) -> int:
        return int(self.voxels.sum())

    @property
    def extended_axes(self) -> int:
        """Axes along which the region spans more than one voxel (pyradiomics needs at least two)."""
        corners = np.argwhere(self.voxels)
        return int(np.count_nonzero(corners.max(axis=0) > corners.min(axis=0))) if corners.size else 0


def _label_values(mask: Volume) -> np.ndarray:
    labels = np.rint(mask.hu).astype(np.int64)
    if labels.min() < 0:
        raise CtDenoiseError(f"{_name(mask)}: mask has negative label values; expected 0 = background, 1..k nodules")
    return labels


def _name(mask: Volume) -> str:
    return str(mask.metadata.get("source_path", "mask"))


def split_nodules(
    mask: Volume, split: str = "auto", label: int | None = None, min_voxels: int = DEFAULT_MIN_VOXELS
) -> list[NoduleRoi]:
    """The nodule regions of a label mask, smallest label first; regions under ``min_voxels``, or a line of
    voxels (pyradiomics needs a region that extends along at least two axes), are left out.

    Args:
        mask: label volume, 0 = background.
        split: ``"labels"`` = one region per label value; ``"components"`` = one per 26-connected component of the
            non-zero voxels (numbered 1, 2, ... in scan order); ``"auto"`` = labels when the mask holds more than one
            label value, else components.
        label: keep only this label value (as one region); overrides ``split``.
        min_voxels: smallest region kept.

    Example:
        >>> import numpy as np
        >>> labels = np.zeros((8, 8, 8)); labels[1:3, 1:3, 1:3] = 1; labels[5:8, 5:8, 5:8] = 1
        >>> [roi.voxel_count for roi in split_nodules(Volume(labels, modality="SEG"), min_voxels=1)]
        [8, 27]
    """
    if split not in SPLIT_MODES:
        raise CtDenoiseError(f"unknown split mode '{split}'; use one of {', '.join(SPLIT_MODES)}")
    labels = _label_values(mask)
    values = [int(v) for v in np.unique(labels) if v != 0]
    if label is not None:
        if label not in values:
            raise CtDenoiseError(f"{_name(mask)}: no voxel has label {label} (labels present: {values or 'none'})")
        regions = [NoduleRoi(label, labels == label)]
    elif split == "labels" or (split == "auto" and len(values) > 1):
        regions = [NoduleRoi(value, labels == value) for value in values]
    else:
        components, count = ndimage.label(labels > 0, structure=np.ones((3, 3, 3), dtype=bool))
        regions = [NoduleRoi(index, components == index) for index in range(1, count + 1)]
    # A line of voxels has no texture matrix pyradiomics can build; a label the user named is kept as asked.
    min_axes = 0 if label is not None else 2
    kept = [region for region in regions if region.voxel_count >= min_voxels and region.extended_axes >= min_axes]
    if not kept:
        raise CtDenoiseError(f"{_name(mask)}: no nodule region of at least {min_voxels} voxels in the mask")
    return kept


def read_nodule_mask(path: Path | str, image: Volume, roi: str | None = None) -> Volume:
    """The nodule mask of ``image``: a label image as it is, or an RTSTRUCT ROI filled on ``image``'s grid.

    A label image may lie on another grid than the image (a 1 mm mask for a 2 mm low-dose scan): the extractor
    then resamples the image onto the mask, never the mask, so every method is measured on the same voxels.

    Args:
        path: label image (``.nii.gz``, ``.nrrd``, ...) or RTSTRUCT ``.dcm``.
        image: the scan the mask belongs to (needed for RTSTRUCT contours).
        roi: RTSTRUCT ROI name, or a label number for a label image.
    """
    from ctdenoise.io import read_mask
    from ctdenoise.io.itk_formats import is_itk_file

    if is_itk_file(Path(path)):
        return read_mask(path, roi=roi)
    return read_mask(path, reference=image, roi=roi)
