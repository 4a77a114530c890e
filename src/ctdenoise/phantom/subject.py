"""One phantom subject: chest anatomy, lung mask, nodules and their label mask, on a chosen voxel grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.phantom.anatomy import render_chest
from ctdenoise.phantom.grid import PhantomGrid
from ctdenoise.phantom.layout import ChestLayout, draw_layout
from ctdenoise.phantom.nodules import MIN_DIAMETER_MM, NoduleSpec, draw_nodule_kind, paint_nodule
from ctdenoise.volume import Volume

DEFAULT_SHAPE_ZYX = (64, 192, 192)
DEFAULT_SPACING_MM = (1.0, 1.8, 1.8)


@dataclass
class PhantomSubject:
    """A generated subject: full-dose CT, lung mask (1 = lung), nodule labels (1..k) and the nodule list."""

    full_dose: Volume
    lung_mask: Volume
    nodule_mask: Volume
    nodules: list[dict] = field(default_factory=list)
    tissue_labels: np.ndarray | None = None  # ctdenoise.phantom.anatomy.Tissue codes, for checks


def _grid_for(rng: np.random.Generator, layout: ChestLayout, shape_zyx, spacing_mm) -> PhantomGrid:
    """Centre the grid in x, a little posterior in y (room for the table), and at a random chest height."""
    nz, ny, nx = shape_zyx
    sz, sy, sx = spacing_mm
    s = layout.scale
    slab_centre_z = rng.uniform(60.0, 170.0) * s
    return PhantomGrid(
        shape_zyx=(nz, ny, nx),
        spacing_mm=(sz, sy, sx),
        origin_zyx_mm=(slab_centre_z - (nz - 1) / 2 * sz, -(ny - 1) / 2 * sy + 14.0 * s, -(nx - 1) / 2 * sx),
    )


def _choose_centre(
    rng: np.random.Generator,
    layout: ChestLayout,
    grid: PhantomGrid,
    lung_fraction: np.ndarray,
    reach_mm: float,
    taken: list[tuple[np.ndarray, float]],
) -> np.ndarray | None:
    """A random point deep enough inside the lung (and the grid) for a nodule of ``reach_mm``, apart from others."""
    candidates = np.flatnonzero(lung_fraction.ravel() >= 1.0)
    if not len(candidates):
        return None
    picks = rng.choice(candidates, size=min(400, len(candidates)), replace=False)
    points = np.column_stack(np.unravel_index(picks, grid.shape_zyx)) * np.asarray(grid.spacing_mm)
    points = points + np.asarray(grid.origin_zyx_mm)
    depth = layout.lung_distance_mm(points[:, 0], points[:, 1], points[:, 2])
    ok = depth < -(reach_mm + 1.5)
    low = np.asarray(grid.origin_zyx_mm) + reach_mm + 1.0
    high = (
        np.asarray(grid.origin_zyx_mm) + (np.asarray(grid.shape_zyx) - 1) * np.asarray(grid.spacing_mm) - reach_mm - 1.0
    )
    ok &= np.all((points >= low) & (points <= high), axis=1)
    for centre, other_reach in taken:
        ok &= np.linalg.norm(points - centre, axis=1) > reach_mm + other_reach + 3.0
    hits = np.flatnonzero(ok)
    return points[hits[0]] if len(hits) else None


def generate_subject(
    seed: int | np.random.SeedSequence,
    shape_zyx: tuple[int, int, int] = DEFAULT_SHAPE_ZYX,
    spacing_mm: tuple[float, float, float] = DEFAULT_SPACING_MM,
    n_nodules: int | None = None,
) -> PhantomSubject:
    """Generate one subject, deterministic by ``seed``.

    Args:
        seed: integer or ``SeedSequence``; the same seed gives bit-identical arrays.
        shape_zyx: voxels (z, y, x); the chest shrinks to fit small fields of view.
        spacing_mm: voxel size (z, y, x) in mm; full dose is usually 1 mm slices.
        n_nodules: nodules to place (default: 2–4 at random); fewer when the lungs in view are too small.

    Example:
        >>> subject = generate_subject(0, shape_zyx=(32, 96, 96), spacing_mm=(1.0, 3.0, 3.0))  # doctest: +SKIP
        >>> subject.full_dose.hu.min() >= -1000.0   # doctest: +SKIP
        True
    """
    shape_zyx = tuple(int(n) for n in shape_zyx)
    spacing_mm = tuple(float(s) for s in spacing_mm)
    if len(shape_zyx) != 3 or min(shape_zyx) < 8:
        raise CtDenoiseError(f"phantom shape {shape_zyx}: need three sizes (z, y, x), each at least 8 voxels")
    if len(spacing_mm) != 3 or min(spacing_mm) <= 0:
        raise CtDenoiseError(f"phantom spacing {spacing_mm}: need three positive sizes in mm (z, y, x)")
    rng = np.random.default_rng(seed)
    layout = draw_layout(rng, (shape_zyx[1] * spacing_mm[1], shape_zyx[2] * spacing_mm[2]))
    grid = _grid_for(rng, layout, shape_zyx, spacing_mm)
    chest = render_chest(rng, layout, grid)
    lung_mask = (chest.lung_fraction >= 0.5).astype(np.float32)
    nodule_labels = np.zeros(shape_zyx, dtype=np.float32)
    nodules: list[dict] = []
    taken: list[tuple[np.ndarray, float]] = []
    wanted = int(rng.integers(2, 5)) if n_nodules is None else int(n_nodules)
    for _ in range(wanted + 6):  # a few spare draws in case a nodule finds no room
        if len(nodules) == wanted:
            break
        diameter, kind, shape = draw_nodule_kind(rng)
        centre = None
        while centre is None and diameter >= MIN_DIAMETER_MM:
            reach = NoduleSpec(diameter, kind, shape, (0.0, 0.0, 0.0)).reach_mm
            centre = _choose_centre(rng, layout, grid, chest.lung_fraction, reach, taken)
            if centre is None:
                diameter = round(diameter * 0.8, 1)
        if centre is None:
            continue
        spec = NoduleSpec(diameter, kind, shape, tuple(float(c) for c in centre))
        label = len(nodules) + 1
        paint_nodule(rng, chest.hu, nodule_labels, label, spec, grid)
        taken.append((centre, spec.reach_mm))
        nodules.append(_describe(spec, label, grid, nodule_labels, chest.hu))
    lps_origin = tuple(float(c) for c in grid.origin_zyx_mm[::-1])  # phantom frame = LPS; origin is (x, y, z)
    geometry = {"spacing_mm": spacing_mm, "origin_mm": lps_origin}
    return PhantomSubject(
        full_dose=Volume(chest.hu, modality="CT", **geometry),
        lung_mask=Volume(lung_mask, modality="SEG", **geometry),
        nodule_mask=Volume(nodule_labels, modality="SEG", **geometry),
        nodules=nodules,
        tissue_labels=chest.tissue,
    )


def _describe(spec: NoduleSpec, label: int, grid: PhantomGrid, labels: np.ndarray, hu: np.ndarray) -> dict:
    inside = labels == label
    volume_mm3 = float(inside.sum() * np.prod(grid.spacing_mm))
    centre_index = grid.to_index(np.asarray(spec.centre_zyx_mm))
    return {
        "label": label,
        "diameter_mm": spec.diameter_mm,
        "type": spec.type,
        "shape": spec.shape,
        "center_zyx": [round(float(c), 2) for c in centre_index],
        "center_lps_mm": [round(float(c), 2) for c in spec.centre_zyx_mm[::-1]],
        "mask_volume_mm3": round(volume_mm3, 1),
        "mask_diameter_mm": round(float((6 * volume_mm3 / np.pi) ** (1 / 3)), 2),
        "mean_hu": round(float(hu[inside].mean()), 1) if inside.any() else None,
    }
