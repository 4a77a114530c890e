"""Tiny synthetic low-/full-dose pairs written as MetaImage files, with a pairs manifest beside them.

Full dose: 1 mm slices of smooth structures (lung −800 HU background, soft-tissue blobs). Low dose: the mean of
each pair of full-dose slices (2 mm, origin +0.5 mm, the simulator's contract) plus Gaussian noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ctdenoise.io import write_volume
from ctdenoise.volume import Volume


def synthetic_full_dose(rng: np.random.Generator, shape_zyx=(16, 24, 24)) -> np.ndarray:
    z, y, x = np.meshgrid(*(np.arange(n, dtype=np.float32) for n in shape_zyx), indexing="ij")
    hu = np.full(shape_zyx, -800.0, dtype=np.float32)
    for _ in range(6):
        centre = [rng.uniform(0, n) for n in shape_zyx]
        radius = rng.uniform(2.0, 5.0)
        distance2 = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2
        hu += rng.uniform(300, 800) * np.exp(-distance2 / (2 * radius**2))
    return hu


def low_dose_from(full: Volume, noise_hu: float, rng: np.random.Generator) -> Volume:
    z = full.shape[0] // 2
    averaged = full.hu[: 2 * z].reshape(z, 2, *full.shape[1:]).mean(axis=1)
    noisy = averaged + rng.normal(0.0, noise_hu, averaged.shape).astype(np.float32) if noise_hu else averaged
    origin = full.index_to_lps(np.array([0.5, 0.0, 0.0]))
    return Volume(noisy, spacing_mm=(2.0, *full.spacing_mm[1:]), origin_mm=tuple(origin), direction=full.direction)


def write_pairs(folder: Path, splits: list[str], noise_hu: float = 60.0, seed: int = 0) -> Path:
    """Write one pair per entry of ``splits`` and ``pairs.csv``; return the manifest path."""
    rng = np.random.default_rng(seed)
    lines = ["subject_id,low_dose,full_dose,split"]
    for index, split in enumerate(splits):
        full = Volume(synthetic_full_dose(rng), spacing_mm=(1.0, 0.8, 0.8), origin_mm=(-10.0, -12.0, 30.0))
        low = low_dose_from(full, noise_hu, rng)
        subject = f"s{index:02d}"
        write_volume(full, folder / f"{subject}_full.mha")
        write_volume(low, folder / f"{subject}_low.mha")
        lines.append(f"{subject},{subject}_low.mha,{subject}_full.mha,{split}")
    manifest = folder / "pairs.csv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def tiny_config(pairs: Path, **train: object) -> dict:
    """A training config small enough for a test: F=4, N=1 STResNet, 4×16×16 patches."""
    return {
        "model": {"preset": "tiny"},
        "data": {
            "pairs": str(pairs),
            "patch_zyx": [4, 16, 16],
            "batch_size": 2,
            "workers": 0,
            "val_patches": 2,
            "val_patch_zyx": [8, 24, 24],
        },
        "train": {
            "steps": 6,
            "lr": 3e-3,
            "warmup_steps": 0,
            "log_every": 1,
            "val_every": 3,
            "checkpoint_every": 100,
            "channels_last": False,
            "tensorboard": False,
            "device": "cpu",
            **train,
        },
    }
