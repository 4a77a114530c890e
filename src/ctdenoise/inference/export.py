"""``export_model``: a PyTorch model file or checkpoint as a self-describing ONNX file or OpenVINO model folder.

The conversions themselves are in ``conversion.py`` (imported here under their usual names).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctdenoise.inference.conversion import (
    EXAMPLE_SHAPE_ZYX,
    INPUT_NAME,
    ONNX_METADATA_KEY,
    ONNX_OPSET,
    OUTPUT_NAME,
    convert_to_openvino,
    export_onnx,
    read_onnx_description,
    save_openvino_ir,
)
from ctdenoise.io.atomic import atomic_path

__all__ = [
    "EXAMPLE_SHAPE_ZYX",
    "EXPORT_FORMATS",
    "INPUT_NAME",
    "ONNX_METADATA_KEY",
    "ONNX_OPSET",
    "OUTPUT_NAME",
    "convert_to_openvino",
    "export_model",
    "export_onnx",
    "read_onnx_description",
    "save_openvino_ir",
]

EXPORT_FORMATS = ("onnx", "openvino")


def export_model(model: Any, out: Path | str, export_format: str = "onnx", overwrite: bool = False) -> Path:
    """Export a PyTorch model file / checkpoint for deployment.

    Args:
        model: checkpoint path or ``LoadedModel``.
        out: ``.onnx`` file (format ``onnx``) or model folder (format ``openvino``: ``model.json`` + FP32 IR,
            which ``denoise`` runs in OpenVINO FP32/BF16; ``quantize`` adds INT8).
        export_format: ``"onnx"`` or ``"openvino"``.
        overwrite: replace an existing output.

    Returns:
        The written path.

    Example:
        >>> export_model("runs/stresnet/best.pt", "stresnet.onnx")  # doctest: +SKIP
    """
    from ctdenoise.errors import CtDenoiseError
    from ctdenoise.inference.loading import load_inference_model
    from ctdenoise.inference.model_folder import FILE_NAMES, sha256_of, write_model_json
    from ctdenoise.io.atomic import refuse_to_clobber

    out = Path(out)
    if export_format not in EXPORT_FORMATS:
        raise CtDenoiseError(f"unknown export format {export_format!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if export_format == "onnx" and out.suffix.lower() != ".onnx":
        raise CtDenoiseError(f"{out}: an ONNX export needs a file name ending in .onnx")
    refuse_to_clobber(out, overwrite, inputs=(Path(model),) if isinstance(model, str | Path) else ())
    loaded = load_inference_model(model)
    if loaded.module is None:
        raise CtDenoiseError(f"{loaded.source}: export needs a PyTorch model file or checkpoint")
    description = {
        **loaded.description,
        "provenance": {
            "source_checkpoint": str(loaded.source) if loaded.source else None,
            "source_sha256": sha256_of(loaded.source) if loaded.source and loaded.source.is_file() else None,
        },
    }
    if export_format == "onnx":
        return export_onnx(loaded.module, out, {**description, "precision": "fp32"})
    with atomic_path(out, is_dir=True) as temporary:
        save_openvino_ir(loaded.openvino_fp32_model(), temporary / FILE_NAMES["openvino_fp32"])
        write_model_json(temporary, {**description, **loaded.sliding_window_record()})
    return out
