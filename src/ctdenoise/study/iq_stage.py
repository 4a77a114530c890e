"""The study's task-based image-quality stage: LG-CHO detectability, NPS and TTF of every method on the phantom.

The MITA-CCT189-like phantom (:mod:`ctdenoise.iq.phantom`) on the study's pixel size is scanned through the
study's simulator (same geometry, same full-dose I0) at each dose in ``iq.doses``, ``iq.n_realisations``
signal-present and as many signal-absent images per dose; the scans are cached in ``<study>/iq-cache`` so a re-run
only repeats the denoising and scoring. Each dose's images are stacked along z — a z-uniform rod phantom scanned
in ``slice_mm`` slices whose noise is independent from slice to slice — and denoised by every method; a z×2
network's output slices are averaged back to the input slices. "FBP" is the simulated scan itself (no denoising).

The question the report answers: at which dose does each method reach the full-dose FBP's d′ for each insert?
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ctdenoise.iq.assess import assess_phantom_images
from ctdenoise.iq.phantom import LowContrastPhantom
from ctdenoise.iq.realisations import RealisationSet, simulate_realisations
from ctdenoise.study.methods import Method
from ctdenoise.volume import Volume

FBP = "FBP"


def study_phantom(data_config: dict[str, Any], iq_config: dict[str, Any]) -> LowContrastPhantom:
    """The phantom on the study's in-plane pixel size, on a grid that holds the 200 mm cylinder with a margin."""
    pixel_mm = tuple(float(v) for v in data_config["phantom"]["spacing_mm"][1:])
    size = iq_config.get("image_px") or 8 * math.ceil(230.0 / min(pixel_mm) / 8)
    return LowContrastPhantom(shape_yx=(int(size), int(size)), pixel_mm=pixel_mm)


