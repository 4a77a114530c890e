"""Fill closed planar polygons into a 2D pixel mask with the even-odd rule.

A pixel is inside when a ray from its centre crosses the polygon edges an odd number of times. Applied to all
contours of one slice at once this XORs them, which is how DICOM RTSTRUCT encodes holes (an inner contour inside
an outer one cuts a hole; PS3.3 C.8.8.6.3 leaves the nesting to the reader, and even-odd is the common choice).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def fill_polygons_even_odd(polygons_rc: Sequence[np.ndarray], shape_rc: tuple[int, int]) -> np.ndarray:
    """Boolean mask of the pixels whose centres lie inside an odd number of the given polygons.

    Scanline fill: for each pixel row ``r`` every edge that crosses the horizontal line through the row's pixel
    centres (half-open in y, so a vertex is counted once) adds a crossing at column ``ceil(x)``; the running count
    of crossings along the row is odd inside. Pixel centres exactly on a left edge count as inside.

    Args:
        polygons_rc: polygons as ``(n_points, 2)`` arrays of continuous (row, column) pixel coordinates, pixel
            centres at integers; each is closed implicitly (last point joins the first).
        shape_rc: ``(rows, columns)`` of the mask.

    Example:
        >>> square = np.array([[0.5, 0.5], [0.5, 3.5], [3.5, 3.5], [3.5, 0.5]])
        >>> fill_polygons_even_odd([square], (5, 5)).sum()
        np.int64(9)
    """
    rows, columns = shape_rc
    crossings = np.zeros((rows, columns + 1), dtype=np.int32)
    for polygon in polygons_rc:
        points = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
        if len(points) < 3:
            continue
        y0, x0 = points[:, 0], points[:, 1]
        y1, x1 = np.roll(y0, -1), np.roll(x0, -1)
        low, high = np.minimum(y0, y1), np.maximum(y0, y1)
        first_row = np.clip(np.ceil(low), 0, rows).astype(np.int64)  # rows r with low <= r < high
        end_row = np.clip(np.ceil(high), 0, rows).astype(np.int64)
        counts = np.maximum(end_row - first_row, 0)
        if counts.sum() == 0:
            continue
        edge = np.repeat(np.arange(len(points)), counts)
        row = first_row[edge] + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        x = x0[edge] + (row - y0[edge]) * (x1[edge] - x0[edge]) / (y1[edge] - y0[edge])
        column = np.clip(np.ceil(x), 0, columns).astype(np.int64)
        np.add.at(crossings, (row, column), 1)
    return (np.cumsum(crossings[:, :columns], axis=1) % 2) == 1
