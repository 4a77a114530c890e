"""Validate the low-dose simulator at full size and make the full-dose vs simulated-10 % figure of a real scan.

Runs the physics checks of issue 3 (see :mod:`ctdenoise.simulate.validation`) on 512² slices with the full scanner
geometries and prints a table of measured vs expected values; then simulates 10 % dose on a few slices of
LUNG1-001 (../shared/data/lung1-001, 3 mm slices, so no slice averaging) and writes axial PNGs.

Run: ``.venv/bin/python scripts/validate_simulator.py [--png /tmp/sim_lung1.png] [--lung1 DIR]`` (≈ 1–2 min).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from ctdenoise.metrics.nps import nps_from_rois
from ctdenoise.simulate import FluxModel, fit_noise_model, simulate_low_dose
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.scan_noise import FLAT_TISSUE_HU, measure_scan_noise
from ctdenoise.simulate.validation import (
    noise_dose_scaling,
    noise_power_shape,
    projector_error,
    round_trip_rmse_hu,
)

SIZE_PX = 512
PIXEL_MM = 0.977  # 500 mm field of view
CYLINDER_MM = 300.0  # a chest-sized water cylinder


def physics_rows(geometry: FanBeamGeometry, repeats: int) -> list[tuple[str, str, str, bool]]:
    """(check, measured, expected, passed) rows for one scanner geometry."""
    rows = []
    error = projector_error(geometry, SIZE_PX, PIXEL_MM)
    relative = error["relative_l2_error"]
    rows.append(("projector vs exact ellipse integrals (rel. L2)", f"{relative:.4%}", "≤ 1 %", relative <= 0.01))
    rmse = round_trip_rmse_hu(geometry, SIZE_PX, PIXEL_MM)
    rows.append(("noise-free round trip RMSE, flat ≥ 3 px", f"{rmse:.2f} HU", "≤ 3 HU", rmse <= 3.0))
    scaling = noise_dose_scaling(geometry, SIZE_PX, PIXEL_MM, CYLINDER_MM, repeats=repeats)
    inserted, total, bias = scaling["inserted_std"], scaling["total_std"], scaling["bias"]
    for dose in (0.5, 0.25, 0.1):
        rows.append(
            (f"  std at a = {dose:g}: inserted / total", f"{inserted[dose]:.2f} / {total[dose]:.2f} HU", "", True)
        )
    expected_ratios = (  # noise std at dose a relative to a = 0.5
        ("inserted", inserted, "√((1−a)/a)", ((0.25, np.sqrt(3.0)), (0.1, 3.0))),
        ("total", total, "1/√a", ((0.25, np.sqrt(2.0)), (0.1, np.sqrt(5.0)))),
    )
    for name, std, law, expectations in expected_ratios:
        for dose, expected in expectations:
            ratio = std[dose] / std[0.5]
            rows.append(
                (
                    f"{name} std ratio a={dose:g} vs 0.5, {law}",
                    f"{ratio:.3f}",
                    f"{expected:.2f} ± 10 %",
                    abs(ratio / expected - 1) <= 0.1,
                )
            )
    worst_bias = max(bias.values(), key=abs)
    rows.append(("mean bias of inserted noise (worst dose)", f"{worst_bias:+.2f} HU", "≤ 3 HU", abs(worst_bias) <= 3))
    nps = noise_power_shape(geometry, SIZE_PX, PIXEL_MM, CYLINDER_MM, repeats=repeats)
    band_pass = nps["low_over_peak"] < 0.5 and nps["nyquist_over_peak"] < 0.5
    rows.append(
        (
            "NPS: peak freq; low/peak; Nyquist/peak",
            f"{nps['peak_frequency_per_mm']:.2f}/mm; {nps['low_over_peak']:.2f}; {nps['nyquist_over_peak']:.3f}",
            "band-pass: < 0.5, < 0.5",
            band_pass,
        )
    )
    return rows


def print_table(title: str, rows: list[tuple[str, str, str, bool]]) -> None:
    print(f"\n{title}")
    print(f"| {'check':<48} | {'measured':<26} | {'expected':<22} | ok |")
    print(f"|{'-' * 50}|{'-' * 28}|{'-' * 24}|----|")
    for check, measured, expected, passed in rows:
        print(f"| {check:<48} | {measured:<26} | {expected:<22} | {'✓' if passed else '✗'}  |")


def inserted_noise_hu(full_dose_hu: np.ndarray, low_dose_hu: np.ndarray) -> float:
    """Standard deviation of the inserted noise (low − full dose) over tissue in the flat-tissue HU range."""
    tissue = (full_dose_hu > FLAT_TISSUE_HU[0]) & (full_dose_hu < FLAT_TISSUE_HU[1])
    return float(np.std((low_dose_hu - full_dose_hu)[tissue]))


def lung1_figure(lung1_dicom: Path, png: Path) -> None:
    """Simulate 10 % dose on three LUNG1-001 slices (default, and kernel + I0 fitted to the scan) and save panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ctdenoise.io import read_volume

    volume = read_volume(lung1_dicom)
    print(f"\nLUNG1-001: {volume.shape} voxels, spacing {volume.spacing_mm} mm")
    middle = volume.shape[0] // 2
    part = volume.with_array(volume.hu[middle - 1 : middle + 2])  # 3 mm slices: keep them (slice_mm=None)
    start = time.perf_counter()
    model = fit_noise_model(volume, calibrate=True, n_slices=4, source="LUNG1-001")
    calibrated = model.flux
    print(f"calibrated full-dose flux I0 = {calibrated.full_dose_photons:.3g} quanta/ray (default 2e5), {model.note}")
    default = simulate_low_dose(part, 0.1, slice_mm=None, seed=0, progress=False)
    flux = calibrated.for_slices(middle - 1, middle + 2)  # the whole scan's I0 profile, cut to the 3 slices
    matched = simulate_low_dose(part, 0.1, None, seed=0, progress=False, flux=flux, kernel=model.kernel)
    print(f"simulated 2 × 3 slices in {time.perf_counter() - start:.1f} s (including calibration)")
    # On the three slices' own flat ROIs: the scan's noise there, and the inserted noise on the same ROIs.
    here = measure_scan_noise(part, n_slices=2, source="LUNG1-001 middle")
    slices = np.unique(here.rois.slice_index).tolist()
    pixel_mm = (part.spacing_mm[1], part.spacing_mm[2])

    def inserted_on_rois(low: np.ndarray) -> float:
        return nps_from_rois(here.rois.cut({k: low[k] - part.hu[k] for k in slices}), pixel_mm).noise_std_hu

    print(
        f"noise σ on these slices' {len(here.rois)} flat ROIs {here.nps.noise_std_hu:.1f} HU (whole scan "
        f"{model.scan_noise.nps.noise_std_hu:.1f} HU); inserted there: I0 = 2e5 {inserted_on_rois(default.hu):.1f} HU,"
        f" calibrated {inserted_on_rois(matched.hu):.1f} HU, expected ≈ {here.nps.noise_std_hu * 3:.1f} HU "
        f"(σ·√((1−a)/a)); over all their tissue {inserted_noise_hu(part.hu, default.hu):.1f} / "
        f"{inserted_noise_hu(part.hu, matched.hu):.1f} HU"
    )

    panels = [
        ("full dose (B19f, 3 mm)", part.hu[1]),
        ("simulated 10 %, I0 = 2e5", default.hu[1]),
        (f"simulated 10 %, I0 = {calibrated.full_dose_photons:.2g} (calibrated)", matched.hu[1]),
    ]
    windows = [("lung [−1350, 150]", (-1350, 150)), ("soft tissue [−160, 240]", (-160, 240))]
    figure, axes = plt.subplots(len(windows), len(panels), figsize=(5 * len(panels), 5 * len(windows)))
    for row, (window_name, (low, high)) in enumerate(windows):
        for column, (name, image) in enumerate(panels):
            axis = axes[row, column]
            axis.imshow(image, cmap="gray", vmin=low, vmax=high)
            axis.set_title(f"{name}\n{window_name}", fontsize=10)
            axis.axis("off")
    figure.suptitle(f"LUNG1-001 slice {middle}: full dose vs simulated 10 % dose (Siemens geometry)")
    figure.tight_layout()
    figure.savefig(png, dpi=90)
    plt.close(figure)
    print(f"wrote {png}")


