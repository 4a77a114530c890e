"""Lung nodules: solid, part-solid and ground-glass; round, lobulated and spiculated; 4–30 mm.

Categories follow the Fleischner Society guidelines (MacMahon et al., Radiology 284:228, 2017): solid,
part-solid (ground glass with a solid core) and pure ground-glass nodules; their margins (smooth, lobulated,
spiculated) follow the Lung-RADS / LIDC-IDRI descriptors. Each nodule is a union of capsules (a sphere, lobes,
tapering spicules) scaled so that its volume equals the sphere of the requested diameter: ``diameter_mm`` is the
equivalent-sphere diameter, the size measure of volumetric nodule guidelines. Ground glass raises the lung's
density but keeps vessels visible (it is painted only where it is denser than what lies there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctdenoise.phantom import tissue_hu as T
from ctdenoise.phantom.capsules import rasterize_capsules
from ctdenoise.phantom.grid import PhantomGrid

NODULE_TYPES = ("solid", "part-solid", "ground-glass")
NODULE_SHAPES = ("round", "lobulated", "spiculated")
MIN_DIAMETER_MM, MAX_DIAMETER_MM = 4.0, 30.0


@dataclass(frozen=True)
class NoduleSpec:
    """What to draw: equivalent-sphere ``diameter_mm``, ``type``, ``shape`` and the centre (mm, phantom frame)."""

    diameter_mm: float
    type: str
    shape: str
    centre_zyx_mm: tuple[float, float, float]

    @property
    def reach_mm(self) -> float:
        """Farthest extent from the centre (spicules reach beyond the body)."""
        return self.diameter_mm / 2 * {"round": 1.05, "lobulated": 1.3, "spiculated": 2.1}[self.shape]


def draw_nodule_kind(rng: np.random.Generator) -> tuple[float, str, str]:
    """Random diameter (log-uniform 4–30 mm, small nodules commoner), type and shape.

    Part-solid nodules get ≥ 8 mm (room for a core), and so do lobulated and spiculated ones (margins to show).
    """
    kind = str(rng.choice(NODULE_TYPES, p=[0.5, 0.2, 0.3]))
    shape = str(rng.choice(NODULE_SHAPES, p=[0.4, 0.35, 0.25]))
    low = 8.0 if kind == "part-solid" or shape != "round" else MIN_DIAMETER_MM
    diameter = float(np.exp(rng.uniform(np.log(low), np.log(MAX_DIAMETER_MM))))
    return round(diameter, 1), kind, shape


def _unit_shape(rng: np.random.Generator, shape: str) -> np.ndarray:
    """Capsules of a nodule of radius ~1 centred at 0 (rows z0,y0,x0,z1,y1,x1,r)."""
    rows = []
    if shape == "round":
        rows.append([0, 0, 0, 0, 0, 0, 1.0])
    elif shape == "lobulated":
        rows.append([0, 0, 0, 0, 0, 0, 0.8])
        for _ in range(int(rng.integers(3, 6))):
            direction = rng.normal(size=3)
            centre = direction / np.linalg.norm(direction) * rng.uniform(0.4, 0.55)
            rows.append([*centre, *centre, rng.uniform(0.45, 0.6)])
    else:  # spiculated: a rounded body with 10–18 tapering spicules
        rows.append([0, 0, 0, 0, 0, 0, 0.95])
        for _ in range(int(rng.integers(10, 19))):
            direction = rng.normal(size=3)
            direction /= np.linalg.norm(direction)
            length = rng.uniform(0.5, 1.2)
            start = direction * 0.8
            for piece in range(3):
                end = start + direction * length / 3 + rng.normal(scale=0.03, size=3)
                rows.append([*start, *end, 0.12 * (1.0 - 0.3 * piece)])
                start = end
    return np.asarray(rows, dtype=np.float64)


def _place(unit: np.ndarray, radius_mm: float, centre_zyx_mm) -> np.ndarray:
    rows = unit.copy() * radius_mm
    rows[:, 0:3] += centre_zyx_mm
    rows[:, 3:6] += centre_zyx_mm
    return rows


def nodule_fraction(
    rng: np.random.Generator, spec: NoduleSpec, grid: PhantomGrid
) -> tuple[tuple[slice, slice, slice], np.ndarray, np.ndarray]:
    """Rasterise a nodule: returns the bounding-box slices, its tissue fraction and its solid-core fraction there.

    The shape is rescaled until its partial-volume volume equals the sphere of ``spec.diameter_mm``.
    """
    unit = _unit_shape(rng, spec.shape)
    centre = np.asarray(spec.centre_zyx_mm)
    lo = np.floor(grid.to_index(centre - spec.reach_mm - 3 * grid.in_plane_mm)).astype(int)
    hi = np.ceil(grid.to_index(centre + spec.reach_mm + 3 * grid.in_plane_mm)).astype(int) + 1
    lo, hi = np.maximum(lo, 0), np.minimum(hi, grid.shape_zyx)
    box = tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))
    box_origin = np.asarray(grid.origin_zyx_mm) + lo * np.asarray(grid.spacing_mm)
    shape = tuple(int(b - a) for a, b in zip(lo, hi, strict=True))
    voxel_mm3 = float(np.prod(grid.spacing_mm))
    target_mm3 = np.pi / 6 * spec.diameter_mm**3
    radius = spec.diameter_mm / 2
    for _ in range(4):  # fixed-point iteration on the scale; converges in 2–3 steps
        fraction = np.zeros(shape, dtype=np.float32)
        rasterize_capsules(fraction, _place(unit, radius, centre), box_origin, grid.spacing_mm, grid.in_plane_mm)
        volume_mm3 = float(fraction.sum()) * voxel_mm3
        radius *= (target_mm3 / max(volume_mm3, 1e-6)) ** (1 / 3)
    core = np.zeros(shape, dtype=np.float32)
    if spec.type == "part-solid":
        core_radius = spec.diameter_mm / 2 * rng.uniform(0.35, 0.6)
        rasterize_capsules(
            core, np.array([[*centre, *centre, core_radius]]), box_origin, grid.spacing_mm, grid.in_plane_mm
        )
    return box, fraction, core


def paint_nodule(
    rng: np.random.Generator, hu: np.ndarray, labels: np.ndarray, label: int, spec: NoduleSpec, grid: PhantomGrid
) -> None:
    """Paint a nodule into ``hu`` and write ``label`` where it covers at least half a voxel."""
    box, fraction, core = nodule_fraction(rng, spec, grid)
    texture = rng.normal(size=fraction.shape).astype(np.float32)
    region = hu[box]
    if spec.type == "solid":
        region += fraction * (T.SOLID_NODULE.draw(rng) + 8.0 * texture - region)
    else:
        glass_hu = T.GROUND_GLASS.draw(rng) + 25.0 * texture
        region += fraction * np.maximum(glass_hu - region, 0.0)
        if spec.type == "part-solid":
            region += core * (T.SOLID_NODULE.draw(rng) + 8.0 * texture - region)
    labels[box][fraction >= 0.5] = label
