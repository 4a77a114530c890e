"""The held-out real scans as evaluation cases: simulated once and cached, then every model denoises them and is
scored next to the input and the best Gaussian (:mod:`ctdenoise.builtin.evaluation` says how). Used by
``scripts/build_builtin_models.py evaluate`` (the model cards) and the study's "real scans" section."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ctdenoise.builtin.evaluation import best_gaussian, body_mask, low_dose_cases, score
from ctdenoise.volume import Volume


def case_paths(cache_dir: Path | str, stem: str) -> tuple[Path, dict[int, Path]]:
    """Where :func:`cached_low_dose_cases` keeps one scan: ``(<stem>-sim<R>-full.nii.gz, {z: <stem>-sim<R>-low-x<z>
    .nii.gz})`` in ``cache_dir``, with ``R`` the :data:`ctdenoise.simulate.SIMULATOR_REVISION` that made them."""
    from ctdenoise.simulate import SIMULATOR_REVISION

    prefix = Path(cache_dir) / f"{stem}-sim{SIMULATOR_REVISION}"
    return Path(f"{prefix}-full.nii.gz"), {z: Path(f"{prefix}-low-x{z}.nii.gz") for z in (1, 2)}


def cached_low_dose_cases(
    read_full: Callable[[], Volume], cache_dir: Path | str, stem: str, dose_fraction: float = 0.1, seed: int = 0
) -> dict[int, tuple[Volume, Volume]]:
    """:func:`low_dose_cases` of one scan, simulated once: the volumes are kept in ``cache_dir`` (:func:`case_paths`)
    and read back on later calls (``read_full`` is then not called). ``stem`` must name everything else the volumes
    depend on; the simulator's revision is added to it."""
    from ctdenoise.io import read_volume, write_volume

    cache_dir = Path(cache_dir)
    full_path, low_paths = case_paths(cache_dir, stem)
    if not (full_path.exists() and all(path.exists() for path in low_paths.values())):
        cache_dir.mkdir(parents=True, exist_ok=True)
        made = low_dose_cases(read_full(), dose_fraction, seed)
        for z, (low, _full) in made.items():
            write_volume(low, low_paths[z], overwrite=True)
        write_volume(made[1][1], full_path, overwrite=True)
    full = read_volume(full_path)
    return {z: (read_volume(path), full) for z, path in low_paths.items()}


def score_case(
    low: Volume,
    reference: Volume,
    models: Mapping[str, tuple[Any, str, str]],
    num_threads: int | None = None,
    body: np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """Every row of one held-out case: ``"input"`` (the input on the reference grid), ``"best_gaussian"`` (with its
    ``sigma_mm``) and each of ``models`` — ``{label: (model, precision, runtime)}`` as ``denoise_volume`` takes
    them, each run on ``low`` and scored with its wall-clock ``seconds``. ``body``: the body mask on the
    reference's grid (default :func:`body_mask` of the reference; give it for an in-plane crop, whose lungs may
    touch the crop's edge and would not be filled)."""
    from ctdenoise.inference import denoise_volume
    from ctdenoise.radiomics.grid import resample_to_grid

    body = body_mask(reference) if body is None else body
    on_grid = resample_to_grid(low, reference, linear=True)
    case: dict[str, dict[str, float]] = {"input": score(on_grid, reference, body)}
    sigma_mm, case["best_gaussian"] = best_gaussian(on_grid, reference, body)
    case["best_gaussian"]["sigma_mm"] = sigma_mm
    for label, (model, precision, runtime) in models.items():
        started = time.perf_counter()
        pred = denoise_volume(low, model, precision, runtime, progress=False, num_threads=num_threads)
        pred = reference.with_array(pred.hu[: reference.shape[0]])
        case[label] = {**score(pred, reference, body), "seconds": round(time.perf_counter() - started, 1)}
    return case
