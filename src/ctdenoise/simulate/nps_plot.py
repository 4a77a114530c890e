"""Radial noise power spectra drawn as curves: a scan's own noise against the noise the simulator inserts."""

from __future__ import annotations

import math
from pathlib import Path

from ctdenoise.figures.saving import new_figure, save_figure
from ctdenoise.metrics.nps import NoisePowerSpectrum


def save_nps_plot(
    panels: dict[str, dict[str, NoisePowerSpectrum]],
    path: Path | str,
    normalized: bool = False,
    overwrite: bool = False,
) -> Path:
    """Plot radial NPS curves against frequency, one panel per title, and write the figure atomically.

    Args:
        panels: panel title → (curve label → NPS); each label gets σ and the peak frequency appended.
        path: output image (format from the suffix, e.g. ``.png``).
        normalized: plot the area-normalised NPS (``NoisePowerSpectrum.normalized_radial_nps``, texture only,
            in mm) instead of the NPS in HU²·mm².
        overwrite: replace an existing file.

    Returns:
        The written path.
    """
    columns = min(3, len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = new_figure(5.0 * columns, 3.6 * rows)
    for position, (title, curves) in enumerate(panels.items(), start=1):
        axis = figure.add_subplot(rows, columns, position)
        for label, nps in curves.items():
            values = nps.normalized_radial_nps() if normalized else nps.radial_nps
            text = f"{label}: σ {nps.noise_std_hu:.1f} HU, peak {nps.peak_frequency_per_mm:.3f} mm⁻¹"
            axis.plot(nps.radial_frequency_per_mm, values, marker="o", markersize=3, label=text)
        axis.set_xlabel("spatial frequency (mm⁻¹)")
        axis.set_ylabel("normalised NPS (mm)" if normalized else "NPS (HU² mm²)")
        axis.set_title(title, fontsize=10)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    return save_figure(figure, path, overwrite=overwrite)
