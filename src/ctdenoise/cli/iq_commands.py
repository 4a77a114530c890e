"""``ctdenoise iq``: task-based image quality (LG-CHO detectability, NPS, TTF) of an image set or the phantom."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer


def iq(
    present: Path | None = typer.Option(None, "--present", help="Signal-present images: a 3D file or a folder."),
    absent: Path | None = typer.Option(None, "--absent", help="Signal-absent images: a 3D file or a folder."),
    ground_truth: Path | None = typer.Option(
        None, "--ground-truth", help="Noiseless signal-present image; inserts are found in it (+1000 offset handled)."
    ),
    inserts: Path | None = typer.Option(
        None,
        "--inserts",
        help='JSON list of inserts, e.g. [{"center_px": [120, 64], "diameter_mm": 10, "contrast_hu": 3}].',
    ),
    dose: float = typer.Option(0.25, "--dose", help="Built-in phantom only: dose as a fraction of I0 (1 = full)."),
    realisations: int = typer.Option(
        50, "--realisations", min=4, help="Built-in phantom only: images per class (signal present / absent)."
    ),
    photons: float = typer.Option(
        2.0e4, "--photons", help="Built-in phantom only: full-dose quanta per ray (I0); 2e4 as in the quick study."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the phantom scans, the train/test splits and the bootstrap."),
    as_json: bool = typer.Option(False, "--json", help="Print only JSON on stdout.", metavar=""),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress on stderr.", metavar=""),
) -> None:
    """LG-CHO AUC and d′ per insert (with NPW), NPS and TTF; without --present/--absent, on the built-in phantom."""
    from ctdenoise.errors import CtDenoiseError

    if (present is None) != (absent is None):
        raise CtDenoiseError(f"{present or absent}: give both --present and --absent")
    if present is not None:
        from ctdenoise.iq.image_sets import assess_image_files

        result = assess_image_files(present, absent, ground_truth, inserts, seed=seed)
    else:
        from ctdenoise.iq.assess import assess_realisations
        from ctdenoise.iq.phantom import LowContrastPhantom
        from ctdenoise.iq.realisations import simulate_realisations
        from ctdenoise.simulate import FluxModel

        phantom = LowContrastPhantom()
        images = simulate_realisations(
            phantom, dose, realisations, flux=FluxModel(full_dose_photons=photons), seed=seed, progress=progress
        )
        result = {"phantom": phantom.describe(), **assess_realisations(images, phantom, seed=seed)}
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{result['observer']}: {result['n_present']} signal-present / {result['n_absent']} absent images")
    for row in result["inserts"]:
        typer.echo(
            f"  {row['diameter_mm']:5.1f} mm {row['contrast_hu']:+6.1f} HU  AUC {row['auc']:.3f} "
            f"[{row['auc_ci'][0]:.3f}, {row['auc_ci'][1]:.3f}]  d′ {row['dprime']:.2f}  (NPW d′ {row['npw']['dprime']:.2f})"
        )
    if result["nps"]:
        nps = result["nps"]
        typer.echo(f"NPS: σ {nps['noise_std_hu']:.2f} HU, mean frequency {nps['mean_frequency_per_mm']:.3f} mm⁻¹")
    for ttf in result["ttf"]:
        typer.echo(f"TTF {ttf['contrast_hu']:+.0f} HU rod: f50 {ttf['f50_per_mm']} mm⁻¹, f10 {ttf['f10_per_mm']} mm⁻¹")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add the ``iq`` command to the top-level app."""
    app.command("iq")(iq)
