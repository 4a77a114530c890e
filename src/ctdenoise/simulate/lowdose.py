"""Simulate a low-dose scan from a full-dose one: image → fan-beam sinogram → missing-dose noise → FBP.

Only the noise is reconstructed and added to the input image, so the anatomy never passes through the
projector/FBP round trip and keeps its full sharpness (Yu et al. 2012; Zeng et al. 2015). Each axial slice gets
its own random stream ``SeedSequence(seed, spawn_key=(slice_index,))`` — the same streams
``SeedSequence(seed).spawn(n)`` hands out — so a slice's noise depends only on the seed and its index: the output
is bit-for-bit reproducible and slices could be processed in any order. The projector and FBP run in parallel
over views and image rows (numba), which keeps both cores busy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ctdenoise.errors import CtDenoiseError
from ctdenoise.orientation import IDENTITY_ORDER, along_slice_axis, axial_order
from ctdenoise.simulate.attenuation import PADDING_BELOW_HU, circle_mask, hu_to_mu, mu_to_hu_difference
from ctdenoise.simulate.fbp import fbp_reconstruct
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.noise import FluxModel, check_dose_fraction, missing_dose_noise, scan_noise
from ctdenoise.simulate.noise_kernel import STANDARD_KERNEL, NoiseKernel, correlate_slices
from ctdenoise.simulate.projector import forward_project, reconstruction_radius_mm
from ctdenoise.simulate.slice_thickness import average_slices, slices_per_output
from ctdenoise.volume import Volume


def resolve_geometry(geometry: str | FanBeamGeometry) -> FanBeamGeometry:
    """A :class:`FanBeamGeometry` from a preset name or the geometry itself."""
    return geometry if isinstance(geometry, FanBeamGeometry) else FanBeamGeometry.preset(geometry)


def slice_rng(seed: int, slice_index: int) -> np.random.Generator:
    """The random generator of one slice: independent of every other slice and of the slice count."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(slice_index,)))


#: Soft tissue and denser (input HU above this) can never come out below air in a plausible simulated scan.
TISSUE_ABOVE_HU = -200.0
#: Largest fraction of tissue voxels allowed below −1000 HU in the output (noise tails at very low dose).
MAX_TISSUE_BELOW_AIR = 1e-3


def low_dose_noise_hu(
    hu_slice: np.ndarray,
    pixel_mm: tuple[float, float],
    dose_fraction: float,
    geometry: FanBeamGeometry,
    flux: FluxModel,
    rng: np.random.Generator,
    kernel: NoiseKernel = STANDARD_KERNEL,
) -> np.ndarray:
    """The noise image (HU) that turns one full-dose axial slice into a ``dose_fraction`` slice.

    Args:
        hu_slice: full-dose HU image ``(y, x)``; its field of view is the reconstruction field of view.
        pixel_mm: pixel size ``(y, x)`` in mm.
        dose_fraction: target dose relative to the input, ``0 < a < 1``.
        geometry: scanner geometry (detector sampling and views come from it, whatever the image grid).
        flux: full-dose quanta per ray and electronic noise.
        rng: the slice's random generator.
        kernel: reconstruction kernel of the noise (:mod:`ctdenoise.simulate.noise_kernel`); default the
            simulator's own Hann-apodised ramp.

    Returns:
        float32 HU noise of the slice's shape, zero outside the reconstruction circle and on scanner padding.
    """
    return ProjectedSlice.of(hu_slice, pixel_mm, geometry).noise_hu(
        kernel, lambda sinogram: missing_dose_noise(sinogram, dose_fraction, geometry, flux, rng)
    )


def scan_noise_hu(
    hu_slice: np.ndarray,
    pixel_mm: tuple[float, float],
    geometry: FanBeamGeometry,
    flux: FluxModel,
    rng: np.random.Generator,
    kernel: NoiseKernel = STANDARD_KERNEL,
) -> np.ndarray:
    """The noise image (HU) of one independent scan of the slice at ``flux`` (:func:`ctdenoise.simulate.noise.scan_noise`):
    what a scan with that I0 and electronic noise carries, to compare with a real scan's own noise (calibration).

    Args and returns as :func:`low_dose_noise_hu`, without a dose fraction.
    """
    return ProjectedSlice.of(hu_slice, pixel_mm, geometry).scan_noise_hu(flux, rng, kernel)


