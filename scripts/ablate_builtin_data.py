"""What real scans and phantoms each contribute to the built-in z×2 model: the same small STResNet trained on
real scans only, on phantoms only and on both, judged on the held-out real scans.

    python scripts/make_builtin_pairs.py --shared ../shared --out builtin-pairs
    python scripts/build_builtin_models.py evaluate --cases-only --shared ../shared --cache builtin-eval
    python scripts/ablate_builtin_data.py --pairs builtin-pairs --out runs/ablation --cache builtin-eval \\
        --json benchmarks/results/ablation_data.json

Each arm trains ``scripts/configs/ablate-data-stresnet-x2.yaml`` (same steps, patches and seed) on a subset of
``builtin-pairs/pairs-x2.csv``: the rows of the real scans, of the phantom cohort, or all. Its final weights
(``last.pt``, no checkpoint selection, so no arm is favoured by its own validation set) denoise each held-out
scan's 10 %-dose z×2 case in PyTorch FP32, scored as the model cards are (``ctdenoise.builtin.evaluation``).
The JSON goes into the model cards (``build_builtin_models.py cards --ablation``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ARMS = {
    "real": lambda subject: not subject.startswith("phantom-"),
    "phantom": lambda s: s.startswith("phantom-"),
    "both": lambda s: True,
}
CONFIG = Path(__file__).parent / "configs" / "ablate-data-stresnet-x2.yaml"


def arm_manifest(pairs_dir: Path, arm: str) -> Path:
    """``pairs-x2-<arm>.csv`` beside ``pairs-x2.csv`` (so its relative paths still resolve): that arm's rows."""
    source = pairs_dir / "pairs-x2.csv"
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept = [row for row in rows if ARMS[arm](row["subject_id"])]
    target = pairs_dir / f"pairs-x2-{arm}.csv"
    with target.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=Path("builtin-pairs"))
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"))
    parser.add_argument(
        "--cache", type=Path, default=Path("builtin-eval"), help="held-out cases (evaluate --cases-only)"
    )
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/ablation_data.json"))
    parser.add_argument("--arms", nargs="*", default=list(ARMS))
    parser.add_argument("--steps", type=int, default=None, help="override train.steps (all arms alike)")
    args = parser.parse_args()

    from ctdenoise.builtin.evaluation import best_gaussian, body_mask, score
    from ctdenoise.builtin.training_data import HELD_OUT_SCANS
    from ctdenoise.inference import denoise_volume
    from ctdenoise.io import read_volume
    from ctdenoise.radiomics.grid import resample_to_grid
    from ctdenoise.training import load_training_config, train

    results = json.loads(args.json.read_text()) if args.json.exists() else {}
    results.setdefault("config", CONFIG.name)
    for arm in args.arms:
        overrides = {"data": {"pairs": str(arm_manifest(args.pairs, arm))}}
        if args.steps:
            overrides["train"] = {"steps": args.steps}
        config = load_training_config(CONFIG, overrides)
        run_dir = args.out / arm
        started = time.time()
        if not (run_dir / "last.pt").exists():
            train(config, run_dir, progress=False)
        train_s = time.time() - started
        arm_result = {"train_s": round(train_s, 1), "steps": config["train"]["steps"], "scans": {}}
        for scan in HELD_OUT_SCANS:
            low = read_volume(args.cache / f"{scan}-low-x2.nii.gz")
            reference = read_volume(args.cache / f"{scan}-full.nii.gz")
            body = body_mask(reference)
            on_grid = resample_to_grid(low, reference, linear=True)
            entry = results.setdefault("baselines", {}).get(scan)
            if entry is None:
                sigma_mm, gaussian = best_gaussian(on_grid, reference, body)
                entry = {"input": score(on_grid, reference, body), "best_gaussian": {**gaussian, "sigma_mm": sigma_mm}}
                results["baselines"][scan] = entry
            pred = denoise_volume(low, run_dir / "last.pt", precision="fp32", runtime="torch", progress=False)
            pred = reference.with_array(pred.hu[: reference.shape[0]])
            scores = score(pred, reference, body)
            scores["gain_vs_input_db"] = scores["psnr_body_db"] - entry["input"]["psnr_body_db"]
            arm_result["scans"][scan] = scores
            print(arm, scan, json.dumps(scores), flush=True)
        results.setdefault("arms", {})[arm] = arm_result
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
