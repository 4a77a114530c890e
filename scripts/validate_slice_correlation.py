"""How much noise neighbouring slices of the real scans share (issue 13): the lag test behind ρ₁.

Per real scan in ``$CTDENOISE_SHARED`` (else ``shared`` beside the repository) and per 13-slice slab (``--positions``, fractions of the scan), on the slab's flat ROIs
(:func:`ctdenoise.simulate.scan_noise.find_flat_rois`): the detrended power above ``--from-per-mm`` of the slice
differences ``(S_k − S_{k+L})/√2`` for L = 2 and 3 over that for L = 1, and ρ₁ as
:func:`ctdenoise.simulate.scan_noise.slice_noise_correlation_estimate` estimates it, with its jackknife standard
error. Independent slices give ratios of 1 plus
what anatomy adds (more at larger L); equal ratios above 1 are noise that neighbours share: ρ₁ = 1 − 1/ratio.

Run: ``PYTHONPATH=src .venv/bin/python scripts/validate_slice_correlation.py`` (about 1 minute on 2 cores).
"""

from __future__ import annotations

import argparse

import numpy as np
from validate_radial_noise import band_power_from
from validate_scan_noise import real_scans, shared_folder, slab_at

from ctdenoise.io import read_volume
from ctdenoise.metrics.nps import detrend_rois
from ctdenoise.simulate.scan_noise import find_flat_rois, slice_difference_noise, slice_noise_correlation_estimate

SLAB_SLICES = 13


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=float, nargs="+", default=[0.1, 0.5, 0.9], help="slab centres")
    parser.add_argument("--from-per-mm", type=float, default=0.3, help="lowest frequency of the band (mm⁻¹)")
    args = parser.parse_args()
    shared = shared_folder()
    scans = list(real_scans(shared, None))
    if not scans:
        raise SystemExit(f"no scan found under {shared / 'data'} (set CTDENOISE_SHARED to the shared data folder)")
    print(f"| scan | kernel | slab centre | ROIs | V₂/V₁ (≥ {args.from_per_mm} mm⁻¹) | V₃/V₁ | ρ₁ ± SE (≥ Nyquist/2) |")
    print("|---|---|---|---|---|---|---|")
    for label, path, _, kernel in scans:
        volume = read_volume(path)
        for position in args.positions:
            _, slab = slab_at(volume, position, SLAB_SLICES)
            pixel_mm = (slab.spacing_mm[1], slab.spacing_mm[2])
            rois, _, _ = find_flat_rois(slab, n_slices=SLAB_SLICES - 1, source=label)
            rois = rois.select(rois.slice_index + 3 < slab.shape[0])
            slices = np.unique(rois.slice_index)
            power = [
                band_power_from(
                    detrend_rois(rois.cut(slice_difference_noise(slab, slices, 0.0, lag)), order=2),
                    pixel_mm,
                    args.from_per_mm,
                ).sum()
                for lag in (1, 2, 3)
            ]
            estimate = slice_noise_correlation_estimate(slab, rois)
            rho1 = "not measured" if estimate is None else f"{estimate[0]:.3f}"
            if estimate is not None and estimate[1] is not None:
                rho1 += f" ± {estimate[1]:.3f}"
            print(
                f"| {label} | {kernel} | {position:g} | {len(rois)} | {power[1] / power[0]:.2f} | "
                f"{power[2] / power[0]:.2f} | {rho1} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
