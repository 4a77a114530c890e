"""CPU speed benchmark: every registered network × {torch, OpenVINO, ONNX Runtime} × {FP32, BF16, INT8}.

Reproduces the speed columns of Wei & Hsu (MIDL 2021) Table 1 as ratios to SRResNet FP32 in PyTorch eager
(the paper: STResNet FP32 1.67×, STResNet INT8 7.11×; seconds per volume, ``paper/NOTES.md``), and says how
close each run comes to this machine's own measured matrix-multiply peak:

* FP32 peak: oneDNN's float32 GEMM of two matrices up to 2048×2048 (``torch._C._nn.mkldnn_linear``), best of
  several runs.
* INT8 peak: ``torch._int_mm`` of two int8 matrices up to 2048×2048 into int32 (oneDNN s8 GEMM with VNNI where
  the CPU has it), best of several runs. Smaller where one call would take longer than ``GEMM_CALL_BUDGET_S``:
  a CPU without native support for a type (AVX2 only: ~1 GOP/s for bf16 and int8).

Each timed unit is one forward pass of one ``(1, 1, z, y, x)`` input as a single tile (no sliding window),
after warm-up runs (the first OpenVINO/ONNX Runtime call compiles kernels). Networks are randomly initialised
(speed does not depend on the weight values); INT8 models are calibrated on a few synthetic CT-valued patches.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference.runtimes import COMBINATIONS

BASELINE = ("srresnet", "torch", "fp32")
RESULT_KEYS = ("model", "runtime", "precision", "median_s", "speedup_vs_srresnet_fp32")
# Published speed-ups vs SRResNet FP32 on a CPU (Table 1; PyTorch eager FP32 and eager INT8).
PAPER_SPEEDUPS = {("stresnet", "torch", "fp32"): 1.67, ("stresnet", "openvino", "int8"): 7.11}


def time_call(function: Callable[[], Any], repetitions: int, warmup: int) -> list[float]:
    """Wall-clock seconds of ``repetitions`` calls after ``warmup`` untimed calls."""
    for _ in range(warmup):
        function()
    seconds = []
    for _ in range(repetitions):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds


#: Longest one timed GEMM call may take before the size stops growing (seconds).
GEMM_CALL_BUDGET_S = 0.25


def _gemm_gops(make: Callable[[int], Callable[[], Any]], size: int, repetitions: int) -> tuple[float, int]:
    """``(GOP/s, n)`` of the square GEMM ``make(n)()``: n doubles from 256 while one call stays within
    :data:`GEMM_CALL_BUDGET_S` and n < ``size``, then the best of ``repetitions`` after two warm-up calls.

    A CPU without native support for a type runs its GEMM on a reference path hundreds of times slower (bf16 and
    int8 ran at ~1 GOP/s on an AVX2-only AMD EPYC, where a 2048³ call takes ~15 s): the size is bounded by time, so
    such a CPU is measured in seconds, and reads as slow, instead of stalling the benchmark (and the test suite)
    for minutes. Large GEMMs run near their peak from n ≈ 1024 on, which the native paths reach well within the
    budget (2048³ int8 at 1900 GOP/s: 9 ms)."""
    n = min(256, size)
    call = make(n)
    while n < size:
        start = time.perf_counter()
        call()
        if time.perf_counter() - start > GEMM_CALL_BUDGET_S:
            break
        n = min(2 * n, size)
        call = make(n)
    return 2.0 * n**3 / min(time_call(call, repetitions, 2)) / 1e9, n


def measure_matmul_peaks(size: int = 2048, repetitions: int = 5) -> dict[str, Any]:
    """This machine's FP32, BF16 and INT8 matrix-multiply throughput in GOP/s (1 multiply-add = 2 operations).

    FP32 uses oneDNN's GEMM through ``torch._C._nn.mkldnn_linear``: on AMD CPUs ``torch.matmul`` goes through
    MKL, which does not use AVX-512 there and reaches less than half of what the convolutions themselves reach.
    INT8 uses ``torch._int_mm`` (oneDNN s8×s8→s32 GEMM, VNNI), BF16 ``torch.matmul`` of bfloat16 matrices (AVX-512
    BF16 where the CPU has it). Each is square, ``size`` at most (smaller where one call would take longer than
    :data:`GEMM_CALL_BUDGET_S`: a CPU without native support for the type), the best of ``repetitions`` after
    two warm-up calls.
    """
    import torch

    def fp32_onednn(n: int) -> Callable[[], Any]:
        a, b = torch.randn(n, n).to_mkldnn(), torch.randn(n, n).to_mkldnn()
        return lambda: torch._C._nn.mkldnn_linear(a, b, None)

    def fp32_matmul(n: int) -> Callable[[], Any]:
        a, b = torch.randn(n, n), torch.randn(n, n)
        return lambda: torch.matmul(a, b)

    def int8(n: int) -> Callable[[], Any]:
        a, b = (torch.randint(-128, 127, (n, n), dtype=torch.int8) for _ in range(2))
        return lambda: torch._int_mm(a, b)

    def bf16(n: int) -> Callable[[], Any]:
        a, b = torch.randn(n, n).bfloat16(), torch.randn(n, n).bfloat16()
        return lambda: torch.matmul(a, b)

    try:
        fp32_gops, fp32_n = _gemm_gops(fp32_onednn, size, repetitions)
        fp32_method = "oneDNN float32 GEMM (torch._C._nn.mkldnn_linear)"
    except (AttributeError, RuntimeError):  # torch built without oneDNN
        fp32_gops, fp32_n = _gemm_gops(fp32_matmul, size, repetitions)
        fp32_method = "torch.matmul float32"
    try:
        int8_gops, int8_n = _gemm_gops(int8, size, repetitions)
    except RuntimeError:  # torch builds without a CPU int8 GEMM
        int8_gops, int8_n = float("nan"), 0
    bf16_gops, bf16_n = _gemm_gops(bf16, size, repetitions)
    return {
        "fp32_gops": fp32_gops,
        "bf16_gops": bf16_gops,
        "int8_gops": int8_gops,
        "method": f"{fp32_method} ({fp32_n}³), torch.matmul bfloat16 ({bf16_n}³) and torch._int_mm int8 ({int8_n}³; "
        f"oneDNN), best of {repetitions}",
    }


def synthetic_ct_hu(shape_zyx: Sequence[int], seed: int = 0) -> np.ndarray:
    """A CT-like HU array (air outside, a soft-tissue body with noisy lungs) for timing and calibration."""
    rng = np.random.default_rng(seed)
    z, y, x = (int(n) for n in shape_zyx)
    yy, xx = np.meshgrid(np.linspace(-1, 1, y), np.linspace(-1, 1, x), indexing="ij")
    body = (yy / 0.7) ** 2 + (xx / 0.9) ** 2 < 1
    lungs = ((yy / 0.5) ** 2 + ((np.abs(xx) - 0.4) / 0.3) ** 2) < 1
    plane = np.where(body, np.where(lungs, -850.0, 40.0), -1000.0).astype(np.float32)
    return plane[None] + rng.normal(0.0, 30.0, (z, y, x)).astype(np.float32)


def seeded_preset_model(arch: str, preset: str) -> tuple[Any, Any]:
    """A randomly initialised network of a preset as an ``InferenceModel`` (seeded: the same weights every run)."""
    from ctdenoise.models import preset_config

    return seeded_model(preset_config(preset, arch=arch))


def seeded_model(config: Any) -> tuple[Any, Any]:
    """A randomly initialised network of a ``ModelConfig`` as an ``InferenceModel`` (seeded; for timing only)."""
    import torch

    from ctdenoise.inference.loading import from_loaded_model
    from ctdenoise.models import HUNormalization, LoadedModel, build_model

    torch.manual_seed(0)
    loaded = LoadedModel(model=build_model(config).eval(), config=config, normalization=HUNormalization())
    return from_loaded_model(loaded), config


def _add_int8_files(model: Any, scratch: Path, calibration_patches: int) -> None:
    """Quantize the benchmark network for OpenVINO and ONNX Runtime (timing only: synthetic calibration)."""
    from ctdenoise.inference.conversion import save_openvino_ir
    from ctdenoise.inference.quantize import (
        CalibrationPatch,
        quantize_onnx_model,
        quantize_openvino_model,
    )

    hu = synthetic_ct_hu((4 * calibration_patches, 48, 48), seed=1)
    patches = [
        CalibrationPatch(np.ascontiguousarray(model.normalization.to_model(hu[4 * i : 4 * i + 4])[None, None]))
        for i in range(calibration_patches)
    ]
    int8 = quantize_openvino_model(model.openvino_fp32_model(), patches)
    model.files["openvino_int8"] = save_openvino_ir(int8, scratch / f"{model.name}_int8.xml")
    model.files["onnx_int8"] = quantize_onnx_model(model.onnx_fp32_path(), patches, scratch / f"{model.name}_int8.onnx")


def run_benchmark(
    shape_zyx: Sequence[int] = (32, 256, 256),
    preset: str = "bench",
    archs: Sequence[str] | None = None,
    combinations: Sequence[tuple[str, str]] = COMBINATIONS,
    repetitions: int = 3,
    warmup: int = 1,
    num_threads: int | None = None,
    calibration_patches: int = 8,
    progress: bool = True,
) -> dict[str, Any]:
    """Time every architecture × runtime × precision on the same input and compare with SRResNet FP32 eager.

    Args:
        shape_zyx: input size in voxels (the paper's CPU table used whole volumes; 32×256×256 by default).
        preset: model size from ``ctdenoise.models.SIZES`` (``bench``: F=64, N=8 for the ResNets).
        archs: network names (``ctdenoise.models.NETWORKS``; None: all of them). SRResNet FP32 eager, the
            baseline of the speed-ups, is timed only when ``"srresnet"`` is among them.
        combinations: (runtime, precision) pairs.
        repetitions: timed runs per combination (median, min and max are reported).
        warmup: untimed runs first (compilation, caches).
        num_threads: CPU threads for every runtime (None: all cores).
        calibration_patches: synthetic 4×48×48 patches used to quantize for INT8.
        progress: print a tqdm bar over the combinations.

    Returns:
        ``{"shape_zyx", "preset", "threads", "cpu", "cpu_count", "peaks", "results": [{model, runtime, precision,
        median_s, speedup_vs_srresnet_fp32}], "timings": [the same rows plus min_s, max_s, gops,
        percent_of_peak, paper_speedup]}``.
    """
    import torch
    from tqdm.auto import tqdm

    from ctdenoise.inference.loading import make_predictor
    from ctdenoise.models import NETWORKS
    from ctdenoise.models.complexity import macs_per_output_voxel

    archs = list(NETWORKS) if archs is None else list(archs)
    shape_zyx = tuple(int(n) for n in shape_zyx)
    if len(shape_zyx) != 3 or min(shape_zyx) < 1:
        raise CtDenoiseError(f"benchmark shape must be three positive sizes z,y,x, got {shape_zyx}")
    threads = int(num_threads or torch.get_num_threads())
    torch.set_num_threads(threads)
    peaks = measure_matmul_peaks()
    results = []
    bar = tqdm(total=len(archs) * len(combinations), disable=not progress, desc="benchmark", leave=False)
    with tempfile.TemporaryDirectory(prefix="ctdenoise-bench-") as scratch:
        for arch in archs:
            model, config = seeded_preset_model(arch, preset)
            try:  # a forward pass on the meta device: free, and it refuses inputs the network cannot take
                macs_per_voxel = macs_per_output_voxel(config, shape_zyx, inference=True)
            except RuntimeError as error:
                raise CtDenoiseError(
                    f"benchmark shape {shape_zyx} is too small for {arch}: {str(error).splitlines()[0]}"
                ) from None
            network_input = model.normalization.to_model(synthetic_ct_hu(shape_zyx))[None, None]
            if any(precision == "int8" for _, precision in combinations):
                _add_int8_files(model, Path(scratch), calibration_patches)
            operations = 2.0 * macs_per_voxel * shape_zyx[0] * config.z_scale * shape_zyx[1] * shape_zyx[2]
            for runtime, precision in combinations:
                bar.set_postfix_str(f"{arch} {runtime} {precision}")
                predictor = make_predictor(model, runtime, precision, num_threads=threads)
                seconds = time_call(partial(predictor, network_input), repetitions, warmup)
                median = statistics.median(seconds)
                peak = peaks[f"{precision}_gops"]
                results.append(
                    {
                        "model": arch,
                        "runtime": runtime,
                        "precision": precision,
                        "median_s": median,
                        "min_s": min(seconds),
                        "max_s": max(seconds),
                        "gops": operations / median / 1e9,
                        "percent_of_peak": 100.0 * operations / median / 1e9 / peak,
                        "paper_speedup": PAPER_SPEEDUPS.get((arch, runtime, precision)),
                    }
                )
                del predictor
                bar.update(1)
    bar.close()
    baseline = next((r["median_s"] for r in results if (r["model"], r["runtime"], r["precision"]) == BASELINE), None)
    for row in results:
        row["speedup_vs_srresnet_fp32"] = baseline / row["median_s"] if baseline else None
    return {
        "shape_zyx": list(shape_zyx),
        "preset": preset,
        "threads": threads,
        "cpu": cpu_description(),
        "cpu_count": os.cpu_count(),
        "peaks": peaks,
        "results": [{key: row[key] for key in RESULT_KEYS} for row in results],
        "timings": results,
    }


#: Instruction-set extensions that decide this CPU's speed with the runtimes here, in the order they are reported.
SPEED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16")


def cpu_description(cpuinfo: str | None = None) -> str:
    r"""The CPU in one line for benchmark records: model name, logical CPUs and the speed-relevant ISA extensions.

    Speed figures mean little without it: the built-in INT8 STResNet z×2 took 24.8 s on a 2-core AVX-512 VNNI CPU
    and 43.6 s on a 2-core AVX2-only one. Reads ``/proc/cpuinfo`` (Linux; ``cpuinfo`` to pass its text), else
    ``platform.processor()``.

    Example:
        >>> cpu_description("model name\t: Example CPU\nflags\t\t: fpu avx2 avx512f avx512_vnni\n")
        'Example CPU, 1 logical CPUs, AVX2 AVX512F AVX512_VNNI'
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs"
    fields: dict[str, str] = {}
    cpus = 0
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
        cpus += key.strip() == "processor"
    cpus = max(cpus, 1)
    flags = set(fields.get("flags", "").split())
    extensions = " ".join(flag.upper() for flag in SPEED_FLAGS if flag in flags) or "no AVX2"
    name = fields.get("model name") or platform.processor() or platform.machine()
    return f"{name}, {cpus} logical CPUs, {extensions}"


def peak_rss_gb() -> float:
    """This process's peak resident memory in GB since it started this program: ``VmHWM`` of ``/proc/self/status``
    on Linux, which exec resets (``getrusage``'s ``ru_maxrss`` keeps the high-water mark of the process before
    exec, so a benchmark started from a big parent would report the parent's), else ``ru_maxrss``."""
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e6  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux and BSD: kB


def time_whole_scan(
    shape_zyx: Sequence[int] = (150, 512, 512),
    spacing_mm: Sequence[float] = (2.0, 0.7, 0.7),
    preset: str = "bench",
    arch: str = "stresnet",
    runtime: str = "openvino",
    precision: str = "int8",
    num_threads: int | None = None,
    progress: bool = True,
    config: Any = None,
) -> dict[str, Any]:
    """Seconds to denoise a whole synthetic scan with ``denoise_volume`` (tiling, blending and HU mapping included).

    The network is a randomly initialised ``preset`` of ``arch``, or ``config`` (a ``ModelConfig``) when given.

    Returns:
        ``{"shape_zyx", "output_shape_zyx", "seconds", "network_s", "blend_s", "tiles", "peak_rss_gb", "model",
        "runtime", "precision"}``: ``network_s`` is the time inside the runtime (first-tile compilation included),
        ``blend_s`` the tiling/blending around it, ``peak_rss_gb`` this process's peak resident memory so far.
    """
    from ctdenoise.inference.denoise import denoise_volume
    from ctdenoise.volume import Volume

    with tempfile.TemporaryDirectory(prefix="ctdenoise-bench-") as scratch:
        model, config = seeded_preset_model(arch, preset) if config is None else seeded_model(config)
        if precision == "int8":
            _add_int8_files(model, Path(scratch), 8)
        volume = Volume(synthetic_ct_hu(shape_zyx), spacing_mm=tuple(spacing_mm))
        start = time.perf_counter()
        output = denoise_volume(volume, model, precision, runtime, progress=progress, num_threads=num_threads)
        seconds = time.perf_counter() - start
    return {
        "shape_zyx": list(volume.shape),
        "output_shape_zyx": list(output.shape),
        "seconds": seconds,
        "network_s": output.metadata["ctdenoise_inference"]["timing"]["network_s"],
        "blend_s": output.metadata["ctdenoise_inference"]["timing"]["blend_s"],
        "tiles": output.metadata["ctdenoise_inference"]["timing"]["tiles"],
        "peak_rss_gb": peak_rss_gb(),
        "model": config.arch,
        "settings": dict(config.settings),
        "runtime": runtime,
        "precision": precision,
    }


def benchmark_table(report: dict[str, Any]) -> Any:
    """A rich Table of a ``run_benchmark`` report (the speed columns of the paper's Table 1, and more)."""
    from rich.table import Table

    peaks = report["peaks"]
    table = Table(
        title=f"ctdenoise benchmark: input {'×'.join(map(str, report['shape_zyx']))}, preset {report['preset']}, "
        f"{report['threads']} threads; peaks FP32 {peaks['fp32_gops']:.0f} / BF16 {peaks['bf16_gops']:.0f} / "
        f"INT8 {peaks['int8_gops']:.0f} GOP/s"
    )
    for column in (
        "model",
        "runtime",
        "precision",
        "median s",
        "min s",
        "max s",
        "speed-up",
        "paper",
        "GOP/s",
        "% peak",
    ):
        table.add_column(column, justify="left" if column in ("model", "runtime", "precision") else "right")
    for row in report["timings"]:
        speedup = row["speedup_vs_srresnet_fp32"]
        table.add_row(
            row["model"],
            row["runtime"],
            row["precision"],
            f"{row['median_s']:.3f}",
            f"{row['min_s']:.3f}",
            f"{row['max_s']:.3f}",
            "–" if speedup is None else f"{speedup:.2f}×",
            "" if row["paper_speedup"] is None else f"{row['paper_speedup']:.2f}×",
            f"{row['gops']:.0f}",
            f"{row['percent_of_peak']:.0f}",
        )
    return table
