"""``ctdenoise models`` (the network presets: parameters and MACs) and ``ctdenoise train`` (train from a YAML)."""

from __future__ import annotations

from pathlib import Path

import typer


def models() -> None:
    """Tables of every network at every size and of the built-in models (size, MACs, held-out quality).

    The network table gives parameters, convolution MACs per output voxel and the MAC ratio to SRResNet-3D.
    """
    from ctdenoise.models import NETWORKS, SIZES, build_model, count_parameters, macs_per_output_voxel, preset_config

    typer.echo(f"{'preset':<7} {'arch':<9} {'z×':>2} {'params':>10} {'MACs/voxel':>11} {'vs SRResNet':>11}  settings")
    for name in SIZES:
        baseline_macs = macs_per_output_voxel(preset_config(name, "srresnet"))
        for arch in NETWORKS:
            config = preset_config(name, arch)
            macs = macs_per_output_voxel(config)
            parameters = count_parameters(build_model(config))
            settings = ",".join(f"{key}={value}" for key, value in config.settings.items())
            typer.echo(
                f"{name:<7} {arch:<9} {config.z_scale:>2} {parameters:>10,} {macs:>11,.0f} "
                f"{baseline_macs / macs:>10.2f}×  {settings}"
            )
    from ctdenoise.builtin.catalog import builtin_names, builtin_summary

    typer.echo(
        "\nbuilt-in models (trained on real chest CT; `ctdenoise denoise --model NAME`, docs/builtin-models.md):"
    )
    typer.echo(
        "quality: body PSNR gain (dB, [−1000, 1000] HU) over the 10 %-dose input and over its best Gaussian filter, "
        "mean over the held-out real scans"
    )
    typer.echo(
        f"{'name':<12} {'arch':<9} {'z×':>2} {'params':>9} {'MACs/voxel':>11} {'MB':>6} {'+dB input':>11} "
        f"{'+dB Gaussian':>13}"
    )
    for name in builtin_names():
        row = builtin_summary(name)
        gains = [
            f"{row[key]:>+11.2f}" if row[key] is not None else f"{'n/a':>11}"
            for key in ("gain_over_input_db", "gain_over_gaussian_db")
        ]
        typer.echo(
            f"{name:<12} {row['arch']:<9} {row['z_scale']:>2} {row['parameters']:>9,} {row['macs_per_voxel']:>11,.0f} "
            f"{row['size_mb']:>6.1f} {gains[0]} {gains[1]:>13}"
        )


def train(
    config: str = typer.Option(..., "--config", help="Training YAML: a preset name (quick, paper) or a file path."),
    out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, metrics.csv, TensorBoard logs, config."),
    resume: bool = typer.Option(
        False, "--resume", help="Continue the run in OUT from its last checkpoint.", metavar=""
    ),
    precision: str | None = typer.Option(
        None, "--precision", metavar="fp32|bf16|fp16", help="Overrides train.precision (fp16 needs a GPU)."
    ),
    pairs: Path | None = typer.Option(
        None, "--pairs", help="Pairs CSV (subject_id,low_dose,full_dose[,split]); overrides data.pairs."
    ),
    steps: int | None = typer.Option(None, "--steps", min=1, help="Training iterations; overrides train.steps."),
    arch: str | None = typer.Option(None, "--arch", help="A network of `ctdenoise models`; overrides model.arch."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.", metavar=""),
) -> None:
    """Train a denoising network on low-/full-dose pairs (torchrun for several GPUs or nodes)."""
    from ctdenoise.training import load_training_config
    from ctdenoise.training import train as run_training

    overrides: dict = {}
    if precision is not None:
        overrides.setdefault("train", {})["precision"] = precision
    if steps is not None:
        overrides.setdefault("train", {})["steps"] = steps
    if pairs is not None:
        overrides.setdefault("data", {})["pairs"] = str(pairs.resolve())
    if arch is not None:
        overrides.setdefault("model", {})["arch"] = arch
    resolved = load_training_config(config, overrides)
    result = run_training(resolved, out, resume=resume, progress=progress)
    if result.last_checkpoint is not None:
        typer.echo(f"last checkpoint: {result.last_checkpoint}")
        typer.echo(f"best checkpoint: {result.best_checkpoint}")
        typer.echo(f"seconds per iteration: {result.seconds_per_iteration:.3f}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.command("models")(models)
    app.command("train")(train)
