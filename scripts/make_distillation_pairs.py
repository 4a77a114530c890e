"""Distillation targets for a small built-in: a shipped built-in (the teacher) denoises every training input, and
a pairs manifest trains on its outputs instead of the full-dose scans (issue 12: "distil from a larger teacher").

    python scripts/make_distillation_pairs.py --pairs builtin-pairs --teacher stresnet-x2

For each ``train`` row of ``<pairs>/pairs-x<z>.csv`` (z from the teacher), the teacher's FP32 (OpenVINO) output on
the row's low-dose input is written beside it as ``teacher_<teacher>.nii.gz``, on the full-dose grid, and
``<pairs>/pairs-x<z>-distilled-<teacher>.csv`` lists it as the row's target. Validation rows keep the real
full-dose target, so validation PSNR still measures agreement with the real scan. A config names the manifest in
``data.pairs`` (a file in ``--pairs``; ``scripts/cpu_budget_builtin.py`` resolves it there), e.g.
``scripts/configs/cpu-budget-stresnet16-x2-distilled.yaml``. Teacher outputs already there are reused: after
rebuilding the pairs or the teacher, give ``--overwrite``.

The teacher's output has no full-dose noise of its own, so the student's L2 loss no longer spends its steps
averaging that noise away; what the teacher gets wrong, the student learns too.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=Path("builtin-pairs"))
    parser.add_argument("--teacher", default="stresnet-x2", help="a built-in model name")
    parser.add_argument("--overwrite", action="store_true", help="remake teacher outputs already there")
    args = parser.parse_args()

    from ctdenoise.builtin.catalog import BUILTIN_MODELS_DIR
    from ctdenoise.inference import denoise_volume, load_inference_model
    from ctdenoise.io import read_volume, write_volume

    folder = BUILTIN_MODELS_DIR / args.teacher
    teacher = load_inference_model(folder)
    manifest = args.pairs / f"pairs-x{teacher.z_scale}.csv"
    with manifest.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    target_name = f"teacher_{args.teacher}.nii.gz"
    for row in rows:
        if row["split"] != "train":
            continue
        target = Path(row["full_dose"]).parent / target_name
        path = args.pairs / target
        if args.overwrite or not path.exists():
            low = read_volume(args.pairs / row["low_dose"])
            full = read_volume(args.pairs / row["full_dose"])
            output = denoise_volume(low, teacher, "fp32", "openvino", progress=False)
            write_volume(full.with_array(output.hu[: full.shape[0]]), path, overwrite=args.overwrite)
            print(f"{row['subject_id']}: {path}", flush=True)
        row["full_dose"] = str(target)
    out = args.pairs / f"pairs-x{teacher.z_scale}-distilled-{args.teacher}.csv"
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
