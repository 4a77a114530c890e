"""How a real scan's noise changes from the centre of the field outwards, against the simulator's (issue 13).

Per real scan in ../shared, a 10-slice slab (``--position``, default the middle) is calibrated (kernel matched,
I0 solved) with the scanner preset's bowtie set to each ``--bowties`` value (water-equivalent mm at the fan edge;
the presets have 150). On the slab's flat ROIs, each ROI's noise power in the noise band (≥ 0.08 mm⁻¹, quadratically
detrended periodogram) is taken for the scan's slice-difference noise and for the simulator's full-dose noise at the
calibrated I0 (two draws), and the ratio of their sums is printed per ring of ROI-centre distance from the image
centre (mm; ROI counts in brackets) and for ROIs left/right of the centre (lateral) against above/below it (AP).
A ratio that changes across the rings is noise the simulator puts in the wrong place: one I0 fits the average.

Run: ``PYTHONPATH=src .venv/bin/python scripts/validate_radial_noise.py [--bowties 150 500 1000]``
(about a minute per scan and bowtie on 2 cores). With ``--whole-scan`` each whole scan is calibrated as
``ctdenoise simulate --calibrate`` does (``--pairs`` 16 over its middle 80 %, I0 along z, the preset's bowtie) and
its ROIs are split into the odd and the even pairs along z, one row each (3–4 minutes per scan).
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
from ctdenoise.volume import Volume

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


def noise_powers(volume: Volume, scanner: FanBeamGeometry, n_pairs: int, label: str):
    """Calibrate ``volume`` (kernel, I0, and I0 along z when the pairs span enough) and return
    ``(model, scan power, simulated power)``: each flat ROI's noise-band power of the scan's one-slice noise and of
    the simulator's full-dose noise at the calibrated flux of its slice (mean of two draws)."""
    pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
    model = fit_noise_model(volume, scanner, calibrate=True, n_slices=n_pairs, source=label)
    rois = model.scan_noise.rois
    scan = band_power(candidate_residuals(volume, rois, model.scan_noise.slice_correlation or 0.0), pixel_mm)
    slices = [int(k) for k in np.unique(rois.slice_index)]
    draws = [
        {
            k: scan_noise_hu(
                volume.hu[k], pixel_mm, scanner, model.flux.at_slice(k), slice_rng(100 + draw, k), model.kernel
            )
            for k in slices
        }
        for draw in range(2)
    ]
    simulated = np.mean([band_power(detrend_rois(rois.cut(noise), order=2), pixel_mm) for noise in draws], axis=0)
    return model, scan, simulated


def ring_cells(volume: Volume, rois, scan: np.ndarray, simulated: np.ndarray, subset: np.ndarray) -> list[str]:
    """The table cells of the ROIs in ``subset``: the ratio of sums per ring (ROI count), then lateral and AP."""
    pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
    centre = ((volume.shape[1] - 1) / 2.0, (volume.shape[2] - 1) / 2.0)
    y = (rois.top + (rois.roi_px - 1) / 2.0 - centre[0]) * pixel_mm[0]
    x = (rois.left + (rois.roi_px - 1) / 2.0 - centre[1]) * pixel_mm[1]
    radius, lateral = np.hypot(y, x), np.abs(x) > np.abs(y)
    cells = []
    for low, high in zip(RINGS_MM[:-1], RINGS_MM[1:], strict=True):
        ring = subset & (radius >= low) & (radius < high)
        cells.append(f"{scan[ring].sum() / simulated[ring].sum():.2f} ({ring.sum()})" if ring.sum() >= 5 else "–")
    for side in (subset & lateral, subset & ~lateral):
        cells.append(f"{scan[side].sum() / simulated[side].sum():.2f}" if side.sum() >= 5 else "–")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bowties", type=float, nargs="+", default=[150.0, 500.0, 1000.0], help="edge water mm")
    parser.add_argument("--position", type=float, default=0.5, help="slab centre as a fraction of the scan")
    parser.add_argument("--scans", nargs="+", help="only these scans (labels as in the table)")
    parser.add_argument(
        "--whole-scan",
        action="store_true",
        help="calibrate each whole scan as 'simulate --calibrate' does (--pairs pairs, the preset's bowtie) and "
        "print the rings of its odd and of its even pairs along z",
    )
    parser.add_argument("--pairs", type=int, default=16, help="slice pairs of a --whole-scan calibration")
    args = parser.parse_args()
    shared = shared_folder()
    scans = list(real_scans(shared, args.scans))
    if not scans:
        raise SystemExit(f"no scan found under {shared / 'data'} (set CTDENOISE_SHARED to the shared data folder)")
    rings = " | ".join(f"{low:.0f}–{high:.0f} mm" for low, high in zip(RINGS_MM[:-1], RINGS_MM[1:], strict=True))
    first_column = "pairs along z" if args.whole_scan else "bowtie (mm water)"
    print(f"| scan | kernel | {first_column} | I0 | {rings} | lateral | AP |")
    print("|---" * (7 + len(RINGS_MM) - 2) + "|")
    for label, path, geometry, kernel in scans:
        volume = read_volume(path)
        if args.whole_scan:
            model, scan, simulated = noise_powers(volume, FanBeamGeometry.preset(geometry), args.pairs, label)
            rois = model.scan_noise.rois
            rank = np.searchsorted(np.unique(rois.slice_index), rois.slice_index)
            for name, subset in (("odd", rank % 2 == 1), ("even", rank % 2 == 0)):
                cells = ring_cells(volume, rois, scan, simulated, subset)
                print(
                    f"| {label} | {kernel} | {name} | {model.flux.full_dose_photons:.3g} | {' | '.join(cells)} |",
                    flush=True,
                )
            continue
        _, slab = slab_at(volume, args.position, SLAB_SLICES)
        for bowtie in args.bowties:
            scanner = replace(FanBeamGeometry.preset(geometry), bowtie_edge_water_mm=bowtie)
            model, scan, simulated = noise_powers(slab, scanner, SLAB_SLICES - 1, label)
            rois = model.scan_noise.rois
            cells = ring_cells(slab, rois, scan, simulated, np.ones(len(rois), dtype=bool))
            print(
                f"| {label} | {kernel} | {bowtie:g} | {model.flux.full_dose_photons:.3g} | {' | '.join(cells)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
