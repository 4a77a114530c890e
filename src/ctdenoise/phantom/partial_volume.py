"""Partial-volume edges: a voxel's tissue fraction from the signed distance of its centre to a surface.

A voxel straddling an edge holds a mix of both tissues. Box-filtering a step edge with the voxel's width gives a
linear ramp over one voxel, which is what ``edge_fraction`` returns (the anti-aliasing used for analytic phantoms,
e.g. the XCAT and Shepp–Logan voxelisers). Thin tubes (vessels, spicules) narrower than a voxel are handled in
``ctdenoise.phantom.capsules``, where the ramp would overstate their contrast.
"""

from __future__ import annotations

import numpy as np


def edge_fraction(signed_distance_mm: np.ndarray, ramp_width_mm: float) -> np.ndarray:
    """Fraction (0–1) of each voxel inside a shape, given the signed distance (negative inside) of its centre."""
    return np.clip(0.5 - signed_distance_mm / ramp_width_mm, 0.0, 1.0).astype(np.float32)


def ellipse_distance_mm(u: np.ndarray, v: np.ndarray, semi_u_mm, semi_v_mm) -> np.ndarray:
    """Approximate signed distance (mm) to an axis-aligned ellipse centred at 0 (exact on the boundary).

    First-order estimate ``(q − 1)/|∇q|`` with ``q`` the normalised radius: exact where it matters for partial
    volume (within a voxel of the edge) and monotone elsewhere. Semi-axes may be arrays (varying with z).
    """
    q = np.sqrt((u / semi_u_mm) ** 2 + (v / semi_v_mm) ** 2)
    gradient = np.sqrt((u / semi_u_mm**2) ** 2 + (v / semi_v_mm**2) ** 2) / np.maximum(q, 1e-6)
    # |∇q| lies between 1/max(semi) and 1/min(semi); the floor only matters at the exact centre.
    return (q - 1.0) / np.maximum(gradient, 1.0 / np.maximum(semi_u_mm, semi_v_mm))


def blend(hu: np.ndarray, fraction: np.ndarray, value_hu) -> None:
    """Paint ``value_hu`` over ``hu`` in place with weight ``fraction`` (the painter's rule for mixed voxels)."""
    hu += fraction * (value_hu - hu)
