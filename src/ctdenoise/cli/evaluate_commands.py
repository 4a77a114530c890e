"""``ctdenoise evaluate`` (PSNR/SSIM/LPIPS of a denoised volume) and ``ctdenoise lpips`` (distance of two images)."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path

import typer

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


class LpipsChoice(StrEnum):
    alex = "alex"
    vgg = "vgg"
    none = "none"


class LpipsNet(StrEnum):
    alex = "alex"
    vgg = "vgg"


def _json_safe(value: object) -> object:
    """Replace inf/NaN (e.g. PSNR of identical images) by null so the output is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _load_lpips(net: str, weights_dir: Path | None):
    """The LPIPS metric, loaded before the long PSNR/SSIM pass so a bad weights folder fails fast. Without
    ``--lpips-weights`` and no weights on the machine, LPIPS is skipped with a note (PSNR/SSIM still run)."""
    from ctdenoise.errors import CtDenoiseError
    from ctdenoise.metrics.lpips import LPIPS
    from ctdenoise.notices import notice

    try:
        return LPIPS(net, weights_dir)
    except CtDenoiseError as error:
        if weights_dir is not None:  # the user named the weights: a wrong folder is an error, not a skip
            raise CtDenoiseError(f"{error}; or pass --lpips none") from error
        notice(
            f"LPIPS skipped, no {net} weights on this machine ({error}); to enable it pass --lpips-weights DIR "
            "or set CTDENOISE_LPIPS_WEIGHTS"
        )
        return None


def evaluate(
    pred: Path = typer.Option(..., "--pred", help="Denoised volume: DICOM folder or .nii.gz/.nrrd/.mha file."),
    target: Path = typer.Option(..., "--target", help="Full-dose reference on the same grid."),
    mask: Path | None = typer.Option(None, "--mask", help="Optional body/lung mask (label image or RTSTRUCT .dcm)."),
    roi: str | None = typer.Option(None, "--roi", help="ROI name when --mask is an RTSTRUCT, e.g. Lung-Left."),
    window: str = typer.Option("-1000,500", "--window", help="HU window LOW,HIGH, e.g. -1000,500."),
    crop: int = typer.Option(2, "--crop", min=0, help="Pixels cropped from every slice border (the authors: 2)."),
    lpips: LpipsChoice = typer.Option(LpipsChoice.vgg, "--lpips", help="LPIPS backbone (the paper: vgg), or none."),
    lpips_weights: Path | None = typer.Option(None, "--lpips-weights", help="Folder with the LPIPS weights."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON.", metavar=""),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.", metavar=""),
) -> None:
    """PSNR and SSIM (axial, coronal, sagittal, mean, 3D) and LPIPS of a denoised CT against its reference."""
    from ctdenoise.cli.json_output import stdout_to_stderr
    from ctdenoise.io import read_mask, read_volume
    from ctdenoise.metrics.evaluate import check_same_grid, image_quality
    from ctdenoise.metrics.window import parse_window_hu

    window_hu = parse_window_hu(window)
    with stdout_to_stderr(as_json):
        pred_volume, target_volume = read_volume(pred), read_volume(target)
        check_same_grid(pred_volume, target_volume, str(pred), str(target))
        mask_volume = None if mask is None else read_mask(mask, reference=target_volume, roi=roi)
        if mask_volume is not None:
            check_same_grid(mask_volume, target_volume, str(mask), str(target))
        lpips_metric = None if lpips is LpipsChoice.none else _load_lpips(lpips.value, lpips_weights)
        metrics = image_quality(
            pred_volume, target_volume, window_hu, mask_volume, border_crop_px=crop, progress=progress
        )
        if lpips_metric is not None:
            metrics["lpips"] = lpips_metric.volume_distance(pred_volume, target_volume, window_hu, progress=progress)
    if as_json:
        report = {
            "pred": str(pred),
            "target": str(target),
            "mask": None if mask is None else str(mask),
            "roi": roi,
            "window_hu": list(window_hu),
            "border_crop_px": crop,
            "lpips_net": None if lpips_metric is None else lpips.value,
            "metrics": metrics,
        }
        typer.echo(json.dumps(_json_safe(report), indent=2))
        return
    for name, value in metrics.items():
        unit = " dB" if name.startswith("psnr") else ""
        typer.echo(f"{name:<14} {value:.4f}{unit}")


def lpips_distance(
    first: Path = typer.Argument(..., help="First image (PNG) or volume."),
    second: Path = typer.Argument(..., help="Second image (PNG) or volume on the same grid."),
    net: LpipsNet = typer.Option(LpipsNet.alex, "--net", help="Backbone: alex (upstream default) or vgg."),
    lpips_weights: Path | None = typer.Option(None, "--lpips-weights", help="Folder with the LPIPS weights."),
    window: str = typer.Option("-1000,500", "--window", help="HU window LOW,HIGH for volumes."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar (volumes).", metavar=""),
) -> None:
    """LPIPS v0.1 distance of two images (like upstream lpips_2imgs.py) or two volumes (mean over axial slices)."""
    from ctdenoise.metrics.lpips import LPIPS, load_rgb_image

    lpips = LPIPS(net.value, lpips_weights)
    if first.suffix.lower() in IMAGE_SUFFIXES and second.suffix.lower() in IMAGE_SUFFIXES:
        distance = lpips(load_rgb_image(first), load_rgb_image(second))
    else:
        from ctdenoise.io import read_volume
        from ctdenoise.metrics.evaluate import check_same_grid
        from ctdenoise.metrics.window import parse_window_hu

        first_volume, second_volume = read_volume(first), read_volume(second)
        check_same_grid(first_volume, second_volume, str(first), str(second))
        distance = lpips.volume_distance(first_volume, second_volume, parse_window_hu(window), progress=progress)
    typer.echo(f"Distance: {distance:.4f}")


def register(app: typer.Typer) -> None:
    """Add ``evaluate`` and ``lpips`` to the top-level app."""
    app.command("evaluate")(evaluate)
    app.command("lpips")(lpips_distance)
