"""Denoise a whole CT volume: HU → network input → sliding-window inference → HU on the output grid.

With a z×2 network (Wei & Hsu 2021: 2 mm low-dose input → 1 mm full-dose grid) the output has half the slice
spacing and covers the same extent: input slice k spans [k·s_in − s_in/2, k·s_in + s_in/2] along the slice
axis, and its two output slices are centred at ±s_out/2 around the middle of that slab, so the first output slice
sits at ``origin − (s_in/2 − s_out/2)`` along the slice direction. The source metadata (e.g. the DICOM header)
is passed through so a DICOM output is a derived series of the same study.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference.loading import InferenceModel, choose_runtime_precision, load_inference_model, make_predictor
from ctdenoise.inference.sliding_window import default_tile_zyx, sliding_window_denoise
from ctdenoise.io.padding import keep_padding
from ctdenoise.orientation import IDENTITY_ORDER, along_slice_axis, axial_order
from ctdenoise.volume import Volume


def output_geometry(volume: Volume, z_scale: int) -> dict[str, Any]:
    """Spacing and origin of the output grid of a z×``z_scale`` network (same extent, finer slices).

    Args:
        volume: the input volume.
        z_scale: output slices per input slice.

    Returns:
        ``{"spacing_mm": (z, y, x), "origin_mm": (x, y, z)}`` for ``Volume``.

    Example:
        >>> air = Volume(np.full((3, 4, 4), -1000.0), spacing_mm=(2.0, 0.7, 0.7), origin_mm=(0.0, 0.0, 10.0))
        >>> output_geometry(air, 2)["origin_mm"]
        (0.0, 0.0, 9.5)
    """
    spacing_in = volume.spacing_mm[0]
    spacing_out = spacing_in / z_scale
    shift_mm = spacing_in / 2 - spacing_out / 2
    slice_direction = volume.direction[:, 2]  # LPS unit vector of the z index axis
    origin = np.asarray(volume.origin_mm) - shift_mm * slice_direction
    return {
        "spacing_mm": (spacing_out, volume.spacing_mm[1], volume.spacing_mm[2]),
        "origin_mm": tuple(float(v) for v in origin),
    }


def denoise_volume(
    volume: Volume,
    model: Any = None,
    precision: str | None = None,
    runtime: str | None = None,
    progress: bool = True,
    tile_zyx: tuple[int, int, int] | None = None,
    overlap_zyx: tuple[int, int, int] | None = None,
    num_threads: int | None = None,
    z_scale: int | None = None,
) -> Volume:
    """Denoise (and, for z×2 networks, slice-upsample) a CT volume.

    Args:
        volume: low-dose CT in HU.
        model: None for the built-in STResNet (``ctdenoise.builtin``; z×1, or z×2 with ``z_scale=2``), a
            built-in's name, a checkpoint path, a deployed-model folder (from ``quantize``/``export``), an ``.onnx``
            file from ``export``, a ``LoadedModel`` or an ``InferenceModel``.
        precision: ``"fp32"``, ``"bf16"`` or ``"int8"`` (INT8 needs a quantized model folder). None: for a
            built-in the fastest it can run (OpenVINO INT8), for any other model ``"fp32"``.
        runtime: ``"torch"``, ``"openvino"`` or ``"onnxruntime"``. None: as for ``precision`` (``"torch"`` for
            a model you give).
        progress: show a progress bar over tiles.
        tile_zyx, overlap_zyx: sliding window in input voxels (default: the model's, else ``default_tile_zyx``:
            64×184×264 for INT8, two at once, 32×264×264 otherwise; overlap 4×16×16).
        num_threads: CPU threads for OpenVINO / ONNX Runtime (None: all).
        z_scale: with ``model=None``, which built-in: 1 (same slices) or 2 (half the slice spacing).

    Returns:
        The denoised volume in HU, float32, with the output geometry and the input's metadata plus
        ``metadata["ctdenoise_inference"]`` (model, runtime, precision). Nothing in it is below −1024 HU, and the
        input's padding outside the field of view (e.g. −2048 HU) is padding in the output too
        (:func:`ctdenoise.io.padding.keep_padding`).

    Example:
        >>> denoised = denoise_volume(read_volume("low_dose.nii.gz"))  # built-in STResNet INT8, z×1  # doctest: +SKIP
        >>> denoised = denoise_volume(read_volume("low_dose.nii.gz"), "runs/stresnet/best.pt")  # doctest: +SKIP
    """
    source = str(volume.metadata.get("source_path", "input"))
    if volume.modality == "SEG":
        raise CtDenoiseError(f"{source}: is a mask (SEG), not a CT image")
    if axial_order(volume, source) != IDENTITY_ORDER:  # the network's z axis must be the patient's slice axis
        return along_slice_axis(
            volume,
            lambda axial: denoise_volume(
                axial,
                model,
                precision,
                runtime,
                progress,
                tile_zyx,
                overlap_zyx,
                num_threads=num_threads,
                z_scale=z_scale,
            ),
            source,
        )
    from ctdenoise.builtin.catalog import resolve_model

    chosen, builtin = resolve_model(model, z_scale, runtime)
    inference_model: InferenceModel = load_inference_model(chosen)
    if builtin is not None:
        runtime, precision, _ = choose_runtime_precision(inference_model, runtime, precision)
    precision, runtime = precision or "fp32", runtime or "torch"
    predictor = make_predictor(inference_model, runtime, precision, num_threads=num_threads)
    start_s = time.perf_counter()
    timings: dict[str, float] = {}
    network_input = np.asarray(inference_model.normalization.to_model(volume.hu), dtype=np.float32)
    network_output = sliding_window_denoise(
        network_input,
        predictor,
        tile_zyx=tile_zyx or inference_model.tile_zyx or default_tile_zyx(precision),
        overlap_zyx=overlap_zyx or inference_model.overlap_zyx,
        z_scale=inference_model.z_scale,
        progress=progress,
        description=f"{inference_model.name} {runtime} {precision}",
        timings=timings,
    )
    del predictor, network_input  # the runtime's tile memory (per stream) is freed before the HU copy is made
    hu = np.asarray(inference_model.normalization.to_hu(network_output), dtype=np.float32)
    del network_output
    keep_padding(volume, hu, inference_model.z_scale)  # nothing below −1024 HU; the scanner's padding stays padding
    denoised = volume.with_array(hu, **output_geometry(volume, inference_model.z_scale))
    denoised.metadata["ctdenoise_inference"] = {
        "model": str(inference_model.source or inference_model.name),
        "arch": inference_model.name,
        "runtime": runtime,
        "precision": precision,
        "z_scale": inference_model.z_scale,
        "timing": {**timings, "total_s": time.perf_counter() - start_s},
    }
    # Read by the DICOM writer: the output is a derived series of the source study that says how it was made.
    header = volume.metadata.get("dicom_header")
    source_description = str(getattr(header, "SeriesDescription", "") or "").strip() if header is not None else ""
    denoised.metadata["series_description"] = " ".join(
        part for part in (source_description, f"ctdenoise {inference_model.name} {precision}") if part
    )
    denoised.metadata["derivation_description"] = (
        f"denoised by ctdenoise {inference_model.name} ({runtime} {precision}, z x{inference_model.z_scale})"
    )
    return denoised
