"""Speed and memory of the built-in models on whole scans (issue 12 targets), each part in its own process so its
peak resident memory is its own.

    .venv/bin/python benchmarks/bench_builtin.py [--json out.json] [--slab 16,256,256]

1. Built-in STResNet INT8 z×2 (OpenVINO) on a 150×512×512 scan of 2 mm slices → 300 slices of 1 mm:
   target ≤ 20 s wall and ≤ 3 GB peak RSS.
2. Built-in STResNet INT8 z×1 on a 300×512×512 scan: target ≤ 20 s.
3. Paper-scale SRResNet-3D (F=64, N=9) FP32, PyTorch eager, on a slab of the same kind of input; its time per
   output voxel is extrapolated to the whole scan of 1. Target: 1 is ≥ 30× faster.
4. (``--training``) CPU training time of each built-in config: one optimisation step of its batch and patch
   (``ctdenoise.training.speed.seconds_per_training_iteration``, the training loop's own step minus data loading)
   in FP32 and bf16, with and without channels_last_3d; the fastest × its steps. Target: all built-ins together
   in about 2 hours of this CPU.
Inputs are ``synthetic_ct_hu`` volumes (body, lungs, noise) with 0.7 mm pixels. Prints ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

TARGET_SCAN_S, TARGET_RSS_GB, TARGET_SPEEDUP, TARGET_TRAINING_H = 20.0, 3.0, 30.0, 2.0


def setting_name(precision: str, channels_last: bool) -> str:
    """A training setting's column name: ``"fp32 channels_last"``, ``"bf16"``, ..."""
    return f"{precision}{' channels_last' if channels_last else ''}"


def training_time(iterations: int = 2) -> dict:
    """Seconds per step on this CPU and whole-run hours of every built-in config (see the module docstring), in
    FP32 and in bf16 autocast, each with and without ``channels_last_3d``: which is fastest depends on the CPU and
    the layer widths (torch's bf16 conv3d kernels were 2-4x slower than FP32 on this AVX-512-BF16 CPU without
    AMX), so the hours are those of the fastest setting, which ``ctdenoise train --precision`` can choose."""
    from ctdenoise.builtin.catalog import BUILTIN_NAMES
    from ctdenoise.training.config import load_training_config, model_config
    from ctdenoise.training.speed import seconds_per_training_iteration

    rows = {}
    for name in BUILTIN_NAMES:
        config = load_training_config(f"builtin-{name}", {"data": {"pairs": "unused.csv"}})
        data, train = config["data"], config["train"]
        step_s = {
            setting_name(precision, channels_last): seconds_per_training_iteration(
                model_config(config),
                patch_zyx=tuple(data["patch_zyx"]),
                batch_size=data["batch_size"],
                precision=precision,
                iterations=iterations,
                channels_last=channels_last,
            )
            for precision in ("fp32", "bf16")
            for channels_last in (True, False)
        }
        # The config's own setting; fp16 needs a GPU, so on this CPU it is timed as FP32.
        own = setting_name(train["precision"] if train["precision"] != "fp16" else "fp32", train["channels_last"])
        fastest = min(step_s, key=step_s.get)
        rows[name] = {
            "step_s": {setting: round(seconds, 2) for setting, seconds in step_s.items()},
            "fastest": fastest,
            "steps": train["steps"],
            "hours": round(step_s[fastest] * train["steps"] / 3600, 2),
            "config_precision_hours": round(step_s[own] * train["steps"] / 3600, 2),
        }
        print(name, json.dumps(rows[name]), file=sys.stderr, flush=True)
    return rows


def builtin_macs_per_output_voxel(folder: str) -> float:
    """MACs per output voxel of a built-in model folder, in the form inference runs (``phase_form``)."""
    from ctdenoise.models import ModelConfig, macs_per_output_voxel

    config = json.loads((Path(folder) / "model.json").read_text())["config"]
    return macs_per_output_voxel(ModelConfig.from_dict(config), inference=True)


