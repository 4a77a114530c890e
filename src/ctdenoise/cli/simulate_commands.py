"""``ctdenoise simulate``: make a low-dose, thicker-slice scan from a full-dose one."""

from __future__ import annotations

from pathlib import Path

import typer


def simulate(
    input_path: Path = typer.Argument(..., metavar="IN", help="Full-dose CT: DICOM folder or .nii/.nii.gz/.nrrd/.mha."),
    output_path: Path = typer.Argument(..., metavar="OUT", help="Output file, or a suffix-less path for DICOM."),
    dose: float = typer.Option(0.1, "--dose", help="Simulated dose as a fraction of the input's (0.1 = 10 %)."),
    slice_mm: float = typer.Option(
        2.0, "--slice-mm", help="Output slice thickness, a whole multiple of the input's; 0 keeps the input slices."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same output bit for bit."),
    geometry: str = typer.Option("siemens", "--geometry", help="Scanner geometry: siemens or ge."),
    photons: float = typer.Option(2.0e5, "--photons", help="Full-dose quanta per ray on the central channel (I0)."),
    calibrate: bool = typer.Option(
        False,
        "--calibrate",
        help="Estimate I0 from the input's own noise in uniform soft tissue (overrides --photons).",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Simulate a low-dose scan (projection-domain noise insertion + FBP) at a thicker slice."""
    from ctdenoise.io import read_volume, refuse_to_clobber, write_volume
    from ctdenoise.simulate import FluxModel, calibrated_flux, simulate_low_dose

    refuse_to_clobber(output_path, overwrite, inputs=(input_path,))
    volume = read_volume(input_path)
    flux = FluxModel(full_dose_photons=photons)
    if calibrate:
        flux = calibrated_flux(volume, geometry=geometry, reference=flux, source=str(input_path))
        typer.echo(f"calibrated full-dose flux I0 = {flux.full_dose_photons:.3g} quanta per ray")
    low_dose = simulate_low_dose(
        volume,
        dose_fraction=dose,
        slice_mm=slice_mm if slice_mm > 0 else None,
        seed=seed,
        geometry=geometry,
        progress=progress,
        flux=flux,
        source=str(input_path),
    )
    written = write_volume(low_dose, output_path, overwrite=overwrite)
    typer.echo(f"wrote {written} ({low_dose.shape[0]} slices of {low_dose.spacing_mm[0]:g} mm, dose {dose:g})")


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the top-level app."""
    app.command("simulate")(simulate)
