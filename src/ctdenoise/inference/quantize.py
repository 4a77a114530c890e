"""Post-training static INT8 quantization of a denoiser for the CPU, with an accuracy gate.

The network is converted to OpenVINO and quantized with NNCF (8-bit weights per output channel, 8-bit
activations) using statistics of real CT patches. The first convolution stays in float: it has a single input
channel (nothing for INT8 dot products to gain) and NNCF's INT8 compile fails on it on this CPU. Wei & Hsu
(MIDL 2021) calibrated PyTorch eager INT8 on one 32-slice chunk; here patches are drawn from inside the body of
every calibration volume so that the activation ranges cover lung, soft tissue and bone.

The result is a self-describing model folder (``model_folder.py``) that ``denoise_volume`` loads. Inside the
command an accuracy gate compares INT8 with FP32 outputs on held-out calibration patches: PSNR/SSIM of INT8 vs
FP32, and, when full-dose references are given, the PSNR each reaches against them; a warning is raised when
INT8 loses more than ``MAX_PSNR_LOSS_DB`` against the FP32 model's own quality.
"""

from __future__ import annotations

import datetime
import logging
import platform
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference.loading import InferenceModel, load_inference_model
from ctdenoise.inference.model_folder import FILE_NAMES, sha256_of, write_model_json
from ctdenoise.inference.runtimes import OpenVINOPredictor
from ctdenoise.io.atomic import atomic_path, refuse_to_clobber
from ctdenoise.metrics.window import DEFAULT_WINDOW_HU
from ctdenoise.volume import Volume

MAX_PSNR_LOSS_DB = 0.1
BODY_THRESHOLD_HU = -500.0  # a patch counts as "real" when enough of it is tissue denser than lung
MIN_BODY_FRACTION = 0.2
DEFAULT_PATCH_ZYX = (8, 64, 64)
DEFAULT_N_PATCHES = 128
DEFAULT_N_EVAL_PATCHES = 16


@dataclass
class CalibrationPatch:
    """One normalised low-dose patch ``(1, 1, z, y, x)`` and, when known, its full-dose HU reference."""

    network_input: np.ndarray
    reference_hu: np.ndarray | None = None


@dataclass
class QuantizeResult:
    """What ``quantize_model`` wrote and measured."""

    model_dir: Path
    n_calibration_patches: int
    accuracy: dict[str, float]
    warnings: list[str] = field(default_factory=list)


def sample_calibration_patches(
    volumes: Sequence[Volume],
    normalization: Any,
    n_patches: int,
    patch_zyx: Sequence[int] = DEFAULT_PATCH_ZYX,
    z_scale: int = 1,
    references: Sequence[Volume] | None = None,
    seed: int = 0,
) -> list[CalibrationPatch]:
    """Random patches from inside the body of the calibration volumes, spread evenly over the volumes.

    Args:
        volumes: low-dose CT volumes (network input grid).
        normalization: the model's ``HUNormalization``.
        n_patches: how many patches to draw in all.
        patch_zyx: patch size in input voxels (clipped to the volume size).
        z_scale: output slices per input slice (to crop the matching reference slices).
        references: full-dose volumes on the output grid, one per volume, or None.
        seed: random seed, so a calibration can be repeated exactly.

    Returns:
        The patches; a patch has ≥ 20 % voxels above −500 HU when the volume has such places (tried 20 times).
    """
    if not volumes:
        raise CtDenoiseError("quantization needs at least one calibration volume")
    if references is not None and len(references) != len(volumes):
        raise CtDenoiseError(f"got {len(references)} full-dose references for {len(volumes)} calibration volumes")
    rng = np.random.default_rng(seed)
    patches = []
    for index in range(n_patches):
        volume_index = index % len(volumes)
        volume = volumes[volume_index]
        size = [min(int(p), n) for p, n in zip(patch_zyx, volume.shape, strict=True)]
        for _attempt in range(20):
            corner = [int(rng.integers(0, n - p + 1)) for n, p in zip(volume.shape, size, strict=True)]
            window = tuple(slice(c, c + p) for c, p in zip(corner, size, strict=True))
            patch_hu = volume.hu[window]
            if np.mean(patch_hu > BODY_THRESHOLD_HU) >= MIN_BODY_FRACTION:
                break
        reference = None
        if references is not None:
            ref = references[volume_index]
            z0 = corner[0] * z_scale
            reference = ref.hu[z0 : z0 + size[0] * z_scale, window[1], window[2]]
            if reference.shape != (size[0] * z_scale, size[1], size[2]):
                raise CtDenoiseError(
                    f"full-dose reference {ref.metadata.get('source_path', volume_index)} of shape {ref.shape} does "
                    f"not match low-dose shape {volume.shape} × z_scale {z_scale}"
                )
        network_input = np.asarray(normalization.to_model(patch_hu), dtype=np.float32)[None, None]
        patches.append(CalibrationPatch(np.ascontiguousarray(network_input), reference))
    return patches