def cached_realisations(
    phantom: LowContrastPhantom, dose: float, config: dict[str, Any], cache_dir: Path, progress: bool = True
) -> RealisationSet:
    """The phantom's scans at ``dose``, read from ``cache_dir`` when an identical request was simulated before."""
    from ctdenoise.simulate import SIMULATOR_REVISION, FluxModel

    data, iq = config["data"], config["iq"]
    scanned = {key: value for key, value in phantom.describe().items() if key != "nps_region_mm"}
    request = {
        "phantom": scanned,
        "dose": dose,
        "n": iq["n_realisations"],
        "photons": data.get("full_dose_photons", 2.0e5),
        "geometry": data.get("geometry", "siemens"),
        "seed": config["seed"],
        "simulator": SIMULATOR_REVISION,
    }
    key = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"phantom-{dose:g}-{key}.npz"
    if path.is_file():
        return RealisationSet.load(path)
    images = simulate_realisations(
        phantom,
        dose,
        iq["n_realisations"],
        flux=FluxModel(full_dose_photons=float(request["photons"])),
        geometry=request["geometry"],
        seed=config["seed"],
        progress=progress,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    images.save(path)
    return images


def denoise_stack(images: np.ndarray, pixel_mm, slice_mm: float, model: Any, method: Method, threads) -> np.ndarray:
    """Denoise ``(n, y, x)`` realisations stacked along z; returns ``(n, y, x)`` on the input slices."""
    from ctdenoise.errors import CtDenoiseError
    from ctdenoise.inference import denoise_volume

    volume = Volume(images, spacing_mm=(slice_mm, *pixel_mm))
    output = denoise_volume(volume, model, method.precision, method.runtime, progress=False, num_threads=threads)
    factor = output.shape[0] // volume.shape[0]
    if factor < 1 or output.shape[0] != factor * volume.shape[0]:
        raise CtDenoiseError(f"{method.label}: {output.shape[0]} output slices for {volume.shape[0]} input slices")
    return output.hu.reshape(volume.shape[0], factor, *output.shape[1:]).mean(axis=1)


def run_iq_stage(
    work_dir: Path,
    config: dict[str, Any],
    models: dict[str, tuple[Method, Any]],
    cache_dir: Path,
    threads: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Score FBP and every method at every dose; write Figure 3; return the JSON-ready results.

    Args:
        work_dir: the stage's folder (Figure 3 goes here).
        config: the study config (``seed``, ``data`` and its ``iq`` section: ``doses``, ``n_realisations``,
            optional ``image_px`` and ``n_bootstrap``).
        models: method label → (method, model path or folder).
        cache_dir: where the phantom scans are cached.
        threads: CPU threads for OpenVINO / ONNX Runtime.
        progress: progress bars.

    Returns:
        ``{"phantom", "doses", "n_realisations", "results": {label: {dose: assessment}}, "matching_dose",
        "figure3"}``.
    """
    iq = config["iq"]
    phantom = study_phantom(config["data"], iq)
    doses = [float(dose) for dose in iq["doses"]]
    n_bootstrap = int(iq.get("n_bootstrap", 1000))
    slice_mm = float(config["data"].get("slice_mm", 2.0))
    scans = {dose: cached_realisations(phantom, dose, config, cache_dir, progress) for dose in doses}
    results: dict[str, dict[str, Any]] = {FBP: {}}
    for dose, images in scans.items():
        results[FBP][f"{dose:g}"] = assess_phantom_images(
            images.present, images.absent, phantom, config["seed"], n_bootstrap
        )
    from ctdenoise.inference import load_inference_model

    for label, (method, model_path) in tqdm(
        models.items(), desc="IQ: denoise phantom scans", unit="method", disable=not progress
    ):
        model = load_inference_model(model_path)
        results[label] = {}
        for dose, images in scans.items():
            present, absent = (
                denoise_stack(stack, phantom.pixel_mm, slice_mm, model, method, threads)
                for stack in (images.present, images.absent)
            )
            results[label][f"{dose:g}"] = assess_phantom_images(present, absent, phantom, config["seed"], n_bootstrap)
    summary = {
        "phantom": phantom.describe(),
        "doses": doses,
        "n_realisations": iq["n_realisations"],
        "results": results,
        "matching_dose": matching_doses(results, doses),
    }
    summary["figure3"] = str(plot_figure3(summary, work_dir / "figure3_iq.png"))
    return summary


def matching_doses(results: dict[str, dict[str, Any]], doses: list[float]) -> dict[str, list[float | None]]:
    """Per method and insert: the lowest dose whose d′ reaches full-dose FBP's d′ (point estimates); None if none."""
    reference = results[FBP][f"{max(doses):g}"]["inserts"]
    matching = {}
    for label, by_dose in results.items():
        row = []
        for index, target in enumerate(reference):
            reached = [d for d in sorted(doses) if by_dose[f"{d:g}"]["inserts"][index]["dprime"] >= target["dprime"]]
            row.append(reached[0] if reached else None)
        matching[label] = row
    return matching


def plot_figure3(summary: dict[str, Any], path: Path) -> Path:
    """Figure 3: d′ vs dose per insert (each method), NPS curves and TTF curves at the lowest dose."""
    from ctdenoise.figures.saving import new_figure, save_figure

    results, doses = summary["results"], summary["doses"]
    inserts, rods = summary["phantom"]["detection_inserts"], summary["phantom"]["ttf_rods"]
    low, full = f"{min(doses):g}", f"{max(doses):g}"
    figure = new_figure(16, 7)
    axes = figure.subplots(2, 4)
    for index, insert in enumerate(inserts):
        axis = axes[0, index]
        for offset, by_dose in enumerate(results.values()):
            rows = [by_dose[f"{d:g}"]["inserts"][index] for d in doses]
            dprime = np.array([row["dprime"] for row in rows])
            ci = np.array([row["dprime_ci"] for row in rows])
            shifted = np.array(doses) * 100 * 1.04 ** (offset - len(results) / 2)  # side by side, not on top
            axis.errorbar(shifted, dprime, yerr=[dprime - ci[:, 0], ci[:, 1] - dprime], marker="o", capsize=2)
        axis.axhline(results[FBP][full]["inserts"][index]["dprime"], color="k", linestyle=":")
        axis.set_xscale("log")
        axis.set_title(f"{insert['diameter_mm']:g} mm, +{insert['contrast_hu']:g} HU")
        axis.set_xlabel("dose (%)")
        axis.set_ylabel("LG-CHO d′ (95 % CI)")
    for label, by_dose in results.items():
        nps = by_dose[low]["nps"]
        axes[1, 0].plot(nps["radial_frequency_per_mm"][1:], nps["radial_nps_hu2_mm2"][1:], label=label)
        for axis, ttf in zip(axes[1, 1:3], by_dose[low]["ttf"], strict=True):
            axis.plot(ttf["frequency_per_mm"], ttf["ttf"], label=label)
    fbp_full = results[FBP][full]["nps"]
    axes[1, 0].plot(
        fbp_full["radial_frequency_per_mm"][1:], fbp_full["radial_nps_hu2_mm2"][1:], "k:", label="FBP, full dose"
    )
    axes[1, 0].set_title(f"NPS at {float(low):.0%} dose")
    axes[1, 0].set_ylabel("NPS (HU²·mm²)")
    for axis, rod in zip(axes[1, 1:3], rods, strict=True):
        axis.set_title(f"TTF, {rod['diameter_mm']:g} mm rod +{rod['contrast_hu']:g} HU, {float(low):.0%} dose")
        axis.set_ylabel("TTF")
    for axis in axes[1, :3]:
        axis.set_xlabel("frequency (mm⁻¹)")
    axes[1, 3].axis("off")
    handles, labels = axes[1, 0].get_legend_handles_labels()
    axes[1, 3].legend(handles, labels, loc="center", title="dotted: FBP at full dose")
    return save_figure(figure, path, overwrite=True)


def iq_report_blocks(results: dict[str, Any]) -> list[tuple[str, Any]]:
    """Report blocks (see ``ctdenoise.study.report.report_blocks``) for Figure 3 and its table; empty without IQ."""
    iq = results.get("iq")
    if not iq:
        return []
    doses, labels = iq["doses"], list(iq["results"])
    inserts = iq["phantom"]["detection_inserts"]
    low = f"{min(doses):g}"
    columns = [("method", "Method")]
    columns += [
        (f"insert{i}", f"{ins['diameter_mm']:g} mm +{ins['contrast_hu']:g} HU") for i, ins in enumerate(inserts)
    ]
    columns += [("sigma", f"σ at {float(low):.0%} (HU)"), ("f50", f"TTF f50 at {float(low):.0%} (mm⁻¹)")]
    rows = []
    for label in labels:
        at_low = iq["results"][label][low]
        row = {"method": label, "sigma": f"{at_low['nps']['noise_std_hu']:.1f}" if at_low["nps"] else "n/a"}
        row["f50"] = " / ".join(str(ttf["f50_per_mm"]) for ttf in at_low["ttf"])
        for i, dose in enumerate(iq["matching_dose"][label]):
            insert = at_low["inserts"][i]
            reached = f"{dose:.0%}" if dose is not None else "not reached"
            row[f"insert{i}"] = (
                f"{insert['dprime']:.2f} [{insert['dprime_ci'][0]:.2f}, {insert['dprime_ci'][1]:.2f}]; {reached}"
            )
        rows.append(row)
    return [
        ("heading", "Figure 3 — task-based image quality on the low-contrast phantom (TG-233, LCD-CT style)"),
        (
            "text",
            f"MITA-CCT189-like phantom (200 mm water, rods 3/5/7/10 mm at +14/+7/+5/+3 HU) scanned through the "
            f"study's simulator at {', '.join(f'{d:.0%}' for d in doses)} dose, {iq['n_realisations']} "
            "signal-present and as many signal-absent images per dose. Top: LG-CHO d′ (5 Laguerre–Gauss channels, "
            "50/50 train/test over 10 splits, 95 % bootstrap CI) against dose; dotted line = full-dose FBP. Bottom: "
            "radial NPS and TTF (+340 and +120 HU rods) at the lowest dose.",
        ),
        ("figure", (results["figures"]["figure3"], "Figure 3")),
        (
            "text",
            f"Table: LG-CHO d′ [95 % CI] at {float(low):.0%} dose; after ';' the lowest dose at which the method's d′ "
            "reaches full-dose FBP's (point estimates) — the answer to 'at which dose does each denoiser match "
            "full-dose FBP detectability?'",
        ),
        ("table", (rows, columns)),
    ]
