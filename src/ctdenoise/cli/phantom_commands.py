"""``ctdenoise phantom``: generate the built-in digital chest phantom cohort (full-dose CT + nodule/lung masks)."""

from __future__ import annotations

from pathlib import Path

import typer

from ctdenoise.errors import CtDenoiseError


def parse_triple(text: str, option: str, kind: type = float) -> tuple:
    """``"64,192,192"`` → ``(64, 192, 192)``; a clear error names the option otherwise."""
    parts = [part.strip() for part in text.replace("x", ",").split(",")]
    try:
        values = tuple(kind(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or any(value <= 0 for value in values):
        raise CtDenoiseError(f"{option} {text!r}: expected three positive numbers z,y,x (e.g. 64,192,192)")
    return values


def phantom(
    out: Path = typer.Argument(..., metavar="OUT", help="Folder to write the cohort and its manifest.json into."),
    n: int = typer.Option(8, "--n", min=1, help="Number of subjects."),
    seed: int = typer.Option(0, "--seed", help="Cohort seed: the same seed gives the same phantoms."),
    shape: str = typer.Option("64,192,192", "--shape", help="Voxels per subject as z,y,x."),
    spacing_mm: str = typer.Option("1.0,1.8,1.8", "--spacing-mm", help="Voxel size in mm as z,y,x (1 mm slices)."),
    output_format: str = typer.Option("nifti", "--format", help="Full-dose image format: nifti or dicom."),
    preview: bool = typer.Option(
        False, "--preview", help="Also write preview.png per subject (lung window).", metavar=""
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing cohort in OUT.", metavar=""),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.", metavar=""),
) -> None:
    """Generate digital chest phantoms with lung nodules: full-dose CT, nodule label mask, lung mask, manifest."""
    from ctdenoise.phantom import generate_cohort

    manifest = generate_cohort(
        out,
        n_subjects=n,
        seed=seed,
        shape_zyx=parse_triple(shape, "--shape", int),
        spacing_mm=parse_triple(spacing_mm, "--spacing-mm", float),
        output_format=output_format.lower(),
        preview=preview,
        overwrite=overwrite,
        progress=progress,
    )
    typer.echo(f"wrote {n} phantom subjects; manifest {manifest}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.command()(phantom)
