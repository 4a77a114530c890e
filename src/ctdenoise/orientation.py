"""Work along the patient's slice axis whatever the array storage order.

A Volume's array axis 0 is its slice axis, but a coronal or sagittal series, or a NIfTI written with its axes
in another order, stores the patient's superior–inferior (S–I) axis elsewhere. Stages that act on axial slices
(low-dose simulation, z×2 denoising) first permute the array so that axis 0 is the index axis closest to S–I,
then permute the result back. A pure permutation keeps every voxel's LPS position (DICOM PS3.3 C.7.6.2.1.1:
position = origin + Σ index · spacing · direction), so the origin is unchanged and only the spacing and the
direction columns follow their axes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.volume import Volume

#: Largest angle between the chosen slice axis and the patient's S–I axis; beyond it the volume is refused
#: (an oblique stack has no axial slices to work on without resampling).
MAX_SLICE_AXIS_ANGLE_DEG = 30.0
IDENTITY_ORDER = (0, 1, 2)


def permute_axes(volume: Volume, order: tuple[int, int, int]) -> Volume:
    """The same voxels with array axes reordered as ``volume.hu.transpose(order)``; geometry follows the axes."""
    if tuple(order) == IDENTITY_ORDER:
        return volume
    # Array axis a is index axis 2 − a in ITK's (x, y, z) order, the order of the direction matrix columns.
    columns = [2 - order[2 - j] for j in range(3)]
    return volume.with_array(
        np.ascontiguousarray(volume.hu.transpose(order)),
        spacing_mm=tuple(volume.spacing_mm[a] for a in order),
        direction=volume.direction[:, columns],
    )


def axial_order(volume: Volume, source: str = "input") -> tuple[int, int, int]:
    """The array-axis order that puts the axis closest to the patient's S–I axis first (others keep their order).

    Raises:
        CtDenoiseError: when even the closest axis is more than ``MAX_SLICE_AXIS_ANGLE_DEG`` off S–I.
    """
    superior_component = np.abs([volume.direction[2, 2 - axis] for axis in range(3)])
    best = int(np.argmax(superior_component))
    angle = float(np.degrees(np.arccos(np.clip(superior_component[best], 0.0, 1.0))))
    if angle > MAX_SLICE_AXIS_ANGLE_DEG:
        raise CtDenoiseError(
            f"{source}: no array axis lies along the patient's head–feet axis (the closest is {angle:.0f}° off, "
            f"more than {MAX_SLICE_AXIS_ANGLE_DEG:g}°); resample the volume to axial slices first"
        )
    return (best, *(axis for axis in range(3) if axis != best))


def along_slice_axis(volume: Volume, work: Callable[[Volume], Volume], source: str = "input") -> Volume:
    """``work`` applied to ``volume`` stored with the patient's S–I axis as array axis 0, result stored back."""
    order = axial_order(volume, source)
    if order == IDENTITY_ORDER:
        return work(volume)
    inverse = tuple(int(a) for a in np.argsort(order))
    return permute_axes(work(permute_axes(volume, order)), inverse)
