"""Projection-domain noise insertion that turns a full-dose scan into a lower-dose one.

Yu et al. 2012 (J Comput Assist Tomogr 36:477) and Zeng et al. 2015 (IEEE Trans Nucl Sci 62:2226): a full-dose
measurement already carries the noise of ``N = I0·b(γ)·exp(−p)`` detected quanta (log-domain variance
``1/N + σe²/N²``). A scan at dose fraction ``a`` has variance ``1/(aN) + σe²/(aN)²``, so only the *missing* part
is added. That missing part is exactly the noise of an independent scan at dose fraction ``a′ = a/(1−a)`` with
electronic variance ``σe²(1+a)/(1−a)``:

    counts ~ Poisson(a′·N) + Normal(0, σe²(1+a)/(1−a)),    Δp = ln(a′·N / counts),

whose log-domain variance is ``(1−a)/(aN) + σe²(1−a²)/(a²N²)`` — the difference between the two scans while
the log is linear in the counts. At few counts it is not: the floored counts' exact variance
``V(λ) = Var[ln max(C + e, 0.5)]`` (:func:`log_count_variance`) falls below ``1/λ + σe²/λ²`` and even rises with λ
below a few quanta, and with σe² = 10 the extra scan's variance is 1.8× the missing ``V(aN) − V(N)`` at N = 10 and
0.95× at N = 100 (a = 0.25). So :func:`missing_dose_noise` rescales each ray's noise to ``V(aN) − V(N)``: a full-dose
scan plus the inserted noise then has the variance of a scan at dose ``a`` at any count (a 320 mm water cylinder
at I0 = 8e3, 17 quanta behind its centre: calibrating its simulated 25 % dose gave 0.21–0.23 × I0, now 0.24–0.26).
:func:`scan_noise` is one independent scan's noise, what calibration compares a real scan's noise with.

The log of few counts is biased: ``E[ln(λ/counts)] ≈ (λ + σe²)/(2λ²)`` (second-order Taylor expansion; the
exact expectation for the floored counts, :func:`log_count_bias`, is +0.36 at λ = 5 with the σe² ≈ 17 of
a = 0.25), which along the rays that cross the shoulders reconstructs into streaks of one sign: a simulated 25 %
dose of LUNG1-001's upper chest carried +0.29 more line integral than its full dose on the 1 % most attenuated
rays. A scanner's low-signal correction keeps line integrals unbiased, and so does the simulator: each ray's Δp
has that expectation subtracted, so it carries noise only (its variance is unchanged). Without this, calibrating
I0 on a simulated low-dose scan (whose re-projection then holds the streaks' extra attenuation) gave 1.21× the dose
law's I0 there. Below 0.9–2.5 expected quanta (more with more electronic noise: 1.6 at the σe² ≈ 17 of a = 0.25,
2.5 at the σe² ≈ 190 of a = 0.9) the expectation turns negative: the counts are mostly the floor, carry no signal,
and no correction restores the line integral; that photon starvation (attenuation read too low) is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import stats

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.geometry import FanBeamGeometry

#: Counts are floored here before the log (a real scanner's low-signal correction does the same job).
_MIN_COUNTS = 0.5
#: Expected counts λ between which :func:`log_count_bias` is tabulated (log-spaced); above, its Taylor series holds
#: to 1e-6; below, the counts are 0 almost surely, so ``E[ln max(C + e, 0.5)]`` no longer depends on λ. 120 points
#: per decade: the missing variance near a = 1 is a small difference of two table values (``V(0.99N) − V(N)`` is
#: 1 % of ``V(N)``), which 40 per decade left up to 3 % off the exact sum at N = 10–1e3 (0.05 % now).
_BIAS_TABLE_COUNTS = (1e-3, 1e3, 721)


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


def scan_noise(
    sinogram: np.ndarray,
    geometry: FanBeamGeometry,
    flux: FluxModel,
    rng: np.random.Generator,
    relative_dose: float = 1.0,
) -> np.ndarray:
    """Log-domain noise ``Δp`` of one independent scan of ``sinogram`` at ``relative_dose`` × ``flux``: Poisson
    quanta plus Gaussian electronic noise, floored and logged (the noise model of Yu et al. 2012 and Zeng et al.
    2015, module docstring).

    Args:
        sinogram: noise-free line integrals ``p``, shape ``(n_views, n_channels)``.
        geometry: the scanner (its bowtie sets ``b(γ)`` per channel).
        flux: full-dose quanta I0 and the detector's electronic noise σe² (not scaled with the dose).
        rng: random generator; the same state gives the same noise.
        relative_dose: the scan's dose as a multiple of ``flux``'s (> 0; 1: a scan at ``flux``).

    Returns:
        float32 array like ``sinogram``: ``ln(λ / max(C + e, 0.5))`` with ``C ~ Poisson(λ)``, ``e ~ Normal(0, σe²)``
        and ``λ = relative_dose·I0·b(γ)·exp(−p)``, less its upward bias at few counts (module docstring); its
        variance is :func:`log_count_variance` of λ.

    Raises:
        CtDenoiseError: ``relative_dose`` not positive.
    """
    if not relative_dose > 0:
        raise CtDenoiseError(f"relative dose must be positive, got {relative_dose}")
    expected = relative_dose * _detected_quanta(sinogram, geometry, flux)
    log_ratio, bias = _log_noise(expected, flux.electronic_noise_variance, rng)
    return (log_ratio - np.maximum(bias, 0.0)).astype(np.float32)


def missing_dose_noise(
    sinogram: np.ndarray,
    dose_fraction: float,
    geometry: FanBeamGeometry,
    flux: FluxModel,
    rng: np.random.Generator,
) -> np.ndarray:
    """Log-domain noise ``Δp`` that brings a full-dose sinogram down to ``dose_fraction`` of its dose.

    The noise of an independent scan at ``a′ = a/(1−a)`` (module docstring; Yu et al. 2012, Zeng et al. 2015)
    has the missing variance only while the log is linear in the counts. Ray by ray it is rescaled to the exact
    missing variance of the floored counts, ``V(aN) − V(N)`` (:func:`log_count_variance`, σe² at both doses;
    zero where that is negative, deep in photon starvation, where both doses read the floor): at N = 10 detected
    quanta and a = 0.25 the unscaled noise has 1.8× that variance, at N = 100 0.95×, above 1e3 within 0.3 %.
    Full-dose noise plus this noise then has the variance of a scan at dose ``a`` at any count, which is what makes
    calibrating a simulated low-dose scan of a starved one give back the dose law.

    Args:
        sinogram: full-dose line integrals ``p``, shape ``(n_views, n_channels)``.
        dose_fraction: target dose as a fraction of the input's dose, ``0 < a < 1``.
        geometry: the scanner (its bowtie sets ``b(γ)`` per channel).
        flux: full-dose quanta and electronic noise.
        rng: random generator; the same state gives the same noise.

    Returns:
        float32 array like ``sinogram`` to add to it; zero mean on every ray that expects more than 0.9–2.5 quanta
        (the log's upward bias at few counts is subtracted; below, the floor's starvation stays, see the module
        docstring).
    """
    a = check_dose_fraction(dose_fraction)
    detected = _detected_quanta(sinogram, geometry, flux)
    electronic_variance = flux.electronic_noise_variance * (1.0 + a) / (1.0 - a)
    expected = a / (1.0 - a) * detected
    log_ratio, bias = _log_noise(expected, electronic_variance, rng)
    missing = log_count_variance(a * detected, flux.electronic_noise_variance) - log_count_variance(
        detected, flux.electronic_noise_variance
    )
    extra_scan = np.maximum(log_count_variance(expected, electronic_variance), 1e-300)
    scale = np.sqrt(np.maximum(missing, 0.0) / extra_scan)
    # Only the upward bias of counting statistics is corrected; where it turns negative (below 0.9–2.5 expected
    # quanta, more with more electronic noise) the floor dominates, the counts carry no signal, and photon
    # starvation stays what it is.
    return (np.minimum(bias, 0.0) + (log_ratio - bias) * scale).astype(np.float32)


def _detected_quanta(sinogram: np.ndarray, geometry: FanBeamGeometry, flux: FluxModel) -> np.ndarray:
    """``N = I0·b(γ)·exp(−p)`` per ray (float64, the sinogram's shape)."""
    incident = flux.full_dose_photons * geometry.bowtie_relative_flux()
    return incident[None, :] * np.exp(-np.asarray(sinogram, dtype=np.float64))


def _log_noise(
    expected: np.ndarray, electronic_variance: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``ln(λ / max(C + e, 0.5))`` for one draw of the counts, and its expectation (:func:`log_count_bias`)."""
    counts = rng.poisson(expected).astype(np.float64)
    if electronic_variance > 0:
        counts += rng.normal(0.0, np.sqrt(electronic_variance), size=counts.shape)
    return np.log(expected / np.maximum(counts, _MIN_COUNTS)), log_count_bias(expected, electronic_variance)


def log_count_bias(expected_counts: np.ndarray, electronic_variance: float) -> np.ndarray:
    """``E[ln(λ / max(C + e, 0.5))]`` for ``C ~ Poisson(λ)``, ``e ~ Normal(0, σe²)``: the log's bias at few counts.

    Args:
        expected_counts: λ, any shape (quanta; ≥ 0).
        electronic_variance: σe² in quanta².

    Returns:
        float64 array like ``expected_counts``. Within :data:`_BIAS_TABLE_COUNTS` the expectation summed exactly
        over the Poisson counts and on a fine grid over the Gaussian, interpolated in ln λ; above it the Taylor
        series of ``−ln(1 + x)``, ``x = (C + e − λ)/λ``, to fourth order: ``μ2/(2λ²) − μ3/(3λ³) + μ4/(4λ⁴)`` with
        the central moments ``μ2 = λ + σe²``, ``μ3 = λ``, ``μ4 = λ + 3μ2²``; below it ``C = 0`` almost surely,
        so ``E[ln max(e, 0.5)]`` is fixed and the bias is ``ln λ`` plus a constant (it falls towards −∞), continued
        from the table's first value.
    """
    counts, bias, _ = _log_count_table(float(electronic_variance))
    shape = np.shape(expected_counts)
    expected = np.maximum(np.asarray(expected_counts, dtype=np.float64).reshape(-1), 1e-300)
    log_counts = np.log(expected)
    result = np.interp(log_counts, np.log(counts), bias)
    below = expected < counts[0]
    result[below] = bias[0] + log_counts[below] - np.log(counts[0])
    above = expected > counts[-1]
    many = expected[above]
    variance = many + electronic_variance  # central moments of C + e: μ2 = λ + σe², μ3 = λ, μ4 = λ + 3μ2²
    result[above] = variance / (2.0 * many**2) - many / (3.0 * many**3) + (many + 3.0 * variance**2) / (4.0 * many**4)
    return result.reshape(shape)


def log_count_variance(expected_counts: np.ndarray, electronic_variance: float) -> np.ndarray:
    """``Var[ln max(C + e, 0.5)]`` for ``C ~ Poisson(λ)``, ``e ~ Normal(0, σe²)``: one ray's log-domain noise variance.

    ``1/λ + σe²/λ²`` while the log is linear in the counts (Yu et al. 2012); exact at few counts, where the floor
    caps it.

    Args:
        expected_counts: λ, any shape (quanta; ≥ 0).
        electronic_variance: σe² in quanta².

    Returns:
        float64 array like ``expected_counts``. Within :data:`_BIAS_TABLE_COUNTS` summed exactly over the Poisson
        counts and on a fine grid over the Gaussian, ``λ·V`` interpolated in ln λ; above it the Taylor series of
        ``ln(1 + x)``, ``x = (C + e − λ)/λ``: ``m2 − m3 + 11/12·m4 − m2²/4`` with ``mk = μk/λᵏ`` (central moments
        as in :func:`log_count_bias`); below it ``C = 0`` almost surely and the variance is held at the table's
        first value (that of ``ln max(e, 0.5)`` when σe² > 0; ≈ 5e-4 without electronic noise, where it tends to 0).
    """
    counts, _, variance = _log_count_table(float(electronic_variance))
    shape = np.shape(expected_counts)
    expected = np.maximum(np.asarray(expected_counts, dtype=np.float64).reshape(-1), 1e-300)
    # λ·V(λ) (≈ 1 + σe²/λ while the log is linear) is nearly constant in ln λ where V itself falls as 1/λ, so
    # interpolating it keeps differences of nearby values (the missing variance near a = 1) exact to ≈ 1e-4.
    result = np.interp(np.log(expected), np.log(counts), counts * variance) / expected
    result[expected < counts[0]] = variance[0]
    above = expected > counts[-1]
    many = expected[above]
    mu2 = many + electronic_variance
    m2, m3, m4 = mu2 / many**2, many / many**3, (many + 3.0 * mu2**2) / many**4
    result[above] = m2 - m3 + 11.0 / 12.0 * m4 - m2**2 / 4.0
    return result.reshape(shape)


@lru_cache(maxsize=16)
def _log_count_table(electronic_variance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(λ, E[ln(λ / max(C + e, 0.5))], Var[ln max(C + e, 0.5)])`` on :data:`_BIAS_TABLE_COUNTS`: exact sum over
    C, 321-point grid over e."""
    counts = np.geomspace(*_BIAS_TABLE_COUNTS)
    if electronic_variance > 0:
        sigma = np.sqrt(electronic_variance)
        electronic = np.linspace(-8.0, 8.0, 321) * sigma
        weights = stats.norm.pdf(electronic, scale=sigma)
        weights /= weights.sum()
    else:
        electronic, weights = np.zeros(1), np.ones(1)
    bias, variance = np.empty(counts.size), np.empty(counts.size)
    for index, mean in enumerate(counts):
        k = np.arange(int(mean + 12.0 * np.sqrt(mean) + 40.0))
        probability = stats.poisson.pmf(k, mean)[:, None] * weights[None, :]
        log_ratio = np.log(mean / np.maximum(k[:, None] + electronic[None, :], _MIN_COUNTS))
        bias[index] = (probability * log_ratio).sum()
        variance[index] = (probability * (log_ratio - bias[index]) ** 2).sum()
    for table in (counts, bias, variance):
        table.flags.writeable = False  # shared by every caller through the cache
    return counts, bias, variance
