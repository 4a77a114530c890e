"""Train one network of the study (architecture × precision) with the study's shared data, steps and seed."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any


def training_config(arch: str, precision: str, pairs_manifest: Path | None, config: dict[str, Any]) -> dict[str, Any]:
    """The run's training config: the study's training preset and overrides, with this architecture (and its own
    model settings from ``training.networks``), precision, data and seed — identical for every run of the study
    apart from architecture and precision."""
    from ctdenoise.training.config import load_training_config

    training = config["training"]
    overrides = copy.deepcopy(training.get("overrides") or {})
    overrides["model"] = {**overrides.get("model", {}), **(training["networks"][arch] or {}), "arch": arch}
    if pairs_manifest is not None:
        overrides.setdefault("data", {})["pairs"] = str(pairs_manifest)
    overrides["train"] = {**overrides.get("train", {}), "precision": precision, "seed": config["seed"]}
    return load_training_config(training["preset"], overrides)


def train_network(
    arch: str, precision: str, pairs_manifest: Path, config: dict[str, Any], work: Path, progress: bool = True
) -> dict:
    """Train (resuming from ``work/last.pt`` when a killed run left one) and report speed and checkpoints."""
    from ctdenoise.training import train

    run_config = training_config(arch, precision, pairs_manifest, config)
    result = train(run_config, work, resume=(work / "last.pt").exists(), progress=progress)
    return {
        "best_checkpoint": str(result.best_checkpoint),
        "last_checkpoint": str(result.last_checkpoint),
        "seconds_per_iteration": result.seconds_per_iteration,
        "model": run_config["model"],
        "steps": run_config["train"]["steps"],
        "batch_size": run_config["data"]["batch_size"],
        "patch_zyx": run_config["data"]["patch_zyx"],
    }


def read_metrics_csv(path: Path) -> list[dict[str, float]]:
    with path.open(newline="") as handle:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(handle)]


def plot_training_curves(out_dir: Path, runs: list[str], path: Path) -> Path:
    """Training loss and validation PSNR against step for every run, one line per run."""
    from ctdenoise.figures.saving import new_figure, save_figure

    figure = new_figure(11.0, 4.0)
    loss_axes, psnr_axes = figure.subplots(1, 2)
    for run in runs:
        rows = read_metrics_csv(out_dir / f"train-{run}" / "metrics.csv")
        train_rows = [row for row in rows if "loss" in row]
        val_rows = [row for row in rows if "val_psnr_db" in row]
        loss_axes.plot([r["step"] for r in train_rows], [r["loss"] for r in train_rows], label=run)
        psnr_axes.plot([r["step"] for r in val_rows], [r["val_psnr_db"] for r in val_rows], marker="o", label=run)
    inputs = [
        row for row in read_metrics_csv(out_dir / f"train-{runs[0]}" / "metrics.csv") if "val_input_psnr_db" in row
    ]
    if inputs:
        psnr_axes.axhline(inputs[-1]["val_input_psnr_db"], color="gray", linestyle="--", label="low-dose input")
    loss_axes.set(xlabel="step", ylabel="training loss", yscale="log", title="Training loss")
    psnr_axes.set(xlabel="step", ylabel="PSNR (dB)", title="Validation PSNR")
    for axes in (loss_axes, psnr_axes):
        axes.grid(alpha=0.3)
        axes.legend()
    return save_figure(figure, path, overwrite=True)
