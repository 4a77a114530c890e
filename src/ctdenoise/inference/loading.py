"""Resolve what a user passes as ``--model`` into one ``InferenceModel``, and build a predictor from it.

Accepted: a PyTorch model file or training checkpoint (``.pt``, read by ``ctdenoise.models.load_model_file``
with ``weights_only=True``), a deployed-model folder (``model.json`` + OpenVINO IR, see ``model_folder.py``),
a self-describing ``.onnx`` file from ``ctdenoise export``, or an already loaded ``LoadedModel``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference.model_folder import is_model_folder, read_model_folder
from ctdenoise.inference.runtimes import PRECISIONS, RUNTIMES
from ctdenoise.inference.sliding_window import DEFAULT_OVERLAP_ZYX


@dataclass
class InferenceModel:
    """A denoiser ready for inference in any runtime that its sources allow.

    Args:
        name: a short label (architecture or file name) for messages and provenance.
        normalization: ``HUNormalization`` mapping HU to network input and back.
        z_scale: output slices per input slice.
        description: JSON-able description (architecture, config, normalisation, provenance) to pass on.
        module: PyTorch network (float32, eval) when the source was a checkpoint.
        files: deployed files by kind (``openvino_fp32``, ``openvino_int8``, ``onnx_fp32``, ``onnx_int8``).
        tile_zyx, overlap_zyx: the sliding window to use (tile None: ``default_tile_zyx`` of the precision).
        source: the path it was loaded from, if any.
    """

    name: str
    normalization: Any
    z_scale: int
    description: dict
    module: Any = None
    files: dict[str, Path] = field(default_factory=dict)
    tile_zyx: tuple[int, int, int] | None = None
    overlap_zyx: tuple[int, int, int] = DEFAULT_OVERLAP_ZYX
    source: Path | None = None
    _openvino_model: Any = field(default=None, repr=False)
    _scratch: Any = field(default=None, repr=False)

    def available(self) -> list[tuple[str, str]]:
        """The (runtime, precision) pairs this model can run (asked of every runtime in ``RUNTIMES``)."""
        return [
            (name, precision)
            for name, runtime in RUNTIMES.items()
            for precision in runtime.precisions
            if runtime.can_run(self, precision)
        ]

    def sliding_window_record(self) -> dict[str, list[int] | None]:
        """The sliding window as ``model.json`` stores it (read back by ``load_inference_model``)."""
        return {
            "tile_zyx": list(self.tile_zyx) if self.tile_zyx else None,
            "overlap_zyx": list(self.overlap_zyx),
        }

    def openvino_fp32_model(self) -> Any:
        """The FP32 ``openvino.Model``: read from the folder's IR or converted from the PyTorch network once."""
        if self._openvino_model is None:
            import openvino as ov

            from ctdenoise.inference.conversion import convert_to_openvino

            if "openvino_fp32" in self.files:
                self._openvino_model = ov.Core().read_model(str(self.files["openvino_fp32"]))
            else:
                self._openvino_model = convert_to_openvino(self.module)
        return self._openvino_model

    def onnx_fp32_path(self) -> Path:
        """An FP32 ONNX file: the deployed one, or a temporary export of the PyTorch network."""
        if "onnx_fp32" in self.files:
            return self.files["onnx_fp32"]
        from ctdenoise.inference.conversion import export_onnx

        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="ctdenoise-onnx-")
        path = Path(self._scratch.name) / "model_fp32.onnx"
        if not path.exists():
            export_onnx(self.module, path, self.description)
        self.files["onnx_fp32"] = path
        return path


def describe_loaded(loaded: Any) -> dict:
    """The JSON-able description of a ``LoadedModel`` (architecture, config, normalisation, metadata)."""
    config = loaded.config
    return {
        "arch": getattr(config, "arch", type(loaded.model).__name__),
        "config": config.as_dict() if hasattr(config, "as_dict") else dict(config),
        "normalization": loaded.normalization.as_dict(),
        "z_scale": int(getattr(config, "z_scale", 1)),
        "training_metadata": {key: value for key, value in dict(loaded.metadata or {}).items() if _is_jsonable(value)},
    }


def _is_jsonable(value: Any) -> bool:
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def from_loaded_model(loaded: Any, source: Path | None = None) -> InferenceModel:
    """Wrap a ``ctdenoise.models.LoadedModel`` (float32 PyTorch network) in its inference form (``phase_form``)."""
    from ctdenoise.models.phase_form import inference_form

    description = describe_loaded(loaded)
    return InferenceModel(
        name=str(description["arch"]),
        normalization=loaded.normalization,
        z_scale=description["z_scale"],
        description=description,
        module=inference_form(loaded.model.eval().float()),
        source=source,
    )


def _normalization_from(description: dict, where: Path) -> Any:
    from ctdenoise.models import HUNormalization

    try:
        return HUNormalization.from_dict(description["normalization"])
    except (KeyError, TypeError, ValueError) as error:
        raise CtDenoiseError(f"{where}: invalid HU normalisation in the model description ({error})") from None


