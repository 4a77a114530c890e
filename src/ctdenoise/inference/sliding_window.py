"""3D sliding-window inference: overlapping tiles, smooth blending, z×2 output, bounded memory.

A whole chest CT (150 × 512 × 512 at 2 mm) does not fit through a 64-feature 3D network at once on a laptop, so
the volume is cut into overlapping tiles of one uniform shape (one compiled shape for static-shape runtimes),
each tile is denoised, and the outputs are blended with weights that fall smoothly to (almost) zero towards the
tile edges that border another tile. Edges on the volume border keep full weight. Wei & Hsu's own code averages
64-slice z-chunks with 4 slices of overlap; the sin² ramp used here removes the visible step such averaging
leaves where a tile's zero-padded border differs from its neighbour's interior.

Because every tile weight is a product of three 1D profiles and the tiles form a Cartesian grid, the sum of
weights is the outer product of three 1D sums: no second full-size weight volume is stored, so the memory is the
input, the output accumulator and one tile.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

TilePredictor = Callable[[np.ndarray], np.ndarray]
"""A function from a normalised tile ``(1, 1, z, y, x)`` float32 to its output ``(1, 1, z * z_scale, y, x)``."""

DEFAULT_TILE_ZYX = (32, 264, 264)  # a 512² slice in 2×2 tiles of 264 (3 % overlap work in y and x)
# INT8 activations are 1 byte, so tiles are taller; OpenVINO runs two INT8 tiles at once (runtimes.default_streams),
# so each is ~2/3 of one 64×264×264 tile: 150×512² z×2 with the built-in STResNet (F=32) peaks at ~2.2 GB RSS.
INT8_TILE_ZYX = (64, 184, 264)
DEFAULT_OVERLAP_ZYX = (4, 16, 16)


def default_tile_zyx(precision: str) -> tuple[int, int, int]:
    """The largest tile a 150×512² scan runs in within ~4 GB at F=64 with this precision (INT8: two at once).

    Taller tiles repeat less work at tile borders: 150 slices in 32-slice tiles with 4 slices of overlap need
    6 tiles of 29 (16 % of the slices computed twice), in 64-slice tiles 3 tiles of 53 (6 %). Only INT8 has the
    memory for them; FP32/BF16 in PyTorch need ~5.5 GB for a 32×264×264 tile already.
    """
    return INT8_TILE_ZYX if precision == "int8" else DEFAULT_TILE_ZYX


def tile_starts(length: int, max_tile: int, min_overlap: int) -> tuple[int, list[int]]:
    """Evenly spread tile starts along one axis, all tiles the same size, neighbours overlapping ≥ ``min_overlap``.

    The fewest tiles of at most ``max_tile`` voxels that cover ``length`` with that overlap are used, then the
    tile is shrunk to the smallest uniform size that still covers the axis, so little work is repeated.

    Args:
        length: number of voxels along the axis.
        max_tile: largest tile size allowed (memory bound).
        min_overlap: least overlap between neighbouring tiles in voxels.

    Returns:
        ``(tile_size, starts)``.

    Example:
        >>> tile_starts(512, 264, 16)
        (264, [0, 248])
        >>> tile_starts(512, 192, 16)
        (182, [0, 165, 330])
    """
    if length <= max_tile:
        return length, [0]
    if min_overlap >= max_tile:
        raise ValueError(f"overlap {min_overlap} must be smaller than the tile {max_tile}")
    count = math.ceil((length - min_overlap) / (max_tile - min_overlap))
    tile = math.ceil((length - min_overlap) / count) + min_overlap
    starts = np.round(np.linspace(0, length - tile, count)).astype(int).tolist()
    return tile, starts


def blend_profile(tile: int, ramp: int, ramp_start: bool, ramp_end: bool) -> np.ndarray:
    """1D blending weights of one tile: 1 inside, a sin² ramp over ``ramp`` voxels at edges shared with a neighbour.

    The ramp never reaches 0 (it is sampled at voxel centres), so every output voxel has positive total weight.
    """
    weights = np.ones(tile, dtype=np.float64)
    ramp = min(ramp, tile // 2)
    if ramp > 0:
        rising = np.sin(0.5 * np.pi * (np.arange(ramp) + 0.5) / ramp) ** 2
        if ramp_start:
            weights[:ramp] = rising
        if ramp_end:
            weights[tile - ramp :] = rising[::-1]
    return weights


def _runs(mask: np.ndarray) -> list[slice]:
    """The runs of consecutive True in a 1D mask, as slices (the ramps of a blending profile)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], mask, [False]]).astype(np.int8)))
    return [slice(int(start), int(stop)) for start, stop in zip(edges[::2], edges[1::2], strict=True)]


