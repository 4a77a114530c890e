"""CPU inference speed: the paper's Table 1 speed ratios on this machine, and a whole-scan timing.

Run (takes several minutes on 2 cores; SRResNet FP32 eager alone is ~9 TOP per repetition)::

    .venv/bin/python benchmarks/bench_inference.py                      # 32×256×256, preset bench (F=64, N=8)
    .venv/bin/python benchmarks/bench_inference.py --whole-scan         # + 150 × 512² 2 mm → 1 mm, STResNet INT8
    .venv/bin/python benchmarks/bench_inference.py --whole-scan-only    # only the scan (its own peak memory)
    .venv/bin/python benchmarks/bench_inference.py --shape 8,64,64 --preset tiny   # a quick check that it runs

Targets (issue 5): STResNet INT8 ≥ 15× SRResNet FP32 torch eager; STResNet FP32 ≥ 1.67× SRResNet FP32 on the same
runtime; the whole scan ≤ 40 s. The script prints each ratio next to its target; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from ctdenoise.inference.benchmark import benchmark_table, run_benchmark, time_whole_scan

INT8_TARGET = 15.0
FACTORISATION_TARGET = 1.67
WHOLE_SCAN_TARGET_S = 40.0


def _triple(text: str) -> tuple[int, int, int]:
    values = tuple(int(part) for part in text.split(","))
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"expected z,y,x, got {text!r}")
    return values  # type: ignore[return-value]


def report_targets(report: dict, console: Console) -> None:
    """Print the issue's speed targets next to what was measured."""
    rows = {(r["model"], r["runtime"], r["precision"]): r for r in report["results"]}
    best_int8 = min(
        (r for key, r in rows.items() if key[0] == "stresnet" and key[2] == "int8"),
        key=lambda r: r["median_s"],
        default=None,
    )
    if best_int8 and best_int8["speedup_vs_srresnet_fp32"]:
        ratio = best_int8["speedup_vs_srresnet_fp32"]
        verdict = "meets" if ratio >= INT8_TARGET else "misses"
        console.print(
            f"STResNet INT8 ({best_int8['runtime']}) vs SRResNet FP32 eager: {ratio:.2f}× "
            f"({verdict} the {INT8_TARGET}× target; paper 7.11×)"
        )
    for runtime in ("torch", "openvino", "onnxruntime"):
        srresnet, stresnet = rows.get(("srresnet", runtime, "fp32")), rows.get(("stresnet", runtime, "fp32"))
        if srresnet and stresnet:
            ratio = srresnet["median_s"] / stresnet["median_s"]
            verdict = "meets" if ratio >= FACTORISATION_TARGET else "misses"
            console.print(
                f"STResNet vs SRResNet FP32 on {runtime}: {ratio:.2f}× ({verdict} the {FACTORISATION_TARGET}× target)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=_triple, default=(32, 256, 256), help="input z,y,x (default 32,256,256)")
    parser.add_argument("--preset", default="bench", help="model preset (default bench: F=64, N=8)")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--whole-scan", action="store_true", help="also time a whole scan with denoise_volume")
    parser.add_argument(
        "--whole-scan-only",
        action="store_true",
        help="time only the whole scan (its peak RSS then is the scan's own, not the torch runs')",
    )
    parser.add_argument("--scan-shape", type=_triple, default=(150, 512, 512), help="whole-scan input z,y,x")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()

    console = Console(width=132)
    report: dict = {}
    if not args.whole_scan_only:
        report = run_benchmark(
            shape_zyx=args.shape,
            preset=args.preset,
            repetitions=args.repetitions,
            warmup=args.warmup,
            num_threads=args.threads,
        )
        console.print(benchmark_table(report))
        console.print(f"peaks: {report['peaks']['method']}")
        report_targets(report, console)
    if args.whole_scan or args.whole_scan_only:
        report["whole_scan"] = report_whole_scan(args, console)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def report_whole_scan(args: argparse.Namespace, console: Console) -> dict:
    """Time the whole scan, print it against the target, and return the timing record."""
    scan = time_whole_scan(shape_zyx=args.scan_shape, preset=args.preset, num_threads=args.threads)
    verdict = "meets" if scan["seconds"] <= WHOLE_SCAN_TARGET_S else "misses"
    console.print(
        f"whole scan {'×'.join(map(str, scan['shape_zyx']))} → {'×'.join(map(str, scan['output_shape_zyx']))}, "
        f"STResNet {scan['runtime']} {scan['precision']}: {scan['seconds']:.1f} s "
        f"({verdict} the {WHOLE_SCAN_TARGET_S:.0f} s target); network {scan['network_s']:.1f} s in "
        f"{scan['tiles']} tiles, blending {scan['blend_s']:.1f} s, peak RSS {scan['peak_rss_gb']:.2f} GB"
    )
    return scan


if __name__ == "__main__":
    main()
