"""Put an image on a mask's voxel grid and cut a small box around a nodule, geometry kept."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from ctdenoise.io.itk_formats import sitk_to_volume, volume_to_sitk
from ctdenoise.volume import Volume

#: HU of air, used outside the field of view when resampling.
AIR_HU = -1000.0


def resample_to_grid(volume: Volume, reference: Volume, linear: bool = True, outside_hu: float = AIR_HU) -> Volume:
    """``volume`` sampled at the voxel positions of ``reference`` (e.g. a 2 mm low-dose scan on the 1 mm mask grid).

    Args:
        volume: the image to resample.
        reference: the volume whose grid (shape, spacing, origin, direction) the result takes.
        linear: linear interpolation for images; ``False`` = nearest neighbour, for label masks.
        outside_hu: value for positions outside ``volume``.
    """
    if volume.same_grid_as(reference):
        return volume
    interpolator = sitk.sitkLinear if linear else sitk.sitkNearestNeighbor
    resampled = sitk.Resample(
        volume_to_sitk(volume),
        volume_to_sitk(reference),
        sitk.Transform(),
        interpolator,
        float(outside_hu),
        sitk.sitkFloat32,
    )
    return sitk_to_volume(resampled, modality=volume.modality, metadata=volume.metadata)


def bounding_box(roi: np.ndarray, margin_voxels: int, shape: tuple[int, ...]) -> tuple[slice, ...]:
    """Index slices (z, y, x) of the box around the True voxels of ``roi``, grown by ``margin_voxels``."""
    indices = np.argwhere(roi)
    low = np.maximum(indices.min(axis=0) - margin_voxels, 0)
    high = np.minimum(indices.max(axis=0) + 1 + margin_voxels, shape)
    return tuple(slice(int(a), int(b)) for a, b in zip(low, high, strict=True))


def crop(volume: Volume, box: tuple[slice, ...]) -> Volume:
    """The part of ``volume`` inside the index box, its origin moved so every voxel keeps its LPS position."""
    start_zyx = np.array([axis.start for axis in box], dtype=np.float64)
    origin = volume.index_to_lps(start_zyx)
    return volume.with_array(volume.hu[box], origin_mm=tuple(origin))
