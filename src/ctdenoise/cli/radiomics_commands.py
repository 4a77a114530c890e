"""``ctdenoise radiomics`` (features of the nodules in one scan) and ``ctdenoise compare-radiomics`` (many cases,
methods tested against a baseline)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def radiomics(
    image: Path = typer.Argument(..., help="CT volume: DICOM folder or .nii/.nii.gz/.nrrd/.mha/.mhd."),
    mask: Path = typer.Argument(..., help="Nodule mask: label image (0 = background) or RTSTRUCT .dcm (with --roi)."),
    params: Path | None = typer.Option(
        None, "--params", help="pyradiomics parameter YAML; default: bin width 25 HU, 1 mm isotropic resampling."
    ),
    label: int | None = typer.Option(None, "--label", help="Only the nodule with this label value."),
    roi: str | None = typer.Option(None, "--roi", help="ROI name when MASK is an RTSTRUCT."),
    min_voxels: int = typer.Option(10, "--min-voxels", help="Skip regions smaller than this."),
    split: str = typer.Option("auto", "--split", help="auto | labels | components: how the mask becomes nodules."),
    as_json: bool = typer.Option(
        False, "--json", help="Print JSON: feature name → value (per nodule when several).", metavar=""
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.", metavar=""),
) -> None:
    """Radiomic features (first-order, GLCM, GLRLM, GLSZM, 3D) of each nodule in IMAGE outlined by MASK."""
    from ctdenoise.cli.json_output import stdout_to_stderr
    from ctdenoise.io import read_volume
    from ctdenoise.radiomics import build_extractor, extract_nodule_features, extraction_settings
    from ctdenoise.radiomics.nodules import read_nodule_mask

    with stdout_to_stderr(as_json):
        volume = read_volume(image)
        nodule_mask = read_nodule_mask(mask, volume, roi=roi)
        rows = extract_nodule_features(
            volume, nodule_mask, params=params, min_voxels=min_voxels, label=label, split=split, progress=progress
        )
        settings = extraction_settings(build_extractor(params))
    per_nodule = {str(row["nodule"]): {k: v for k, v in row.items() if k != "nodule"} for row in rows}
    if as_json:
        output: dict = {"settings": settings}
        if len(per_nodule) == 1:
            ((nodule, features),) = per_nodule.items()
            output.update({"nodule": int(nodule), "features": features})
        else:
            output["nodules"] = per_nodule
        typer.echo(json.dumps(output, indent=2, allow_nan=True))
        return
    typer.echo("settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    for nodule, features in per_nodule.items():
        typer.echo(f"nodule {nodule}:")
        for name, value in features.items():
            typer.echo(f"  {name:<55} {value:.6g}")


def compare_radiomics(
    cases: Path = typer.Argument(..., help="Case list (CSV: case,mask,<method>...; or JSON), paths relative to it."),
    baseline: str = typer.Option(..., "--baseline", help="Method every other is tested against, e.g. srresnet_fp32."),
    out: Path = typer.Option(..., "--out", help="Folder for the features/tests CSVs, heat map and summary."),
    reference: str | None = typer.Option(None, "--reference", help="Method for Lin's CCC, e.g. full_dose."),
    params: Path | None = typer.Option(None, "--params", help="pyradiomics parameter YAML (default: CT defaults)."),
    roi: str | None = typer.Option(None, "--roi", help="ROI name when masks are RTSTRUCT files."),
    min_voxels: int = typer.Option(10, "--min-voxels", help="Skip regions smaller than this."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs.", metavar=""),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.", metavar=""),
) -> None:
    """Paired t-test (+ Benjamini–Hochberg, Wilcoxon, CCC) of nodule radiomics, each method vs --baseline."""
    from ctdenoise.figures import plot_radiomics_heatmap
    from ctdenoise.radiomics.compare import compare_radiomics as run

    summary = run(
        cases,
        out,
        baseline=baseline,
        reference=reference,
        params=params,
        min_voxels=min_voxels,
        roi=roi,
        alpha=alpha,
        overwrite=overwrite,
        progress=progress,
        plot_heatmap=plot_radiomics_heatmap,
    )
    typer.echo(f"{summary['nodules']} nodules in {summary['cases']} cases, {summary['features']} features")
    for method, count in summary["consistent_features"].items():
        bh = summary["significant_features_bh"][method]
        typer.echo(f"  {method}: {count}/{summary['features']} consistent with {baseline} (BH-significant: {bh})")
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add the radiomics commands to the top-level app."""
    app.command("radiomics")(radiomics)
    app.command("compare-radiomics")(compare_radiomics)
