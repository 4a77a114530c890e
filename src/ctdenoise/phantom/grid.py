"""The voxel grid a phantom subject is drawn on, in the phantom frame (= patient LPS, mm).

x grows towards the patient's left, y towards the back, z towards the head; z = 0 is the top of the right
diaphragm dome. Coordinates come as broadcastable axes (``z`` (nz,1,1), ``y`` (1,ny,1), ``x`` (1,1,nx)) so
z-invariant structures are computed once on a 2D slice and broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PhantomGrid:
    """Voxel grid: ``shape_zyx``, ``spacing_mm`` (z, y, x) and the frame position of voxel [0, 0, 0]."""

    shape_zyx: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]
    origin_zyx_mm: tuple[float, float, float]

    @property
    def z(self) -> np.ndarray:
        return self._axis(0).reshape(-1, 1, 1)

    @property
    def y(self) -> np.ndarray:
        return self._axis(1).reshape(1, -1, 1)

    @property
    def x(self) -> np.ndarray:
        return self._axis(2).reshape(1, 1, -1)

    @property
    def in_plane_mm(self) -> float:
        """Width of a partial-volume edge: the larger in-plane voxel side."""
        return float(max(self.spacing_mm[1], self.spacing_mm[2]))

    def _axis(self, axis: int) -> np.ndarray:
        n = self.shape_zyx[axis]
        return (self.origin_zyx_mm[axis] + np.arange(n) * self.spacing_mm[axis]).astype(np.float32)

    def to_index(self, points_zyx_mm: np.ndarray) -> np.ndarray:
        """Continuous voxel indices (z, y, x) of frame points (..., 3)."""
        return (np.asarray(points_zyx_mm) - np.asarray(self.origin_zyx_mm)) / np.asarray(self.spacing_mm)
