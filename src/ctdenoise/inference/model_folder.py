"""The self-describing deployed-model folder that ``quantize`` and ``export --format openvino`` write.

Layout::

    MODEL_DIR/
      model.json          what the network is and how to feed it (below)
      model_fp32.xml/.bin OpenVINO IR, FP32 weights (runs FP32 or BF16)
      model_int8.xml/.bin NNCF-quantized IR (only after ``quantize``)
      model_int8.onnx     QDQ INT8 ONNX for ONNX Runtime (only with ``quantize --onnx``)
      model_fp32.onnx     FP32 ONNX (only with ``quantize --onnx``)

``model.json`` holds ``format``/``format_version``, ``arch``, ``config`` (the ModelConfig), ``normalization``
(``HUNormalization.as_dict()``), ``z_scale``, ``tile_zyx``/``overlap_zyx`` (the sliding window the files were
checked with), ``files`` (which of the files above exist) and ``provenance`` (source checkpoint and its SHA-256,
versions, calibration data, INT8 accuracy gate).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ctdenoise.errors import CtDenoiseError

MODEL_JSON = "model.json"
FOLDER_FORMAT = "ctdenoise-deployed-model"
FOLDER_FORMAT_VERSION = 1
FILE_NAMES = {
    "openvino_fp32": "model_fp32.xml",
    "openvino_int8": "model_int8.xml",
    "onnx_fp32": "model_fp32.onnx",
    "onnx_int8": "model_int8.onnx",
}


@dataclass
class ModelFolder:
    """A deployed-model folder read back: its description and the paths of the files it holds."""

    path: Path
    description: dict
    files: dict[str, Path]


def is_model_folder(path: Path | str) -> bool:
    return Path(path).is_dir() and (Path(path) / MODEL_JSON).is_file()


def sha256_of(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model_json(folder: Path, description: dict) -> Path:
    """Write ``model.json`` into a folder (the folder itself is written atomically by the caller)."""
    files = {key: name for key, name in FILE_NAMES.items() if (folder / name).is_file()}
    document = {"format": FOLDER_FORMAT, "format_version": FOLDER_FORMAT_VERSION, **description, "files": files}
    path = folder / MODEL_JSON
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def read_model_folder(path: Path | str) -> ModelFolder:
    """Read a deployed-model folder; a clear error names the folder when it is not one or is incomplete."""
    path = Path(path)
    json_path = path / MODEL_JSON
    if not json_path.is_file():
        raise CtDenoiseError(f"{path}: not a ctdenoise model folder (no {MODEL_JSON})")
    try:
        description = json.loads(json_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise CtDenoiseError(f"{json_path}: unreadable model description ({error})") from None
    if description.get("format") != FOLDER_FORMAT:
        raise CtDenoiseError(f"{json_path}: not a ctdenoise model description (format {description.get('format')!r})")
    if int(description.get("format_version", 0)) > FOLDER_FORMAT_VERSION:
        raise CtDenoiseError(f"{json_path}: written by a newer ctdenoise (format {description['format_version']})")
    for key in ("normalization", "z_scale"):
        if key not in description:
            raise CtDenoiseError(f"{json_path}: model description lacks '{key}'")
    files = {}
    for key, name in description.get("files", {}).items():
        file_path = path / name
        if not file_path.is_file():
            raise CtDenoiseError(f"{path}: model folder is incomplete, {name} is missing")
        if file_path.suffix == ".xml" and not file_path.with_suffix(".bin").is_file():
            raise CtDenoiseError(f"{path}: model folder is incomplete, {file_path.with_suffix('.bin').name} is missing")
        files[key] = file_path
    if not files:
        raise CtDenoiseError(f"{path}: model folder holds no model file")
    return ModelFolder(path=path, description=description, files=files)
