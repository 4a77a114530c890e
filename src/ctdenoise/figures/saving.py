"""Save a matplotlib figure atomically, without pyplot (no GUI backend, safe in threads and on servers)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ctdenoise.io.atomic import atomic_path, refuse_to_clobber


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure drawn by the Agg backend."""
    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure: Figure, path: Path | str, overwrite: bool = False, dpi: int = 150) -> Path:
    """Write ``figure`` to ``path`` (format from the suffix: .png, .pdf, .svg), atomically."""
    path = Path(path)
    refuse_to_clobber(path, overwrite)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    return path