def main() -> None:
    repo = Path(__file__).resolve().parents[1]
    shared = Path(os.environ.get("CTDENOISE_SHARED", repo.parent / "shared"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", type=Path, default=Path("/tmp/sim_lung1.png"), help="figure path")
    parser.add_argument("--lung1", type=Path, default=shared / "data" / "lung1-001" / "dicom", help="DICOM folder")
    parser.add_argument("--repeats", type=int, default=2, help="noise realisations per dose")
    parser.add_argument("--skip-lung1", action="store_true", help="only the physics checks")
    args = parser.parse_args()

    all_passed = True
    for name in ("siemens", "ge"):
        start = time.perf_counter()
        geometry = FanBeamGeometry.preset(name)
        rows = physics_rows(geometry, args.repeats)
        all_passed &= all(passed for *_, passed in rows)
        title = f"{name}: {geometry.n_views} views × {geometry.n_channels} channels, {SIZE_PX}² × {PIXEL_MM} mm"
        print_table(f"{title}, {CYLINDER_MM:g} mm water cylinder, I0 = {FluxModel().full_dose_photons:.0e}", rows)
        print(f"({time.perf_counter() - start:.0f} s)")
    if not args.skip_lung1:
        if args.lung1.is_dir():
            lung1_figure(args.lung1, args.png)
        else:
            print(f"\n{args.lung1}: not found, skipping the LUNG1-001 figure")
    print("\nall checks passed" if all_passed else "\nSOME CHECKS FAILED")
    raise SystemExit(0 if all_passed else 1)


if __name__ == "__main__":
    main()
