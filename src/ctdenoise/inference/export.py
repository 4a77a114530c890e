"""Convert a PyTorch denoiser to ONNX and OpenVINO, with dynamic spatial shapes.

Both exports take the network's input as ``low_dose`` of shape ``(1, 1, z, y, x)`` with z, y, x free, so one
file serves whole volumes of any size and every tile shape. OpenVINO IR is saved with FP32 weights
(``compress_to_fp16=False``): FP16-compressed weights would add an error the FP32 path must not have.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from ctdenoise.io.atomic import atomic_path

INPUT_NAME = "low_dose"
OUTPUT_NAME = "denoised"
EXAMPLE_SHAPE_ZYX = (8, 32, 32)
ONNX_OPSET = 17
ONNX_METADATA_KEY = "ctdenoise"


def _example_input(shape_zyx: tuple[int, int, int] = EXAMPLE_SHAPE_ZYX) -> Any:
    import torch

    return torch.zeros((1, 1, *shape_zyx), dtype=torch.float32)


def export_onnx(module: Any, path: Path | str, description: dict | None = None) -> Path:
    """Write the network as an ONNX file (opset 17, dynamic z/y/x), atomically.

    Args:
        module: the PyTorch network (float32, eval mode).
        path: the ``.onnx`` file to write.
        description: JSON-able model description (HU normalisation, z_scale, provenance) stored in the file's
            metadata under ``"ctdenoise"`` so the file is self-describing.
    """
    import onnx
    import torch

    path = Path(path)
    module = module.eval()
    with atomic_path(path) as temporary, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter is deprecated but exact and fast here
        torch.onnx.export(
            module,
            (_example_input(),),
            str(temporary),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {2: "z", 3: "y", 4: "x"}, OUTPUT_NAME: {2: "z_out", 3: "y", 4: "x"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
        if description is not None:
            proto = onnx.load(str(temporary))
            entry = proto.metadata_props.add()
            entry.key, entry.value = ONNX_METADATA_KEY, json.dumps(description)
            onnx.save(proto, str(temporary))
    return path


def read_onnx_description(path: Path | str) -> dict | None:
    """The ctdenoise description stored in an ONNX file's metadata, or None when there is none."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    for entry in proto.metadata_props:
        if entry.key == ONNX_METADATA_KEY:
            return json.loads(entry.value)
    return None


def convert_to_openvino(module: Any) -> Any:
    """The network as an in-memory ``openvino.Model`` with a dynamic ``(1, 1, z, y, x)`` input."""
    import openvino as ov
    import torch

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        model = ov.convert_model(
            module.eval(), example_input=_example_input(), input=[ov.PartialShape([1, 1, -1, -1, -1])]
        )
    model.inputs[0].get_tensor().set_names({INPUT_NAME})
    model.outputs[0].get_tensor().set_names({OUTPUT_NAME})
    return model


def save_openvino_ir(model: Any, xml_path: Path | str) -> Path:
    """Save an ``openvino.Model`` as IR ``.xml`` + ``.bin`` with uncompressed FP32 weights."""
    import openvino as ov

    xml_path = Path(xml_path)
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(xml_path), compress_to_fp16=False)
    return xml_path


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