def first_convolution_name(ov_model: Any) -> str:
    """Name of the first Convolution in an OpenVINO model (the one-input-channel head conv kept in float)."""
    for operation in ov_model.get_ordered_ops():
        if operation.get_type_name() == "Convolution":
            return operation.get_friendly_name()
    raise CtDenoiseError("the model has no convolution to quantize")


def quantize_openvino_model(ov_model: Any, patches: Sequence[CalibrationPatch]) -> Any:
    """NNCF post-training static INT8 quantization of an OpenVINO model; the first conv stays in float."""
    import nncf

    nncf.set_log_level(logging.ERROR)  # its INFO lines would drown the command's own output
    dataset = nncf.Dataset([patch.network_input for patch in patches])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nncf.quantize(
            ov_model,
            dataset,
            subset_size=len(patches),
            preset=nncf.QuantizationPreset.PERFORMANCE,
            ignored_scope=nncf.IgnoredScope(names=[first_convolution_name(ov_model)]),
        )


LAYOUT_ONLY_OPS = ("Reshape", "Transpose", "Squeeze", "Unsqueeze")


def output_residual_add_name(ov_model: Any) -> str | None:
    """The global residual add feeding the output, if any: kept in float so the input image is never rounded to
    8 bits on its way to the output (12-bit CT through an INT8 add loses ~16 HU steps).

    Layout-only ops between it and the output are looked through: the phase form (``models.phase_form``) ends in
    a transpose and reshape that interleave the two output phases after the add.
    """
    for operation in ov_model.get_ordered_ops():
        if operation.get_type_name() == "Result":
            producer = operation.input_value(0).get_node()
            while producer.get_type_name() in LAYOUT_ONLY_OPS:
                producer = producer.input_value(0).get_node()
            return producer.get_friendly_name() if producer.get_type_name() == "Add" else None
    return None


def patch_output_hu(predict: Any, patch: CalibrationPatch, normalization: Any) -> np.ndarray:
    """A predictor's output for one calibration patch, in HU (float32, ``(z, y, x)``)."""
    return np.asarray(normalization.to_hu(predict(patch.network_input)[0, 0]), dtype=np.float32)


def window_psnr_of_patches(predict: Any, patches: Sequence[CalibrationPatch], normalization: Any) -> float:
    """Mean PSNR (HU window −1000..500) of a predictor's outputs against the patches' full-dose references."""
    from ctdenoise.metrics import image_quality

    values = []
    for patch in patches:
        output_hu = patch_output_hu(predict, patch, normalization)
        values.append(image_quality(Volume(output_hu), Volume(patch.reference_hu), window_hu=DEFAULT_WINDOW_HU)["psnr"])
    return float(np.mean(values))


def quantize_openvino_with_accuracy_control(
    ov_model: Any,
    patches: Sequence[CalibrationPatch],
    validation_patches: Sequence[CalibrationPatch],
    normalization: Any,
    max_drop_db: float,
) -> Any:
    """INT8 with NNCF's accuracy control: layers whose quantization costs the most PSNR against full dose go back
    to float until INT8 loses at most ``max_drop_db`` on the validation patches (NNCF ranks them by sensitivity).

    Plain post-training INT8 of a small CT denoiser can lose several tenths of a dB (its 12-bit input and output
    pass through 8-bit activations); this keeps the accuracy the study asks for at some cost in speed.
    """
    import nncf

    nncf.set_log_level(logging.ERROR)
    ignored = [first_convolution_name(ov_model)]
    residual_add = output_residual_add_name(ov_model)
    if residual_add is not None:
        ignored.append(residual_add)

    def validate(compiled_model: Any, data: Any) -> float:
        predict = compiled_model  # a compiled OpenVINO model: called on an input array, indexed by output 0
        return window_psnr_of_patches(lambda x: predict(x)[0], list(data), normalization)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nncf.quantize_with_accuracy_control(
            ov_model,
            nncf.Dataset([patch.network_input for patch in patches]),
            nncf.Dataset(list(validation_patches), lambda patch: patch.network_input),
            validation_fn=validate,
            max_drop=max_drop_db,
            drop_type=nncf.DropType.ABSOLUTE,
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(patches),
            ignored_scope=nncf.IgnoredScope(names=ignored),
        )


