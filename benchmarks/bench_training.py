"""Training speed: seconds per iteration of SRResNet-3D FP32, STResNet FP32 and STResNet bf16 at the same patch.

The seed (Wei & Hsu, MIDL 2021, Table 1, on a GPU) reports STResNet 1.65× faster than SRResNet per training
iteration in FP32 and 2.04× with mixed precision (FP16). This script measures the same ratios on this machine.

Run::

    .venv/bin/python benchmarks/bench_training.py                         # preset bench (F=64, N=8), 8×32×32 patch
    .venv/bin/python benchmarks/bench_training.py --preset quick --patch 8,48,48 --batch 4
    .venv/bin/python benchmarks/bench_training.py --device cuda --precisions fp32,fp16,bf16   # on a GPU

It prints a table and the ratios next to the seed's; it asserts nothing. On a shared machine the numbers are noisy.
"""

from __future__ import annotations

import argparse
import json
import platform

import torch

from ctdenoise.models import preset_config
from ctdenoise.training.speed import seconds_per_training_iteration

SEED_RATIOS = {("stresnet", "fp32"): 1.65, ("stresnet", "fp16"): 2.04, ("srresnet", "fp16"): 1.31}


def _triple(text: str) -> tuple[int, int, int]:
    values = tuple(int(part) for part in text.split(","))
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"expected z,y,x, got {text!r}")
    return values  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="bench", help="model preset (tiny, quick, bench, paper)")
    parser.add_argument("--patch", type=_triple, default=(8, 32, 32), help="input patch z,y,x (low-dose grid)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precisions", default="fp32,bf16", help="comma list of fp32, bf16, fp16 (fp16: GPU)")
    parser.add_argument("--channels-last", action="store_true", help="channels_last_3d memory format (default NCDHW)")
    parser.add_argument("--json", dest="json_path", help="also write the results to this JSON file")
    args = parser.parse_args()

    precisions = args.precisions.split(",")
    runs = [("srresnet", p) for p in precisions] + [("stresnet", p) for p in precisions]
    device_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or "cpu"
    print(
        f"preset {args.preset}, patch {args.patch}, batch {args.batch}, device {args.device} ({device_name}), "
        f"{torch.get_num_threads()} threads, {'channels_last_3d' if args.channels_last else 'contiguous'}"
    )
    results = []
    for arch, precision in runs:
        seconds = seconds_per_training_iteration(
            preset_config(args.preset, arch),
            patch_zyx=args.patch,
            batch_size=args.batch,
            precision=precision,
            iterations=args.iterations,
            warmup=args.warmup,
            device=args.device,
            channels_last=args.channels_last,
        )
        results.append({"model": arch, "precision": precision, "seconds_per_iteration": seconds})
        print(f"  {arch:<9} {precision:<5} {seconds:8.3f} s/iteration", flush=True)
    baseline = next(r["seconds_per_iteration"] for r in results if r["model"] == "srresnet")
    print(f"speed-up vs SRResNet {precisions[0]} (seed, GPU, in brackets):")
    for result in results:
        result["speedup_vs_srresnet_fp32"] = baseline / result["seconds_per_iteration"]
        seed = SEED_RATIOS.get((result["model"], result["precision"]))
        seed_text = f"  [seed {seed:.2f}×]" if seed else ""
        print(f"  {result['model']:<9} {result['precision']:<5} {result['speedup_vs_srresnet_fp32']:6.2f}×{seed_text}")
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump(
                {"preset": args.preset, "patch_zyx": args.patch, "device": args.device, "results": results}, handle
            )


if __name__ == "__main__":
    main()
