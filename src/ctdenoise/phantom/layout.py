"""One subject's chest layout: body size, organ positions and the analytic lung shape, drawn from a seed.

All sizes are adult chest dimensions in mm (body 300–340 mm wide, 210–250 mm deep; lungs about 240 mm tall)
multiplied by ``scale``, which shrinks the whole chest when the requested field of view is smaller than a body
(tiny test grids). The lung shape is a signed-distance function usable both on the voxel grid and on the
sample points of the vessel-tree growth, so vessels and nodules stay inside the lungs by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctdenoise.phantom.partial_volume import ellipse_distance_mm

TABLE_GAP_MM = 4.0
TABLE_THICKNESS_MM = 22.0


@dataclass(frozen=True)
class ChestLayout:
    """Sizes and positions (mm, phantom frame) of one subject's chest; see module docstring for ``scale``."""

    scale: float
    body_semi_x_mm: float
    body_semi_y_mm: float
    fat_mm: float
    wall_mm: float
    cavity_centre_y_mm: float
    cavity_semi_x_mm: float
    cavity_semi_y_mm: float
    lung_apex_z_mm: float
    right_dome_z_mm: float
    left_dome_z_mm: float
    dome_depth_mm: float
    heart_centre_zyx_mm: tuple[float, float, float]
    heart_semi_zyx_mm: tuple[float, float, float]
    spine_centre_y_mm: float
    vertebra_radius_mm: float
    aorta_radius_mm: float
    descending_aorta_xy_mm: tuple[float, float]
    svc_xy_mm: tuple[float, float]
    svc_bottom_z_mm: float
    carina_zyx_mm: tuple[float, float, float]
    mediastinum_semi_x_mm: float
    outline_wobble: tuple[tuple[float, float], ...] = ()  # (amplitude, phase) of angular modes 2, 3, ...

    @property
    def table_top_y_mm(self) -> float:
        return self.body_semi_y_mm + TABLE_GAP_MM * self.scale

    def hilum_zyx_mm(self, side: int) -> np.ndarray:
        """Where a lung's vessels and bronchi enter (side −1 = right lung at −x, +1 = left)."""
        z = self.carina_zyx_mm[0] - 25.0 * self.scale
        x = side * (self.mediastinum_semi_x_mm + 8.0 * self.scale)
        return np.array([z, self.cavity_centre_y_mm + 5.0 * self.scale, x])

    def _wobble(self, u, v):
        """Smooth angular deviation (a few %) of the body and chest-wall outline from an ellipse."""
        if not self.outline_wobble:
            return 1.0
        angle = np.arctan2(v, u)
        return 1.0 + sum(a * np.cos((k + 2) * angle + phase) for k, (a, phase) in enumerate(self.outline_wobble))

    def body_distance_mm(self, y, x, inset_mm: float = 0.0):
        """Signed distance to the body outline moved inwards by ``inset_mm``: a wobbly ellipse, flat at the back
        where the patient lies on the table."""
        wobble = self._wobble(x / self.body_semi_x_mm, y / self.body_semi_y_mm)
        outline = ellipse_distance_mm(
            x, y, (self.body_semi_x_mm - inset_mm) * wobble, (self.body_semi_y_mm - inset_mm) * wobble
        )
        return np.maximum(outline, y - (0.93 * self.body_semi_y_mm - inset_mm))

    def cavity_distance_mm(self, y, x, width=1.0):
        """Signed distance to the inner chest wall (thoracic cavity), scaled by ``width`` towards the apex."""
        v = y - self.cavity_centre_y_mm
        wobble = self._wobble(x / self.cavity_semi_x_mm, v / self.cavity_semi_y_mm)
        return ellipse_distance_mm(x, v, self.cavity_semi_x_mm * width * wobble, self.cavity_semi_y_mm * width * wobble)

    def mediastinum_distance_mm(self, z, y, x):
        """Signed distance to the mediastinum: central column, descending aorta, vertebra and (upper) SVC."""
        s = self.scale
        central = ellipse_distance_mm(
            x - 3.0 * s, y - self.cavity_centre_y_mm, self.mediastinum_semi_x_mm, self.cavity_semi_y_mm * 1.05
        )
        ax, ay = self.descending_aorta_xy_mm
        aorta = np.sqrt((x - ax) ** 2 + (y - ay) ** 2) - (self.aorta_radius_mm + 5.0 * s)
        spine = np.sqrt(x**2 + (y - self.spine_centre_y_mm) ** 2) - (self.vertebra_radius_mm + 6.0 * s)
        sx, sy = self.svc_xy_mm
        svc = np.sqrt((x - sx) ** 2 + (y - sy) ** 2) - 14.0 * s
        svc = np.where(z > self.svc_bottom_z_mm, svc, np.float32(1e4))
        return np.minimum(np.minimum(central, aorta), np.minimum(spine, svc))

    def heart_distance_mm(self, z, y, x):
        cz, cy, cx = self.heart_centre_zyx_mm
        sz, sy, sx = self.heart_semi_zyx_mm
        q = np.sqrt(((z - cz) / sz) ** 2 + ((y - cy) / sy) ** 2 + ((x - cx) / sx) ** 2) + 1e-6
        return (q - 1.0) * min(sz, sy, sx)

    def diaphragm_height_mm(self, y, x):
        """Height of the diaphragm under (y, x): two domes, the right one higher (liver below it)."""
        right = self.right_dome_z_mm - self.dome_depth_mm * (
            ((x + self.cavity_semi_x_mm * 0.5) / self.cavity_semi_x_mm) ** 2
            + ((y - self.cavity_centre_y_mm) / self.cavity_semi_y_mm) ** 2
        )
        left = self.left_dome_z_mm - self.dome_depth_mm * (
            ((x - self.cavity_semi_x_mm * 0.5) / self.cavity_semi_x_mm) ** 2
            + ((y - self.cavity_centre_y_mm) / self.cavity_semi_y_mm) ** 2
        )
        return np.where(x < 0, right, left)

    def lung_distance_mm(self, z, y, x):
        """Signed distance (mm, negative inside) to the lungs, both sides; broadcastable arrays."""
        taper_start = self.lung_apex_z_mm - 70.0 * self.scale
        over = np.clip((z - taper_start) / (self.lung_apex_z_mm - taper_start), 0.0, 1.0)
        width = np.sqrt(np.clip(1.0 - over**2, 1e-4, 1.0))  # dome-shaped apex
        pleura = 1.5 * self.scale
        cavity = (
            ellipse_distance_mm(
                x, y - self.cavity_centre_y_mm, self.cavity_semi_x_mm * width, self.cavity_semi_y_mm * width
            )
            + pleura
        )
        distance = np.maximum(cavity, -self.mediastinum_distance_mm(z, y, x))
        distance = np.maximum(distance, -(self.heart_distance_mm(z, y, x) - 4.0 * self.scale))
        return np.maximum(distance, self.diaphragm_height_mm(y, x) - z)