def quantize_onnx_model(onnx_fp32: Path, patches: Sequence[CalibrationPatch], out_path: Path) -> Path:
    """ONNX Runtime static INT8 (QDQ, per-channel weights, u8 activations × s8 weights for VNNI), first conv in float."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._items = iter(patches)

        def get_next(self) -> dict | None:
            patch = next(self._items, None)
            return None if patch is None else {"low_dose": patch.network_input}

    graph = onnx.load(str(onnx_fp32)).graph
    first_conv = next((node.name for node in graph.node if node.op_type == "Conv"), None)
    root_logger = logging.getLogger()
    previous_level = root_logger.level
    root_logger.setLevel(logging.ERROR)  # onnxruntime logs a pre-processing hint on the root logger
    try:
        with atomic_path(out_path) as temporary:
            quantize_static(
                str(onnx_fp32),
                str(temporary),
                _Reader(),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=[first_conv] if first_conv else None,
            )
            _mark_onnx_precision(temporary, "int8")
    finally:
        root_logger.setLevel(previous_level)
    return out_path


def _mark_onnx_precision(path: Path, precision: str) -> None:
    """Record the precision in the file's ctdenoise description, so a lone ``.onnx`` says it is INT8."""
    import json

    import onnx

    from ctdenoise.inference.conversion import ONNX_METADATA_KEY

    proto = onnx.load(str(path))
    for entry in proto.metadata_props:
        if entry.key == ONNX_METADATA_KEY:
            entry.value = json.dumps({**json.loads(entry.value), "precision": precision})
            onnx.save(proto, str(path))
            return


def int8_accuracy(
    fp32_predict: Any, int8_predict: Any, patches: Sequence[CalibrationPatch], normalization: Any
) -> dict[str, float]:
    """Accuracy gate: INT8 vs FP32 outputs (and both vs the full-dose references when the patches have them).

    The patch outputs are stacked along z into one volume per model and compared with
    ``ctdenoise.metrics.image_quality`` (HU window −1000..500; PSNR and the three-view SSIM of the paper).

    Returns:
        ``psnr_int8_vs_fp32``, ``ssim_int8_vs_fp32`` and, with references, ``psnr_fp32_vs_reference``,
        ``psnr_int8_vs_reference`` and ``psnr_loss_db`` (FP32 minus INT8).
    """
    from ctdenoise.metrics import image_quality

    def stacked(predict: Any) -> Volume:
        return Volume(np.concatenate([patch_output_hu(predict, patch, normalization) for patch in patches], axis=0))

    fp32_volume, int8_volume = stacked(fp32_predict), stacked(int8_predict)
    agreement = image_quality(int8_volume, fp32_volume, window_hu=DEFAULT_WINDOW_HU)
    accuracy = {"psnr_int8_vs_fp32": float(agreement["psnr"]), "ssim_int8_vs_fp32": float(agreement["ssim"])}
    if all(patch.reference_hu is not None for patch in patches):
        reference = Volume(np.concatenate([patch.reference_hu for patch in patches], axis=0))
        accuracy["psnr_fp32_vs_reference"] = float(
            image_quality(fp32_volume, reference, window_hu=DEFAULT_WINDOW_HU)["psnr"]
        )
        accuracy["psnr_int8_vs_reference"] = float(
            image_quality(int8_volume, reference, window_hu=DEFAULT_WINDOW_HU)["psnr"]
        )
        accuracy["psnr_loss_db"] = accuracy["psnr_fp32_vs_reference"] - accuracy["psnr_int8_vs_reference"]
    return accuracy


def _versions() -> dict[str, str]:
    import nncf
    import openvino as ov

    from ctdenoise import __version__

    return {"ctdenoise": __version__, "openvino": ov.get_version(), "nncf": nncf.__version__}