def run_part(part: str, slab: tuple[int, int, int]) -> dict:
    from ctdenoise.inference import denoise_volume
    from ctdenoise.inference.benchmark import peak_rss_gb, seeded_preset_model, synthetic_ct_hu
    from ctdenoise.volume import Volume

    if part in ("x2", "x1"):
        shape, spacing, z_scale = (
            ((150, 512, 512), (2.0, 0.7, 0.7), 2) if part == "x2" else ((300, 512, 512), (1.0, 0.7, 0.7), 1)
        )
        volume = Volume(synthetic_ct_hu(shape), spacing_mm=spacing)
        load_before = os.getloadavg()[0]
        start, cpu_start = time.perf_counter(), time.process_time()
        out = denoise_volume(volume, None, z_scale=z_scale, progress=False)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        info = out.metadata["ctdenoise_inference"]
        return {
            "part": part,
            "input_zyx": list(shape),
            "output_zyx": list(out.shape),
            "seconds": seconds,
            # CPU seconds of all threads: with 2 cores, seconds ≈ cpu_s / 2 on a quiet machine; seconds ≈ cpu_s
            # means another process held a core (load_before: the 1-minute load average when the part started).
            "cpu_s": cpu_seconds,
            "load_before": load_before,
            "model": info["model"],
            "runtime": info["runtime"],
            "precision": info["precision"],
            "timing": info["timing"],  # network_s (inside the runtime), blend_s, tiles, total_s (after loading)
            "peak_rss_gb": peak_rss_gb(),
            # Useful network work (no tile overlap counted) per wall second: multiply-adds of the form that runs.
            "gops": 2 * builtin_macs_per_output_voxel(info["model"]) * out.hu.size / seconds / 1e9,
        }
    model, _ = seeded_preset_model("srresnet", "paper")
    volume = Volume(synthetic_ct_hu(slab), spacing_mm=(2.0, 0.7, 0.7))
    denoise_volume(volume.with_array(volume.hu[:4, :64, :64].copy()), model, "fp32", "torch", progress=False)  # warm-up
    start = time.perf_counter()
    out = denoise_volume(volume, model, "fp32", "torch", progress=False, tile_zyx=slab)
    seconds = time.perf_counter() - start
    return {
        "part": part,
        "input_zyx": list(slab),
        "output_voxels": int(out.hu.size),
        "seconds": seconds,
        "seconds_per_output_voxel": seconds / out.hu.size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("x2", "x1", "paper"), help=argparse.SUPPRESS)
    parser.add_argument("--slab", default="16,256,256", help="slab z,y,x for the paper-scale SRResNet FP32 timing")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--training", action="store_true", help="also time the built-in configs' CPU training")
    args = parser.parse_args()
    slab = tuple(int(v) for v in args.slab.split(","))
    if args.part:
        print(json.dumps(run_part(args.part, slab)))
        return
    results = {}
    for part in ("x2", "x1", "paper"):
        output = subprocess.run(
            [sys.executable, __file__, "--part", part, "--slab", args.slab], check=True, capture_output=True, text=True
        ).stdout
        results[part] = json.loads(output.strip().splitlines()[-1])
        print(json.dumps(results[part]), file=sys.stderr)
    x2, x1, paper = results["x2"], results["x1"], results["paper"]
    paper_scan_s = paper["seconds_per_output_voxel"] * 300 * 512 * 512
    speedup = paper_scan_s / x2["seconds"]
    from ctdenoise.inference.benchmark import cpu_description

    summary = {
        "cpu": cpu_description(),  # the figures below belong to this CPU (AVX2 only: ~1.8× the AVX-512 VNNI time)
        "date": time.strftime("%Y-%m-%d"),
        "x2_scan_s": round(x2["seconds"], 2),
        "x2_peak_rss_gb": round(x2["peak_rss_gb"], 2),
        "x2_cpu_s": round(x2["cpu_s"], 2),
        "x2_gops": round(x2["gops"]),
        "x1_scan_s": round(x1["seconds"], 2),
        "x1_cpu_s": round(x1["cpu_s"], 2),
        "x1_gops": round(x1["gops"]),
        "x1_peak_rss_gb": round(x1["peak_rss_gb"], 2),
        "paper_srresnet_fp32_scan_s_extrapolated": round(paper_scan_s, 1),
        "speedup_vs_paper_srresnet_fp32": round(speedup, 1),
    }
    print(f"CPU: {summary['cpu']}")
    print(
        f"built-in STResNet INT8 z×2, 150×512² → 300 slices: {x2['seconds']:.1f} s (target ≤ {TARGET_SCAN_S:g}), "
        f"peak RSS {x2['peak_rss_gb']:.2f} GB (target ≤ {TARGET_RSS_GB:g}); CPU {x2['cpu_s']:.1f} s, "
        f"load average before {x2['load_before']:.1f}; {x2['gops']:.0f} GOP/s"
    )
    print(
        f"built-in STResNet INT8 z×1, 300×512²: {x1['seconds']:.1f} s (target ≤ {TARGET_SCAN_S:g}), "
        f"peak RSS {x1['peak_rss_gb']:.2f} GB; CPU {x1['cpu_s']:.1f} s, load average before {x1['load_before']:.1f}; {x1['gops']:.0f} GOP/s"
    )
    print(
        f"paper SRResNet-3D FP32 eager, extrapolated from {args.slab}: {paper_scan_s:.0f} s → "
        f"speed-up {speedup:.1f}× (target ≥ {TARGET_SPEEDUP:g}×)"
    )
    training = training_time() if args.training else None  # after the scans: they run on a quiet machine
    if training is not None:
        total_h = sum(row["hours"] for row in training.values())
        config_h = sum(row["config_precision_hours"] for row in training.values())
        summary["cpu_training_hours_all_builtins"] = round(total_h, 1)
        summary["cpu_training_hours_all_builtins_config_precision"] = round(config_h, 1)
        results["training"] = training
        print(
            f"CPU training of all built-in configs: {total_h:.1f} h in each one's fastest setting "
            f"({config_h:.1f} h in the configs' own bf16; target about {TARGET_TRAINING_H:g} h)"
        )
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "parts": results}, indent=1))


if __name__ == "__main__":
    main()
