"""``ctdenoise info`` (geometry and HU range of a volume) and ``ctdenoise convert`` (any format to any other)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

SERIES_HELP = "SeriesInstanceUID to read when a DICOM folder holds several series."


def info(
    path: Path = typer.Argument(..., help="CT volume: DICOM folder or .nii/.nii.gz/.nrrd/.mha/.mhd file."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print one JSON object: shape_zyx, spacing_mm_zyx, origin_mm, hu_min, hu_max (inside the field of "
        "view), padding_hu.",
        metavar="",
    ),
    series: str | None = typer.Option(None, "--series", help=SERIES_HELP),
) -> None:
    """Print the shape (z, y, x), spacing in mm (z, y, x), origin (LPS mm), HU range inside the field of view, the
    scanner's padding value and the modality of a volume."""
    from ctdenoise.cli.json_output import stdout_to_stderr
    from ctdenoise.io import read_volume
    from ctdenoise.io.padding import field_of_view_hu_range

    with stdout_to_stderr(as_json):
        volume = read_volume(path, series_uid=series)
    summary = {
        "shape_zyx": list(volume.shape),
        "spacing_mm_zyx": [round(s, 6) for s in volume.spacing_mm],
        "origin_mm": [round(o, 6) for o in volume.origin_mm],
        **field_of_view_hu_range(volume),
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    spacing = " × ".join(f"{s:g}" for s in summary["spacing_mm_zyx"])
    origin = ", ".join(f"{o:g}" for o in summary["origin_mm"])
    typer.echo(f"{path}")
    typer.echo(f"  shape (z, y, x):      {' × '.join(str(n) for n in volume.shape)}")
    typer.echo(f"  spacing mm (z, y, x): {spacing}")
    typer.echo(f"  origin mm (LPS):      ({origin})")
    typer.echo(f"  HU min / max:         {summary['hu_min']:g} / {summary['hu_max']:g} (inside the field of view)")
    padding = "none" if summary["padding_hu"] is None else f"{summary['padding_hu']:g} HU (outside the field of view)"
    typer.echo(f"  padding value:        {padding}")
    typer.echo(f"  modality:             {volume.modality}")


def convert(
    source: Path = typer.Argument(..., metavar="IN", help="Input: DICOM folder or .nii/.nii.gz/.nrrd/.mha/.mhd."),
    target: Path = typer.Argument(
        ..., metavar="OUT", help="Output file (format from the suffix) or a suffix-less folder = DICOM series."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists (never IN).", metavar=""),
    series: str | None = typer.Option(None, "--series", help=SERIES_HELP),
) -> None:
    """Convert a CT volume between DICOM series, NIfTI, NRRD and MetaImage, keeping HU and geometry."""
    from ctdenoise.io import read_volume, refuse_to_clobber, write_volume
    from ctdenoise.io.volume_io import output_is_dicom_series

    output_is_dicom_series(target)  # refuse a bad output before the (slow) read
    refuse_to_clobber(target, overwrite, inputs=(source,))
    volume = read_volume(source, series_uid=series)
    written = write_volume(volume, target, overwrite=overwrite)
    kind = "DICOM series" if written.is_dir() else "file"
    typer.echo(f"wrote {written} ({kind}, {' × '.join(str(n) for n in volume.shape)} voxels)")


def register(app: typer.Typer) -> None:
    """Add ``info`` and ``convert`` to the top-level app."""
    app.command("info")(info)
    app.command("convert")(convert)
