"""How much a whole scan's calibrated I0 depends on how strict the flat-ROI structure test is (issue 13).

An ROI counts as flat tissue when its σ and its low-frequency power fraction stay within
``scan_noise.STRUCTURE_FACTOR`` (1.3) × their mode. A stricter test keeps fewer ROIs, with less anatomy left in
them (and the ROI-choice bootstrap, ``ctdenoise.simulate.selection_bias``, removes what it does to the noise
itself). What anatomy the kept ROIs still hold adds power where smooth kernels have theirs (the first radial NPS
bins), which raises the kernel's level (``|T|²`` extrapolated to zero frequency, where ``T`` is normalised to 1)
and so lowers I0; so I0's change with the factor
measures the systematic uncertainty that anatomy leaves in the absolute I0, beyond the self-consistency checks
(which compare two calibrations that share it).

Per scan: each factor's kept ROIs, σ and NPS peak of the scan's own noise, and the calibrated scan-level I0, as
``ctdenoise simulate --calibrate`` runs it (16 slice pairs, kernel matched to the scan, the scan's geometry); ``s``
is the wall time of that calibration. Reads ``$CTDENOISE_SHARED``, else ``shared`` beside the repository.

Run: ``cd scripts && CTDENOISE_SHARED=../../shared PYTHONPATH=../src ../.venv/bin/python
structure_factor_sensitivity.py`` (1–2 minutes of wall time on 2 cores per scan and factor, about 20 minutes for
the default five scans × three factors).
"""

from __future__ import annotations

import argparse
import importlib
import time

from validate_scan_noise import SCANS, real_scans, shared_folder

from ctdenoise.io import read_volume
from ctdenoise.simulate import fit_noise_model

# ``ctdenoise.simulate.scan_noise`` the attribute is a function; the module holds the factor the test reads.
scan_noise_module = importlib.import_module("ctdenoise.simulate.scan_noise")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--factors",
        type=float,
        nargs="+",
        default=[1.2, 1.3, 1.5],
        help="structure factors (include the shipped one for the last ratio column)",
    )
    parser.add_argument("--pairs", type=int, default=16, help="slice pairs each calibration measures on")
    parser.add_argument("--scans", nargs="+", choices=[scan[0] for scan in SCANS], help="only these scans")
    args = parser.parse_args()
    shipped = scan_noise_module.STRUCTURE_FACTOR
    print(
        "| scan | structure factor | ROIs kept | σ scan (HU) | NPS peak (mm⁻¹) | I0 (quanta/ray) "
        f"| I0 / I0 at {shipped:g} | s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    # The shipped factor first, so every later row can be printed (and kept) as soon as it is measured.
    factors = sorted(args.factors, key=lambda factor: factor != shipped)
    for label, path, geometry, _ in real_scans(shared_folder(), args.scans):
        volume = read_volume(path)
        default_photons = None
        try:
            for factor in factors:
                scan_noise_module.STRUCTURE_FACTOR = factor
                start = time.perf_counter()
                model = fit_noise_model(volume, geometry, calibrate=True, n_slices=args.pairs, source=label)
                seconds = time.perf_counter() - start
                photons = model.flux.full_dose_photons
                if factor == shipped:
                    default_photons = photons
                relative = f"{photons / default_photons:.2f}" if default_photons else "–"
                nps = model.scan_noise.nps
                print(
                    f"| {label} | {factor:g} | {nps.n_rois} | {nps.noise_std_hu:.1f} | "
                    f"{nps.peak_frequency_per_mm:.3f} | {photons:.3g} | {relative} | {seconds:.0f} |",
                    flush=True,
                )
        finally:
            scan_noise_module.STRUCTURE_FACTOR = shipped


if __name__ == "__main__":
    main()
