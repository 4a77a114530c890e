"""How many dB can any denoiser gain on the held-out z×1 cases, against a full-dose reference with noise of its own?
(issue 12: "≥ +3 dB over the input, ≥ +4 dB over the best Gaussian on every held-out real scan".)

For z×1 the input is ``y = r + n_a``: the real full-dose scan ``r = t + n_r`` (anatomy ``t`` and the scanner's
noise ``n_r``) plus the simulator's missing-dose noise ``n_a``, and PSNR is scored against ``r``. A denoiser can at
best know ``t`` exactly; what is left is to guess ``n_r`` from the noise ``n_r + n_a`` it sees. For independent
stationary Gaussian noise with power spectra ``S_r`` and ``S_a`` the best guess is the Wiener filter, and its
error, the floor under any denoiser's MSE, is ``∫ S_r S_a / (S_r + S_a) df`` (Papoulis & Pillai, *Probability,
Random Variables and Stochastic Processes*, 4th ed., §13-3, non-causal Wiener filter). An output that is exactly
``t`` scores ``σ_r²``.

Both spectra are measured on the reference's flat ROIs (:mod:`ctdenoise.simulate.scan_noise`): ``S_r`` from the
reference's slice differences, ``S_a`` from ``y − r`` itself. Real noise is not stationary over the body (more
behind the shoulders and the mediastinum than in the lung periphery), so the ROI figures are scaled by
``k = MSE_input,body / σ_a²,ROIs`` — the input's own body MSE (exactly ``n_a``, windowed and border-cropped as the
model cards score it) over its ROI variance — on the assumption that both noises vary over the body alike.
Further assumptions: Gaussian noise; a per-slice (2D) bound — if the scanner's noise is correlated between
neighbouring slices (correlation ρ, e.g. from helical interpolation) while the added noise is not, the slice
difference underestimates ``σ_r²`` by ``1 − ρ`` and a 3D denoiser could do better than this floor.

Prints, per held-out scan: the input's and the best Gaussian's body PSNR (as in the model cards), the two
ceilings, and the issue's targets. The held-out cases are simulated (10 % dose, seed 0) and kept in ``--cache`` as
``scripts/build_builtin_models.py evaluate`` does, with the current simulator revision. Run:
``PYTHONPATH=src python scripts/psnr_ceiling.py [--json out.json]`` (a few CPU-minutes per scan).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from ctdenoise.builtin.evaluation import BODY_WINDOW_HU, best_gaussian, body_mask, body_psnr_db
from ctdenoise.builtin.held_out import cached_low_dose_cases
from ctdenoise.builtin.training_data import HELD_OUT_SCANS
from ctdenoise.io import read_volume
from ctdenoise.metrics.nps import nps_from_rois
from ctdenoise.simulate.scan_noise import find_flat_rois, rois_nps

WINDOW_RANGE_HU = BODY_WINDOW_HU[1] - BODY_WINDOW_HU[0]


def psnr_db(mse_hu2: float) -> float:
    """Body PSNR (dB) of an error variance in HU², in the [−1000, 1000] HU window."""
    return float(10.0 * np.log10(WINDOW_RANGE_HU**2 / mse_hu2))


def ceilings(scan: str, shared: Path, cache: Path) -> dict:
    """The z×1 case of one held-out scan: input, best Gaussian, the two ceilings (module docstring), in dB."""
    low, reference = cached_low_dose_cases(lambda: read_volume(shared / "data" / HELD_OUT_SCANS[scan]), cache, scan)[1]
    body = body_mask(reference)
    pixel_mm = (reference.spacing_mm[1], reference.spacing_mm[2])
    rois, _, _ = find_flat_rois(reference, source=scan)
    scanner_nps = rois_nps(reference, rois)
    added = {int(k): low.hu[int(k)].astype(np.float64) - reference.hu[int(k)] for k in np.unique(rois.slice_index)}
    added_nps = nps_from_rois(rois.cut(added), pixel_mm, detrend="quadratic")
    sigma_r2, sigma_a2 = scanner_nps.noise_std_hu**2, added_nps.noise_std_hu**2
    s_r, s_a = scanner_nps.nps_2d, added_nps.nps_2d
    bin_area = sigma_r2 / s_r.sum()  # Δfy·Δfx: the NPS summed times it is the variance (Parseval)
    wiener_floor = float(np.sum(s_r * s_a / np.maximum(s_r + s_a, 1e-30)) * bin_area)
    input_psnr = body_psnr_db(low, reference, body)
    scale = WINDOW_RANGE_HU**2 / 10 ** (input_psnr / 10.0) / sigma_a2  # k: the body's MSE over the ROIs' variance
    sigma_mm, gaussian = best_gaussian(low, reference, body)
    return {
        "scan": scan,
        "rois": len(rois),
        "sigma_scanner_hu": round(float(np.sqrt(sigma_r2)), 2),
        "sigma_added_hu": round(float(np.sqrt(sigma_a2)), 2),
        "body_over_rois": round(scale, 3),
        "input_db": round(input_psnr, 2),
        "best_gaussian_db": round(gaussian["psnr_body_db"], 2),
        "best_gaussian_sigma_mm": sigma_mm,
        "ceiling_anatomy_exact_db": round(psnr_db(scale * sigma_r2), 2),
        "ceiling_wiener_db": round(psnr_db(scale * wiener_floor), 2),
        "target_over_input_db": round(input_psnr + 3.0, 2),
        "target_over_gaussian_db": round(gaussian["psnr_body_db"] + 4.0, 2),
    }


def main() -> None:
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("CTDENOISE_SHARED", repo.parent / "shared")))
    parser.add_argument("--scans", nargs="+", default=list(HELD_OUT_SCANS), choices=list(HELD_OUT_SCANS))
    parser.add_argument("--cache", type=Path, default=Path("builtin-eval"), help="simulated held-out inputs, reused")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rows = [ceilings(scan, args.shared, args.cache) for scan in args.scans]
    print(
        "\n| held-out scan, z×1 | σ scanner / added (HU, flat ROIs) | input | best Gaussian | output = exact anatomy "
        "| Wiener floor (ceiling) | target +3 dB over input | target +4 dB over Gaussian |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['scan']} | {row['sigma_scanner_hu']:.2f} / {row['sigma_added_hu']:.2f} | {row['input_db']} | "
            f"{row['best_gaussian_db']} (σ {row['best_gaussian_sigma_mm']} mm) | {row['ceiling_anatomy_exact_db']} | "
            f"{row['ceiling_wiener_db']} | {row['target_over_input_db']} | {row['target_over_gaussian_db']} |"
        )
    if args.json:
        tmp = args.json.with_suffix(args.json.suffix + ".tmp")
        tmp.write_text(json.dumps(rows, indent=1) + "\n")
        tmp.replace(args.json)


if __name__ == "__main__":
    main()
