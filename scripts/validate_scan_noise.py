"""Validate kernel-matched noise insertion and I0 calibration on every real scan in ../shared (issue 13).

Per scan and per position (``--positions``: where along the scan each slab is centred, as a fraction of its slices
from the first; 0.5 = the middle, the default; in the five scans here the first slice is the most inferior, so
``0.1 0.5 0.9`` covers the lung bases with the liver dome, the mediastinum and the upper chest) — a contiguous slab of ``--slices`` slices, full in-plane size, full scanner geometry:

1. measure the scan's own noise on flat ROIs (σ, NPS; :mod:`ctdenoise.simulate.scan_noise`);
2. fit the noise kernel and calibrate I0 (:func:`ctdenoise.simulate.calibrate.fit_noise_model`);
3. simulate 25 % dose with them; the inserted noise (simulated − scan; pooled with ``--realisations`` − 1 more
   realisations of it, default 3 in all: one draw's NPS peak scatters by up to 10 % on a flat-topped NPS) is
   measured on the same ROIs: its σ, NPS
   peak frequency (:attr:`NoisePowerSpectrum.peak_frequency_per_mm`: the top of the zero-padded NPS), mean
   frequency and NPS-shape correlation with the scan's (targets: correlation ≥ 0.95, peak error ≤ 10 %);
   the simulator's standard kernel is shown for comparison (what ``simulate`` did before);
4. calibrate the simulated scan again, with the original's kernel (the reconstruction kernel does not change
   with dose) and with a kernel fitted anew to the simulated scan: its I0 over the original's should be 0.25
   within 10 % both ways.

Prints a Markdown table and writes the NPS curves (scan vs inserted) to ``--png``.

Run: ``PYTHONPATH=src .venv/bin/python scripts/validate_scan_noise.py [--slices 6] [--png docs/simulate_nps.png]``
(≈ 30 simulated 512² slices per scan, a few CPU-minutes in all).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ctdenoise.io import read_volume
from ctdenoise.metrics.nps import nps_from_rois, nps_shape_correlation
from ctdenoise.simulate import (
    STANDARD_KERNEL,
    FanBeamGeometry,
    FluxModel,
    NoiseKernel,
    fit_noise_model,
    simulate_low_dose,
)
from ctdenoise.simulate.lowdose import low_dose_noise_hu, slice_rng
from ctdenoise.simulate.noise_kernel import correlate_slices
from ctdenoise.simulate.nps_plot import save_nps_plot
from ctdenoise.volume import Volume

DOSE_FRACTION = 0.25
#: (label, path under shared/data, scanner geometry preset, kernel as documented with the data)
SCANS = [
    ("LIDC-IDRI-0001", "real-chest-ct/lidc-idri-0001.nii.gz", "ge", "GE STANDARD"),
    ("LIDC-IDRI-0003", "real-chest-ct/lidc-idri-0003.nii.gz", "ge", "GE STANDARD"),
    ("ITKElastix chest", "real-chest-ct/itkelastix-chest-00.nii.gz", "siemens", "Philips C"),
    ("CPTAC C3N-00247", "real-chest-ct/cptac-c3n-00247.nii.gz", "siemens", "Siemens B70f"),
    ("LUNG1-001", "lung1-001/dicom", "siemens", "Siemens B19f"),
]


def shared_folder() -> Path:
    """The shared data folder: ``$CTDENOISE_SHARED``, else ``shared`` beside the repository."""
    return Path(os.environ.get("CTDENOISE_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def real_scans(shared: Path, only: list[str] | None = None) -> Iterator[tuple[str, Path, str, str]]:
    """``(label, path, geometry, kernel)`` of each of :data:`SCANS` under ``shared/data`` (those in ``only`` if
    given); a missing one is said and skipped."""
    for label, relative, geometry, kernel in SCANS:
        if only and label not in only:
            continue
        path = shared / "data" / relative
        if not path.exists():
            print(f"{path}: not found, skipped")
            continue
        yield label, path, geometry, kernel


def inserted_noise(
    volume: Volume, flux: FluxModel, kernel: NoiseKernel, geometry: str, seed: int, slices: list[int]
) -> dict[int, np.ndarray]:
    """The 25 % dose's inserted noise (HU) on ``slices`` of ``volume`` with ``kernel``, each slice at its own flux
    and random stream of ``seed`` and mixed with its neighbours' draws by the kernel's slice correlation, exactly as
    ``simulate_low_dose`` makes it (padding excepted: these slices are compared on flat tissue only)."""
    scanner = FanBeamGeometry.preset(geometry)
    pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
    reach = 1 if kernel.slice_correlation else 0  # the filter along z reads one neighbour on each side
    drawn = sorted({j for k in slices for j in range(k - reach, k + reach + 1) if 0 <= j < volume.shape[0]})
    draws = {
        j: low_dose_noise_hu(
            volume.hu[j], pixel_mm, DOSE_FRACTION, scanner, flux.at_slice(j), slice_rng(seed, j), kernel
        )
        for j in drawn
    }
    result = {}
    for k in slices:
        block = [j for j in (k - 1, k, k + 1) if j in draws] if reach else [k]
        # A block ending where the volume ends has the one-neighbour weights there, as in the whole volume.
        mixed = correlate_slices(np.stack([draws[j] for j in block]), kernel.slice_correlation)
        result[k] = mixed[block.index(k)]
    return result


def slab_at(volume: Volume, position: float, n_slices: int) -> tuple[int, Volume]:
    """``(first slice, slab)``: ``n_slices`` contiguous slices centred at ``position`` (fraction of the scan)."""
    first = int(np.clip(int(position * volume.shape[0]) - n_slices // 2, 0, volume.shape[0] - n_slices))
    return first, volume.slab(first, first + n_slices)


def validate_scan(
    label: str, volume: Volume, geometry: str, n_slices: int, position: float, realisations: int = 1
) -> tuple[dict, dict]:
    """One table row and the plot curves for the slab of one scan centred at ``position`` (fraction of its slices);
    the inserted noise's NPS pools ``realisations`` noise realisations (seeds 0, 1, …; seed 0 is the simulated
    25 % slab that is calibrated again)."""
    start = time.perf_counter()
    first, slab = slab_at(volume, position, n_slices)
    pixel_mm = (slab.spacing_mm[1], slab.spacing_mm[2])
    model = fit_noise_model(slab, geometry, calibrate=True, n_slices=n_slices - 1, source=label)
    low = simulate_low_dose(
        slab, DOSE_FRACTION, None, 0, geometry, progress=False, flux=model.flux, source=label, kernel=model.kernel
    )
    rois, scan_nps = model.scan_noise.rois, model.scan_noise.nps
    slices = np.unique(rois.slice_index).tolist()

    def inserted_rois(seed: int, kernel: NoiseKernel) -> np.ndarray:
        """The ROIs of the 25 % dose's inserted noise with ``kernel``, drawn with ``seed``, on the ROI slices."""
        return rois.cut(inserted_noise(slab, model.flux, kernel, geometry, seed, slices))

    noise = [rois.cut({k: low.hu[k] - slab.hu[k] for k in slices})]
    # More realisations of the same noise: its NPS, not one draw's.
    noise += [inserted_rois(seed, model.kernel) for seed in range(1, realisations)]
    inserted = nps_from_rois(np.concatenate(noise), pixel_mm)
    standard = nps_from_rois(inserted_rois(0, STANDARD_KERNEL), pixel_mm)
    # Calibrate the 25 % scan again, with the kernel of the original (a property of the reconstruction, not of
    # the dose) and with a kernel fitted anew to the 25 % scan itself.
    again_kernel = fit_noise_model(
        low, geometry, model.kernel, calibrate=True, n_slices=n_slices - 1, source=f"{label} at 25 %"
    )
    again = fit_noise_model(low, geometry, calibrate=True, n_slices=n_slices - 1, source=f"{label} at 25 %")
    scan_peak, inserted_peak = scan_nps.peak_frequency_per_mm, inserted.peak_frequency_per_mm
    row = {
        "scan": label,
        "slices": f"{first}–{first + n_slices - 1}",
        "rois": len(rois),
        "sigma_scan": scan_nps.noise_std_hu,
        "sigma_inserted": inserted.noise_std_hu,
        "peak_scan": scan_peak,
        "peak_inserted": inserted_peak,
        "peak_error": abs(inserted_peak / scan_peak - 1.0),
        "mean_scan": scan_nps.mean_frequency_per_mm,
        "mean_inserted": inserted.mean_frequency_per_mm,
        "correlation": nps_shape_correlation(scan_nps, inserted),
        "correlation_standard": nps_shape_correlation(scan_nps, standard),
        "i0": model.flux.full_dose_photons,
        "ratio": again_kernel.flux.full_dose_photons / model.flux.full_dose_photons,
        "ratio_refit": again.flux.full_dose_photons / model.flux.full_dose_photons,
        "seconds": time.perf_counter() - start,
    }
    curves = {"scan's own": scan_nps, "inserted, matched": inserted, "inserted, standard kernel": standard}
    return row, curves


