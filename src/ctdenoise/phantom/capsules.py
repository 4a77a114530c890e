"""Rasterise unions of capsules (line segments with a radius) with partial volume: vessels, airways, nodule lobes.

A vessel tree has thousands of segments, each touching only a few voxels, so a compiled loop over each segment's
bounding box is far faster than whole-grid array maths. Tissue fraction per voxel:

* wide tubes: the one-voxel linear ramp of ``ctdenoise.phantom.partial_volume.edge_fraction``;
* tubes thinner than half a voxel: the tube's cross-section area ``π r²`` spread over the voxels around its axis
  with linear (tent) weights, which sum to one over the grid; so the vessel adds the right amount of tissue to
  the voxels' mean HU, the way a scanner's voxel averages a thin vessel, instead of a full-contrast dot.

Overlapping capsules combine by maximum.
"""

from __future__ import annotations

import numba
import numpy as np

SEGMENT_COLUMNS = 7  # z0, y0, x0, z1, y1, x1 (mm), radius (mm)


@numba.njit(cache=True, nogil=True)
def _rasterize(fraction, segments, origin_zyx_mm, spacing_zyx_mm, ramp_width_mm):  # pragma: no cover - compiled
    nz, ny, nx = fraction.shape
    sz, sy, sx = spacing_zyx_mm[0], spacing_zyx_mm[1], spacing_zyx_mm[2]
    voxel_mm3 = sz * sy * sx
    for s in range(segments.shape[0]):
        z0, y0, x0, z1, y1, x1, radius = segments[s]
        reach = radius + 2.0 * ramp_width_mm
        lo_z = max(int(np.floor((min(z0, z1) - reach - origin_zyx_mm[0]) / sz)), 0)
        hi_z = min(int(np.ceil((max(z0, z1) + reach - origin_zyx_mm[0]) / sz)) + 1, nz)
        lo_y = max(int(np.floor((min(y0, y1) - reach - origin_zyx_mm[1]) / sy)), 0)
        hi_y = min(int(np.ceil((max(y0, y1) + reach - origin_zyx_mm[1]) / sy)) + 1, ny)
        lo_x = max(int(np.floor((min(x0, x1) - reach - origin_zyx_mm[2]) / sx)), 0)
        hi_x = min(int(np.ceil((max(x0, x1) + reach - origin_zyx_mm[2]) / sx)) + 1, nx)
        if lo_z >= hi_z or lo_y >= hi_y or lo_x >= hi_x:
            continue
        dz, dy, dx = z1 - z0, y1 - y0, x1 - x0
        length_sq = dz * dz + dy * dy + dx * dx
        thin_tube = 2.0 * radius < ramp_width_mm
        # Cross-section area of one voxel across the tube: voxel volume / voxel extent along the tube.
        if length_sq > 0.0:
            inverse_extent = np.sqrt((dz / sz) ** 2 + (dy / sy) ** 2 + (dx / sx) ** 2) / np.sqrt(length_sq)
        else:
            inverse_extent = 1.0 / min(sz, min(sy, sx))
        peak = np.pi * radius * radius / (voxel_mm3 * inverse_extent)
        for k in range(lo_z, hi_z):
            pz = origin_zyx_mm[0] + k * sz - z0
            for j in range(lo_y, hi_y):
                py = origin_zyx_mm[1] + j * sy - y0
                for i in range(lo_x, hi_x):
                    px = origin_zyx_mm[2] + i * sx - x0
                    t = 0.0
                    if length_sq > 0.0:
                        t = (pz * dz + py * dy + px * dx) / length_sq
                        t = min(max(t, 0.0), 1.0)
                    qz, qy, qx = pz - t * dz, py - t * dy, px - t * dx
                    if thin_tube:
                        tent = max(1.0 - abs(qz) / sz, 0.0) * max(1.0 - abs(qy) / sy, 0.0)
                        tent *= max(1.0 - abs(qx) / sx, 0.0)
                        value = min(peak * tent, 1.0)
                    else:
                        distance = np.sqrt(qz * qz + qy * qy + qx * qx)
                        value = min(max(0.5 - (distance - radius) / ramp_width_mm, 0.0), 1.0)
                    if value > fraction[k, j, i]:
                        fraction[k, j, i] = value


def rasterize_capsules(
    fraction: np.ndarray,
    segments_mm: np.ndarray,
    origin_zyx_mm: np.ndarray,
    spacing_zyx_mm: tuple[float, float, float],
    ramp_width_mm: float,
) -> np.ndarray:
    """Paint the union of capsules into ``fraction`` (float32 (z, y, x), updated in place by maximum).

    Args:
        fraction: tissue-fraction array to update; voxel ``[k, j, i]`` sits at
            ``origin_zyx_mm + (k, j, i) * spacing_zyx_mm``.
        segments_mm: ``(n, 7)`` rows ``z0, y0, x0, z1, y1, x1, radius`` in mm (phantom frame).
        origin_zyx_mm: position of voxel ``[0, 0, 0]`` in the same frame.
        spacing_zyx_mm: voxel size.
        ramp_width_mm: width of the partial-volume edge, about one in-plane voxel.

    Returns:
        ``fraction``, for chaining.
    """
    segments = np.ascontiguousarray(segments_mm, dtype=np.float64).reshape(-1, SEGMENT_COLUMNS)
    _rasterize(
        fraction,
        segments,
        np.asarray(origin_zyx_mm, dtype=np.float64),
        np.asarray(spacing_zyx_mm, dtype=np.float64),
        float(ramp_width_mm),
    )
    return fraction