@dataclass(frozen=True)
class ProjectedSlice:
    """One axial slice projected once, to draw many noise images from (calibration simulates several fluxes and
    realisations on the same slices; the projection is half of each image's cost).

    Attributes:
        sinogram: noise-free line integrals ``(n_views, n_channels)`` of the slice's attenuation.
        noise_free: boolean ``(y, x)`` mask of pixels that get no noise: outside the reconstruction circle, padding.
        pixel_mm: pixel size ``(y, x)`` in mm.
        geometry: the scanner.
    """

    sinogram: np.ndarray
    noise_free: np.ndarray
    pixel_mm: tuple[float, float]
    geometry: FanBeamGeometry

    @staticmethod
    def of(hu_slice: np.ndarray, pixel_mm: tuple[float, float], geometry: FanBeamGeometry) -> ProjectedSlice:
        """Project a full-dose HU slice ``(y, x)`` (:func:`ctdenoise.simulate.attenuation.hu_to_mu`, Joseph's method)."""
        shape = hu_slice.shape
        inside = circle_mask(shape, pixel_mm, reconstruction_radius_mm(shape, pixel_mm, geometry))
        sinogram = forward_project(hu_to_mu(hu_slice, pixel_mm, inside), pixel_mm, geometry)
        return ProjectedSlice(sinogram, ~inside | (hu_slice < PADDING_BELOW_HU), pixel_mm, geometry)

    def noise_hu(self, kernel: NoiseKernel, sinogram_noise: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``sinogram_noise(sinogram)`` reconstructed with ``kernel``: float32 HU noise, zero where
        ``noise_free``."""
        reconstructed = fbp_reconstruct(
            sinogram_noise(self.sinogram), self.noise_free.shape, self.pixel_mm, self.geometry, window=kernel.window
        )
        noise_hu = kernel.filter_noise(mu_to_hu_difference(reconstructed), self.pixel_mm)
        noise_hu[self.noise_free] = 0.0  # padding stays padding
        return noise_hu

    def scan_noise_hu(self, flux: FluxModel, rng: np.random.Generator, kernel: NoiseKernel) -> np.ndarray:
        """The noise image of one independent scan at ``flux`` (as :func:`scan_noise_hu`)."""
        return self.noise_hu(kernel, lambda sinogram: scan_noise(sinogram, self.geometry, flux, rng))


def check_simulated_hu(full_dose_hu: np.ndarray, low_dose_hu: np.ndarray, source: str, model: str) -> None:
    """Refuse an implausible simulated scan before it is written.

    Tissue (full-dose HU above :data:`TISSUE_ABOVE_HU`) cannot turn into something below air (−1000 HU, μ < 0)
    in more than :data:`MAX_TISSUE_BELOW_AIR` of its voxels, nor can any value be non-finite: that only happens
    when the noise model does not fit the scan (e.g. a wildly wrong I0).

    Raises:
        CtDenoiseError: naming ``source``, the offending fraction, the HU range and ``model`` (I0 and kernel).
    """
    if not np.isfinite(low_dose_hu).all():
        raise CtDenoiseError(f"{source}: the simulated scan has non-finite values ({model}); nothing written")
    tissue = full_dose_hu > TISSUE_ABOVE_HU
    if not tissue.any():
        return
    below_air = float(np.mean(low_dose_hu[tissue] < -1000.0))
    if below_air > MAX_TISSUE_BELOW_AIR:
        raise CtDenoiseError(
            f"{source}: implausible simulated scan: {below_air:.1%} of tissue voxels fall below −1000 HU "
            f"(output {low_dose_hu.min():.0f}…{low_dose_hu.max():.0f} HU) with {model}; the noise model does not fit "
            "this scan (check --photons / --calibrate); nothing written"
        )


def check_simulation_arguments(volume: Volume, dose_fraction: float, slice_mm: float | None, source: str) -> None:
    """Fail before any slow work: the dose fraction in (0, 1), ``slice_mm`` a whole multiple of the slice spacing.

    Raises:
        CtDenoiseError: naming ``source`` and the problem.
    """
    try:
        check_dose_fraction(dose_fraction)
    except CtDenoiseError as error:
        raise CtDenoiseError(f"{source}: {error}") from None
    if slice_mm is not None:
        slices_per_output(volume.spacing_mm[axial_order(volume, source)[0]], slice_mm, source)


def _check_axial(volume: Volume, source: str) -> None:
    if abs(volume.direction[2, 2]) < 0.99:
        raise CtDenoiseError(f"{source}: slices are not axial (slice direction {volume.direction[:, 2].round(3)})")


def simulate_low_dose(
    volume: Volume,
    dose_fraction: float = 0.1,
    slice_mm: float | None = 2.0,
    seed: int = 0,
    geometry: str | FanBeamGeometry = "siemens",
    progress: bool = True,
    flux: FluxModel | None = None,
    source: str = "input",
    kernel: NoiseKernel = STANDARD_KERNEL,
    clip_below_hu: float | None = None,
) -> Volume:
    """A simulated lower-dose, optionally thicker-slice version of a full-dose CT volume.

    Noise is inserted per input slice (physically: each thin slice of the low-dose scan), then adjacent slices are
    averaged to ``slice_mm`` (:func:`ctdenoise.simulate.slice_thickness.average_slices`).

    Args:
        volume: full-dose CT in HU with axial slices.
        dose_fraction: simulated dose relative to the input's, e.g. 0.1 for 10 %.
        slice_mm: output slice spacing, a whole multiple of the input spacing; None keeps the input slices.
        seed: random seed; the same seed gives the same output bit for bit.
        geometry: ``"siemens"`` (Definition AS/Flash-like, default), ``"ge"`` (LightSpeed-like) or a
            :class:`FanBeamGeometry`.
        progress: show a progress bar over slices.
        flux: full-dose quanta per ray (I0) and electronic noise; default ``FluxModel()`` (I0 = 2e5, σe² = 10).
            :func:`ctdenoise.simulate.calibrate.fit_noise_model` estimates I0, and its profile along z, from the
            input's own noise; a profile must have one value per input slice.
        source: name of the input for error messages.
        kernel: reconstruction kernel of the inserted noise; default the simulator's standard kernel.
            :func:`ctdenoise.simulate.calibrate.fit_noise_model` matches it to the input's own NPS.
        clip_below_hu: lowest value the output may take, as a scanner stores it (−1024 HU: values below are its
            padding); input voxels already below it (padding) keep their value. None (default) leaves the noise
            unclipped. Applied after the plausibility check, so clipping never hides an implausible result.

    Returns:
        The low-dose Volume (HU, float32), with ``metadata["simulation"]`` describing how it was made.

    Raises:
        CtDenoiseError: bad dose fraction or slice thickness, non-axial slices, a flux profile fitted on another
            number of slices, or an implausible result
            (:func:`check_simulated_hu`).

    Example:
        >>> full = read_volume("phantom-000/full_dose.nii.gz")            # doctest: +SKIP
        >>> low = simulate_low_dose(full, dose_fraction=0.1, slice_mm=2.0)  # doctest: +SKIP
        >>> low.spacing_mm                                               # doctest: +SKIP
        (2.0, 1.0, 1.0)
    """
    order = axial_order(volume, source)
    if order != IDENTITY_ORDER:  # coronal/sagittal storage: simulate on axial slices, store the result back
        return along_slice_axis(
            volume,
            lambda axial: simulate_low_dose(
                axial, dose_fraction, slice_mm, seed, geometry, progress, flux, source, kernel, clip_below_hu
            ),
            source,
        )
    check_simulation_arguments(volume, dose_fraction, slice_mm, source)  # fail before the slow part
    _check_axial(volume, source)
    scanner = resolve_geometry(geometry)
    flux = flux or FluxModel()
    flux.check_slices(volume.shape[0], source)
    pixel_mm = (volume.spacing_mm[1], volume.spacing_mm[2])
    noise = np.empty_like(volume.hu)
    slices = tqdm(range(volume.shape[0]), desc="simulate low dose", unit="slice", disable=not progress)
    for index in slices:
        noise[index] = low_dose_noise_hu(
            volume.hu[index], pixel_mm, dose_fraction, scanner, flux.at_slice(index), slice_rng(seed, index), kernel
        )
    noise = correlate_slices(noise, kernel.slice_correlation)  # the scan's own noise shared by neighbours
    noise[volume.hu < PADDING_BELOW_HU] = 0.0  # a neighbour's noise must not reach padding either
    noise += volume.hu
    noisy = noise
    model = f"I0 {flux.full_dose_photons:.3g} quanta per ray{flux.profile_text()}, {kernel.name} kernel"
    check_simulated_hu(volume.hu, noisy, source, model)
    if clip_below_hu is not None:
        np.maximum(noisy, np.minimum(volume.hu, clip_below_hu), out=noisy)
    result = volume.with_array(noisy)
    result.metadata["simulation"] = {
        "dose_fraction": float(dose_fraction),
        "geometry": scanner.name,
        "full_dose_photons": flux.full_dose_photons,
        "electronic_noise_variance": flux.electronic_noise_variance,
        # One value per input slice, 1.0 on every slice without a z-profile (a script never meets an empty list).
        "relative_flux_by_slice": [round(value, 4) for value in flux.relative_flux_by_slice] or [1.0] * len(noisy),
        "seed": int(seed),
        "noise_kernel": kernel.record(),
        "slice_mm": float(slice_mm) if slice_mm is not None else volume.spacing_mm[0],
    }
    # Read by the DICOM writer, so a viewer shows what the series is.
    result.metadata["series_description"] = f"simulated {dose_fraction:.0%} dose"
    result.metadata["derivation_description"] = (
        f"ctdenoise simulate: {dose_fraction:g} of the source dose, {scanner.name} fan-beam geometry, "
        f"{model}, projection-domain noise insertion (Yu et al. 2012), seed {seed}"
    )
    return average_slices(result, slice_mm, source) if slice_mm is not None else result