def predict_tiles(predict: TilePredictor, tiles: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """The outputs of ``predict`` for ``tiles``, in order.

    A predictor with a ``map_tiles`` method (``OpenVINOPredictor``) is given the whole sequence, so that it can
    run several tiles at once (one per CPU stream) while the caller blends the finished ones; any other predictor
    is called tile by tile.
    """
    map_tiles = getattr(predict, "map_tiles", None)
    if map_tiles is not None:
        return map_tiles(tiles)
    return (predict(tile) for tile in tiles)


def _axis_plan(length: int, max_tile: int, overlap: int, scale: int) -> tuple[int, list[int], list[np.ndarray]]:
    """Tile size, starts and output-grid profiles along one axis (output = input × ``scale``)."""
    tile, starts = tile_starts(length, max_tile, overlap)
    profiles = [
        blend_profile(tile * scale, overlap * scale, ramp_start=index > 0, ramp_end=index < len(starts) - 1)
        for index in range(len(starts))
    ]
    return tile, starts, profiles


def sliding_window_denoise(
    array: np.ndarray,
    predict: TilePredictor,
    tile_zyx: Sequence[int] = DEFAULT_TILE_ZYX,
    overlap_zyx: Sequence[int] = DEFAULT_OVERLAP_ZYX,
    z_scale: int = 1,
    progress: bool = True,
    description: str = "denoising",
    timings: dict[str, float] | None = None,
) -> np.ndarray:
    """Run ``predict`` over a whole normalised volume in overlapping tiles and blend the outputs.

    Args:
        array: normalised input ``(z, y, x)`` (what the network expects, not HU).
        predict: tile function, ``(1, 1, z, y, x)`` → ``(1, 1, z * z_scale, y, x)`` (any runtime).
        tile_zyx: largest tile in input voxels; smaller volumes are run in one piece.
        overlap_zyx: least overlap between neighbouring tiles in input voxels (the blending ramp length).
        z_scale: slices out per slice in (2 for the 2 mm → 1 mm networks).
        progress: show a tqdm bar over tiles.
        description: label of the progress bar.
        timings: if given, filled with ``network_s`` (time spent waiting for ``predict``'s outputs; a predictor
            that runs tiles concurrently, see ``predict_tiles``, works on while the finished ones are blended),
            ``blend_s`` (the rest) and ``tiles`` (the number of tiles), to show where the time goes.

    Returns:
        float32 array ``(z * z_scale, y, x)``.

    Example:
        >>> identity = lambda tile: tile
        >>> volume = np.random.rand(40, 300, 300).astype(np.float32)
        >>> np.allclose(sliding_window_denoise(volume, identity, progress=False), volume)
        True
    """
    from tqdm.auto import tqdm

    start_s = time.perf_counter()
    network_s = 0.0
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 3:
        raise ValueError(f"sliding_window_denoise needs a (z, y, x) array, got shape {array.shape}")
    scales = (int(z_scale), 1, 1)
    plans = [
        _axis_plan(length, int(max_tile), int(overlap), scale)
        for length, max_tile, overlap, scale in zip(array.shape, tile_zyx, overlap_zyx, scales, strict=True)
    ]
    (tile_z, starts_z, prof_z), (tile_y, starts_y, prof_y), (tile_x, starts_x, prof_x) = plans
    out_shape = (array.shape[0] * scales[0], array.shape[1], array.shape[2])
    accumulator = np.zeros(out_shape, dtype=np.float32)
    weight_sums = []
    for (tile, starts, profiles), length, scale in zip(plans, out_shape, scales, strict=True):
        total = np.zeros(length, dtype=np.float64)
        for start, profile in zip(starts, profiles, strict=True):
            total[start * scale : start * scale + tile * scale] += profile
        weight_sums.append(total)

    corners = [(z, y, x) for z in range(len(starts_z)) for y in range(len(starts_y)) for x in range(len(starts_x))]
    expected = (1, 1, tile_z * scales[0], tile_y, tile_x)

    def tiles() -> Iterator[np.ndarray]:
        for iz, iy, ix in corners:
            z, y, x = starts_z[iz], starts_y[iy], starts_x[ix]
            yield np.ascontiguousarray(array[z : z + tile_z, y : y + tile_y, x : x + tile_x])[None, None]

    with tqdm(total=len(corners), disable=not progress, desc=description, unit="tile", leave=False) as bar:
        outputs = predict_tiles(predict, tiles())
        for iz, iy, ix in corners:
            network_start_s = time.perf_counter()
            output = np.asarray(next(outputs), dtype=np.float32)
            network_s += time.perf_counter() - network_start_s
            if output.shape != expected:
                raise ValueError(f"the network returned a tile of shape {output.shape}, expected {expected}")
            output = output[0, 0]
            if not output.flags.writeable or np.may_share_memory(output, array):  # weighed in place below
                output = output.copy()
            # Weigh in place, only where a profile ramps (most of a tile keeps weight 1): no tile-sized temporary.
            for axis, profile in enumerate((prof_z[iz], prof_y[iy], prof_x[ix])):
                for ramp in _runs(profile != 1.0):
                    index = (slice(None),) * axis + (ramp,)
                    output[index] *= profile[ramp].astype(np.float32).reshape((-1,) + (1,) * (2 - axis))
            oz, oy, ox = starts_z[iz] * scales[0], starts_y[iy], starts_x[ix]
            accumulator[oz : oz + output.shape[0], oy : oy + tile_y, ox : ox + tile_x] += output
            bar.update(1)

    # Divide by the summed weights, which differ from 1 only where tiles overlap: rows and columns of every
    # slice, and whole slices where z tiles overlap.
    norm_yx = (weight_sums[1][:, None] * weight_sums[2][None, :]).astype(np.float32)
    blended_rows, single_rows = _runs(weight_sums[1] != 1.0), _runs(weight_sums[1] == 1.0)
    blended_columns = _runs(weight_sums[2] != 1.0)
    for z in range(out_shape[0]):  # slice by slice keeps the temporaries small
        if weight_sums[0][z] != 1.0:
            accumulator[z] /= norm_yx * np.float32(weight_sums[0][z])
            continue
        for rows in blended_rows:
            accumulator[z, rows] /= norm_yx[rows]
        for rows in single_rows:
            for columns in blended_columns:
                accumulator[z, rows, columns] /= norm_yx[rows, columns]
    if timings is not None:
        total_s = time.perf_counter() - start_s
        timings.update({"network_s": network_s, "blend_s": total_s - network_s, "tiles": len(corners)})
    return accumulator