def print_table(rows: list[dict], kernels: dict[str, str]) -> None:
    print(
        "\n| scan | kernel | slices | ROIs | σ scan (HU) | σ inserted 25 % (HU) | NPS peak scan / inserted (mm⁻¹) | peak error "
        "| NPS mean freq. scan / inserted (mm⁻¹) | NPS corr. matched (standard) | I0 (quanta/ray) "
        "| I0 at 25 % / I0 (kernel refitted) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['scan']} | {kernels[row['scan']]} | {row['slices']} | {row['rois']} | {row['sigma_scan']:.1f} | "
            f"{row['sigma_inserted']:.1f} | {row['peak_scan']:.3f} / {row['peak_inserted']:.3f} | "
            f"{row['peak_error']:.1%} | {row['mean_scan']:.3f} / {row['mean_inserted']:.3f} | "
            f"{row['correlation']:.3f} ({row['correlation_standard']:.3f}) | "
            f"{row['i0']:.3g} | {row['ratio']:.3f} ({row['ratio_refit']:.3f}) |"
        )


def main() -> None:
    shared = shared_folder()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=6, help="contiguous slices per scan (≥ 2)")
    parser.add_argument(
        "--positions", type=float, nargs="+", default=[0.5], help="slab centres as fractions of the scan (0.5: middle)"
    )
    parser.add_argument("--png", type=Path, default=Path("/tmp/simulate_nps.png"), help="NPS figure path")
    parser.add_argument("--overwrite", action="store_true", help="replace --png")
    parser.add_argument("--scans", nargs="+", help="only these scans (labels as in the table, e.g. LUNG1-001)")
    parser.add_argument("--json", type=Path, help="also write the table's rows here")
    parser.add_argument(
        "--realisations", type=int, default=3, help="noise realisations pooled for the inserted noise's NPS (≥ 1)"
    )
    args = parser.parse_args()

    rows, panels, kernels = [], {}, {}
    for label, path, geometry, kernel in real_scans(shared, args.scans):
        volume = read_volume(path)
        kernels[label] = kernel
        for position in args.positions:
            row, curves = validate_scan(label, volume, geometry, args.slices, position, args.realisations)
            rows.append(row)
            if position == args.positions[0]:
                panels[f"{label} ({kernel}), normalised NPS"] = curves
            print(f"{label} slices {row['slices']}: done in {row['seconds']:.0f} s", flush=True)
    if not rows:
        raise SystemExit(
            f"no scan validated: none of {args.scans or 'the scans'} found (labels: {[s[0] for s in SCANS]})"
        )
    print_table(rows, kernels)
    passed = all(
        row["correlation"] >= 0.95
        and row["peak_error"] <= 0.10
        and abs(row["ratio"] / DOSE_FRACTION - 1) <= 0.10
        and abs(row["ratio_refit"] / DOSE_FRACTION - 1) <= 0.10
        for row in rows
    )
    if args.json:
        args.json.write_text(json.dumps({"slices": args.slices, "rows": rows}, indent=1) + "\n")
    save_nps_plot(panels, args.png, normalized=True, overwrite=args.overwrite)
    print(f"\nwrote {args.png}")
    print("all targets met" if passed else "SOME TARGETS MISSED")
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
