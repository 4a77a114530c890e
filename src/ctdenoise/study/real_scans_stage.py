"""The study's "real scans" section: its phantom-trained networks and the built-in models on real chest CTs that
none of them trained on, next to the untouched low-dose input and the best Gaussian filter of it.

The scans are the built-ins' held-out scans (``ctdenoise.builtin.training_data.HELD_OUT_SCANS``) in a folder laid
out like ``shared/data``: ``reproduce --real-data DIR``, else ``$CTDENOISE_SHARED/data`` (default
``../shared/data``). Without them the section is skipped and the report says why in one line; an explicit
``--real-data`` folder without them is an error.

Each scan is cut to its central ``real_scans.n_slices`` slices and, with ``crop_yx``, the central pixels of each
slice, then simulated at 10 % dose with the study's seed and scored exactly as the model cards score the built-ins
(``ctdenoise.builtin.evaluation``): z×1 on its own slices, z×2 from twice the slice thickness back onto them. With
``simulate_crop_only`` the simulator sees only the in-plane crop (fast, for tests; a smaller object than the patient
gets less noise), otherwise it sees whole slices and the crop — of the images and of the body mask found on the whole
slices — is taken afterwards. Simulated cases are kept in ``<study>/real-scans-cache`` so a re-run only repeats
denoising and scoring.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ctdenoise.errors import CtDenoiseError

STAGE_NAME = "real-scans"
INPUT_LABEL = "(a) low-dose input"
GAUSSIAN_LABEL = "(b) best Gaussian"


def default_real_data_dir() -> Path:
    """The shared data folder's ``data/``: ``$CTDENOISE_SHARED/data``, default ``../shared/data``."""
    return Path(os.environ.get("CTDENOISE_SHARED", "../shared")) / "data"


def held_out_scans(settings: Mapping[str, Any]) -> list[str]:
    """The scans the section scores: ``real_scans.scans``, default every held-out scan."""
    from ctdenoise.builtin.training_data import HELD_OUT_SCANS

    scans = list(settings.get("scans") or HELD_OUT_SCANS)
    unknown = [scan for scan in scans if scan not in HELD_OUT_SCANS]
    if unknown:
        raise CtDenoiseError(
            f"real_scans.scans: {', '.join(unknown)} is no held-out scan; choose from {', '.join(HELD_OUT_SCANS)}"
        )
    return scans


def locate_real_data(settings: Mapping[str, Any] | None, real_data_dir: Path | None) -> tuple[Path | None, str]:
    """Where the section's scans are: ``(data folder, "")``, or ``(None, why the section is skipped)``.

    Raises:
        CtDenoiseError: ``real_data_dir`` was given but lacks the held-out scans, or a scan name is unknown.
    """
    from ctdenoise.builtin.training_data import HELD_OUT_SCANS

    if not settings:
        return None, "the study config has no real_scans section"
    scans = held_out_scans(settings)
    if not settings.get("enabled", True):
        return None, "turned off in the study config (real_scans.enabled: false)"
    data_dir = Path(real_data_dir if real_data_dir is not None else default_real_data_dir()).resolve()
    missing = [scan for scan in scans if not (data_dir / HELD_OUT_SCANS[scan]).exists()]
    if missing and real_data_dir is not None:
        raise CtDenoiseError(
            f"--real-data {real_data_dir}: no held-out scan {', '.join(missing)} in it; expected a folder laid out "
            f"like shared/data ({', '.join(HELD_OUT_SCANS[scan] for scan in scans)})"
        )
    if missing:
        return None, (
            f"held-out real scan {', '.join(missing)} not found in {data_dir} (set CTDENOISE_SHARED or pass "
            "--real-data DIR)"
        )
    return data_dir, ""


def _crop_yx(settings: Mapping[str, Any]) -> tuple[int, int] | None:
    crop = settings.get("crop_yx")
    return (int(crop[0]), int(crop[1])) if crop else None


