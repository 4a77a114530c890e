"""Train the built-in models on a lent GPU machine that has PyTorch but neither SimpleITK nor the shared folder.

Run here (CPU, with the project installed) to pack the inputs, then on the GPU machine to train:

    python scripts/device_train_builtins.py pack --shared ../shared --out .devicedata
    python scripts/device_train_builtins.py train --data .devicedata --out "$OUT" [--budget-s 540]

``pack`` stores the central slabs of the real training scans (``ctdenoise.builtin.training_data``) as int16
arrays (xz) with their geometry. ``train`` rebuilds the very same training pairs there — the phantom cohort is
generated there, the 10 %-dose partners simulated there with the same seeds — and runs ``ctdenoise.training.train``
with each ``builtin-*`` config (device cuda). Volumes are kept as ``.npz`` because that machine has no SimpleITK: the
only difference from ``ctdenoise train --config builtin-... --pairs pairs-xN.csv`` on a CPU is where it runs.
"""

from __future__ import annotations

import argparse
import io
import json
import lzma
import os
import sys
import tarfile
import time
import types
from pathlib import Path

import numpy as np

# In order of importance: a run is skipped when the time budget is nearly spent.
CONFIGS = (
    "builtin-stresnet-x1",
    "builtin-stresnet-x2",
    "builtin-srresnet-x2",
    "builtin-srresnet-x1",
    "builtin-stresnet-paper-x2",
)


def save_npz(volume, path) -> None:
    np.savez(
        Path(path), hu=volume.hu, spacing_mm=volume.spacing_mm, origin_mm=volume.origin_mm, direction=volume.direction
    )


def load_npz(path):
    from ctdenoise.volume import Volume

    with np.load(path) as data:
        return Volume(data["hu"], tuple(data["spacing_mm"]), tuple(data["origin_mm"]), data["direction"])


def pack(shared: Path, out: Path) -> None:
    from ctdenoise.builtin.training_data import REAL_TRAINING_SCANS, central_slab, real_scan_path
    from ctdenoise.io import read_volume

    out.mkdir(parents=True, exist_ok=True)
    for name in REAL_TRAINING_SCANS:
        volume = central_slab(read_volume(real_scan_path(shared, name)))
        hu = np.clip(np.rint(volume.hu), -32768, 32767).astype(np.int16)
        buffer = io.BytesIO()
        np.savez(buffer, hu=hu, spacing_mm=volume.spacing_mm, origin_mm=volume.origin_mm, direction=volume.direction)
        (out / f"{name}.npz.xz").write_bytes(lzma.compress(buffer.getvalue(), preset=6))
        print(name, volume.shape, (out / f"{name}.npz.xz").stat().st_size / 1e6, "MB")


def _without_simpleitk() -> None:
    """ctdenoise.io imports SimpleITK at import time; this machine reads and writes .npz only."""
    if "SimpleITK" not in sys.modules:
        try:
            import SimpleITK  # noqa: F401
        except ImportError:
            sys.modules["SimpleITK"] = types.ModuleType("SimpleITK")


def train_all(
    data: Path, out: Path, budget_s: float, steps_scale: float, device: str, smoke: bool, only: list[str]
) -> None:
    started = time.time()
    _without_simpleitk()
    import torch

    import ctdenoise.io
    from ctdenoise.builtin import training_data
    from ctdenoise.builtin.training_data import builtin_sources, make_training_pairs
    from ctdenoise.training import load_training_config, train

    ctdenoise.io.read_volume = lambda path, *a, **k: load_npz(path)
    ctdenoise.io.write_volume = lambda volume, path, *a, **k: save_npz(volume, Path(path))
    print("torch", torch.__version__, torch.cuda.get_device_name(0) if device == "cuda" else "cpu", flush=True)

    def read(path):
        name = Path(path).name.removesuffix(".nii.gz")
        return load_npz(io.BytesIO(lzma.decompress((data / f"{name}.npz.xz").read_bytes())))

    training_data.real_scan_path = lambda shared_dir, name: Path(f"{name}.nii.gz")  # packed, see pack()
    if smoke:  # plumbing check on a CPU: tiny slabs, one phantom subject
        training_data.PHANTOM_SUBJECTS, training_data.PHANTOM_SHAPE_ZYX = 2, (16, 96, 96)
        training_data.TRAINING_SLICES, training_data.VAL_SLICES = 16, 4
        real_read = read

        def read(path):
            return real_read(path).with_array(real_read(path).hu[24:40, 100:196, 100:196].copy())

    sources = builtin_sources(Path("packed"), phantoms=True, read=read)
    print(f"sources ready in {time.time() - started:.0f} s: {[(s[0], s[1].shape) for s in sources]}", flush=True)
    pairs_dir = Path("/tmp/builtin-pairs")
    manifests = make_training_pairs(sources, pairs_dir, progress=False, write=save_npz, suffix=".npz")
    print(f"pairs ready in {time.time() - started:.0f} s", flush=True)
    report = {}
    for name in only or CONFIGS:
        elapsed = time.time() - started
        config = load_training_config(name)
        z_scale = 2 if name.endswith("x2") else 1
        steps = max(1, int(config["train"]["steps"] * steps_scale))
        data = {"pairs": str(manifests[z_scale]), "workers": 6 if device == "cuda" else 0}
        if smoke:
            data |= {"patch_zyx": [2, 32, 32], "batch_size": 2}
        config = load_training_config(name, {"data": data, "train": {"device": device, "steps": steps}})
        if report and elapsed > budget_s * 0.8:
            print(f"skip {name}: {elapsed:.0f} s used of {budget_s:.0f}", flush=True)
            continue
        run_dir = Path("/tmp/runs") / name
        t0 = time.time()
        result = train(config, run_dir, progress=False)
        report[name] = {
            "seconds": round(time.time() - t0, 1),
            "steps": steps,
            "seconds_per_iteration": result.seconds_per_iteration,
            "final": result.history[-1] if result.history else None,
        }
        print(name, json.dumps(report[name]), flush=True)
        with tarfile.open(out / f"{name}.tar", "w") as archive:
            for file in ("best.pt", "metrics.csv", "config.yaml"):
                if (run_dir / file).exists():
                    archive.add(run_dir / file, arcname=f"{name}/{file}")
    (out / "report.json").write_text(json.dumps(report, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--shared", type=Path, default=Path(os.environ.get("CTDENOISE_SHARED", "../shared")))
    p.add_argument("--out", type=Path, default=Path(".devicedata"))
    t = sub.add_parser("train")
    t.add_argument("--data", type=Path, default=Path(".devicedata"))
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--budget-s", type=float, default=540.0)
    t.add_argument("--steps-scale", type=float, default=1.0)
    t.add_argument("--device", default="cuda")
    t.add_argument("--only", nargs="*", default=[], choices=CONFIGS, help="train these configs only")
    t.add_argument("--smoke", action="store_true", help="tiny data, for a plumbing check on a CPU")
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.shared, args.out)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        train_all(args.data, args.out, args.budget_s, args.steps_scale, args.device, args.smoke, args.only)


if __name__ == "__main__":
    main()
