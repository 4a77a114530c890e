"""The one image type of ctdenoise: a CT volume in HU that always travels with its geometry.

Conventions (the same as ITK/SimpleITK and DICOM, patient LPS coordinates in mm):

* ``hu`` is a float32 array indexed ``(z, y, x)`` = (slice, row, column).
* ``spacing_mm`` is ``(z, y, x)``, matching the array axes.
* ``origin_mm`` is the LPS position ``(x, y, z)`` of the centre of voxel ``[0, 0, 0]``.
* ``direction`` is a 3×3 matrix whose *columns* are the LPS unit vectors of the column (x), row (y) and
  slice (z) index axes, i.e. ``direction[:, 0]`` is DICOM's row direction cosine.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


@dataclass
class Volume:
    """A CT volume in Hounsfield units with its geometry and source metadata.

    Args:
        hu: HU values, shape ``(z, y, x)``; stored as float32.
        spacing_mm: voxel size ``(z, y, x)`` in mm.
        origin_mm: LPS position ``(x, y, z)`` of voxel ``[0, 0, 0]`` in mm.
        direction: 3×3 direction cosines, columns = index axes (x, y, z) in LPS. Identity by default.
        modality: DICOM modality of the source (``"CT"`` for scans; masks use ``"SEG"``).
        metadata: source information needed to write DICOM back, e.g. ``metadata["dicom_header"]`` holds a
            pydicom ``Dataset`` (one source slice without pixel data) when the volume came from DICOM.

    Example:
        >>> import numpy as np
        >>> air = Volume(np.full((4, 8, 8), -1000.0), spacing_mm=(2.0, 0.7, 0.7))
        >>> air.shape, air.physical_size_mm
        ((4, 8, 8), (8.0, 5.6, 5.6))
        >>> air
        Volume(CT, 4×8×8 voxels (z, y, x), spacing 2×0.7×0.7 mm, HU -1000…-1000, origin (0, 0, 0) mm)
    """

    hu: np.ndarray
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))
    modality: str = "CT"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hu = np.asarray(self.hu, dtype=np.float32)
        if self.hu.ndim != 3:
            raise ValueError(f"Volume needs a 3D (z, y, x) array, got shape {self.hu.shape}")
        self.spacing_mm = tuple(float(s) for s in self.spacing_mm)
        self.origin_mm = tuple(float(o) for o in self.origin_mm)
        self.direction = np.asarray(self.direction, dtype=np.float64).reshape(3, 3)
        if any(s <= 0 for s in self.spacing_mm):
            raise ValueError(f"spacing must be positive, got {self.spacing_mm}")

    def __repr__(self) -> str:
        """One line: modality, size, spacing, HU range and origin (never the array or the DICOM header)."""
        size = "×".join(str(n) for n in self.shape)
        spacing = "×".join(f"{s:g}" for s in self.spacing_mm)
        finite = self.hu[np.isfinite(self.hu)]
        hu_range = f"HU {finite.min():g}…{finite.max():g}" if finite.size else "no finite HU"
        origin = ", ".join(f"{o:g}" for o in self.origin_mm)
        return (
            f"Volume({self.modality}, {size} voxels (z, y, x), spacing {spacing} mm, {hu_range}, origin ({origin}) mm)"
        )

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.hu.shape)

    @property
    def physical_size_mm(self) -> tuple[float, float, float]:
        return tuple(n * s for n, s in zip(self.shape, self.spacing_mm, strict=True))

    def index_to_lps(self, index_zyx: np.ndarray) -> np.ndarray:
        """LPS positions (..., 3) of voxel indices given as (..., 3) in (z, y, x) order."""
        ijk = np.asarray(index_zyx, dtype=np.float64)[..., ::-1]  # → (x, y, z) index order
        steps = ijk * np.asarray(self.spacing_mm[::-1])
        return np.asarray(self.origin_mm) + steps @ self.direction.T

    def lps_to_index(self, lps_xyz: np.ndarray) -> np.ndarray:
        """Continuous voxel indices (..., 3) in (z, y, x) order of LPS positions (..., 3)."""
        offset = np.asarray(lps_xyz, dtype=np.float64) - np.asarray(self.origin_mm)
        ijk = (offset @ self.direction) / np.asarray(self.spacing_mm[::-1])
        return ijk[..., ::-1]

    def with_array(self, hu: np.ndarray, **changes: Any) -> Volume:
        """A new Volume with another array (and optionally other fields) on this volume's geometry.

        The origin stays this volume's first voxel: for a part of the array cut along z use :meth:`slab`, which
        moves it, so the slices keep their physical positions.
        """
        return replace(self, hu=hu, metadata=dict(self.metadata), **changes)

    def slab(self, first: int, stop: int) -> Volume:
        """Slices ``first … stop − 1`` (a copy) as a Volume at their own physical position (origin moved to slice
        ``first``).

        Raises:
            ValueError: an empty or out-of-range slice range.

        Example:
            >>> volume = Volume(np.full((10, 4, 4), -1000.0), spacing_mm=(2.5, 0.7, 0.7), origin_mm=(0.0, 0.0, -50.0))
            >>> volume.slab(4, 6).origin_mm[2], volume.slab(4, 6).shape
            (-40.0, (2, 4, 4))
        """
        if not 0 <= first < stop <= self.shape[0]:
            raise ValueError(f"slices {first}…{stop - 1} are not within the volume's {self.shape[0]} slices")
        origin = tuple(float(value) for value in self.index_to_lps(np.array([first, 0, 0])))
        return self.with_array(self.hu[first:stop].copy(), origin_mm=origin)  # a copy: the slab is its own

    def same_grid_as(self, other: Volume, tolerance_mm: float = 1e-3) -> bool:
        """True when both volumes sample the same voxel positions."""
        return (
            self.shape == other.shape
            and np.allclose(self.spacing_mm, other.spacing_mm, atol=tolerance_mm)
            and np.allclose(self.origin_mm, other.origin_mm, atol=tolerance_mm)
            and np.allclose(self.direction, other.direction, atol=1e-4)
        )
