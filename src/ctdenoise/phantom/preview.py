"""A quick look at a phantom (or any CT volume): axial, coronal and sagittal slices at a lung window."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ctdenoise.io.atomic import atomic_path
from ctdenoise.volume import Volume

LUNG_WINDOW_HU = (-1350.0, 150.0)  # level −600, width 1500


def save_preview_png(
    volume: Volume,
    path: Path | str,
    mask: Volume | None = None,
    centre_zyx: tuple[int, int, int] | None = None,
    window_hu: tuple[float, float] = LUNG_WINDOW_HU,
    title: str | None = None,
) -> Path:
    """Write a PNG with the three orthogonal slices through ``centre_zyx`` (default: the mask's largest object,
    else the volume centre), drawn with true aspect ratios; ``mask`` outlines are drawn in colour.

    Args:
        volume: the CT volume to show.
        path: PNG path, written atomically.
        mask: optional label volume on the same grid (e.g. nodules) whose outlines are drawn.
        centre_zyx: voxel the three planes cross at.
        window_hu: display range (low, high) in HU; lung window by default.
        title: figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hu = volume.hu
    labels = None if mask is None else np.asarray(mask.hu)
    if centre_zyx is None:
        if labels is not None and labels.any():
            centre_zyx = tuple(int(round(c)) for c in np.argwhere(labels == _largest_label(labels)).mean(axis=0))
        else:
            centre_zyx = tuple(n // 2 for n in hu.shape)
    kz, ky, kx = centre_zyx
    sz, sy, sx = volume.spacing_mm
    views = (
        ("axial", hu[kz], None if labels is None else labels[kz], sy / sx),
        ("coronal", hu[::-1, ky, :], None if labels is None else labels[::-1, ky, :], sz / sx),
        ("sagittal", hu[::-1, :, kx], None if labels is None else labels[::-1, :, kx], sz / sy),
    )
    widths = [view[1].shape[1] for view in views]
    figure, axes = plt.subplots(1, 3, figsize=(12, 4.6), gridspec_kw={"width_ratios": widths}, dpi=110)
    for axis, (name, image, outline, aspect) in zip(axes, views, strict=True):
        axis.imshow(image, cmap="gray", vmin=window_hu[0], vmax=window_hu[1], aspect=aspect, interpolation="nearest")
        if outline is not None and outline.any():
            axis.contour(outline > 0, levels=[0.5], colors="tab:orange", linewidths=0.6)
        axis.set_title(name, fontsize=9)
        axis.set_axis_off()
    figure.suptitle(title or f"{hu.shape} voxels, spacing {volume.spacing_mm} mm, window {window_hu} HU", fontsize=9)
    figure.tight_layout()
    path = Path(path)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    plt.close(figure)
    return path


def _largest_label(labels: np.ndarray) -> int:
    values, counts = np.unique(labels[labels > 0], return_counts=True)
    return int(values[np.argmax(counts)])
