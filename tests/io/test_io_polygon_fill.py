"""Even-odd polygon fill against analytic pixel counts and matplotlib's point-in-polygon test."""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path as PolygonPath

from ctdenoise.io.polygon_fill import fill_polygons_even_odd


def square(first: float, last: float) -> np.ndarray:
    """Square whose edges lie half a pixel outside pixel centres first..last (rows and columns)."""
    low, high = first - 0.5, last + 0.5
    return np.array([[low, low], [low, high], [high, high], [high, low]])


def test_square_covers_exactly_its_pixel_centres():
    mask = fill_polygons_even_odd([square(2, 5)], (10, 10))
    expected = np.zeros((10, 10), dtype=bool)
    expected[2:6, 2:6] = True
    np.testing.assert_array_equal(mask, expected)


def test_inner_contour_cuts_a_hole_and_overlaps_are_xored():
    with_hole = fill_polygons_even_odd([square(0, 9), square(3, 5)], (10, 10))
    assert with_hole.sum() == 100 - 9 and not with_hole[3:6, 3:6].any()
    overlapping = fill_polygons_even_odd([square(0, 4), square(2, 6)], (10, 10))
    assert overlapping.sum() == 25 + 25 - 2 * 9


def test_concave_polygon_matches_matplotlib_point_in_polygon():
    angles = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    radii = np.where(np.arange(14) % 2 == 0, 17.3, 7.1)  # a star: concave, many edge slopes
    star_rc = np.column_stack([20.13 + radii * np.sin(angles), 21.37 + radii * np.cos(angles)])
    rows, columns = np.indices((40, 44))
    centres = np.column_stack([rows.ravel(), columns.ravel()])
    expected = PolygonPath(star_rc).contains_points(centres).reshape(40, 44)
    np.testing.assert_array_equal(fill_polygons_even_odd([star_rc], (40, 44)), expected)


def test_polygon_partly_outside_the_image_is_clipped():
    mask = fill_polygons_even_odd([square(-3, 2)], (5, 5))
    assert mask.sum() == 9 and mask[:3, :3].all()