def load_checkpoint(path: Path) -> InferenceModel:
    """Load a PyTorch model file / training checkpoint; every failure becomes a one-line error naming the file."""
    from ctdenoise.models import load_model_file

    try:
        loaded = load_model_file(path)
    except CtDenoiseError:
        raise
    except Exception as error:  # torch/pickle raise many types for corrupt or unsafe files
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "weights_only" in str(error) or "Unsupported global" in str(error):
            reason = "it holds Python objects that a safe (weights_only) load refuses"
        raise CtDenoiseError(f"{path}: not a usable ctdenoise model file ({reason[:200]})") from None
    return from_loaded_model(loaded, source=path)


def load_inference_model(model: Any) -> InferenceModel:
    """Resolve a model argument (path of a checkpoint, model folder or ONNX file, or a LoadedModel).

    Raises:
        CtDenoiseError: the path is missing, unreadable, or not a ctdenoise model.
    """
    if isinstance(model, InferenceModel):
        return model
    if not isinstance(model, str | Path):
        if hasattr(model, "normalization") and hasattr(model, "model"):
            return from_loaded_model(model)
        raise CtDenoiseError(f"model must be a path or a LoadedModel, got {type(model).__name__}")
    path = Path(model)
    if not path.exists():
        raise CtDenoiseError(f"{path}: no such model file or folder")
    if path.is_dir():
        if not is_model_folder(path):
            raise CtDenoiseError(f"{path}: not a ctdenoise model folder (no model.json); pass a .pt file or folder")
        folder = read_model_folder(path)
        description = folder.description
        return InferenceModel(
            name=str(description.get("arch", path.name)),
            normalization=_normalization_from(description, path),
            z_scale=int(description["z_scale"]),
            description=description,
            files=dict(folder.files),
            tile_zyx=tuple(description["tile_zyx"]) if description.get("tile_zyx") else None,
            overlap_zyx=tuple(description.get("overlap_zyx", DEFAULT_OVERLAP_ZYX)),
            source=path,
        )
    if path.suffix.lower() == ".onnx":
        from ctdenoise.inference.conversion import read_onnx_description

        try:
            description = read_onnx_description(path)
        except Exception as error:  # onnx raises DecodeError and others for corrupt files
            raise CtDenoiseError(f"{path}: not a readable ONNX model ({type(error).__name__})") from None
        if description is None:
            raise CtDenoiseError(f"{path}: ONNX file has no ctdenoise description; export it with `ctdenoise export`")
        return InferenceModel(
            name=str(description.get("arch", path.stem)),
            normalization=_normalization_from(description, path),
            z_scale=int(description["z_scale"]),
            description=description,
            files={"onnx_int8" if description.get("precision") == "int8" else "onnx_fp32": path},
            source=path,
        )
    return load_checkpoint(path)


def make_predictor(
    model: InferenceModel, runtime: str, precision: str, static_shapes: bool = True, num_threads: int | None = None
) -> Any:
    """The tile predictor for one runtime × precision, or a clear error saying what the model can run instead."""
    if runtime not in RUNTIMES:
        raise CtDenoiseError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    if precision not in PRECISIONS:
        raise CtDenoiseError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if (runtime, precision) not in model.available():
        can = ", ".join(f"{r} {p}" for r, p in model.available())
        hint = " (run `ctdenoise quantize` to make an INT8 model folder)" if precision == "int8" else ""
        raise CtDenoiseError(f"{model.source or model.name}: cannot run {runtime} {precision}; it can run {can}{hint}")
    return RUNTIMES[runtime].make_predictor(model, precision, static_shapes=static_shapes, num_threads=num_threads)


def choose_runtime_precision(
    model: InferenceModel, runtime: str | None = None, precision: str | None = None
) -> tuple[str, str, str | None]:
    """Fill in what the user left open, preferring the fast laptop path: OpenVINO INT8, then BF16, then FP32.

    Args:
        model: the loaded model (its files decide what can run).
        runtime: the runtime asked for, or None.
        precision: the precision asked for, or None.

    Returns:
        ``(runtime, precision, note)``; ``note`` names the fallback when OpenVINO INT8 was not possible
        (None when nothing was left open or INT8 OpenVINO was chosen).
    """
    if runtime is not None and precision is not None:
        return runtime, precision, None
    from ctdenoise.inference.runtimes import cpu_supports_bf16

    half = ["bf16"] if cpu_supports_bf16() else []
    precisions = [precision] if precision else ["int8", *half, "fp32"]
    runtimes = [runtime] if runtime else ["openvino", "onnxruntime", "torch"]
    available = model.available()
    for candidate_runtime in runtimes:
        for candidate_precision in precisions:
            if (candidate_runtime, candidate_precision) in available:
                note = None
                if candidate_precision != "int8" and precision is None:
                    note = (
                        f"{model.source or model.name} has no INT8 {candidate_runtime} model; using "
                        f"{candidate_runtime} {candidate_precision} (make an INT8 model folder with `ctdenoise quantize`)"
                    )
                return candidate_runtime, candidate_precision, note
    can = ", ".join(f"{r} {p}" for r, p in available)
    asked = " ".join(v for v in (runtime, precision) if v)
    raise CtDenoiseError(f"{model.source or model.name}: cannot run {asked}; it can run {can}")
