"""What real scans and phantoms each contribute to the built-in z×2 model: the same small STResNet trained on
real scans only, on phantoms only and on both, judged on the held-out real scans.

    python scripts/make_builtin_pairs.py --shared ../shared --out builtin-pairs
    python scripts/ablate_builtin_data.py --pairs builtin-pairs --out runs/ablation --shared ../shared \\
        --cache builtin-eval --json benchmarks/results/ablation_data.json

Each arm trains ``scripts/configs/ablate-data-stresnet-x2.yaml`` (same steps, patches and seed) on a subset of
``builtin-pairs/pairs-x2.csv``: the rows of the real scans, of the phantom cohort, or all. Its final weights
(``last.pt``, no checkpoint selection, so no arm is favoured by its own validation set) denoise each held-out
scan's 10 %-dose z×2 case in PyTorch FP32, scored as the model cards are (``ctdenoise.builtin.held_out``; the
cases are simulated once into ``--cache``, the same cache ``build_builtin_models.py evaluate`` uses).
The JSON goes into the model cards (``build_builtin_models.py cards --ablation``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from held_out_runs import add_common_arguments, train_once

ARMS = {
    "real": lambda subject: not subject.startswith("phantom-"),
    "phantom": lambda subject: subject.startswith("phantom-"),
    "both": lambda subject: True,
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
    add_common_arguments(parser, "runs/ablation", "benchmarks/results/ablation_data.json")
    parser.add_argument("--arms", nargs="*", default=list(ARMS))
    parser.add_argument("--steps", type=int, default=None, help="override train.steps (all arms alike)")
    args = parser.parse_args()

    from ctdenoise.builtin.evaluation import gains_db
    from ctdenoise.builtin.held_out import cached_low_dose_cases, score_case
    from ctdenoise.builtin.training_data import HELD_OUT_SCANS, real_scan_path
    from ctdenoise.io import read_volume
    from ctdenoise.training import load_training_config

    results = json.loads(args.json.read_text()) if args.json.exists() else {}
    results["config"] = CONFIG.name
    arms = results.setdefault("arms", {})
    for arm in args.arms:
        overrides = {"data": {"pairs": str(arm_manifest(args.pairs, arm))}}
        if args.steps:
            overrides["train"] = {"steps": args.steps}
        config = load_training_config(CONFIG, overrides)
        train_s = train_once(config, args.out / arm, arms.get(arm, {}).get("train_s"))
        arms[arm] = {"train_s": train_s, "steps": config["train"]["steps"], "scans": {}}
    models = {arm: (args.out / arm / "last.pt", "fp32", "torch") for arm in args.arms}
    for scan in HELD_OUT_SCANS:
        read_full = lambda scan=scan: read_volume(real_scan_path(args.shared, scan))  # noqa: E731
        low, reference = cached_low_dose_cases(read_full, args.cache, scan)[2]
        case = score_case(low, reference, models)  # the input and the best Gaussian once, then every arm
        results.setdefault("baselines", {})[scan] = {key: case[key] for key in ("input", "best_gaussian")}
        for arm in args.arms:
            scores = {**case[arm], "gain_vs_input_db": gains_db(case, arm)[0]}
            arms[arm]["scans"][scan] = scores
            print(arm, scan, json.dumps(scores), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
