"""Draw one subject's chest on a voxel grid: body, fat, muscle, ribs, spine, mediastinum, heart, great vessels,
airways, lungs with parenchyma texture and pulmonary vessel trees, and the patient table.

Tissues are painted back to front (``blend``) with partial-volume fractions, so every edge is a realistic mix of
the two tissues. A tissue label map records, for each voxel, the tissue that covers more than half of it; tests
use it to check HU values against the literature.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ctdenoise.phantom import tissue_hu as T
from ctdenoise.phantom.capsules import rasterize_capsules
from ctdenoise.phantom.grid import PhantomGrid
from ctdenoise.phantom.layout import TABLE_THICKNESS_MM, ChestLayout
from ctdenoise.phantom.partial_volume import blend, edge_fraction, ellipse_distance_mm
from ctdenoise.phantom.texture import coarse_noise, correlated_noise
from ctdenoise.phantom.trees import TreeRules, airway_roots, grow_tree, pulmonary_vessel_roots


class Tissue(IntEnum):
    """Codes of the tissue label map."""

    AIR = 0
    TABLE = 1
    SUBCUTANEOUS_FAT = 2
    MUSCLE = 3
    MEDIASTINAL_FAT = 4
    ABDOMEN = 5
    HEART = 6
    GREAT_VESSEL = 7
    AIRWAY_WALL = 8
    AIRWAY_LUMEN = 9
    CORTICAL_BONE = 10
    CANCELLOUS_BONE = 11
    DISC = 12
    SPINAL_CANAL = 13
    LUNG = 14
    LUNG_VESSEL = 15
    CARTILAGE = 16


@dataclass
class RenderedChest:
    """HU array, tissue labels and the lung fraction of one subject (all (z, y, x) on the grid)."""

    hu: np.ndarray
    tissue: np.ndarray
    lung_fraction: np.ndarray
    parenchyma_hu: float


class _Painter:
    """Holds the HU and label arrays and paints tissue fractions over them."""

    def __init__(self, grid: PhantomGrid):
        self.grid = grid
        self.hu = np.full(grid.shape_zyx, T.AIR_HU, dtype=np.float32)
        self.tissue = np.zeros(grid.shape_zyx, dtype=np.uint8)
        self.ramp_mm = grid.in_plane_mm

    def fraction(self, signed_distance_mm: np.ndarray) -> np.ndarray:
        return np.broadcast_to(edge_fraction(signed_distance_mm, self.ramp_mm), self.grid.shape_zyx)

    def paint(self, fraction: np.ndarray, value_hu, tissue: Tissue) -> None:
        fraction = np.broadcast_to(fraction, self.grid.shape_zyx)
        blend(self.hu, fraction, value_hu)
        self.tissue[fraction > 0.5] = tissue

    def capsules(self, segments_mm: np.ndarray) -> np.ndarray:
        fraction = np.zeros(self.grid.shape_zyx, dtype=np.float32)
        return rasterize_capsules(fraction, segments_mm, self.grid.origin_zyx_mm, self.grid.spacing_mm, self.ramp_mm)


def _great_vessel_segments(layout: ChestLayout, top_z_mm: float, bottom_z_mm: float) -> np.ndarray:
    """Aorta (ascending, arch, descending), superior vena cava and pulmonary trunk as capsule chains."""
    s, r = layout.scale, layout.aorta_radius_mm
    cy = layout.cavity_centre_y_mm
    dx, dy = layout.descending_aorta_xy_mm
    arch_z = layout.carina_zyx_mm[0] + 25.0 * s
    ascending = [(70.0 * s, cy - 25.0 * s, 12.0 * s), (arch_z - 10 * s, cy - 28.0 * s, 6.0 * s)]
    arch = [(arch_z, cy - 12.0 * s, 8.0 * s), (arch_z, cy + 5.0 * s, 16.0 * s), (arch_z - 10 * s, dy, dx)]
    points = ascending + arch + [(min(bottom_z_mm, 0.0) - 50.0, dy, dx)]
    rows = [[*points[i], *points[i + 1], r] for i in range(len(points) - 1)]
    sx, sy = layout.svc_xy_mm
    rows.append([max(top_z_mm, arch_z) + 50.0, sy, sx, layout.svc_bottom_z_mm, sy, sx, 10.0 * s])
    trunk_start = (95.0 * s, cy - 35.0 * s, 15.0 * s)
    bifurcation = (layout.carina_zyx_mm[0] - 20.0 * s, cy - 12.0 * s, 14.0 * s)
    rows.append([*trunk_start, *bifurcation, 13.0 * s])
    for side in (-1, 1):
        rows.append([*bifurcation, *layout.hilum_zyx_mm(side), 9.0 * s])
    return np.array(rows)


def _paint_table(p: _Painter, layout: ChestLayout) -> None:
    g, s = p.grid, layout.scale
    top = layout.table_top_y_mm
    thickness, shell = TABLE_THICKNESS_MM * s, 2.5 * s
    half_width = 220.0 * s  # wider than most fields of view, as on a scanner
    across = np.abs(g.x) - half_width
    whole = p.fraction(np.maximum(np.abs(g.y - (top + thickness / 2)) - thickness / 2, across))
    core = p.fraction(np.maximum(np.abs(g.y - (top + thickness / 2)) - (thickness / 2 - shell), across))
    p.paint(whole, T.TABLE_SHELL_HU, Tissue.TABLE)
    p.paint(core, T.TABLE_CORE_HU, Tissue.TABLE)


def _paint_spine(p: _Painter, layout: ChestLayout, rng: np.random.Generator) -> None:
    g, s = p.grid, layout.scale
    x, y, z = g.x, g.y, g.z
    radius, centre_y = layout.vertebra_radius_mm, layout.spine_centre_y_mm
    canal_y = centre_y + radius + 7.0 * s
    cortical, cancellous = T.CORTICAL_BONE.draw(rng), T.CANCELLOUS_BONE.draw(rng)
    arch_hu = 0.5 * (cortical + cancellous)
    processes = np.minimum.reduce(
        [
            np.sqrt(x**2 + (y - canal_y) ** 2) - 11.0 * s,
            ellipse_distance_mm(x, y - (canal_y + 11.0 * s), 4.0 * s, 8.0 * s),
            ellipse_distance_mm(np.abs(x) - 18.0 * s, y - canal_y, 12.0 * s, 4.5 * s),
        ]
    )
    processes = np.maximum(processes, layout.body_distance_mm(y, x, layout.fat_mm + 3.0 * s))  # stay under the skin
    p.paint(p.fraction(processes), arch_hu, Tissue.CORTICAL_BONE)
    p.paint(p.fraction(np.sqrt(x**2 + (y - canal_y) ** 2) - 7.0 * s), T.CSF_CORD.draw(rng), Tissue.SPINAL_CANAL)
    body = np.sqrt(x**2 + (y - centre_y) ** 2)
    p.paint(p.fraction(body - radius), cortical, Tissue.CORTICAL_BONE)
    p.paint(p.fraction(body - (radius - 1.5 * s)), cancellous, Tissue.CANCELLOUS_BONE)
    # Intervertebral discs: a 6 mm band every ~26 mm (thoracic vertebra + disc height).
    period, phase = 26.0 * s, rng.uniform(0.0, 26.0 * s)
    offset = np.abs(((z - phase) % period) - period / 2) - (period / 2 - 3.0 * s)
    in_disc = np.maximum(body - (radius - 0.5 * s), -offset * (g.in_plane_mm / g.spacing_mm[0]))
    p.paint(p.fraction(in_disc), T.INTERVERTEBRAL_DISC.draw(rng), Tissue.DISC)


def _paint_ribs_and_sternum(p: _Painter, layout: ChestLayout, rng: np.random.Generator) -> None:
    """Ribs: tilted hoops, each descending ~160 mm from the spine to the front, so an axial slice cuts 5–7 ribs per
    side obliquely (short ovals), as on real chest CT."""
    g, s = p.grid, layout.scale
    cy = layout.cavity_centre_y_mm
    cavity = layout.cavity_distance_mm(g.y, g.x)
    ring = (cavity > -2.0 * s) & (cavity < 14.0 * s)
    k, j, i = np.nonzero(np.broadcast_to(ring, g.shape_zyx))
    zz, yy, xx = g.z.ravel()[k], g.y.ravel()[j], g.x.ravel()[i]
    radial = cavity[0, j, i] - 6.0 * s
    around = np.arctan2(np.abs(xx), yy - cy)  # 0 at the spine, π at the sternum
    pitch, slope = rng.uniform(22.0, 27.0) * s, rng.uniform(140.0, 180.0) * s / np.pi
    phase = (zz + slope * around) / pitch + rng.uniform(0.0, 1.0)
    # Distance across the tilted rib, not along z: Δz · cos(tilt), tilt from the slope along the chest wall.
    wall_radius = 0.5 * (layout.cavity_semi_x_mm + layout.cavity_semi_y_mm)
    along_z = (phase - np.round(phase)) * pitch / np.sqrt(1.0 + (slope / wall_radius) ** 2)
    cortical, cancellous = T.CORTICAL_BONE.draw(rng), T.CANCELLOUS_BONE.draw(rng)
    outer = ellipse_distance_mm(radial, along_z, 3.5 * s, 6.0 * s)
    is_rib = (around > 0.35) & (around < 2.45)
    is_cartilage = (around >= 2.45) & (around < 2.85)
    ramp = p.ramp_mm
    for mask, value_hu, tissue in (
        (is_rib, cortical, Tissue.CORTICAL_BONE),
        (is_cartilage, T.CARTILAGE.draw(rng), Tissue.CARTILAGE),
    ):
        fraction = edge_fraction(outer[mask], ramp)
        _paint_points(p, (k[mask], j[mask], i[mask]), fraction, value_hu, tissue)
    inner = ellipse_distance_mm(radial, along_z, 2.0 * s, 4.5 * s)
    _paint_points(
        p, (k[is_rib], j[is_rib], i[is_rib]), edge_fraction(inner[is_rib], ramp), cancellous, Tissue.CANCELLOUS_BONE
    )
    sternum_y = cy - layout.cavity_semi_y_mm - 6.0 * s
    sternum = ellipse_distance_mm(g.x, g.y - sternum_y, 13.0 * s, 5.0 * s)
    p.paint(p.fraction(sternum), cortical, Tissue.CORTICAL_BONE)
    p.paint(p.fraction(sternum + 1.5 * s), cancellous, Tissue.CANCELLOUS_BONE)


def _paint_points(p: _Painter, index, fraction: np.ndarray, value_hu: float, tissue: Tissue) -> None:
    p.hu[index] += fraction * (value_hu - p.hu[index])
    chosen = fraction > 0.5
    p.tissue[tuple(axis[chosen] for axis in index)] = tissue


def render_chest(rng: np.random.Generator, layout: ChestLayout, grid: PhantomGrid) -> RenderedChest:
    """Paint the whole chest (everything but nodules) for one subject."""
    p = _Painter(grid)
    s = layout.scale
    x, y, z = grid.x, grid.y, grid.z
    top_z, bottom_z = float(z.max()), float(z.min())
    coarse = coarse_noise(rng, grid.shape_zyx)
    fine = correlated_noise(rng, grid.shape_zyx, sigma_voxels=0.7)

    _paint_table(p, layout)
    p.paint(p.fraction(layout.body_distance_mm(y, x)), T.FAT.draw(rng), Tissue.SUBCUTANEOUS_FAT)
    p.paint(p.fraction(layout.body_distance_mm(y, x, layout.fat_mm)), T.MUSCLE.draw(rng), Tissue.MUSCLE)
    cy = layout.cavity_centre_y_mm
    cavity = layout.cavity_distance_mm(y, x)
    p.paint(p.fraction(cavity), T.FAT.draw(rng), Tissue.MEDIASTINAL_FAT)
    below_diaphragm = np.maximum(cavity - 1.0, z - layout.diaphragm_height_mm(y, x))
    p.paint(p.fraction(below_diaphragm), T.LIVER.draw(rng), Tissue.ABDOMEN)
    p.paint(p.fraction(layout.heart_distance_mm(z, y, x)), T.BLOOD.draw(rng), Tissue.HEART)
    blood_hu = T.BLOOD.draw(rng)
    p.paint(p.capsules(_great_vessel_segments(layout, top_z, bottom_z)), blood_hu, Tissue.GREAT_VESSEL)

    _paint_spine(p, layout, rng)
    _paint_ribs_and_sternum(p, layout, rng)
    # Oesophagus between trachea and spine, with a little air in its lumen.
    oesophagus_xy = (6.0 * s, layout.spine_centre_y_mm - layout.vertebra_radius_mm - 7.0 * s)
    oesophagus = np.sqrt((x - oesophagus_xy[0]) ** 2 + (y - oesophagus_xy[1]) ** 2)
    p.paint(p.fraction(oesophagus - 7.0 * s), T.MUSCLE.draw(rng), Tissue.MUSCLE)
    p.paint(p.fraction(oesophagus - 1.5 * s), T.AIR_HU, Tissue.AIRWAY_LUMEN)

    lung_distance = layout.lung_distance_mm(z, y, x)
    lung_fraction = p.fraction(lung_distance).copy()
    parenchyma_hu = T.LUNG_PARENCHYMA.draw(rng)
    # Supine gravity gradient: dependent (posterior) lung ~30–50 HU denser (Hoffman et al. 2006).
    gradient_hu = rng.uniform(30.0, 50.0) * (y - cy) / (2.0 * layout.cavity_semi_y_mm)
    lung_hu = parenchyma_hu + gradient_hu + 12.0 * coarse + rng.uniform(10.0, 18.0) * fine
    p.paint(lung_fraction, lung_hu, Tissue.LUNG)

    carina = layout.carina_zyx_mm
    trachea = np.array([[max(top_z, carina[0]) + 20.0, carina[1], 0.0, *carina]])
    airways = np.concatenate(
        [np.column_stack([trachea[:, :6], [9.0 * s]]), grow_tree(rng, layout, *airway_roots(layout), _AIRWAYS)]
    )
    walls = airways.copy()
    walls[:, 6] = airways[:, 6] * 1.2 + 0.4
    p.paint(p.capsules(walls), T.AIRWAY_WALL.draw(rng), Tissue.AIRWAY_WALL)
    p.paint(p.capsules(airways), T.AIR_HU, Tissue.AIRWAY_LUMEN)
    vessels = grow_tree(rng, layout, *pulmonary_vessel_roots(rng, layout))
    p.paint(p.capsules(vessels), blood_hu, Tissue.LUNG_VESSEL)

    # Faint texture of soft tissue in a full-dose scan (a few HU), everywhere in the body but the lungs.
    body = p.fraction(layout.body_distance_mm(y, x))
    soft = body * (1.0 - lung_fraction) * (p.hu > -500.0)
    p.hu += (3.0 * coarse + 2.0 * fine) * soft
    np.maximum(p.hu, T.AIR_HU, out=p.hu)  # nothing in a patient is less dense than air
    return RenderedChest(hu=p.hu, tissue=p.tissue, lung_fraction=lung_fraction, parenchyma_hu=parenchyma_hu)


_AIRWAYS = TreeRules(min_radius_mm=1.6, length_per_radius=(5.0, 8.0), max_segments=2000)
