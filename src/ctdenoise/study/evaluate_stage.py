"""Denoise the test split with every method, time it, and score PSNR/SSIM/LPIPS against full dose."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ctdenoise.io import read_volume, write_volume
from ctdenoise.pairs import PairRecord
from ctdenoise.study.methods import Method


def denoise_test_split(
    method: Method, model_path: Path, test_rows: list[PairRecord], out_dir: Path, num_threads: int | None
) -> dict[str, Any]:
    """Run one method over every test subject; seconds per volume exclude one warm-up run on the first."""
    from ctdenoise.inference import denoise_volume, load_inference_model

    model = load_inference_model(model_path)
    volumes = [read_volume(row.low_dose) for row in test_rows]
    denoise_volume(volumes[0], model, method.precision, method.runtime, progress=False, num_threads=num_threads)
    seconds, outputs = [], {}
    for row, volume in zip(tqdm(test_rows, desc=method.label, unit="scan"), volumes, strict=True):
        started = time.perf_counter()
        denoised = denoise_volume(
            volume, model, method.precision, method.runtime, progress=False, num_threads=num_threads
        )
        seconds.append(time.perf_counter() - started)
        path = out_dir / f"{row.subject_id}.nii.gz"
        write_volume(denoised, path, overwrite=True)
        outputs[row.subject_id] = str(path)
    return {
        "outputs": outputs,
        "seconds_per_volume": seconds,
        "median_s": float(np.median(seconds)),
        "input_shape_zyx": list(volumes[0].shape),
    }


def low_dose_on_full_grid(test_rows: list[PairRecord], out_dir: Path) -> dict[str, str]:
    """The low-dose input linearly interpolated onto the 1 mm full-dose grid: the 'no denoising' reference."""
    from ctdenoise.radiomics.grid import resample_to_grid

    outputs = {}
    for row in test_rows:
        target = read_volume(row.full_dose)
        resampled = resample_to_grid(read_volume(row.low_dose), target, linear=True)
        path = out_dir / f"{row.subject_id}.nii.gz"
        write_volume(resampled, path, overwrite=True)
        outputs[row.subject_id] = str(path)
    return outputs


def score_outputs(
    outputs_by_method: dict[str, dict[str, str]],
    test_rows: list[PairRecord],
    evaluation: dict[str, Any],
    lpips_weights: Path | None,
) -> dict[str, Any]:
    """Per method: per-subject PSNR/SSIM (3 views) and LPIPS, and their mean ± std over subjects."""
    from ctdenoise.metrics import image_quality, summarize_cases

    window_hu = tuple(evaluation["window_hu"])
    lpips = _lpips_or_none(evaluation.get("lpips_net", "vgg"), lpips_weights)
    targets = {row.subject_id: read_volume(row.full_dose) for row in test_rows}
    scores: dict[str, Any] = {}
    for method, outputs in tqdm(outputs_by_method.items(), desc="image quality", unit="method"):
        cases = []
        for subject_id, path in outputs.items():
            pred, target = read_volume(path), targets[subject_id]
            case = {"subject_id": subject_id, **image_quality(pred, target, window_hu=window_hu)}
            if lpips is not None:
                case["lpips"] = lpips.volume_distance(pred, target, window_hu=window_hu)
            cases.append(case)
        scores[method] = {"cases": cases, "summary": summarize_cases(cases)}
    return {"scores": scores, "lpips_net": evaluation.get("lpips_net", "vgg") if lpips else None}


def _lpips_or_none(net: str, weights_dir: Path | None) -> Any:
    """LPIPS when its weights can be found locally; None (reported as n/a) when they cannot."""
    from ctdenoise.errors import CtDenoiseError
    from ctdenoise.metrics import LPIPS

    try:
        return LPIPS(net, weights_dir=weights_dir)
    except CtDenoiseError as error:
        print(f"LPIPS skipped: {error}")
        return None
