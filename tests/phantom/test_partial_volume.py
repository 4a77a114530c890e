"""Partial-volume helpers against analytic geometry: exact distances and area-preserving edge ramps."""

import numpy as np
import pytest

from ctdenoise.phantom.capsules import rasterize_capsules
from ctdenoise.phantom.partial_volume import edge_fraction, ellipse_distance_mm


def test_ellipse_distance_is_exact_for_a_circle():
    u = np.linspace(-30, 30, 61)[:, None]
    v = np.linspace(-30, 30, 61)[None, :]
    assert np.allclose(ellipse_distance_mm(u, v, 12.0, 12.0), np.hypot(u, v) - 12.0, atol=1e-3)


def test_ellipse_distance_is_exact_on_the_axes():
    assert ellipse_distance_mm(np.array([25.0]), np.array([0.0]), 20.0, 10.0)[0] == pytest.approx(5.0, abs=1e-3)
    assert ellipse_distance_mm(np.array([0.0]), np.array([7.0]), 20.0, 10.0)[0] == pytest.approx(-3.0, abs=1e-3)


@pytest.mark.parametrize("edge_mm", [3.0, 3.25, 3.5, 3.9])
def test_edge_ramp_keeps_the_area_of_a_half_plane(edge_mm):
    # Voxel centres at 0.5, 1.5, ... (1 mm voxels); the region x < edge_mm holds exactly edge_mm mm of tissue.
    centres = np.arange(10) + 0.5
    assert edge_fraction(centres - edge_mm, 1.0).sum() == pytest.approx(edge_mm, abs=1e-6)


def test_capsule_sphere_has_the_analytic_volume():
    spacing = (1.0, 1.0, 1.0)
    fraction = np.zeros((40, 40, 40), dtype=np.float32)
    radius = 9.3
    centre = (20.2, 19.7, 20.4)
    rasterize_capsules(fraction, np.array([[*centre, *centre, radius]]), np.zeros(3), spacing, 1.0)
    assert fraction.sum() == pytest.approx(4 / 3 * np.pi * radius**3, rel=0.01)


def test_thin_vessel_keeps_its_cross_section_area():
    # A 0.8 mm wide vessel along z in 2 mm pixels: each slice's summed fraction × pixel area ≈ π r².
    spacing = (1.0, 2.0, 2.0)
    fraction = np.zeros((20, 16, 16), dtype=np.float32)
    radius = 0.4
    rasterize_capsules(fraction, np.array([[-5, 15.3, 14.9, 30, 15.3, 14.9, radius]]), np.zeros(3), spacing, 2.0)
    per_slice_area = fraction[5:15].sum(axis=(1, 2)) * 4.0
    assert per_slice_area.mean() == pytest.approx(np.pi * radius**2, rel=0.25)
    assert fraction.max() < 0.5  # a sub-voxel vessel never fills a voxel
