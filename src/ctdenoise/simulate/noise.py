"""Projection-domain noise insertion that turns a full-dose scan into a lower-dose one.

Yu et al. 2012 (J Comput Assist Tomogr 36:477) and Zeng et al. 2015 (IEEE Trans Nucl Sci 62:2226): a full-dose
measurement already carries the noise of ``N = I0·b(γ)·exp(−p)`` detected quanta (log-domain variance
``1/N + σe²/N²``). A scan at dose fraction ``a`` has variance ``1/(aN) + σe²/(aN)²``, so only the *missing* part
is added. That missing part is exactly the noise of an independent scan at dose fraction ``a′ = a/(1−a)`` with
electronic variance ``σe²(1+a)/(1−a)``:

    counts ~ Poisson(a′·N) + Normal(0, σe²(1+a)/(1−a)),    Δp = ln(a′·N / counts),

whose log-domain variance is ``(1−a)/(aN) + σe²(1−a²)/(a²N²)`` — the difference between the two scans.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.geometry import FanBeamGeometry

#: Counts are floored here before the log (a real scanner's low-signal correction does the same job).
_MIN_COUNTS = 0.5


@dataclass(frozen=True)
class FluxModel:
    """Detected quanta at full dose.

    Args:
        full_dose_photons: unattenuated quanta per ray on the central channel at full dose (I0); ≈ 2e5 for a
            standard-dose chest scan (Yu et al. 2012 use 1e5–3e5).
        electronic_noise_variance: variance of the detector's electronic noise in quanta² (σe²); ≈ 10.
        relative_flux_by_slice: the full-dose flux of each axial slice (index order of the volume) as a multiple of
            ``full_dose_photons``: the scan's z-profile (tube-current modulation along z, and what else makes a real
            scan's noise change along z more than its attenuation explains). Empty (default): the same I0 on every
            slice. :func:`ctdenoise.simulate.calibrate.fit_noise_model` measures it.

    Example:
        >>> FluxModel(1e5, relative_flux_by_slice=(0.5, 1.0, 2.0)).at_slice(2).full_dose_photons
        200000.0
    """

    full_dose_photons: float = 2.0e5
    electronic_noise_variance: float = 10.0
    relative_flux_by_slice: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.full_dose_photons <= 0 or self.electronic_noise_variance < 0:
            raise CtDenoiseError("photon flux must be positive and electronic noise variance non-negative")
        profile = np.asarray(self.relative_flux_by_slice, dtype=np.float64)
        if profile.size and not (np.isfinite(profile).all() and profile.min() > 0):
            raise CtDenoiseError("the flux of every slice must be positive and finite")

    def at_slice(self, index: int) -> FluxModel:
        """The constant flux of axial slice ``index`` (``self`` without a z-profile)."""
        if not self.relative_flux_by_slice:
            return self
        relative = self.relative_flux_by_slice[index]
        return FluxModel(self.full_dose_photons * relative, self.electronic_noise_variance)

    def profile_text(self) -> str:
        """`` (× 0.61–1.8 of it along z)`` for a flux with a z-profile, else ``""`` (for messages and metadata)."""
        if not self.relative_flux_by_slice:
            return ""
        return f" (× {min(self.relative_flux_by_slice):.2g}–{max(self.relative_flux_by_slice):.2g} of it along z)"

    def check_slices(self, n_slices: int, source: str = "input") -> None:
        """Raise unless the z-profile (if any) has one value per slice of a volume with ``n_slices`` slices."""
        if self.relative_flux_by_slice and len(self.relative_flux_by_slice) != n_slices:
            raise CtDenoiseError(
                f"{source}: the flux profile has {len(self.relative_flux_by_slice)} slices, the scan {n_slices}; "
                "fit it on this scan"
            )

    def for_slices(self, start: int, stop: int) -> FluxModel:
        """The same flux for the slab ``[start, stop)`` of the volume (its z-profile cut to those slices)."""
        if not self.relative_flux_by_slice:
            return self
        return replace(self, relative_flux_by_slice=self.relative_flux_by_slice[start:stop])


def check_dose_fraction(dose_fraction: float) -> float:
    """Return ``dose_fraction`` if it lies in (0, 1), else raise a user-facing error."""
    if not 0.0 < dose_fraction < 1.0:
        raise CtDenoiseError(f"dose fraction must be between 0 and 1 (e.g. 0.1 for 10 %), got {dose_fraction}")
    return float(dose_fraction)


def missing_dose_noise(
    sinogram: np.ndarray,
    dose_fraction: float,
    geometry: FanBeamGeometry,
    flux: FluxModel,
    rng: np.random.Generator,
) -> np.ndarray:
    """Log-domain noise ``Δp`` that brings a full-dose sinogram down to ``dose_fraction`` of its dose.

    Args:
        sinogram: full-dose line integrals ``p``, shape ``(n_views, n_channels)``.
        dose_fraction: target dose as a fraction of the input's dose, ``0 < a < 1``.
        geometry: the scanner (its bowtie sets ``b(γ)`` per channel).
        flux: full-dose quanta and electronic noise.
        rng: random generator; the same state gives the same noise.

    Returns:
        float32 array like ``sinogram`` to add to it (zero mean up to the small log bias of low counts).
    """
    a = check_dose_fraction(dose_fraction)
    extra_fraction = a / (1.0 - a)
    incident = flux.full_dose_photons * geometry.bowtie_relative_flux()
    expected = extra_fraction * incident[None, :] * np.exp(-np.asarray(sinogram, dtype=np.float64))
    counts = rng.poisson(expected).astype(np.float64)
    electronic_variance = flux.electronic_noise_variance * (1.0 + a) / (1.0 - a)
    if electronic_variance > 0:
        counts += rng.normal(0.0, np.sqrt(electronic_variance), size=counts.shape)
    return np.log(expected / np.maximum(counts, _MIN_COUNTS)).astype(np.float32)
