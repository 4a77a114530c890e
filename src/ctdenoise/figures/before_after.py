"""Before/after figure of a denoised scan: one axial slice in the lung and the mediastinal window.

Windows (width/level in HU, the usual chest CT reading presets): lung W1500/L−600 → [−1350, 150] HU; mediastinum
W400/L40 → [−160, 240] HU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.figures.saving import new_figure, save_figure
from ctdenoise.volume import Volume

WINDOWS_HU = {"lung": (-1350.0, 150.0), "mediastinum": (-160.0, 240.0)}


def nearest_slice(volume: Volume, position_mm: float) -> int:
    """Index of the slice of ``volume`` whose centre lies nearest to ``position_mm`` along its slice axis."""
    z_axis = volume.direction[:, 2]
    offset = position_mm - float(np.dot(np.asarray(volume.origin_mm), z_axis))
    return int(np.clip(round(offset / volume.spacing_mm[0]), 0, volume.shape[0] - 1))


def check_reference(reference: Volume, before: Volume, source: str = "reference") -> Volume:
    """Return ``reference`` if it can stand beside ``before`` in the figure: the same in-plane grid (shape, pixel
    size, position within 0.5 mm) and slices overlapping along z; else a ``CtDenoiseError`` naming ``source``."""
    z_axis = before.direction[:, 2]

    def z_range(volume: Volume) -> tuple[float, float]:
        ends = [float(np.dot(volume.index_to_lps(np.array([k, 0.0, 0.0])), z_axis)) for k in (0, volume.shape[0] - 1)]
        return min(ends), max(ends)

    in_plane = reference.shape[1:] == before.shape[1:] and np.allclose(reference.spacing_mm[1:], before.spacing_mm[1:])
    offset = np.asarray(reference.origin_mm) - np.asarray(before.origin_mm)
    in_plane = in_plane and abs(float(np.dot(offset, before.direction[:, 0]))) < 0.5
    in_plane = in_plane and abs(float(np.dot(offset, before.direction[:, 1]))) < 0.5
    (low_a, high_a), (low_b, high_b) = z_range(reference), z_range(before)
    if not in_plane or high_a < low_b or high_b < low_a:
        raise CtDenoiseError(
            f"{source}: not the same scan's grid as the input (in-plane {reference.shape[1:]} at "
            f"{reference.spacing_mm[1:]} mm vs {before.shape[1:]} at {before.spacing_mm[1:]} mm; z {low_a:.1f}…{high_a:.1f} "
            f"vs {low_b:.1f}…{high_b:.1f} mm)"
        )
    return reference


def plot_before_after(
    before: Volume,
    after: Volume,
    path: Path | str,
    reference: Volume | None = None,
    slice_index: int | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a PNG: columns input / denoised (/ reference), rows lung and mediastinal window, same axial position.

    Args:
        before: the low-dose input.
        after: the denoised output (its grid may have half the slice spacing).
        path: the image to write (.png, .pdf, .svg), atomically; refused if it exists unless ``overwrite``.
        reference: optional full-dose scan, shown as a third column.
        slice_index: slice of ``after`` to show (default: the middle one); the other columns show the slice
            nearest to it by physical position.
    """
    index = after.shape[0] // 2 if slice_index is None else slice_index
    position = float(np.dot(after.index_to_lps(np.array([float(index), 0.0, 0.0])), after.direction[:, 2]))
    columns = [("low-dose input", before), ("denoised", after)] + ([("full dose", reference)] if reference else [])
    figure = new_figure(3.2 * len(columns), 6.6)
    axes = figure.subplots(2, len(columns), squeeze=False)
    for row, (window, (low, high)) in enumerate(WINDOWS_HU.items()):
        for column, (title, volume) in enumerate(columns):
            plane = volume.hu[nearest_slice(volume, position)]
            aspect = volume.spacing_mm[1] / volume.spacing_mm[2]
            ax = axes[row, column]
            ax.imshow(plane, cmap="gray", vmin=low, vmax=high, aspect=aspect, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title, fontsize=10)
            if column == 0:
                ax.set_ylabel(f"{window} W{high - low:g}/L{(high + low) / 2:g}", fontsize=9)
    figure.suptitle(f"axial slice at z = {position:.1f} mm", fontsize=10)
    return save_figure(figure, path, overwrite=overwrite)
