"""Make the built-in models' training pairs from the shared data folder (see ``ctdenoise.builtin.training_data``).

    python scripts/make_builtin_pairs.py --shared ../shared --out builtin-pairs [--no-phantoms]

Writes ``<subject>/{full_dose,low_dose_x1,low_dose_x2}.nii.gz`` and ``pairs-x1.csv`` / ``pairs-x2.csv`` for
``ctdenoise train --config builtin-<arch>-x<N> --pairs builtin-pairs/pairs-x<N>.csv``. About 480 slices are
simulated (≈ 0.65 CPU-s each).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ctdenoise.builtin.training_data import builtin_sources, make_training_pairs
from ctdenoise.errors import CtDenoiseError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("CTDENOISE_SHARED", "../shared")))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-phantoms", action="store_true", help="real scans only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        print(f"error: {args.out}: not empty; choose another --out", file=sys.stderr)
        return 2
    try:
        sources = builtin_sources(args.shared, phantoms=not args.no_phantoms)
        manifests = make_training_pairs(sources, args.out, seed=args.seed)
    except CtDenoiseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for z_scale, path in manifests.items():
        print(f"z×{z_scale}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