def quantize_model(
    checkpoint: Any,
    calibration_volumes: Sequence[Volume],
    out_dir: Path | str,
    reference_volumes: Sequence[Volume] | None = None,
    n_patches: int = DEFAULT_N_PATCHES,
    patch_zyx: Sequence[int] = DEFAULT_PATCH_ZYX,
    n_eval_patches: int = DEFAULT_N_EVAL_PATCHES,
    onnx: bool = False,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool = True,
    max_drop_db: float | None = None,
) -> QuantizeResult:
    """Quantize a trained denoiser to INT8 for the CPU and save it as a deployed-model folder.

    Args:
        checkpoint: model file / training checkpoint path, or a ``LoadedModel``.
        calibration_volumes: low-dose CT volumes (the network's input kind) to draw calibration patches from.
        out_dir: the model folder to write (atomically; refused if it exists unless ``overwrite``).
        reference_volumes: optional full-dose volumes on the output grid (one per calibration volume) for the
            accuracy gate's PSNR-loss check.
        n_patches: calibration patches (default 128). On LUNG1-001 patches, 4, 32 and 128 patches of 8×64×64
            gave INT8-vs-FP32 PSNR within 0.3 dB of each other (untrained F=16 networks; no trained model was
            available to check): the activation ranges settle fast, more patches mostly cost time.
        patch_zyx: patch size in input voxels.
        n_eval_patches: other patches (another seed) for the accuracy gate.
        onnx: also write FP32 and QDQ-INT8 ONNX files for ONNX Runtime.
        seed: random seed of the patch sampling.
        overwrite: replace an existing ``out_dir``.
        progress: show progress messages/bars.
        max_drop_db: use NNCF accuracy control: layers go back to float until INT8 loses at most this PSNR (dB)
            against the full-dose references (needs them); None: plain post-training INT8 (fastest).

    Returns:
        ``QuantizeResult`` with the folder, the accuracy numbers and any gate warnings (also issued as
        ``UserWarning``).
    """
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    refuse_to_clobber(out_dir, overwrite, inputs=(Path(checkpoint),) if isinstance(checkpoint, str | Path) else ())
    model: InferenceModel = load_inference_model(checkpoint)
    if model.module is None:
        raise CtDenoiseError(f"{model.source}: quantization needs a PyTorch model file or checkpoint, not {model.name}")
    steps = tqdm(total=4 + int(onnx), disable=not progress, desc="quantize", leave=False)
    patches = sample_calibration_patches(
        calibration_volumes, model.normalization, n_patches, patch_zyx, model.z_scale, reference_volumes, seed
    )
    eval_patches = sample_calibration_patches(
        calibration_volumes, model.normalization, n_eval_patches, patch_zyx, model.z_scale, reference_volumes, seed + 1
    )
    steps.update(1)
    from ctdenoise.inference.conversion import export_onnx, save_openvino_ir

    fp32_model = model.openvino_fp32_model()
    if max_drop_db is None:
        int8_model = quantize_openvino_model(fp32_model, patches)
    else:
        if any(patch.reference_hu is None for patch in eval_patches):
            raise CtDenoiseError(
                "accuracy-controlled INT8 (--max-drop) needs full-dose references: calibrate on a pairs CSV"
            )
        int8_model = quantize_openvino_with_accuracy_control(
            fp32_model, patches, eval_patches, model.normalization, max_drop_db
        )
    steps.update(1)
    accuracy = int8_accuracy(
        OpenVINOPredictor(fp32_model, "fp32"), OpenVINOPredictor(int8_model, "int8"), eval_patches, model.normalization
    )
    steps.update(1)
    gate_warnings = []
    loss_db = accuracy.get("psnr_loss_db")
    if loss_db is not None and loss_db > MAX_PSNR_LOSS_DB:
        gate_warnings.append(
            f"INT8 loses {loss_db:.2f} dB PSNR against the FP32 model's own output quality "
            f"(> {MAX_PSNR_LOSS_DB} dB); try more calibration patches or keep using FP32/BF16"
        )
    description = {
        **{key: value for key, value in model.description.items() if key not in ("files", "format")},
        **model.sliding_window_record(),
        "provenance": {
            "source_checkpoint": str(model.source) if model.source else None,
            "source_sha256": sha256_of(model.source) if model.source and model.source.is_file() else None,
            "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "host_cpu": platform.processor() or platform.machine(),
            "versions": _versions(),
            "quantization": {
                "method": (
                    "NNCF post-training static INT8, preset PERFORMANCE, first convolution kept in float"
                    if max_drop_db is None
                    else f"NNCF INT8 with accuracy control (max PSNR drop {max_drop_db} dB on full-dose references, "
                    "preset MIXED); first convolution and output residual add kept in float"
                ),
                "n_calibration_patches": len(patches),
                "patch_zyx": list(patch_zyx),
                "seed": seed,
                "calibration_sources": [str(v.metadata.get("source_path", "in-memory")) for v in calibration_volumes],
                "accuracy_gate": {**accuracy, "max_psnr_loss_db": MAX_PSNR_LOSS_DB, "warnings": gate_warnings},
            },
        },
    }
    with atomic_path(out_dir, is_dir=True) as temporary:
        save_openvino_ir(fp32_model, temporary / FILE_NAMES["openvino_fp32"])
        save_openvino_ir(int8_model, temporary / FILE_NAMES["openvino_int8"])
        steps.update(1)
        if onnx:
            export_onnx(model.module, temporary / FILE_NAMES["onnx_fp32"], description)
            quantize_onnx_model(temporary / FILE_NAMES["onnx_fp32"], patches, temporary / FILE_NAMES["onnx_int8"])
            steps.update(1)
        write_model_json(temporary, description)
    steps.close()
    for message in gate_warnings:
        warnings.warn(message, UserWarning, stacklevel=2)
    return QuantizeResult(out_dir, len(patches), accuracy, gate_warnings)
