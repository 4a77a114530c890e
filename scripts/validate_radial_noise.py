"""How a real scan's noise changes from the centre of the field outwards, against the simulator's (issue 13).

Per real scan in ../shared, a 10-slice slab (``--position``, default the middle) is calibrated (kernel matched,
I0 solved) with the scanner preset's bowtie set to each ``--bowties`` value (water-equivalent mm at the fan edge;
the presets have 150). On the slab's flat ROIs, each ROI's noise power in the noise band (≥ 0.08 mm⁻¹, quadratically
detrended periodogram) is taken for the scan's slice-difference noise and for the simulator's full-dose noise at the
calibrated I0 (two draws), and the ratio of their sums is printed per ring of ROI-centre distance from the image
centre (mm; ROI counts in brackets) and for ROIs left/right of the centre (lateral) against above/below it (AP).
A ratio that changes across the rings is noise the simulator puts in the wrong place: one I0 fits the average.

Run: ``PYTHONPATH=src .venv/bin/python scripts/validate_radial_noise.py [--bowties 150 500 1000]``
(about 30 s per scan and bowtie on 2 cores).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
from validate_scan_noise import real_scans, shared_folder, slab_at

from ctdenoise.io import read_volume
from ctdenoise.metrics.nps import detrend_rois
from ctdenoise.simulate import fit_noise_model
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.lowdose import scan_noise_hu, slice_rng
from ctdenoise.simulate.scan_noise import NOISE_BAND_FROM_PER_MM, candidate_residuals

#: Ring edges (mm from the image centre).
RINGS_MM = (0.0, 60.0, 100.0, 140.0, 180.0, 400.0)
SLAB_SLICES = 10


def band_power_from(residuals: np.ndarray, pixel_mm: tuple[float, float], from_per_mm: float) -> np.ndarray:
    """``(n,)`` each detrended ROI's periodogram summed over ``|f| ≥ from_per_mm``."""
    frequency_y = np.fft.fftfreq(residuals.shape[1], d=pixel_mm[0])
    frequency_x = np.fft.fftfreq(residuals.shape[2], d=pixel_mm[1])
    band = np.hypot(frequency_y[:, None], frequency_x[None, :]) >= from_per_mm
    return (np.abs(np.fft.fft2(residuals)) ** 2 * band).sum(axis=(1, 2))


def band_power(residuals: np.ndarray, pixel_mm: tuple[float, float]) -> np.ndarray:
    """``(n,)`` each detrended ROI's periodogram summed over the noise band ``|f| ≥ NOISE_BAND_FROM_PER_MM``."""
    return band_power_from(residuals, pixel_mm, NOISE_BAND_FROM_PER_MM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bowties", type=float, nargs="+", default=[150.0, 500.0, 1000.0], help="edge water mm")
    parser.add_argument("--position", type=float, default=0.5, help="slab centre as a fraction of the scan")
    parser.add_argument("--scans", nargs="+", help="only these scans (labels as in the table)")
    args = parser.parse_args()
    shared = shared_folder()
    scans = list(real_scans(shared, args.scans))
    if not scans:
        raise SystemExit(f"no scan found under {shared / 'data'} (set CTDENOISE_SHARED to the shared data folder)")
    rings = " | ".join(f"{low:.0f}–{high:.0f} mm" for low, high in zip(RINGS_MM[:-1], RINGS_MM[1:], strict=True))
    print(f"| scan | kernel | bowtie (mm water) | I0 | {rings} | lateral | AP |")
    print("|---" * (7 + len(RINGS_MM) - 2) + "|")
    for label, path, geometry, kernel in scans:
        _, slab = slab_at(read_volume(path), args.position, SLAB_SLICES)
        pixel_mm = (slab.spacing_mm[1], slab.spacing_mm[2])
        for bowtie in args.bowties:
            scanner = replace(FanBeamGeometry.preset(geometry), bowtie_edge_water_mm=bowtie)
            model = fit_noise_model(slab, scanner, calibrate=True, n_slices=SLAB_SLICES - 1, source=label)
            rois = model.scan_noise.rois
            scan = band_power(candidate_residuals(slab, rois, model.scan_noise.slice_correlation or 0.0), pixel_mm)
            slices = [int(k) for k in np.unique(rois.slice_index)]
            draws = [
                {
                    k: scan_noise_hu(
                        slab.hu[k], pixel_mm, scanner, model.flux.at_slice(k), slice_rng(100 + draw, k), model.kernel
                    )
                    for k in slices
                }
                for draw in range(2)
            ]
            simulated = np.mean(
                [band_power(detrend_rois(rois.cut(noise), order=2), pixel_mm) for noise in draws], axis=0
            )
            centre = ((slab.shape[1] - 1) / 2.0, (slab.shape[2] - 1) / 2.0)
            y = (rois.top + (rois.roi_px - 1) / 2.0 - centre[0]) * pixel_mm[0]
            x = (rois.left + (rois.roi_px - 1) / 2.0 - centre[1]) * pixel_mm[1]
            radius, lateral = np.hypot(y, x), np.abs(x) > np.abs(y)
            cells = []
            for low, high in zip(RINGS_MM[:-1], RINGS_MM[1:], strict=True):
                ring = (radius >= low) & (radius < high)
                cells.append(
                    f"{scan[ring].sum() / simulated[ring].sum():.2f} ({ring.sum()})" if ring.sum() >= 5 else "–"
                )
            directions = [scan[side].sum() / simulated[side].sum() for side in (lateral, ~lateral)]
            print(
                f"| {label} | {kernel} | {bowtie:g} | {model.flux.full_dose_photons:.3g} | {' | '.join(cells)} | "
                f"{directions[0]:.2f} | {directions[1]:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
