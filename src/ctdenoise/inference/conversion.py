"""Convert a PyTorch denoiser to ONNX and OpenVINO, with dynamic spatial shapes (the low-level half of export).

This module only converts networks and reads files back; ``export.py`` (``export_model``) resolves a model
argument with ``loading.py`` and calls it, and ``loading.py`` calls it for on-the-fly conversions, so neither of
those two imports the other.

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