def run_real_scans_stage(
    data_dir: Path,
    settings: Mapping[str, Any],
    study_models: Mapping[str, tuple[Any, str, str]],
    seed: int,
    cache_dir: Path,
    num_threads: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Score every held-out case: the input, the best Gaussian, the study's networks and the built-ins.

    Args:
        data_dir: a folder laid out like ``shared/data`` (from :func:`locate_real_data`).
        settings: the study config's ``real_scans`` section.
        study_models: ``{label: (model path, precision, runtime)}`` of the study's networks; each runs on the case
            of its own z scale.
        seed: noise seed of the simulated 10 % dose.
        cache_dir: where the simulated cases are kept between runs.
        num_threads: CPU threads for OpenVINO.
        progress: a progress bar over cases.

    Returns:
        ``cases`` (``{"<scan>-x<z>": score_case result}``), ``kinds`` (``{label: "study" | "built-in"}``) and what
        the report needs to describe the crop.
    """
    from ctdenoise.builtin.catalog import builtin_folder, builtin_names
    from ctdenoise.builtin.evaluation import body_mask
    from ctdenoise.builtin.held_out import cached_low_dose_cases, score_case
    from ctdenoise.builtin.training_data import DOSE_FRACTION, central_crop_yx, central_slab, data_scan_path
    from ctdenoise.inference import load_inference_model
    from ctdenoise.io import read_volume

    n_slices, crop_yx = int(settings["n_slices"]), _crop_yx(settings)
    crop_first = bool(settings.get("simulate_crop_only", False))
    models: dict[int, dict[str, tuple[Any, str, str]]] = {1: {}, 2: {}}
    kinds: dict[str, str] = {}
    for label, (model, precision, runtime) in study_models.items():
        loaded = load_inference_model(model)
        models[loaded.z_scale][label] = (loaded, precision, runtime)
        kinds[label] = "study"
    for name in builtin_names():
        folder = builtin_folder(name)
        z_scale = load_inference_model(folder).z_scale
        for precision in settings.get("builtin_precisions", ["int8"]):
            chosen = (folder, "int8", "openvino") if precision == "int8" else (folder / "model.pt", precision, "torch")
            label = f"built-in {name} {precision.upper()}"
            models[z_scale][label] = chosen
            kinds[label] = "built-in"

    cases: dict[str, Any] = {}
    shapes: dict[str, list[int]] = {}
    steps = [(scan, z) for scan in held_out_scans(settings) for z in (1, 2)]
    simulated: dict[str, dict[int, tuple[Any, Any]]] = {}
    for scan, z_scale in tqdm(steps, desc="real scans", unit="case", disable=not progress):
        if scan not in simulated:

            def read_full(scan: str = scan):
                full = central_slab(read_volume(data_scan_path(data_dir, scan)), n_slices)
                return central_crop_yx(full, crop_yx) if crop_first else full

            crop_key = f"-crop{crop_yx[0]}x{crop_yx[1]}" if crop_first and crop_yx else ""
            stem = f"{scan}-{n_slices}slices{crop_key}-dose{DOSE_FRACTION:g}-seed{seed}"
            simulated[scan] = cached_low_dose_cases(read_full, cache_dir, stem, DOSE_FRACTION, seed)
        low, full = simulated[scan][z_scale]
        body = None
        if not crop_first:  # the body of the whole slices, so lungs cut by the crop's edge still count as body
            body = central_crop_yx(full.with_array(body_mask(full).astype(np.float32)), crop_yx).hu > 0
            low, full = central_crop_yx(low, crop_yx), central_crop_yx(full, crop_yx)
        shapes[scan] = list(full.shape)
        cases[f"{scan}-x{z_scale}"] = score_case(low, full, models[z_scale], num_threads, body)
    return {
        "data_dir": str(data_dir),
        "cases": cases,
        "kinds": kinds,
        "shapes_zyx": shapes,
        "n_slices": n_slices,
        "crop_yx": list(crop_yx) if crop_yx else None,
        "simulate_crop_only": crop_first,
        "dose_fraction": DOSE_FRACTION,
        "seed": seed,
    }


REAL_SCANS_COLUMNS = [
    ("case", "Held-out scan"),
    ("method", "Method"),
    ("psnr_paper", "↑PSNR [−1000, 500] (dB)"),
    ("ssim_paper", "↑SSIM [−1000, 500]"),
    ("psnr_body", "↑PSNR body [−1000, 1000] (dB)"),
    ("ssim_body", "↑SSIM body"),
    ("gain_input", "vs (a) (dB)"),
    ("gain_gaussian", "vs (b) (dB)"),
    ("seconds", "s"),
]


def real_scans_rows(result: Mapping[str, Any]) -> list[dict[str, str]]:
    """The section's table: per case, (a), (b), then the study's networks and the built-ins with their gains."""
    from ctdenoise.builtin.evaluation import gains_db

    rows = []
    for case_name, case in result["cases"].items():
        scan, z_scale = case_name.rsplit("-x", 1)
        for method, values in case.items():
            if method == "input":
                label, gains = INPUT_LABEL, ("", "")
            elif method == "best_gaussian":
                label, gains = f"{GAUSSIAN_LABEL} (σ {values['sigma_mm']} mm)", ("", "")
            else:
                kind = result["kinds"].get(method, "")
                label = f"{method} (phantom-trained, this study)" if kind == "study" else method
                gains = tuple(f"{gain:+.2f}" for gain in gains_db(case, method))
            rows.append(
                {
                    "case": f"{scan} z×{z_scale}",
                    "method": label,
                    "psnr_paper": f"{values['psnr_paper_window_db']:.2f}",
                    "ssim_paper": f"{values['ssim_paper_window']:.4f}",
                    "psnr_body": f"{values['psnr_body_db']:.2f}",
                    "ssim_body": f"{values['ssim_body']:.4f}",
                    "gain_input": gains[0],
                    "gain_gaussian": gains[1],
                    "seconds": f"{values['seconds']:.1f}" if "seconds" in values else "",
                }
            )
    return rows


def real_scans_report_blocks(results: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The report's "real scans" section, or one line saying why it was skipped."""
    result = results.get("real_scans")
    heading = ("heading", "Real scans — held-out real chest CT at 10 % dose")
    if not result:
        return []
    if "skipped" in result:
        return [heading, ("text", f"Section skipped: {result['skipped']}.")]
    crop = result["crop_yx"]
    shapes = ", ".join(f"{scan} {'×'.join(map(str, shape))}" for scan, shape in result["shapes_zyx"].items())
    where = (
        "cropped before the simulation, so the simulator sees only the crop and inserts less noise than the whole "
        "scan would get"
        if result["simulate_crop_only"]
        else "simulated on whole slices, cropped afterwards"
    )
    crop_text = f" and the central {crop[0]}×{crop[1]} pixels of each slice ({where})" if crop else " (whole slices)"
    return [
        heading,
        (
            "text",
            f"Real full-dose chest CTs that neither the study's networks nor the built-in models trained on, from "
            f"{result['data_dir']}: the central {result['n_slices']} slices of each{crop_text}; scored volumes "
            f"(z, y, x): {shapes}. Each is simulated at {result['dose_fraction'] * 100:g} % dose (seed "
            f"{result['seed']}) on its own slices (z×1) and at twice its slice thickness (z×2, scored on the "
            "thin-slice grid), as the model cards do on whole scans (docs/builtin-models.md). PSNR/SSIM against the "
            "real full-dose scan in the paper's window (mean of three views) and in 3D over the body; the gains are "
            "body PSNR over (a) the low-dose input interpolated to the output grid and (b) its best Gaussian filter "
            "(σ swept 0.25–3 mm, an oracle that peeks at the reference). Each network runs on the case of its own "
            "z scale; the study's networks learnt on phantoms only. s: denoising wall time on this machine.",
        ),
        ("table", (real_scans_rows(result), REAL_SCANS_COLUMNS)),
    ]
