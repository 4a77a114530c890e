"""Fit the simulator's noise to a real scan: the kernel (NPS shape) and the full-dose photon flux I0 (magnitude).

Both come from the scan's own noise, measured on flat ROIs (:mod:`ctdenoise.simulate.scan_noise`):

* **Kernel**: the simulator's full-dose noise — one more scan at the reference flux
  (:func:`ctdenoise.simulate.lowdose.scan_noise_hu`) — is reconstructed with the base kernel on the scan's own slices and
  its NPS measured on the same ROIs; :func:`ctdenoise.simulate.noise_kernel.fit_noise_kernel` shapes it like the
  scan's NPS, and :func:`ctdenoise.simulate.noise_kernel.refine_noise_kernel` corrects that shape until the
  filtered noise's NPS, measured on the same ROIs, matches the scan's bin by bin.
* **I0 along z**: a real scan's noise changes along z more than its attenuation explains — tube-current
  modulation, and what the model lacks (its monoenergetic attenuation, bowtie, and anatomy outside the image's
  field of view, such as arms): LUNG1-001's DICOM records a constant 80 mA, yet I0 calibrated on 6-slice slabs
  is 5.7e4 at the lung bases, 2.5e4 in the mid chest and 8.6e4 at the upper chest
  (``scripts/validate_noise_along_z.py``, 2026-12-01). One I0 for the whole scan then puts up to 51 % too much or
  36 % too little noise into a region (over the five real scans in ``../shared``). When the measured slice pairs span at least :data:`PROFILE_MIN_SPAN_MM`, they are
  split into up to :data:`PROFILE_SEGMENTS` contiguous groups along z (one per pair when each has enough ROIs),
  I0 is calibrated on each group's ROIs as below with the same kernel (refined too, every group's slices simulated
  at that group's estimate in one pass), and the flux's
  ``relative_flux_by_slice`` interpolates the groups' I0 over z (linearly between group centres, constant
  beyond), relative to the I0 of all ROIs together.
* **I0**: quantum noise variance goes as 1/I0 (Yu et al. 2012), so ``I0 = I0_ref · σ_ref² / σ_scan²`` with σ_scan
  the scan's noise and σ_ref that of the simulator's full-dose noise at the reference flux *with the matched
  kernel*, both measured on the same flat ROIs with the same detrending, as the NPS integrated over the noise band
  above 0.08 mm⁻¹ (where anatomy left in the ROIs has little power). A second pass at the estimated I0 takes the
  electronic noise (which does not scale as 1/I0) into account: ``ρ(I0) = Q/I0 + E/I0²`` through both passes.
  Where few quanta reach the detector the simulator's floored Poisson counts leave that form (a 320 mm water
  cylinder at I0 = 3e3: its solution is 0.57× the truth, where ρ = 1.9), so the simulator's noise is measured again
  at the solution and I0 refined by secant steps in ``(ln I0, ln ρ)`` between the closest fluxes on either side
  of ``ρ = 1`` (from the two nearest it while all lie on one side, a step no longer than ``ρ ∝ I0^−0.5`` needs),
  up to :data:`SOLVE_PASSES` times, until ρ is within :data:`SOLVE_TOLERANCE` of 1 or the next I0 is one already
  measured (the last estimate is then used as it is). Whatever anatomy the ROIs still hold is in
  σ_scan and therefore in the inserted noise too, so simulating a dose fraction and calibrating the result gives
  back ``a · I0`` with the scan's kernel (the self-consistency check of ``scripts/validate_scan_noise.py``; with
  a kernel fitted anew on the noisier result, smooth kernels read 7–22 % low: at 4× the noise power, low-frequency
  anatomy of about the full dose's noise power passes the flat-ROI test and raises the refitted level). How sure
  the absolute I0 is: against the shipped structure factor 1.3, GE STANDARD's moves by −26 % (factor 1.5) to +14 %
  (factor 1.2), B19f's by −12…+7 %, a sharp or flat-topped kernel's by ≤ 5 %, mostly through the kernel's
  extrapolated level, which I0 trades off against exactly, while σ moves by −4…+5 %
  (``scripts/structure_factor_sensitivity.py``, ``docs/simulate.md``).

An I0 outside :data:`PHYSICAL_I0_RANGE` is an error, never used: it means the scan's noise is not what the model
thinks (e.g. a kernel the fit cannot follow, an image that is not a plain FBP reconstruction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.nps import NoisePowerSpectrum, nps_from_rois
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.lowdose import ProjectedSlice, resolve_geometry, slice_rng
from ctdenoise.simulate.named_kernel import (
    NAMED_KERNELS,
    named_kernel_description,
    named_kernel_nps,
    named_kernel_record,
)
from ctdenoise.simulate.noise import FluxModel
from ctdenoise.simulate.noise_kernel import (
    BASE_KERNEL,
    STANDARD_KERNEL,
    NoiseKernel,
    fit_noise_kernel,
    refine_noise_kernel,
)
from ctdenoise.simulate.projector import reconstruction_radius_mm
from ctdenoise.simulate.scan_noise import (
    DEFAULT_ROI_PX,
    DEFAULT_SLICES,
    MIN_ROIS,
    FlatRois,
    ScanNoise,
    band_noise_variance,
    check_slice_correlation,
    measure_scan_noise,
    rois_nps,
    tissue_rois,
)
from ctdenoise.simulate.selection_bias import SelectionBias
from ctdenoise.volume import Volume

#: Full-dose quanta per ray a clinical CT scan can have (Yu et al. 2012 use 1e5–3e5 for standard dose).
PHYSICAL_I0_RANGE = (1.0e3, 1.0e8)
#: Seed of the reference noise; far from the small seeds users give ``simulate``, so the two never coincide.
REFERENCE_SEED = 2_147_483_647
#: Most groups of slice pairs along z the I0 profile is calibrated on (each needs ``MIN_ROIS`` flat ROIs).
#: One per pair follows I0 best: on the five real scans, 4 groups of 3 pairs left the profile up to 1.77× off a
#: slab's own I0, 12 groups of 16 pairs 1.43×, one group per pair (16) 1.19× (``scripts/validate_noise_along_z.py``,
#: two-point solve; 1.19× too with the refined solve and the log-bias correction of the inserted noise).
PROFILE_SEGMENTS = 16
#: The measured slice pairs must span at least this along z (mm) for an I0 profile; a slab gets one I0.
PROFILE_MIN_SPAN_MM = 60.0
#: Extra solves of ρ(I0) = 1 checked against the simulator's own noise at the solution (see fit_noise_model) …
SOLVE_PASSES = 4
#: … until ρ is within this of 1 (a 1 % variance error is a 1 % I0 error).
SOLVE_TOLERANCE = 0.01
#: A measured ρ₁ whose standard error exceeds this is flagged as uncertain in the note (an error of 0.05 on
#: ρ₁ ≈ 0.25 moves σ by about 3 % and I0 by about 7 %).
UNCERTAIN_SLICE_CORRELATION = 0.05
#: What ``kernel`` may be: a choice by name, an NPS to match, or a ready kernel.
KernelChoice = str | NoisePowerSpectrum | NoiseKernel


@dataclass(frozen=True)
class ScanNoiseModel:
    """The simulator's noise fitted to one scan.

    Attributes:
        flux: full-dose I0 (calibrated, or the reference when not calibrated) and electronic noise.
        kernel: reconstruction kernel of the inserted noise.
        scan_noise: the scan's own measured noise, or None when it was not needed or not measurable.
        reference_std_hu: σ of the simulator's full-dose noise with ``kernel`` on the scan's ROIs — at the
            reference flux without calibration, else at the simulated I0 whose noise came closest to the scan's
            (None when not computed).
        note: how the kernel was chosen (printed by the CLI, so a fallback is never silent).
    """

    flux: FluxModel
    kernel: NoiseKernel
    scan_noise: ScanNoise | None
    reference_std_hu: float | None
    note: str


class _ReferenceNoise:
    """The simulator's full-dose noise on the ROI slices of one scan (:func:`ctdenoise.simulate.lowdose.scan_noise_hu`),
    at any flux and kernel: each slice is projected once however many noise images are drawn from it (calibration
    draws 3–10 per slice; the projection is half of each one's cost)."""

    def __init__(self, volume: Volume, rois: FlatRois, scanner: FanBeamGeometry, seed: int, progress: bool) -> None:
        self.volume, self.scanner, self.seed, self.progress = volume, scanner, seed, progress
        self.slices = [int(index) for index in np.unique(rois.slice_index)]
        self.pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
        self._projected: dict[int, ProjectedSlice] = {}

    def __call__(
        self, flux: FluxModel, kernel: NoiseKernel, label: str, flux_by_slice: dict[int, float] | None = None
    ) -> dict[int, np.ndarray]:
        """Noise at ``flux`` on every ROI slice, or at ``{slice: I0}`` (only those slices; ``flux``'s electronic
        noise), reconstructed with ``kernel``; each slice's own random stream (``slice_rng(seed, slice)``)."""
        if flux_by_slice is None:
            flux_by_slice = dict.fromkeys(self.slices, flux.full_dose_photons)
        images = {}
        for index in tqdm(sorted(flux_by_slice), desc=label, unit="slice", disable=not self.progress):
            if index not in self._projected:
                self._projected[index] = ProjectedSlice.of(self.volume.hu[index], self.pixel_mm, self.scanner)
            one_scan = FluxModel(flux_by_slice[index], flux.electronic_noise_variance)
            images[index] = self._projected[index].scan_noise_hu(one_scan, slice_rng(self.seed, index), kernel)
        return images


def fit_noise_model(
    volume: Volume,
    geometry: str | FanBeamGeometry = "siemens",
    kernel: KernelChoice = "auto",
    reference: FluxModel | None = None,
    calibrate: bool = False,
    n_slices: int = DEFAULT_SLICES,
    roi_px: int = DEFAULT_ROI_PX,
    seed: int = REFERENCE_SEED,
    source: str = "input",
    progress: bool = False,
    z_profile: bool = True,
    slice_correlation: float | None = None,
) -> ScanNoiseModel:
    """Match the simulator's noise kernel (and, with ``calibrate``, its I0) to a scan's own noise.

    Args:
        volume: the full-dose scan in HU, axial slices.
        geometry: scanner geometry of the simulation (preset name or :class:`FanBeamGeometry`).
        kernel: ``"auto"`` (match the scan's measured NPS; falls back to ``"standard"`` with a note when the scan
            has too little flat tissue or no measurable noise, unless ``calibrate``), ``"standard"`` (the
            simulator's own kernel), a named clinical kernel (:data:`ctdenoise.simulate.named_kernel.NAMED_KERNELS`,
            e.g. ``"siemens-b70f"``), a :class:`NoisePowerSpectrum` to match, or a :class:`NoiseKernel`.
        reference: flux to scale from (its electronic noise is kept); default ``FluxModel()``.
        calibrate: estimate I0 from the scan's noise; otherwise ``reference`` is used as it is.
        n_slices: slice pairs to measure on (each costs one projection + FBP when a fit is needed).
        roi_px: ROI side in pixels.
        seed: seed of the reference noise.
        source: name of the scan for error messages.
        progress: show a progress bar over the reference slices.
        z_profile: with ``calibrate``, also fit how I0 changes along z (module docstring) when the measured slices
            span enough of the scan; the flux then has one ``relative_flux_by_slice`` per slice of ``volume``.
        slice_correlation: ρ₁ of the scan's noise when known (e.g. the whole scan's for a thin crop of it,
            :func:`ctdenoise.simulate.scan_noise.measure_scan_noise`); None measures it on the scan's flat ROIs.

    Returns:
        :class:`ScanNoiseModel` with the flux and kernel to pass to
        :func:`ctdenoise.simulate.lowdose.simulate_low_dose`.

    Raises:
        CtDenoiseError: too little flat tissue or no measurable noise (when calibrating), an unknown kernel name,
            a ``slice_correlation`` outside ``SLICE_CORRELATION_RANGE``, or a calibrated I0 outside
            :data:`PHYSICAL_I0_RANGE` — each naming the scan and the reason.

    Example:
        >>> scan = read_volume("../shared/data/lung1-001/dicom")                   # doctest: +SKIP
        >>> model = fit_noise_model(scan, calibrate=True, source="lung1-001")        # doctest: +SKIP
        >>> low = simulate_low_dose(scan, 0.25, None, flux=model.flux, kernel=model.kernel)  # doctest: +SKIP
    """
    scanner = resolve_geometry(geometry)
    reference = reference or FluxModel()
    named = kernel.lower() if isinstance(kernel, str) and kernel.lower() in NAMED_KERNELS else None
    if isinstance(kernel, str) and kernel not in ("auto", "standard") and named is None:
        raise CtDenoiseError(
            f"{source}: unknown noise kernel {kernel!r}; use auto, standard, a named kernel "
            f"({', '.join(NAMED_KERNELS)}), a NoisePowerSpectrum or a NoiseKernel"
        )
    if named is not None:
        kernel = named_kernel_nps(named)
    pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
    radius_mm = reconstruction_radius_mm(volume.shape[1:], pixel_mm, scanner)
    check_slice_correlation(slice_correlation, source)  # a wrong argument is an error even where it is not used
    scan_noise = None
    if calibrate or kernel == "auto":
        try:
            scan_noise = measure_scan_noise(volume, roi_px, n_slices, radius_mm, source, slice_correlation)
        except CtDenoiseError as error:
            if calibrate:
                raise CtDenoiseError(f"{error}; cannot calibrate I0 (give --photons instead)") from None
            return ScanNoiseModel(reference, STANDARD_KERNEL, None, None, f"standard kernel ({error})")
    if (isinstance(kernel, NoiseKernel) or kernel == "standard") and not calibrate:
        chosen = STANDARD_KERNEL if kernel == "standard" else kernel
        return ScanNoiseModel(reference, chosen, scan_noise, None, f"{chosen.name} kernel")
    rois = scan_noise.rois if scan_noise is not None else tissue_rois(volume, roi_px, n_slices, radius_mm, source)
    simulate = _ReferenceNoise(volume, rois, scanner, seed, progress)
    if isinstance(kernel, NoiseKernel) or kernel == "standard":
        chosen = STANDARD_KERNEL if kernel == "standard" else kernel
        noise = simulate(reference, chosen, "noise at the reference I0")
        note = f"{chosen.name} kernel"
    else:
        target = scan_noise.nps if kernel == "auto" else kernel
        base = simulate(reference, BASE_KERNEL, "noise for the kernel fit")
        name = f"matched to {_scan_name(source)}" if kernel == "auto" else "matched to the given NPS"
        if named is not None:
            name = f"matched to {named} ({named_kernel_description(named)})"

        def filtered(kernel: NoiseKernel) -> dict[int, np.ndarray]:
            return {index: kernel.filter_noise(image, pixel_mm) for index, image in base.items()}

        chosen = fit_noise_kernel(target, nps_from_rois(rois.cut(base), pixel_mm), name)
        chosen = refine_noise_kernel(chosen, target, lambda kernel: nps_from_rois(rois.cut(filtered(kernel)), pixel_mm))
        # Along z too the inserted noise is the scan's: its neighbouring slices share noise as the scan's do.
        measured = scan_noise.slice_correlation if scan_noise else None
        chosen = replace(
            chosen, slice_correlation=(slice_correlation if slice_correlation is not None else measured) or 0.0
        )
        noise = filtered(chosen)
        scanner_kernel = _scanner_kernel(volume)
        # A named kernel's peak as measured on its scan's fine curve (its file keeps only the radial bins).
        peak = named_kernel_record(named)["peak_frequency_per_mm"] if named else target.peak_frequency_per_mm
        note = (
            f"kernel {name}{scanner_kernel} (NPS peak {peak:.3f} mm⁻¹, "
            f"neighbouring slices' noise correlation {_correlation_text(scan_noise, slice_correlation)})"
        )
    reference_nps = nps_from_rois(rois.cut(noise), pixel_mm)
    if not calibrate:
        return ScanNoiseModel(reference, chosen, scan_noise, reference_nps.noise_std_hu, note)
    # Variances in the noise band (above NOISE_BAND_FROM_PER_MM): anatomy left in the ROIs stays out of the ratio.
    scan_variance = band_noise_variance(scan_noise.nps)
    first_ratio = band_noise_variance(reference_nps) / scan_variance
    first = float(np.clip(reference.full_dose_photons * first_ratio, *PHYSICAL_I0_RANGE))
    # Image noise variance is Q/I0 + E/I0² (quantum + electronic): a second reference at the first estimate gives
    # both terms, and I0 solves ρ(I0) = 1 (the electronic part matters where few quanta reach the detector).
    second = FluxModel(first, reference.electronic_noise_variance)
    second_noise = simulate(second, chosen, "noise at the first I0")
    second_nps = nps_from_rois(rois.cut(second_noise), pixel_mm)
    second_ratio = band_noise_variance(second_nps) / scan_variance
    # Every flux the simulator's noise was measured at: I0, ρ = σ_ref² / σ_scan² there, and the noise images.
    points = [(reference.full_dose_photons, first_ratio, noise), (first, second_ratio, second_noise)]
    estimate = _within_bracket(_solve_photons((points[0][0], first), (first_ratio, second_ratio)), points)
    slices = simulate.slices

    def noise_at(flux_by_slice: dict[int, float], label: str) -> dict[int, np.ndarray]:
        return simulate(reference, chosen, label, flux_by_slice)

    def measure_all(trial: dict[int, float]) -> dict[int, tuple[float, dict[int, np.ndarray]]]:
        check_noise = noise_at(dict.fromkeys(slices, trial[0]), "noise at the solved I0")
        return {0: (band_noise_variance(nps_from_rois(rois.cut(check_noise), pixel_mm)) / scan_variance, check_noise)}

    # Where few quanta reach the detector (shoulders, wide patients, low I0) the simulator's counts are Poisson
    # with a floor, not the Gaussian Q/I0 + E/I0² of the solve above: check ρ at the solution and refine it.
    (estimate,) = _refine_photons([points], [estimate], measure_all)
    photons = _check_photons(estimate, scan_noise.nps, source)
    # The groups along z solve the two-point form between the reference and the point nearest ρ = 1: far apart,
    # so Q and E stay well determined (two nearly equal fluxes leave them to the measurement noise).
    nearest = min(points[1:], key=lambda point: abs(np.log(point[1])))
    fluxes, noises = (points[0][0], nearest[0]), (points[0][2], nearest[2])
    profile = ()
    if z_profile:
        profile = _flux_profile(
            volume,
            rois,
            scan_noise.slice_correlation or 0.0,
            scan_noise.selection_bias,
            noises,
            fluxes,
            photons,
            pixel_mm,
            source,
            lambda trial: noise_at(trial, "noise at the I0 along z"),
        )
    flux = FluxModel(photons, reference.electronic_noise_variance, profile)
    closest = min(points, key=lambda point: abs(np.log(point[1])))
    return ScanNoiseModel(flux, chosen, scan_noise, nps_from_rois(rois.cut(closest[2]), pixel_mm).noise_std_hu, note)


def _correlation_text(scan_noise: ScanNoise | None, given: float | None) -> str:
    """ρ₁ as the note prints it: ``0.290 ± 0.020``, ``0.200 (given)``, ``0.000 (not measured: …)``, with
    a warning when its standard error exceeds :data:`UNCERTAIN_SLICE_CORRELATION`."""
    if given is not None:
        return f"{given:.3f} (given)"
    if scan_noise is None:
        return "0.000 (independent slices: ρ₁ is measured when calibrating; or give --slice-correlation)"
    if scan_noise.slice_correlation is None:
        return "0.000 (not measured: too few slices; give --slice-correlation)"
    error = scan_noise.slice_correlation_error
    if error is None:
        return f"{scan_noise.slice_correlation:.3f}"
    text = f"{scan_noise.slice_correlation:.3f} ± {error:.3f}"
    if error > UNCERTAIN_SLICE_CORRELATION:
        slices = int(np.unique(scan_noise.rois.slice_index).size)
        text += (
            f"; uncertain on {slices} slice pairs: σ and I0 move with it (σ ∝ 1/√(1 − ρ₁)), so give the whole "
            "scan's with --slice-correlation ('slice_noise_correlation' of 'ctdenoise noise WHOLE --pairs 16 --json')"
        )
    return text


def _scan_name(source: str) -> str:
    """The scan's file name, or for a DICOM folder its last two folder names (``lung1-001/dicom``, not ``dicom``),
    not its path: the name goes into outputs that are shared."""
    path = Path(source)
    if path.is_dir() and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name or source


def _scanner_kernel(volume: Volume) -> str:
    """``", the scanner's B19f"`` from a DICOM input's Convolution Kernel (0018,1210), else ``""``."""
    header = volume.metadata.get("dicom_header")
    kernel = header.get("ConvolutionKernel") if header is not None else None
    if not kernel:
        return ""
    text = "\\".join(str(part) for part in kernel) if isinstance(kernel, list | tuple) else str(kernel)
    return f", the scanner's {text.strip()}"


def profile_segments(rois: FlatRois, spacing_z_mm: float, n_segments: int = PROFILE_SEGMENTS) -> list[np.ndarray]:
    """Boolean ``(n_rois,)`` masks of contiguous groups of slice pairs along z, each with ≥ ``MIN_ROIS`` ROIs.

    One group (the whole set) when the pairs span less than :data:`PROFILE_MIN_SPAN_MM`; a group with too few
    ROIs joins the one before it (the first joins the next).
    """
    pairs = np.unique(rois.slice_index)
    if pairs.size < 2 or (pairs[-1] - pairs[0]) * spacing_z_mm < PROFILE_MIN_SPAN_MM:
        return [np.ones(len(rois), dtype=bool)]
    groups: list[np.ndarray] = []
    for chunk in np.array_split(pairs, min(n_segments, pairs.size)):
        mask = np.isin(rois.slice_index, chunk)
        if groups and groups[-1].sum() < MIN_ROIS:
            groups[-1] = groups[-1] | mask
        else:
            groups.append(mask)
    if len(groups) > 1 and groups[-1].sum() < MIN_ROIS:
        groups[-2] = groups[-2] | groups.pop()
    return groups


def _flux_profile(
    volume: Volume,
    rois: FlatRois,
    slice_correlation: float,
    selection_bias: SelectionBias | None,
    reference_noise: tuple[dict[int, np.ndarray], dict[int, np.ndarray]],
    fluxes: tuple[float, float],
    photons: float,
    pixel_mm: tuple[float, float],
    source: str,
    noise_at: Callable[[dict[int, float]], dict[int, np.ndarray]],
) -> tuple[float, ...]:
    """Each slice's I0 relative to ``photons``: I0 calibrated per group of :func:`profile_segments` (from the
    reference noise at both ``fluxes``, then refined as for all ROIs together, each pass simulating every group's
    slices at that group's own estimate with ``noise_at``), interpolated over z; () for one group. Each group's
    scan noise is one slice's, corrected for the scan's ``slice_correlation`` (ρ₁, a property of its
    reconstruction, the same along z) and for the choice of the scan's ROIs (``selection_bias``, measured on all of
    them: a group's few ROIs would give a scattered correction)."""
    groups = profile_segments(rois, volume.spacing_mm[0])
    if len(groups) < 2:
        return ()
    subsets = [rois.select(group) for group in groups]
    # Each group's NPS takes the whole scan's ROI-choice correction, as the scan-level I0 it is relative to does.
    scan_nps = [rois_nps(volume, subset, slice_correlation) for subset in subsets]
    if selection_bias is not None:
        scan_nps = [selection_bias.apply(nps) for nps in scan_nps]
    scan_variances = [band_noise_variance(nps) for nps in scan_nps]

    def ratio(subset: FlatRois, variance: float, noise: dict[int, np.ndarray]) -> float:
        return band_noise_variance(nps_from_rois(subset.cut(noise), pixel_mm)) / variance

    points = [
        [(flux, ratio(subset, variance, noise), None) for flux, noise in zip(fluxes, reference_noise, strict=True)]
        for subset, variance in zip(subsets, scan_variances, strict=True)
    ]
    estimates = [_within_bracket(_solve_photons(fluxes, (group[0][1], group[1][1])), group) for group in points]

    def measure_groups(trial: dict[int, float]) -> dict[int, tuple[float, None]]:
        noise = noise_at({int(k): flux for index, flux in trial.items() for k in np.unique(subsets[index].slice_index)})
        return {index: (ratio(subsets[index], scan_variances[index], noise), None) for index in trial}

    estimates = _refine_photons(points, estimates, measure_groups)
    centres, relative = [], []
    for subset, nps, estimate in zip(subsets, scan_nps, estimates, strict=True):
        where = f" on slices {int(subset.slice_index.min())}–{int(subset.slice_index.max()) + 1}"
        group_photons = _check_photons(estimate, nps, source, where)
        centres.append(float(subset.slice_index.mean()) + 0.5)  # a pair (k, k+1) sits between its slices
        relative.append(group_photons / photons)
    profile = np.interp(np.arange(volume.shape[0]), centres, relative)
    return tuple(float(f"{value:.5g}") for value in profile)


def _solve_photons(fluxes: tuple[float, float], variance_ratios: tuple[float, float]) -> float:
    """I0 with ``ρ(I0) = Q/I0 + E/I0² = 1``, Q and E from ``ρ = σ_ref² / σ_scan²`` at two reference fluxes."""
    if abs(fluxes[1] / fluxes[0] - 1.0) < 1e-3:  # the first estimate is the reference: nothing to separate
        return float(fluxes[1] * variance_ratios[1])
    design = np.array([[1.0 / flux, 1.0 / flux**2] for flux in fluxes])
    quantum, electronic = np.linalg.solve(design, np.asarray(variance_ratios))
    if electronic <= 0 or quantum <= 0:  # both ratios agree with pure quantum noise (or their scatter hides E)
        return float(fluxes[1] * variance_ratios[1])
    return float((quantum + np.sqrt(quantum**2 + 4.0 * electronic)) / 2.0)


def _refine_photons(
    points: list[list[tuple[float, float, Any]]],
    estimates: list[float],
    measure: Callable[[dict[int, float]], dict[int, tuple[float, Any]]],
) -> list[float]:
    """Refine each group's I0 estimate on the simulator's own noise (module docstring): up to :data:`SOLVE_PASSES`
    times, ``measure({group: I0})`` gives ``{group: (ρ, noise)}`` at the groups still open (one simulation for all
    of them), which join ``points[group]``; a group closes when ρ is within :data:`SOLVE_TOLERANCE` of 1 or its next
    I0 is one already measured. Estimates outside :data:`PHYSICAL_I0_RANGE` are simulated at its edge and returned
    as they are, for the caller's range check."""
    estimates, done = list(estimates), [False] * len(points)
    for _ in range(SOLVE_PASSES):
        trial = {}
        for index, group in enumerate(points):
            flux = float(np.clip(estimates[index], *PHYSICAL_I0_RANGE))
            done[index] = done[index] or min(abs(point[0] / flux - 1.0) for point in group) < SOLVE_TOLERANCE
            if not done[index]:
                trial[index] = flux
        if not trial:
            break
        for index, (ratio, noise) in measure(trial).items():
            group = points[index]
            group.append((trial[index], ratio, noise))
            if abs(ratio - 1.0) < SOLVE_TOLERANCE:
                estimates[index], done[index] = trial[index], True
            else:
                estimates[index] = _within_bracket(_secant_photons(_closest_pair(group)), group)
    return estimates


def _closest_pair(points: list[tuple[float, float, Any]]) -> tuple[tuple[float, float, Any], ...]:
    """The two measured ``(I0, ρ, noise)`` points to solve ``ρ = 1`` between: the closest on either side of it
    (ρ falls as I0 rises), else the two closest to it (in ``|ln ρ|``)."""
    above = [point for point in points if point[1] >= 1.0]
    below = [point for point in points if point[1] < 1.0]
    if above and below:
        return min(above, key=lambda point: point[1]), max(below, key=lambda point: point[1])
    return tuple(sorted(points, key=lambda point: abs(np.log(point[1])))[:2])


def _within_bracket(estimate: float, points: list[tuple[float, float, Any]]) -> float:
    """``estimate``, unless the measured points bracket ``ρ = 1`` and it lies outside: then the bracket's geometric
    middle (ρ falls as I0 rises, so the root lies between the closest fluxes with ρ ≥ 1 and ρ < 1)."""
    pair = _closest_pair(points)
    if (pair[0][1] >= 1.0) == (pair[1][1] >= 1.0):
        return estimate
    low, high = sorted((pair[0][0], pair[1][0]))
    return estimate if low <= estimate <= high else float(np.sqrt(low * high))


def _secant_photons(pair: tuple[tuple[float, float, Any], ...]) -> float:
    """I0 with ``ρ(I0) = 1`` by a secant step in ``(ln I0, ln ρ)`` through two measured points: exact for any
    power law ``ρ ∝ I0^−k`` (k = 1 quantum noise, 2 electronic, less where the counts' floor caps the variance)."""
    (f0, r0, _), (f1, r1, _) = pair
    if not (np.isfinite([r0, r1]).all() and min(r0, r1) > 0):
        raise CtDenoiseError("no measurable noise to calibrate I0 on (a noise variance ratio is zero or not finite)")
    (f0, f1), (r0, r1) = np.log([f0, f1]), np.log([r0, r1])
    near_flux, near_ratio = (f0, r0) if abs(r0) < abs(r1) else (f1, r1)
    if abs(r1 - r0) < 1e-12 or (r1 - r0) * (f1 - f0) >= 0:  # ρ must fall as I0 rises; else scale the closer one
        return float(np.exp(near_flux + near_ratio))
    step = f1 - r1 * (f1 - f0) / (r1 - r0) - near_flux
    # A nearly flat pair extrapolates far: no step beyond what ρ ∝ I0^−0.5 would need from the nearer point.
    return float(np.exp(near_flux + np.clip(step, -2.0 * abs(near_ratio), 2.0 * abs(near_ratio))))


def _check_photons(photons: float, scan_nps: NoisePowerSpectrum, source: str, where: str = "") -> float:
    """``photons`` if inside :data:`PHYSICAL_I0_RANGE`, else an error naming the scan, ``where`` in it (e.g.
    ``" on slices 10–12"``) and the noise it was calibrated on."""
    low, high = PHYSICAL_I0_RANGE
    if not low <= photons <= high:
        raise CtDenoiseError(
            f"{source}: calibrated I0 = {photons:.3g} quanta per ray{where} is outside the physical range {low:.0e}–"
            f"{high:.0e} (scan noise σ = {scan_nps.noise_std_hu:.1f} HU in {scan_nps.n_rois} flat ROIs); "
            "the scan's noise does not fit the model, give --photons instead"
        )
    return float(photons)


def calibrated_flux(
    volume: Volume,
    geometry: str | FanBeamGeometry = "siemens",
    reference: FluxModel | None = None,
    n_slices: int = DEFAULT_SLICES,
    seed: int = REFERENCE_SEED,
    source: str = "input",
    kernel: KernelChoice = "standard",
    roi_px: int = DEFAULT_ROI_PX,
) -> FluxModel:
    """The flux model whose full-dose noise, with ``kernel``, matches the scan's own noise (see
    :func:`fit_noise_model`, which also returns the kernel; use that one to simulate with a matched kernel).

    Raises:
        CtDenoiseError: as :func:`fit_noise_model` with ``calibrate=True``.
    """
    model = fit_noise_model(volume, geometry, kernel, reference, True, n_slices, roi_px, seed, source)
    return model.flux
