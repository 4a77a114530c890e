"""Ellipse phantoms with exact line integrals: the independent reference for the projector and FBP.

A uniform ellipse's line integral is its attenuation times the chord length, which has a closed form (Kak &
Slaney 1988, §3.2, the Shepp–Logan construction), so any projector can be checked against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ctdenoise.simulate.geometry import MU_WATER_PER_MM, FanBeamGeometry


@dataclass(frozen=True)
class Ellipse:
    """A uniform ellipse added to the phantom (overlaps add up, as in Shepp–Logan).

    Args:
        center_mm: centre ``(x, y)`` relative to the isocentre.
        semi_axes_mm: semi-axes ``(along x, along y)`` before rotation.
        angle_deg: counter-clockwise rotation.
        mu_per_mm: attenuation added inside, in 1/mm.
    """

    center_mm: tuple[float, float]
    semi_axes_mm: tuple[float, float]
    angle_deg: float
    mu_per_mm: float


def hu_ellipse(center_mm, semi_axes_mm, hu_change: float, angle_deg: float = 0.0) -> Ellipse:
    """An ellipse that changes the HU by ``hu_change`` (e.g. +1000 for water on air)."""
    return Ellipse(tuple(center_mm), tuple(semi_axes_mm), angle_deg, MU_WATER_PER_MM * hu_change / 1000.0)


def _pixel_centres(shape_yx, pixel_mm, supersample):
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    rows = ((np.arange(shape_yx[0])[:, None] + offsets[None, :]) - (shape_yx[0] - 1) / 2).ravel() * pixel_mm[0]
    cols = ((np.arange(shape_yx[1])[:, None] + offsets[None, :]) - (shape_yx[1] - 1) / 2).ravel() * pixel_mm[1]
    return np.meshgrid(cols, rows)


def rasterize_ellipses(
    ellipses: list[Ellipse], shape_yx: tuple[int, int], pixel_mm: tuple[float, float], supersample: int = 8
) -> np.ndarray:
    """Attenuation image (1/mm) of the ellipses, each pixel the mean of ``supersample²`` sub-pixel samples."""
    x, y = _pixel_centres(shape_yx, pixel_mm, supersample)
    fine = np.zeros_like(x)
    for ellipse in ellipses:
        angle = math.radians(ellipse.angle_deg)
        dx, dy = x - ellipse.center_mm[0], y - ellipse.center_mm[1]
        u = dx * math.cos(angle) + dy * math.sin(angle)
        v = -dx * math.sin(angle) + dy * math.cos(angle)
        fine += ellipse.mu_per_mm * ((u / ellipse.semi_axes_mm[0]) ** 2 + (v / ellipse.semi_axes_mm[1]) ** 2 <= 1)
    return fine.reshape(shape_yx[0], supersample, shape_yx[1], supersample).mean(axis=(1, 3)).astype(np.float32)


def fan_beam_rays(geometry: FanBeamGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Source positions ``(views, 1, 2)`` and unit ray directions ``(views, channels, 2)`` in mm, (x, y)."""
    beta = geometry.view_angles_rad()[:, None]
    gamma = geometry.fan_angles_rad()[None, :]
    source = geometry.source_to_isocenter_mm * np.stack([np.cos(beta), np.sin(beta)], axis=-1)
    central = -np.stack([np.cos(beta), np.sin(beta)], axis=-1)
    across = np.stack([np.sin(beta), -np.cos(beta)], axis=-1)
    direction = np.cos(gamma)[..., None] * central + np.sin(gamma)[..., None] * across
    return source, direction


def ellipse_line_integrals(ellipses: list[Ellipse], geometry: FanBeamGeometry) -> np.ndarray:
    """Exact fan-beam sinogram ``(views, channels)`` of the ellipses: Σ μ · chord length."""
    source, direction = fan_beam_rays(geometry)
    sinogram = np.zeros(direction.shape[:2])
    for ellipse in ellipses:
        angle = math.radians(ellipse.angle_deg)
        rotate = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
        scale = 1.0 / np.asarray(ellipse.semi_axes_mm)
        # Map to the unit circle: q(t) = start + t·step; chord where |q(t)| ≤ 1.
        start = ((source - np.asarray(ellipse.center_mm)) @ rotate.T) * scale
        step = (direction @ rotate.T) * scale
        a = np.sum(step * step, axis=-1)
        b = 2.0 * np.sum(start * step, axis=-1)
        c = np.sum(start * start, axis=-1) - 1.0
        discriminant = np.clip(b * b - 4.0 * a * c, 0.0, None)
        sinogram += ellipse.mu_per_mm * np.sqrt(discriminant) / a
    return sinogram


def chest_like_phantom(fov_mm: float) -> list[Ellipse]:
    """Water body with lungs, fat, a soft-tissue nodule and bone, scaled to a field of view (HU on air)."""
    s = fov_mm / 500.0
    return [
        hu_ellipse((0, 0), (200 * s, 140 * s), 1000.0),  # water body on air
        hu_ellipse((-95 * s, 0), (65 * s, 95 * s), -800.0),  # right lung (−800 HU)
        hu_ellipse((95 * s, 0), (65 * s, 95 * s), -800.0),  # left lung
        hu_ellipse((95 * s, 20 * s), (15 * s, 15 * s), 800.0),  # nodule (≈ 0 HU) inside the left lung
        hu_ellipse((0, 100 * s), (22 * s, 22 * s), 700.0),  # vertebra (+700 HU)
        hu_ellipse((0, -110 * s), (60 * s, 14 * s), -100.0, angle_deg=5.0),  # fat (−100 HU), rotated
    ]


def water_cylinder(diameter_mm: float) -> list[Ellipse]:
    """A centred water cylinder (0 HU) on air."""
    return [hu_ellipse((0.0, 0.0), (diameter_mm / 2, diameter_mm / 2), 1000.0)]
