"""Whole-scan speed of the built-in STResNet shape at other widths: which width meets issue 12's ≤ 20 s targets.

    .venv/bin/python benchmarks/bench_width.py [--features 16,24,32] [--blocks 4] [--json out.json]

For each width F (N residual blocks, 5×5 head, no ReLU between the spatial and temporal convolutions, as the
built-ins), a randomly initialised STResNet is quantized for OpenVINO INT8 (synthetic calibration: the weights do
not change the arithmetic) and timed with ``denoise_volume`` on the issue's scans: z×2 on 150×512×512 at 2 mm
(→ 300 slices) and z×1 on 300×512×512. Each run is its own process (its own peak memory). MACs per output voxel
fall as F², but oneDNN's INT8 convolutions run narrow layers less efficiently, so the time does not follow the
MACs; the GOP/s column (2 × MACs × output voxels / seconds inside the runtime, tiling and blending not counted)
shows it. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

TARGET_SCAN_S = 20.0
SCANS = {2: ((150, 512, 512), (2.0, 0.7, 0.7)), 1: ((300, 512, 512), (1.0, 0.7, 0.7))}


def run_one(features: int, blocks: int, z_scale: int) -> dict:
    from ctdenoise.inference.benchmark import time_whole_scan
    from ctdenoise.models import ModelConfig, macs_per_output_voxel

    config = ModelConfig(
        "stresnet", z_scale, {"features": features, "blocks": blocks, "head_kernel": 5, "temporal_relu": False}
    )
    shape, spacing = SCANS[z_scale]
    row = time_whole_scan(shape, spacing, progress=False, config=config)
    macs = macs_per_output_voxel(config, inference=True)
    output_voxels = shape[0] * z_scale * shape[1] * shape[2]
    return {
        "features": features,
        "blocks": blocks,
        "z_scale": z_scale,
        "macs_per_output_voxel": macs,
        "seconds": round(row["seconds"], 2),
        "network_s": round(row["network_s"], 2),
        "gops": round(2 * macs * output_voxels / row["network_s"] / 1e9),
        "peak_rss_gb": round(row["peak_rss_gb"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", default="16,24,32", help="comma-separated widths F")
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # "F,N,z": one run in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*(int(v) for v in args.one.split(",")))))
        return
    rows = []
    for features in (int(v) for v in args.features.split(",")):
        for z_scale in (2, 1):
            output = subprocess.run(
                [sys.executable, __file__, "--one", f"{features},{args.blocks},{z_scale}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            row = json.loads(output.strip().splitlines()[-1])
            rows.append(row)
            shape = SCANS[z_scale][0]
            print(
                f"STResNet F={features} N={args.blocks} z×{z_scale} INT8 on {shape[0]}×{shape[1]}×{shape[2]}: "
                f"{row['seconds']:.1f} s (target ≤ {TARGET_SCAN_S:g}), {row['macs_per_output_voxel']:.0f} MACs per "
                f"output voxel, {row['gops']} GOP/s, peak RSS {row['peak_rss_gb']:.2f} GB",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
