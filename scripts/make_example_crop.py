"""Make the example data that ships in the package (``src/ctdenoise/examples/``) from the shared data folder.

    python scripts/make_example_crop.py --shared ../shared

A crop of LIDC-IDRI-0003 (GE LightSpeed, STANDARD kernel, 2.5 mm slices; CC BY 3.0) around its three nodules:
the full-dose crop, its 10 %-dose partner (simulated on the whole slices, seed 0, then cropped, so the noise is
that of the whole body in the beam) and the 50 %-consensus nodule labels. This scan is held out of the built-in
models' training, so the example shows them on a patient they never saw.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ctdenoise.builtin.training_data import real_scan_path
from ctdenoise.io import read_volume
from ctdenoise.io.itk_formats import write_itk_volume
from ctdenoise.simulate import simulate_low_dose

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "ctdenoise" / "examples"
SCAN = "lidc-idri-0003"
SLICES, ROWS, COLUMNS = (44, 68), (95, 319), (200, 424)


def crop(volume, start_zyx, stop_zyx):
    """The box ``start…stop`` (z, y, x) of ``volume`` with its origin moved to the box's first voxel."""
    origin = volume.index_to_lps(np.asarray(start_zyx, dtype=float))
    box = tuple(slice(a, b) for a, b in zip(start_zyx, stop_zyx, strict=True))
    return volume.with_array(volume.hu[box].copy(), origin_mm=tuple(origin))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("CTDENOISE_SHARED", "../shared")))
    args = parser.parse_args()
    full = read_volume(real_scan_path(args.shared, SCAN))
    nodules = read_volume(real_scan_path(args.shared, SCAN).with_name(f"{SCAN}-nodules.nii.gz"))
    low = simulate_low_dose(full.slab(*SLICES), 0.1, slice_mm=None, seed=0)
    start, stop = (0, ROWS[0], COLUMNS[0]), (SLICES[1] - SLICES[0], ROWS[1], COLUMNS[1])
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    for volume, name in (
        (crop(full.slab(*SLICES), start, stop), "full_dose"),
        (crop(low, start, stop), "low_dose_10pct"),
        (crop(nodules.slab(*SLICES), start, stop), "nodules"),
    ):
        pixel_type = sitk.sitkUInt8 if name == "nodules" else sitk.sitkInt16
        volume = volume.with_array(np.clip(np.rint(volume.hu), -1024, 3071))  # int16 HU; padding → air
        write_itk_volume(volume, EXAMPLES / f"{SCAN}-crop-{name}.nii.gz", pixel_type)
        print(name, volume.shape, (EXAMPLES / f"{SCAN}-crop-{name}.nii.gz").stat().st_size / 1e6, "MB")


if __name__ == "__main__":
    main()
