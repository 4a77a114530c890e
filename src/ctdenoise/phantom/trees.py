"""Branching pulmonary vessel and airway trees grown inside the lungs, one generation at a time.

Each parent splits into two children whose radii follow Murray's law ``r³ = r₁³ + r₂³`` (Murray, PNAS 12:207,
1926) with an asymmetric split, as measured in human pulmonary arteries (Huang et al., J Appl Physiol 80:1790,
1996: length ≈ 5–10 radii, branching angles 20–60°). Branches whose tip would leave the lung are dropped, so the
trees fill the lung shape; growth stops at ``min_radius_mm`` (sub-voxel vessels still add their partial volume).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctdenoise.phantom.layout import ChestLayout


@dataclass(frozen=True)
class TreeRules:
    """Growth rules. Lengths are ``radius × length_per_radius + 1.5 mm``; angles in degrees."""

    min_radius_mm: float = 0.35
    major_fraction: tuple[float, float] = (0.78, 0.92)
    length_per_radius: tuple[float, float] = (5.0, 9.0)
    major_angle_deg: tuple[float, float] = (8.0, 25.0)
    minor_angle_deg: tuple[float, float] = (35.0, 65.0)
    max_segments: int = 40000
    steer_within_mm: float = 15.0


def _random_perpendicular(rng: np.random.Generator, directions: np.ndarray) -> np.ndarray:
    random = rng.normal(size=directions.shape)
    perpendicular = np.cross(directions, random)
    return perpendicular / (np.linalg.norm(perpendicular, axis=1, keepdims=True) + 1e-9)


def _steer_inwards(layout: ChestLayout, positions: np.ndarray, directions: np.ndarray, within_mm: float) -> np.ndarray:
    """Bend directions away from the lung surface when closer than ``within_mm`` (space filling, like real trees)."""
    step = 1.0
    gradient = np.zeros_like(positions)
    for axis in range(3):
        offset = np.zeros(3)
        offset[axis] = step
        ahead, behind = positions + offset, positions - offset
        gradient[:, axis] = (
            layout.lung_distance_mm(ahead[:, 0], ahead[:, 1], ahead[:, 2])
            - layout.lung_distance_mm(behind[:, 0], behind[:, 1], behind[:, 2])
        ) / (2 * step)
    depth = layout.lung_distance_mm(positions[:, 0], positions[:, 1], positions[:, 2])
    weight = np.clip((depth + within_mm) / within_mm, 0.0, 1.0)[:, None]
    return _unit(directions - 1.5 * weight * _unit(gradient))


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)


def grow_tree(
    rng: np.random.Generator,
    layout: ChestLayout,
    root_starts_zyx_mm: np.ndarray,
    root_directions: np.ndarray,
    root_radii_mm: np.ndarray,
    rules: TreeRules = TreeRules(),
) -> np.ndarray:
    """Grow trees from root segments; returns capsule rows ``z0, y0, x0, z1, y1, x1, radius`` (mm).

    Root segments are always kept (they start in the hilum, outside the lung); every later segment must end
    inside the lung, deeper than a fraction of its radius.
    """
    positions = np.asarray(root_starts_zyx_mm, dtype=np.float64).reshape(-1, 3)
    directions = _unit(np.asarray(root_directions, dtype=np.float64).reshape(-1, 3))
    radii = np.asarray(root_radii_mm, dtype=np.float64).reshape(-1)
    segments: list[np.ndarray] = []
    total = 0
    generation = 0
    while len(radii) and total < rules.max_segments:
        lengths = radii * rng.uniform(*rules.length_per_radius, size=len(radii)) + 1.5
        if generation == 0:
            lengths = lengths * 1.5
        else:
            directions = _steer_inwards(layout, positions, directions, rules.steer_within_mm)
        ends = positions + directions * lengths[:, None]
        if generation > 0:
            depth = layout.lung_distance_mm(ends[:, 0], ends[:, 1], ends[:, 2])
            shorter = depth >= -0.5 * radii  # try half the length before giving up on a branch
            ends[shorter] = positions[shorter] + directions[shorter] * (0.5 * lengths[shorter, None])
            depth[shorter] = layout.lung_distance_mm(ends[shorter, 0], ends[shorter, 1], ends[shorter, 2])
            keep = depth < -0.5 * radii
            positions, directions, radii, ends = positions[keep], directions[keep], radii[keep], ends[keep]
        segments.append(np.column_stack([positions, ends, radii]))
        total += len(radii)
        major = radii * rng.uniform(*rules.major_fraction, size=len(radii))
        minor = np.cbrt(np.clip(radii**3 - major**3, 0.0, None))
        side = _random_perpendicular(rng, directions)
        angle_major = np.radians(rng.uniform(*rules.major_angle_deg, size=len(radii)))[:, None]
        angle_minor = np.radians(rng.uniform(*rules.minor_angle_deg, size=len(radii)))[:, None]
        direction_major = _unit(directions * np.cos(angle_major) + side * np.sin(angle_major))
        direction_minor = _unit(directions * np.cos(angle_minor) - side * np.sin(angle_minor))
        positions = np.concatenate([ends, ends])
        directions = np.concatenate([direction_major, direction_minor])
        radii = np.concatenate([major, minor])
        alive = radii >= rules.min_radius_mm
        positions, directions, radii = positions[alive], directions[alive], radii[alive]
        generation += 1
    if not segments:
        return np.zeros((0, 7))
    return np.concatenate(segments)[: rules.max_segments]


def pulmonary_vessel_roots(rng: np.random.Generator, layout: ChestLayout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Root segments of the arteries and veins of both lungs: several lobar trunks fanning out from each hilum."""
    starts, directions, radii = [], [], []
    s = layout.scale
    for side in (-1, 1):
        hilum = layout.hilum_zyx_mm(side)
        # (dz, dy, dx·side) lobar directions: upper, middle/lingula, lower, plus veins running lower and forward
        for dz, dy, dx, radius, z_shift in (
            (0.9, -0.1, 0.4, 4.5, 0.0),
            (0.2, -0.6, 0.8, 4.0, 0.0),
            (-0.5, 0.2, 0.7, 5.0, 0.0),
            (-0.9, 0.5, 0.3, 4.5, 0.0),
            (-0.3, 0.7, 0.6, 4.0, -15.0),
            (0.5, 0.3, 0.8, 3.5, -10.0),
            (-0.6, -0.3, 0.7, 4.0, -30.0),
            (0.0, 0.2, 1.0, 3.5, -25.0),
        ):
            jitter = rng.normal(scale=0.15, size=3)
            starts.append(hilum + np.array([z_shift * s, 0.0, 0.0]))
            directions.append(np.array([dz, dy, dx * side]) + jitter)
            radii.append(radius * s * rng.uniform(0.85, 1.15))
    return np.array(starts), np.array(directions), np.array(radii)


def airway_roots(layout: ChestLayout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Main bronchi at the carina: the right one shorter and steeper (about 25° from vertical), the left ~45°."""
    s = layout.scale
    carina = np.asarray(layout.carina_zyx_mm)
    directions = np.array([[-0.9, 0.1, -0.45], [-0.7, 0.1, 0.7]])
    return np.array([carina, carina]), directions, np.array([7.0 * s, 6.0 * s])
