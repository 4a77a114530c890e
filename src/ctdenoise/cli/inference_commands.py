"""``ctdenoise denoise``, ``quantize``, ``export`` and ``benchmark``: whole-volume inference and CPU deployment."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ctdenoise.errors import CtDenoiseError


def _triple(text: str | None, option: str) -> tuple[int, int, int] | None:
    """Parse ``"z,y,x"`` into three positive ints (None stays None)."""
    if text is None:
        return None
    try:
        values = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 0:
        raise CtDenoiseError(f"{option} must be three numbers z,y,x such as 32,264,264, got {text!r}")
    return values  # type: ignore[return-value]


def denoise(
    input_path: Path = typer.Argument(..., metavar="IN", help="Low-dose CT: DICOM folder or .nii/.nii.gz/.nrrd/.mha."),
    output_path: Path = typer.Argument(..., metavar="OUT", help="Output: a folder (DICOM series) or an image file."),
    model: str | None = typer.Option(
        None,
        "--model",
        help="A built-in's name (see `ctdenoise models`), a .pt checkpoint, an INT8/OpenVINO model folder or an "
        ".onnx file. Default: the built-in STResNet (INT8), z×1 or, with --z-scale 2, z×2.",
    ),
    z_scale: int | None = typer.Option(
        None, "--z-scale", help="Built-in default model only: 1 keeps the slices (default), 2 halves the spacing."
    ),
    precision: str | None = typer.Option(
        None, "--precision", metavar="fp32|bf16|int8", help="Default: int8 if the model has it."
    ),
    runtime: str | None = typer.Option(
        None, "--runtime", metavar="NAME", help="torch, openvino or onnxruntime (default: openvino)."
    ),
    tile: str | None = typer.Option(
        None,
        "--tile",
        help="Largest tile z,y,x in input voxels (default 64,184,264 for INT8, two at once; else 32,264,264).",
    ),
    overlap: str | None = typer.Option(None, "--overlap", help="Least tile overlap z,y,x (default 4,16,16)."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads (default: all)."),
    preview: Path | None = typer.Option(
        None, "--preview", help="Also write a before/after PNG (middle axial slice, lung and mediastinal windows)."
    ),
    reference: Path | None = typer.Option(None, "--reference", help="Full-dose scan to show in the --preview."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists.", metavar=""),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.", metavar=""),
) -> None:
    """Denoise a low-dose scan (and, with z×2 models, put it on a grid of half the slice spacing)."""
    from ctdenoise.builtin.catalog import resolve_model
    from ctdenoise.inference import denoise_volume, load_inference_model
    from ctdenoise.inference.loading import choose_runtime_precision
    from ctdenoise.io import read_volume, refuse_to_clobber, write_volume
    from ctdenoise.io.provenance import check_provenance_path, write_provenance

    if reference is not None and preview is None:
        raise CtDenoiseError(f"{reference}: --reference is only shown in a --preview; add --preview PNG")
    chosen, builtin = resolve_model(model, z_scale, runtime)
    inputs = (input_path,) + ((Path(chosen),) if builtin is None else ()) + ((reference,) if reference else ())
    refuse_to_clobber(output_path, overwrite, inputs=inputs)
    check_provenance_path(output_path, overwrite, inputs)
    if preview is not None:
        refuse_to_clobber(preview, overwrite, inputs=inputs)
    loaded = load_inference_model(chosen)
    if z_scale is not None and loaded.z_scale != z_scale:
        raise CtDenoiseError(f"{model}: is a z×{loaded.z_scale} model, but --z-scale {z_scale} was asked for")
    runtime, precision, note = choose_runtime_precision(loaded, runtime, precision)
    if note:
        typer.echo(f"note: {note}", err=True)
    volume = read_volume(input_path)
    full = None
    if reference is not None:
        from ctdenoise.figures.before_after import check_reference

        full = check_reference(read_volume(reference), volume, str(reference))
    if builtin is not None:
        typer.echo(f"model: built-in {builtin} (z×{loaded.z_scale}, {runtime} {precision})", err=True)
    denoised = denoise_volume(
        volume,
        loaded,
        precision=precision,
        runtime=runtime,
        progress=progress,
        tile_zyx=_triple(tile, "--tile"),
        overlap_zyx=_triple(overlap, "--overlap"),
        num_threads=threads,
    )
    write_volume(denoised, output_path, overwrite=overwrite)
    sidecar = write_provenance(denoised, output_path, overwrite=overwrite)
    shape = "×".join(map(str, denoised.shape))
    typer.echo(f"wrote {output_path} ({shape}, {denoised.spacing_mm[0]:g} mm slices; {runtime} {precision})")
    if sidecar is not None:
        typer.echo(f"wrote {sidecar} (how it was denoised)")
    if preview is not None:
        from ctdenoise.figures import plot_before_after

        typer.echo(f"wrote {plot_before_after(volume, denoised, preview, reference=full, overwrite=overwrite)}")


def quantize(
    model: Path = typer.Option(..., "--model", help="Trained model file or training checkpoint (.pt)."),
    calibration: list[Path] = typer.Option(
        ..., "--calibration", help="Pairs manifest CSV (low_dose,full_dose) or low-dose scans (repeatable)."
    ),
    out: Path = typer.Option(..., "--out", help="Model folder to write (OpenVINO IR FP32 + INT8, model.json)."),
    # Defaults live in the API (quantize_model, read_calibration_data); None here means "theirs".
    patches: int | None = typer.Option(None, "--patches", help="Calibration patches (default 128)."),
    patch_size: str | None = typer.Option(
        None, "--patch-size", help="Calibration patch z,y,x in input voxels (default 8,64,64)."
    ),
    max_volumes: int | None = typer.Option(
        None, "--max-volumes", help="Read at most this many calibration scans (default 4)."
    ),
    onnx: bool = typer.Option(
        False, "--onnx", help="Also write FP32 and INT8 ONNX files for ONNX Runtime.", metavar=""
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the patch sampling."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists.", metavar=""),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress.", metavar=""),
    max_drop: float | None = typer.Option(
        None,
        "--max-drop",
        help="Accuracy control: keep the most sensitive layers in float until INT8 loses at most this PSNR (dB) "
        "against full dose (needs a pairs CSV). Default: plain INT8, fastest.",
    ),
) -> None:
    """Post-training INT8 quantization (NNCF, OpenVINO) with an INT8-vs-FP32 accuracy gate."""
    import warnings

    from ctdenoise.inference import quantize_model
    from ctdenoise.inference.calibration import read_calibration_data
    from ctdenoise.io import refuse_to_clobber

    refuse_to_clobber(out, overwrite, inputs=(model,))
    reading = {"max_volumes": max_volumes} if max_volumes is not None else {}
    sampling = {"n_patches": patches, "patch_zyx": _triple(patch_size, "--patch-size")}
    sampling = {key: value for key, value in sampling.items() if value is not None}
    volumes, references = read_calibration_data(calibration, **reading)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # gate warnings are printed below
        result = quantize_model(
            model,
            volumes,
            out,
            reference_volumes=references,
            **sampling,
            onnx=onnx,
            seed=seed,
            overwrite=overwrite,
            progress=progress,
            max_drop_db=max_drop,
        )
    typer.echo(f"wrote {result.model_dir} (INT8, calibrated on {result.n_calibration_patches} patches)")
    for key, value in result.accuracy.items():
        typer.echo(f"  {key:<24} {value:.4f}")
    if "psnr_loss_db" not in result.accuracy:
        typer.echo("  (no full-dose references: pass a pairs CSV to check the PSNR loss against the FP32 model)")
    for message in result.warnings:
        typer.echo(f"warning: {message}", err=True)


def export(
    model: Path = typer.Option(..., "--model", help="Trained model file or training checkpoint (.pt)."),
    export_format: str = typer.Option("onnx", "--format", help="onnx (a .onnx file) | openvino (a model folder)."),
    out: Path = typer.Option(..., "--out", help="Output .onnx file or model folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists.", metavar=""),
) -> None:
    """Export a model to ONNX or OpenVINO IR (dynamic z, y, x; HU normalisation stored with it)."""
    from ctdenoise.inference.export import export_model

    path = export_model(model, out, export_format, overwrite=overwrite)
    typer.echo(f"wrote {path}")


def benchmark(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with a 'results' list.", metavar=""),
    shape: str = typer.Option("32,256,256", "--shape", help="Input z,y,x in voxels."),
    preset: str = typer.Option("bench", "--preset", help="Model size preset (bench: F=64, N=8)."),
    repetitions: int = typer.Option(3, "--repetitions", help="Timed runs per combination."),
    warmup: int = typer.Option(1, "--warmup", help="Untimed runs first."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads (default: all)."),
    runtimes: str | None = typer.Option(None, "--runtimes", help="Only these runtimes, e.g. torch,openvino."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.", metavar=""),
) -> None:
    """Time every network × torch/OpenVINO/ONNX Runtime × FP32/BF16/INT8 (the paper's Table 1 speeds)."""
    from ctdenoise.inference.benchmark import benchmark_table, run_benchmark
    from ctdenoise.inference.runtimes import COMBINATIONS, RUNTIMES

    combinations = COMBINATIONS
    if runtimes:
        wanted = {name.strip() for name in runtimes.split(",")}
        combinations = tuple(pair for pair in COMBINATIONS if pair[0] in wanted)
        if not combinations:
            raise CtDenoiseError(f"--runtimes {runtimes!r} names none of {', '.join(RUNTIMES)}")
    from ctdenoise.cli.json_output import stdout_to_stderr

    with stdout_to_stderr(as_json or not progress):  # NNCF draws its progress bars on stdout
        report = run_benchmark(
            shape_zyx=_triple(shape, "--shape"),
            preset=preset,
            combinations=combinations,
            repetitions=repetitions,
            warmup=warmup,
            num_threads=threads,
            progress=progress and not as_json,
        )
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    from rich.console import Console

    console = Console()
    console.width = max(console.width, 132)  # the table has ten columns; do not squeeze them in a pipe
    console.print(benchmark_table(report))


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.command("denoise")(denoise)
    app.command("quantize")(quantize)
    app.command("export")(export)
    app.command("benchmark")(benchmark)
