"""Write the named noise kernels (``ctdenoise simulate --kernel siemens-b70f``) from the real scans in ../shared.

Each is ``ctdenoise noise --json`` of one whole scan (16 slice pairs over its middle 80 %, 24 px ROIs: the CLI's
defaults for ``simulate``) with where it came from: :mod:`ctdenoise.simulate.named_kernel`. Deterministic: the
same shared data gives the same files bit for bit (``tests/simulate/test_named_kernel.py`` checks each).

Run: ``PYTHONPATH=src .venv/bin/python scripts/make_named_kernels.py [--overwrite]`` (about a minute).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from validate_scan_noise import shared_folder

from ctdenoise.io import read_volume, refuse_to_clobber
from ctdenoise.io.atomic import atomic_path
from ctdenoise.simulate.named_kernel import NAMED_KERNELS
from ctdenoise.simulate.scan_noise import measure_scan_noise

#: Slice pairs measured on each whole scan (``ctdenoise simulate --pairs`` default).
PAIRS = 16
CITATION_LIDC = (
    "Armato SG III et al. The Lung Image Database Consortium (LIDC) and Image Database Resource Initiative (IDRI). "
    "Med Phys 38:915-931, 2011; data doi:10.7937/K9/TCIA.2015.LO9QL9SX. Clark K et al. The Cancer Imaging Archive "
    "(TCIA). J Digit Imaging 26:1045-1057, 2013."
)
#: name → (file under shared/data, scanner and kernel, source scan, licence, citation)
SOURCES = {
    "ge-standard": (
        "real-chest-ct/lidc-idri-0001.nii.gz",
        "GE LightSpeed, STANDARD",
        "LIDC-IDRI-0001",
        "CC BY 3.0",
        CITATION_LIDC,
    ),
    "philips-c": (
        "real-chest-ct/itkelastix-chest-00.nii.gz",
        "Philips, C",
        "ITKElastix example data, chest 00",
        "Apache-2.0",
        "ITKElastix example data (InsightSoftwareConsortium/ITKElastix).",
    ),
    "siemens-b70f": (
        "real-chest-ct/cptac-c3n-00247.nii.gz",
        "Siemens, B70f (100 kV)",
        "CPTAC C3N-00247",
        "CC BY (TCIA)",
        "National Cancer Institute Clinical Proteomic Tumor Analysis Consortium (CPTAC), TCIA. Clark K et al. "
        "The Cancer Imaging Archive (TCIA). J Digit Imaging 26:1045-1057, 2013.",
    ),
}


def named_kernel_summary(name: str, shared: Path) -> dict:
    """The record of one named kernel, measured on its source scan under ``shared/data``."""
    relative, scanner_kernel, source_scan, licence, citation = SOURCES[name]
    volume = read_volume(shared / "data" / relative)
    measured = measure_scan_noise(volume, n_slices=PAIRS, source=source_scan)
    return {
        "name": name,
        "scanner_kernel": scanner_kernel,
        "source_scan": source_scan,
        "source_file": relative,
        "licence": licence,
        "citation": citation,
        "made_by": f"scripts/make_named_kernels.py: measure_scan_noise(n_slices={PAIRS}) of shared/data/{relative}",
        **measured.summary(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overwrite", action="store_true", help="replace the files that are there")
    args = parser.parse_args()
    shared = shared_folder()
    folder = Path(__file__).resolve().parents[1] / "src" / "ctdenoise" / "simulate" / "named_kernels"
    for name, file_name in NAMED_KERNELS.items():
        target = folder / file_name
        refuse_to_clobber(target, args.overwrite)
        record = named_kernel_summary(name, shared)
        with atomic_path(target) as temporary:
            temporary.write_text(json.dumps(record, indent=1) + "\n")
        print(
            f"{target}: {record['scanner_kernel']}, σ {record['noise_std_hu']:.1f} HU, NPS peak "
            f"{record['peak_frequency_per_mm']:.3f} mm⁻¹, ρ₁ {record['slice_noise_correlation']}, "
            f"{record['n_rois']} ROIs"
        )


if __name__ == "__main__":
    main()
