"""``ctdenoise reproduce``: the seed study in one command (what ``make demo`` runs)."""

from __future__ import annotations

from pathlib import Path

import typer


def reproduce_command(
    out: Path = typer.Option(..., "--out", help="Folder for the study's outputs and report."),
    preset: str = typer.Option(
        "quick", "--preset", help="quick (≤ 20 min on 2 CPU cores), paper (GPU), or a YAML file."
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        help="Your full-dose scans: a folder with manifest.json or subjects.csv (subject_id,image,mask[,roi]).",
    ),
    resume: bool = typer.Option(False, "--resume", help="Skip stages that already finished in OUT.", metavar=""),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo every stage in an existing OUT.", metavar=""),
    lpips_weights: Path | None = typer.Option(
        None, "--lpips-weights", help="Folder with LPIPS weights (default: $CTDENOISE_LPIPS_WEIGHTS, torch hub cache)."
    ),
    progress: bool = typer.Option(
        True, "--progress/--no-progress", help="Progress bars inside the stages (one line per stage stays).", metavar=""
    ),
    real_data: Path | None = typer.Option(
        None,
        "--real-data",
        help="Held-out real scans for the report's 'real scans' section: a folder laid out like shared/data "
        "(real-chest-ct/, lung1-001/). Default: $CTDENOISE_SHARED/data or ../shared/data when there.",
    ),
) -> None:
    """Reproduce the seed study: data, both networks, FP32/mixed/INT8, quality, speed, radiomics → report."""
    from ctdenoise.study import reproduce

    reproduce(
        preset,
        out,
        data_dir=data,
        resume=resume,
        overwrite=overwrite,
        lpips_weights=lpips_weights,
        progress=progress,
        real_data_dir=real_data,
    )


def register(app: typer.Typer) -> None:
    """Add ``reproduce`` to the top-level app."""
    app.command("reproduce")(reproduce_command)
