"""The runtimes — PyTorch eager, OpenVINO and ONNX Runtime on the CPU — in one registry, ``RUNTIMES``.

A ``Runtime`` says which precisions it has, whether it can run a given model at one of them (from what the
model holds: a PyTorch network, deployed IR or ONNX files) and makes the tile predictor. A predictor is a
callable from a normalised tile ``(1, 1, z, y, x)`` float32 numpy array to the network's output
``(1, 1, z * z_scale, y, x)`` (``sliding_window.TilePredictor``), so ``sliding_window_denoise``, ``denoise`` and
the benchmark treat every runtime alike. The runtime × precision matrix is this registry and nothing else.

Precision notes for this CPU family (AVX-512 BF16/VNNI):

* OpenVINO runs FP32 models in BF16 by default on CPUs that support it; FP32 must ask for it with
  ``INFERENCE_PRECISION_HINT=f32``.
* INT8 runs an NNCF-quantized OpenVINO IR (see ``quantize.py``) or a QDQ ONNX model in ONNX Runtime.
* PyTorch BF16 uses ``torch.autocast`` on the CPU with channels-last 3D memory layout.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference.sliding_window import TilePredictor

if TYPE_CHECKING:
    from ctdenoise.inference.loading import InferenceModel


class TorchPredictor:
    """PyTorch eager inference, FP32 or BF16 autocast, channels-last 3D layout, tuned by ``torch_speed``.

    Args:
        module: the network (put into eval mode here).
        precision: ``"fp32"`` or ``"bf16"``.
    """

    def __init__(self, module: Any, precision: str = "fp32") -> None:
        import torch

        if precision not in ("fp32", "bf16"):
            raise CtDenoiseError(
                f"the torch runtime runs fp32 or bf16, not {precision}; use --runtime openvino for INT8"
            )
        from ctdenoise.cpu_memory import keep_freed_memory
        from ctdenoise.inference.torch_speed import with_fast_temporal_convs

        keep_freed_memory()
        self.precision = precision
        self.module = with_fast_temporal_convs(module.eval()).to(memory_format=torch.channels_last_3d)

    def __call__(self, tile: np.ndarray) -> np.ndarray:
        import torch

        inputs = torch.from_numpy(np.ascontiguousarray(tile, dtype=np.float32))
        inputs = inputs.contiguous(memory_format=torch.channels_last_3d)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            output = self.module(inputs)
        return output.float().contiguous().numpy()


def openvino_config(precision: str, num_threads: int | None = None, streams: int = 1) -> dict[str, str]:
    """OpenVINO CPU compile options for a precision (FP32 must be asked for explicitly, see module notes).

    ``streams`` > 1 compiles for that many tiles at once, each on its own share of the cores (THROUGHPUT hint):
    on this 2-core CPU two one-thread streams run the built-in INT8 STResNet ~14 % faster than one two-thread
    stream, whose per-layer barriers also stall whenever another process holds one core
    (``benchmarks/bench_builtin.py --streams``).
    """
    config = {"PERFORMANCE_HINT": "THROUGHPUT" if streams > 1 else "LATENCY"}
    if streams > 1:
        config["NUM_STREAMS"] = str(streams)
    if num_threads:
        config["INFERENCE_NUM_THREADS"] = str(num_threads)
    if precision == "fp32":
        config["INFERENCE_PRECISION_HINT"] = "f32"
    elif precision == "bf16":
        config["INFERENCE_PRECISION_HINT"] = "bf16"
    return config


def default_streams(precision: str, num_threads: int | None = None) -> int:
    """Tiles run at once by default: two for INT8 (each ~1 GB at F=32, so a 150×512² scan stays under 3 GB),
    one otherwise (FP32/BF16 tiles are four times larger) or when fewer than two threads are allowed."""
    import os

    cores = num_threads or len(os.sched_getaffinity(0))
    return 2 if precision == "int8" and cores >= 2 else 1


def cpu_supports_bf16() -> bool:
    """True when OpenVINO reports native BF16 on this CPU (otherwise BF16 would be emulated and slow)."""
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class OpenVINOPredictor:
    """OpenVINO CPU inference of an ``ov.Model`` (in memory) or an IR ``.xml`` path.

    Tiles of one volume share one shape, so the model is reshaped to each new tile shape and compiled for it
    (static shapes run faster on the CPU plugin than dynamic ones); compiled models are cached per shape.
    ``map_tiles`` (what ``sliding_window_denoise`` uses) keeps ``streams`` tiles in flight, one per stream.

    Args:
        model: ``openvino.Model`` or path of an IR ``.xml``.
        precision: ``"fp32"``, ``"bf16"`` (FP32 IR run in that precision) or ``"int8"`` (an NNCF-quantized IR;
            its remaining float layers run in BF16 where the CPU supports it).
        static_shapes: reshape per tile shape (True) or compile once with dynamic shapes (False).
        num_threads: CPU threads (None: OpenVINO's default, all cores).
        streams: tiles ``map_tiles`` runs at once (None: ``default_streams`` of the precision).
    """

    def __init__(
        self,
        model: Any,
        precision: str = "fp32",
        static_shapes: bool = True,
        num_threads: int | None = None,
        streams: int | None = None,
    ) -> None:
        import openvino as ov

        if precision not in PRECISIONS:
            raise CtDenoiseError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
        self.core = ov.Core()
        self.model = self.core.read_model(str(model)) if isinstance(model, str | Path) else model
        self.precision = precision
        self.static_shapes = static_shapes
        self.num_threads = num_threads
        self.streams = streams or default_streams(precision, num_threads)
        self._compiled: dict[tuple[tuple[int, ...], int], Any] = {}

    def compiled_for(self, shape: tuple[int, ...], streams: int = 1) -> Any:
        """The compiled model for one input shape and number of streams (compiled once, then cached)."""
        key = (tuple(shape) if self.static_shapes else (), streams)
        if key not in self._compiled:
            model = self.model
            if self.static_shapes:
                model = self.model.clone()
                model.reshape({model.inputs[0].get_any_name(): list(shape)})
            config = openvino_config(self.precision, self.num_threads, streams)
            self._compiled[key] = self.core.compile_model(model, "CPU", config)
        return self._compiled[key]

    def __call__(self, tile: np.ndarray) -> np.ndarray:
        tile = np.ascontiguousarray(tile, dtype=np.float32)
        compiled = self.compiled_for(tile.shape)
        return np.asarray(compiled(tile)[0], dtype=np.float32)

    def map_tiles(self, tiles: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """The outputs of ``tiles`` in order, with ``streams`` tiles computed at once (a single call, ``__call__``,
        runs one tile on all the threads instead).

        A finished tile's request gets the next tile before its output is handed over, so every stream keeps
        working while the caller blends. Each output is a copy the caller owns.
        """
        in_flight: deque[tuple[tuple[int, ...], Any]] = deque()
        idle: dict[tuple[int, ...], list[Any]] = {}
        for tile in tiles:
            tile = np.ascontiguousarray(tile, dtype=np.float32)
            finished = None
            if len(in_flight) == self.streams:
                shape, request = in_flight.popleft()
                finished = _finished_output(request)
                idle.setdefault(shape, []).append(request)
            pool = idle.setdefault(tile.shape, [])
            request = pool.pop() if pool else self.compiled_for(tile.shape, self.streams).create_infer_request()
            request.start_async({0: tile})
            in_flight.append((tile.shape, request))
            if finished is not None:
                yield finished
        while in_flight:
            yield _finished_output(in_flight.popleft()[1])


def _finished_output(request: Any) -> np.ndarray:
    """Wait for an asynchronous OpenVINO request and copy its output out of the request's reused buffer."""
    request.wait()
    return np.array(request.get_output_tensor(0).data, dtype=np.float32)


class OnnxRuntimePredictor:
    """ONNX Runtime CPU inference of an FP32 or a QDQ-quantized INT8 ``.onnx`` file.

    Args:
        onnx_path: the model file (dynamic spatial shapes, see ``export.py``).
        num_threads: intra-op threads (None: ONNX Runtime's default).
    """

    def __init__(self, onnx_path: Path | str, num_threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if num_threads:
            options.intra_op_num_threads = num_threads
        try:
            self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for unreadable models
            raise CtDenoiseError(f"{onnx_path}: ONNX Runtime cannot load this model ({error})") from None
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, tile: np.ndarray) -> np.ndarray:
        tile = np.ascontiguousarray(tile, dtype=np.float32)
        return np.asarray(self.session.run(None, {self.input_name: tile})[0], dtype=np.float32)


class Runtime(Protocol):
    """What the registry needs of a runtime (after MONAI's inferer/predictor split: the sliding window only ever
    sees the predictor)."""

    name: str
    precisions: tuple[str, ...]

    def can_run(self, model: InferenceModel, precision: str) -> bool:
        """Whether ``model`` (what it holds) can run at ``precision`` here."""
        ...

    def make_predictor(
        self, model: InferenceModel, precision: str, static_shapes: bool = True, num_threads: int | None = None
    ) -> TilePredictor:
        """The tile predictor (call ``can_run`` first)."""
        ...


class TorchRuntime:
    """PyTorch eager FP32 or BF16 autocast; needs the PyTorch network (a ``.pt`` model file or checkpoint)."""

    name = "torch"
    precisions = ("fp32", "bf16")

    def can_run(self, model: InferenceModel, precision: str) -> bool:
        return precision in self.precisions and model.module is not None

    def make_predictor(
        self, model: InferenceModel, precision: str, static_shapes: bool = True, num_threads: int | None = None
    ) -> TilePredictor:
        return TorchPredictor(model.module, precision)


class OpenVINORuntime:
    """OpenVINO FP32/BF16 (deployed FP32 IR, or converted from the PyTorch network) and INT8 (a quantized IR)."""

    name = "openvino"
    precisions = ("fp32", "bf16", "int8")

    def can_run(self, model: InferenceModel, precision: str) -> bool:
        if precision == "int8":
            return "openvino_int8" in model.files
        return precision in self.precisions and (model.module is not None or "openvino_fp32" in model.files)

    def make_predictor(
        self, model: InferenceModel, precision: str, static_shapes: bool = True, num_threads: int | None = None
    ) -> TilePredictor:
        source = model.files["openvino_int8"] if precision == "int8" else model.openvino_fp32_model()
        return OpenVINOPredictor(source, precision, static_shapes=static_shapes, num_threads=num_threads)


class OnnxRuntimeRuntime:
    """ONNX Runtime FP32 (deployed ``.onnx``, or exported from the PyTorch network) and INT8 (a QDQ ``.onnx``)."""

    name = "onnxruntime"
    precisions = ("fp32", "int8")

    def can_run(self, model: InferenceModel, precision: str) -> bool:
        if precision == "int8":
            return "onnx_int8" in model.files
        return precision == "fp32" and (model.module is not None or "onnx_fp32" in model.files)

    def make_predictor(
        self, model: InferenceModel, precision: str, static_shapes: bool = True, num_threads: int | None = None
    ) -> TilePredictor:
        path = model.files["onnx_int8"] if precision == "int8" else model.onnx_fp32_path()
        return OnnxRuntimePredictor(path, num_threads=num_threads)


RUNTIMES: dict[str, Runtime] = {
    runtime.name: runtime for runtime in (TorchRuntime(), OpenVINORuntime(), OnnxRuntimeRuntime())
}
# Every precision some runtime has, in the registry's order: fp32, bf16, int8.
PRECISIONS: tuple[str, ...] = tuple(dict.fromkeys(p for runtime in RUNTIMES.values() for p in runtime.precisions))
# Every (runtime, precision) pair, in the registry's order (what the benchmark times).
COMBINATIONS: tuple[tuple[str, str], ...] = tuple(
    (name, precision) for name, runtime in RUNTIMES.items() for precision in runtime.precisions
)
