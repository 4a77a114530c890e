"""Figure 1 of the seed paper: one nodule seen in the low-dose input, every method, and the full-dose scan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError
from ctdenoise.figures.saving import new_figure, save_figure
from ctdenoise.radiomics.grid import crop, resample_to_grid
from ctdenoise.radiomics.nodules import split_nodules
from ctdenoise.volume import Volume

#: Lung window (width 1500 HU, level −600 HU), the standard reading window for lung nodules.
LUNG_WINDOW_WIDTH_HU = 1500.0
LUNG_WINDOW_LEVEL_HU = -600.0


def plot_nodule_panel(
    images: dict[str, Volume],
    mask: Volume,
    path: Path | str,
    nodule: int | None = None,
    half_width_mm: float = 20.0,
    window_width_hu: float = LUNG_WINDOW_WIDTH_HU,
    window_level_hu: float = LUNG_WINDOW_LEVEL_HU,
    overwrite: bool = False,
) -> Path:
    """Axial ROI through a nodule's centre for each image, side by side, nodule outlined in yellow.

    Args:
        images: panel title → volume, in display order (e.g. low dose, SRResNet, STResNet INT8, full dose); volumes
            on other grids than the mask (2 mm low dose) are resampled onto it.
        mask: label volume of the nodules.
        path: image file to write.
        nodule: nodule (label or component number, as ``split_nodules`` numbers them); default the largest.
        half_width_mm: half the side of the square ROI.
        window_width_hu, window_level_hu: display window (lung window W1500/L−600 by default).
        overwrite: replace an existing file.
    """
    if not images:
        raise CtDenoiseError(f"{path}: no images to show")
    regions = split_nodules(mask, min_voxels=1)
    if nodule is None:
        region = max(regions, key=lambda r: r.voxel_count)
    else:
        matches = [r for r in regions if r.label == nodule]
        if not matches:
            raise CtDenoiseError(f"{path}: no nodule {nodule} in the mask (nodules: {[r.label for r in regions]})")
        region = matches[0]
    centre = np.rint(ndimage.center_of_mass(region.voxels)).astype(int)
    half_y = int(round(half_width_mm / mask.spacing_mm[1]))
    half_x = int(round(half_width_mm / mask.spacing_mm[2]))
    box = (
        slice(centre[0], centre[0] + 1),
        slice(max(centre[1] - half_y, 0), min(centre[1] + half_y + 1, mask.shape[1])),
        slice(max(centre[2] - half_x, 0), min(centre[2] + half_x + 1, mask.shape[2])),
    )
    roi_grid = crop(mask, box)
    outline = region.voxels[box][0]
    extent_mm = (0, outline.shape[1] * mask.spacing_mm[2], outline.shape[0] * mask.spacing_mm[1], 0)
    low = window_level_hu - window_width_hu / 2
    high = window_level_hu + window_width_hu / 2

    figure = new_figure(width_in=2.4 * len(images), height_in=2.8)
    for index, (title, volume) in enumerate(images.items()):
        axes = figure.add_subplot(1, len(images), index + 1)
        roi = resample_to_grid(volume, roi_grid).hu[0]
        axes.imshow(roi, cmap="gray", vmin=low, vmax=high, extent=extent_mm, interpolation="nearest")
        if outline.any():
            # Contour coordinates = voxel centres in mm, the same frame as the image extent.
            x_mm = (np.arange(outline.shape[1]) + 0.5) * mask.spacing_mm[2]
            y_mm = (np.arange(outline.shape[0]) + 0.5) * mask.spacing_mm[1]
            axes.contour(x_mm, y_mm, outline.astype(float), levels=[0.5], colors="yellow", linewidths=0.8)
        axes.set_title(title, fontsize=9)
        axes.set_xticks([])
        axes.set_yticks([])
    figure.suptitle(f"Nodule {region.label}, lung window W{window_width_hu:g}/L{window_level_hu:g}", fontsize=9)
    return save_figure(figure, path, overwrite=overwrite)
