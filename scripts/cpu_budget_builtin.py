"""What issue 12's CPU budget (all built-ins trained in about 2 hours of this 2-core CPU) costs in quality: networks
trained in about 30 minutes each here, judged on the held-out real scans next to the GPU-trained built-ins.

    python scripts/make_builtin_pairs.py --shared ../shared --out builtin-pairs
    python scripts/cpu_budget_builtin.py --pairs builtin-pairs --out runs/cpu-budget --shared ../shared \\
        --cache builtin-eval --json benchmarks/results/cpu_budget.json

Each ``scripts/configs/cpu-budget-*.yaml`` (default: all) trains on ``builtin-pairs/pairs-x<z>.csv`` (its z scale;
or the manifest its ``data.pairs`` names in ``--pairs``, e.g. distillation targets from
``scripts/make_distillation_pairs.py``) on the CPU, timed by the wall clock (a run already in ``--out`` keeps its recorded time). Its final weights
(``last.pt``) denoise each held-out scan's 10 %-dose case of that z scale in PyTorch FP32, scored as the model
cards are (``ctdenoise.builtin.held_out``); the GPU-trained built-in of the same task (``stresnet-x<z>``, FP32)
is read from its ``card.json``, scored the same way on the same cached cases. The JSON goes into the model cards
(``build_builtin_models.py cards --cpu-budget``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml
from held_out_runs import add_common_arguments, train_once

CONFIGS = sorted((Path(__file__).parent / "configs").glob("cpu-budget-*.yaml"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, "runs/cpu-budget", "benchmarks/results/cpu_budget.json")
    parser.add_argument("--configs", nargs="*", type=Path, default=CONFIGS)
    args = parser.parse_args()

    from ctdenoise.builtin.catalog import BUILTIN_MODELS_DIR
    from ctdenoise.builtin.evaluation import gains_db
    from ctdenoise.builtin.held_out import cached_low_dose_cases, score_case
    from ctdenoise.builtin.training_data import HELD_OUT_SCANS, real_scan_path
    from ctdenoise.io import read_volume
    from ctdenoise.models import macs_per_output_voxel
    from ctdenoise.training import load_training_config
    from ctdenoise.training.config import model_config

    results = json.loads(args.json.read_text()) if args.json.exists() else {}
    runs = results.setdefault("runs", {})
    for path in args.configs:
        name = path.stem
        own = load_training_config(path, {"data": {"pairs": "unused.csv"}})
        z_scale = int(own["model"]["z_scale"])
        # The config's own manifest (e.g. distillation targets, make_distillation_pairs.py), else its z scale's.
        pairs = yaml.safe_load(path.read_text())["data"].get("pairs") or f"pairs-x{z_scale}.csv"
        config = load_training_config(path, {"data": {"pairs": str(args.pairs / pairs)}})
        run_dir = args.out / name
        train_s = train_once(config, run_dir, runs.get(name, {}).get("train_s"))
        builtin = f"stresnet-x{z_scale}"
        card = json.loads((BUILTIN_MODELS_DIR / builtin / "card.json").read_text())
        runs[name] = {
            "z_scale": z_scale,
            "model": dict(config["model"]),
            "macs_per_output_voxel": macs_per_output_voxel(model_config(config), inference=True),
            "steps": config["train"]["steps"],
            "batch_size": config["data"]["batch_size"],
            "patch_zyx": config["data"]["patch_zyx"],
            "precision": config["train"]["precision"],
            "train_s": train_s,
            "builtin": builtin,
            "scans": {},
        }
        model = run_dir / "last.pt"
        for scan in HELD_OUT_SCANS:
            read_full = lambda scan=scan: read_volume(real_scan_path(args.shared, scan))  # noqa: E731
            low, reference = cached_low_dose_cases(read_full, args.cache, scan)[z_scale]
            case = score_case(low, reference, {name: (model, "fp32", "torch")})
            shipped = card["held_out"][f"{scan}-x{z_scale}"][f"{builtin}-fp32"]
            case[builtin] = shipped
            scores = {
                "input": case["input"],
                "best_gaussian": case["best_gaussian"],
                "cpu_budget": {**case[name], "gain_vs_input_db": gains_db(case, name)[0]},
                "builtin_gpu": {**shipped, "gain_vs_input_db": gains_db(case, builtin)[0]},
            }
            runs[name]["scans"][scan] = scores
            print(
                f"{name} on {scan} z×{z_scale}: body PSNR {scores['cpu_budget']['psnr_body_db']:.2f} dB "
                f"(GPU-trained {builtin} {shipped['psnr_body_db']:.2f}, input {case['input']['psnr_body_db']:.2f})",
                flush=True,
            )
        args.json.parent.mkdir(parents=True, exist_ok=True)
        partial = args.json.with_suffix(".json.partial")  # every config's results: never half-written
        partial.write_text(json.dumps(results, indent=1) + "\n")
        partial.replace(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