def draw_layout(rng: np.random.Generator, field_of_view_mm: tuple[float, float]) -> ChestLayout:
    """A random adult chest that fits a field of view of ``(height_y, width_x)`` mm (table included)."""
    body_x = rng.uniform(148.0, 172.0)
    body_y = rng.uniform(105.0, 125.0)
    half_y, half_x = field_of_view_mm[0] / 2.0, field_of_view_mm[1] / 2.0
    s = min(1.0, 0.93 * half_x / body_x, 0.95 * half_y / (body_y + TABLE_GAP_MM + TABLE_THICKNESS_MM / 2.0))
    fat = rng.uniform(6.0, 22.0) * s
    wall = rng.uniform(10.0, 15.0) * s
    body_x, body_y = body_x * s, body_y * s
    cavity_semi_x = body_x - fat - wall
    # Thicker wall at the back (paraspinal muscles, ~40–50 mm from vertebral body to skin) than at the front.
    cavity_semi_y = body_y - fat - wall - 24.0 * s
    cavity_centre_y = -13.0 * s
    spine_y = cavity_centre_y + cavity_semi_y - 12.0 * s
    vertebra = rng.uniform(16.0, 20.0) * s
    aorta = rng.uniform(11.0, 14.0) * s
    return ChestLayout(
        scale=s,
        body_semi_x_mm=body_x,
        body_semi_y_mm=body_y,
        fat_mm=fat,
        wall_mm=wall,
        cavity_centre_y_mm=cavity_centre_y,
        cavity_semi_x_mm=cavity_semi_x,
        cavity_semi_y_mm=cavity_semi_y,
        lung_apex_z_mm=rng.uniform(220.0, 250.0) * s,
        right_dome_z_mm=0.0,
        left_dome_z_mm=-rng.uniform(10.0, 25.0) * s,
        dome_depth_mm=rng.uniform(45.0, 65.0) * s,
        heart_centre_zyx_mm=(45.0 * s, cavity_centre_y - 18.0 * s, rng.uniform(18.0, 32.0) * s),
        heart_semi_zyx_mm=(
            rng.uniform(55.0, 65.0) * s,
            rng.uniform(0.45, 0.55) * cavity_semi_y,
            rng.uniform(55.0, 68.0) * s,
        ),
        spine_centre_y_mm=spine_y,
        vertebra_radius_mm=vertebra,
        aorta_radius_mm=aorta,
        descending_aorta_xy_mm=(vertebra + aorta * 0.6, spine_y - vertebra * 0.7),
        svc_xy_mm=(-26.0 * s, cavity_centre_y - 22.0 * s),
        svc_bottom_z_mm=95.0 * s,
        carina_zyx_mm=(rng.uniform(150.0, 165.0) * s, cavity_centre_y + 8.0 * s, 0.0),
        mediastinum_semi_x_mm=rng.uniform(22.0, 28.0) * s,
        outline_wobble=tuple((rng.uniform(0.0, 0.025), rng.uniform(0.0, 2 * np.pi)) for _ in range(4)),
    )
