"""Train one network of the study (architecture × precision) with the study's shared data, steps and seed."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any


def training_config(arch: str, precision: str, pairs_manifest: Path, config: dict[str, Any]) -> dict[str, Any]:
    """The training run's config: the study's training section with this run's architecture and precision."""
    run = copy.deepcopy(config["training"]["run"])
    run.setdefault("model", {})["arch"] = arch
    run["precision"] = precision
    run.setdefault("data", {})["manifest"] = str(pairs_manifest)
    run["seed"] = config["seed"]
    return run


def train_network(arch: str, precision: str, pairs_manifest: Path, config: dict[str, Any], work: Path) -> dict:
    """Train (resuming from ``work/last.pt`` when a killed run left one) and report speed and checkpoints."""
    from ctdenoise.training import train

    run_config = training_config(arch, precision, pairs_manifest, config)
    result = train(run_config, work, resume=(work / "last.pt").exists(), progress=True)
    return {
        "best_checkpoint": str(result.best_checkpoint),
        "last_checkpoint": str(result.last_checkpoint),
        "seconds_per_iteration": result.seconds_per_iteration,
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
        train_rows = [row for row in rows if "train_loss" in row]
        val_rows = [row for row in rows if "val_psnr" in row]
        loss_axes.plot([r["step"] for r in train_rows], [r["train_loss"] for r in train_rows], label=run)
        psnr_axes.plot([r["step"] for r in val_rows], [r["val_psnr"] for r in val_rows], marker="o", label=run)
    loss_axes.set(xlabel="step", ylabel="training loss", yscale="log", title="Training loss")
    psnr_axes.set(xlabel="step", ylabel="PSNR (dB)", title="Validation PSNR")
    for axes in (loss_axes, psnr_axes):
        axes.grid(alpha=0.3)
        axes.legend()
    return save_figure(figure, path, overwrite=True)
