import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.noise import FluxModel, log_count_bias, log_count_variance, missing_dose_noise, scan_noise
from ctdenoise.simulate.noise_kernel import STANDARD_KERNEL, NoiseKernel
from ctdenoise.simulate.validation import noise_dose_scaling, noise_power_shape

GEOMETRY = FanBeamGeometry.preset("siemens").with_views(288)


@pytest.mark.parametrize("dose_fraction", [0.5, 0.1])
def test_log_domain_variance_is_the_missing_dose_variance(dose_fraction):
    # Yu et al. 2012: var(low) − var(full) = (1−a)/(aN) + σe²(1−a²)/(a²N²) with N = I0·b(γ)·exp(−p).
    flux = FluxModel(full_dose_photons=1e5, electronic_noise_variance=10.0)
    geometry = FanBeamGeometry.preset("siemens").with_views(400)
    sinogram = np.full((geometry.n_views, geometry.n_channels), 4.0, dtype=np.float32)
    noise = missing_dose_noise(sinogram, dose_fraction, geometry, flux, np.random.default_rng(1))
    centre = slice(geometry.n_channels // 2 - 20, geometry.n_channels // 2 + 20)
    detected = flux.full_dose_photons * geometry.bowtie_relative_flux()[centre] * np.exp(-4.0)
    a = dose_fraction
    expected = (1 - a) / (a * detected) + flux.electronic_noise_variance * (1 - a * a) / (a * a * detected**2)
    assert noise[:, centre].var(axis=0).mean() == pytest.approx(expected.mean(), rel=0.05)
    assert abs(noise[:, centre].mean()) < 0.1 * np.sqrt(expected.mean())


@pytest.mark.parametrize("electronic_variance", [0.0, 16.7])
@pytest.mark.parametrize("expected_counts", [0.3, 2.0, 5.0, 20.0, 2000.0])
def test_log_count_bias_is_the_mean_of_the_log_of_floored_noisy_counts(expected_counts, electronic_variance):
    # Independent reference: the sample mean of ln(λ / max(C + e, 0.5)) over 2e6 Poisson + Gaussian draws.
    rng = np.random.default_rng(3)
    counts = rng.poisson(expected_counts, 2_000_000) + rng.normal(0.0, np.sqrt(electronic_variance), 2_000_000)
    log_ratio = np.log(expected_counts / np.maximum(counts, 0.5))
    tolerance = 5.0 * log_ratio.std() / np.sqrt(log_ratio.size) + 1e-4
    assert log_count_bias(np.array([expected_counts]), electronic_variance)[0] == pytest.approx(
        log_ratio.mean(), abs=tolerance
    )


def _direct_log_moments(expected_counts: float, electronic_variance: float) -> tuple[float, float]:
    # E[x] and Var[x] of x = ln(λ / max(C + e, 0.5)) by direct summation over the Poisson counts within 10 σ, each
    # integrated over the Gaussian e: Gauss–Hermite where the floor cannot bind, else adaptive quadrature split at
    # its kink (no table, no series).
    from scipy import integrate, stats

    sigma = np.sqrt(electronic_variance)
    nodes, node_weights = np.polynomial.hermite.hermgauss(40)
    spread = 10 * np.sqrt(expected_counts) + 10
    k = np.arange(max(0, int(expected_counts - spread)), int(expected_counts + spread) + 1)
    moments = np.zeros(2)
    for count, weight in zip(k, stats.poisson.pmf(k, expected_counts), strict=True):
        kink = 0.5 - count  # e below it: the count is floored to 0.5
        if kink < -12 * sigma:
            log_ratio = np.log(expected_counts / (count + np.sqrt(2) * sigma * nodes))
            moments += weight * np.array([log_ratio @ node_weights, log_ratio**2 @ node_weights]) / np.sqrt(np.pi)
            continue
        for power in (1, 2):

            def integrand(e: float, count: int = count, power: int = power) -> float:
                return np.log(expected_counts / max(count + e, 0.5)) ** power * stats.norm.pdf(e, scale=sigma)

            low = integrate.quad(integrand, -12 * sigma, min(kink, 12 * sigma))[0] if kink > -12 * sigma else 0.0
            high = integrate.quad(integrand, max(kink, -12 * sigma), 12 * sigma)[0] if kink < 12 * sigma else 0.0
            moments[power - 1] += weight * (low + high)
    return float(moments[0]), float(moments[1] - moments[0] ** 2)


def _direct_log_bias(expected_counts: float, electronic_variance: float) -> float:
    return _direct_log_moments(expected_counts, electronic_variance)[0]


@pytest.mark.parametrize("expected_counts", [1e-5, 2e3])
def test_log_count_bias_beyond_its_table_matches_a_direct_sum(expected_counts):
    # Above the table: the fourth-order Taylor series (its μ3 and μ4 terms move λ = 2e3 by 4e-4 of the bias);
    # below it: ln λ continued from the table's first value.
    direct = _direct_log_bias(expected_counts, 16.7)
    assert log_count_bias(np.array([expected_counts]), 16.7)[0] == pytest.approx(direct, rel=1e-4, abs=1e-9)


def test_log_count_bias_is_continuous_at_the_edges_of_its_table():
    for edge in (1e-3, 1e3):
        below, above = log_count_bias(np.array([edge * (1 - 1e-9), edge * (1 + 1e-9)]), 16.7)
        assert above == pytest.approx(below, rel=1e-3)


@pytest.mark.parametrize("dose_fraction", [0.25, 0.1])
@pytest.mark.parametrize("detected", [10.0, 30.0, 100.0, 1e4])
def test_full_dose_noise_plus_missing_noise_has_the_variance_of_a_scan_at_that_dose(detected, dose_fraction):
    # Independent reference: a scan simulated directly at dose a (Poisson counts of a·N quanta, electronic noise,
    # floor, log), ray by ray against one full-dose scan plus the inserted noise. Yu's independent extra scan at
    # a′ = a/(1−a) alone has 1.8× the missing variance at N = 10 detected quanta and 0.95× at N = 100 (a = 0.25).
    geometry = FanBeamGeometry.preset("siemens")
    flux = FluxModel(full_dose_photons=1e5, electronic_noise_variance=10.0)
    centre = slice(geometry.n_channels // 2 - 20, geometry.n_channels // 2 + 20)
    bowtie = geometry.bowtie_relative_flux()
    line_integral = np.log(flux.full_dose_photons * bowtie / detected)  # N = `detected` on every channel
    sinogram = np.broadcast_to(line_integral, (4000, geometry.n_channels)).astype(np.float32)
    full = scan_noise(sinogram, geometry, flux, np.random.default_rng(4))
    low = full + missing_dose_noise(sinogram, dose_fraction, geometry, flux, np.random.default_rng(5))
    rng = np.random.default_rng(6)
    counts = rng.poisson(dose_fraction * detected, 160_000) + rng.normal(0.0, np.sqrt(10.0), 160_000)
    direct = np.log(np.maximum(counts, 0.5))  # a scan at dose a, drawn here: its log's variance
    assert low[:, centre].var() == pytest.approx(direct.var(), rel=0.03)


@pytest.mark.parametrize("electronic_variance", [0.0, 10.0])
@pytest.mark.parametrize("expected_counts", [0.3, 3.0, 12.0, 200.0, 5000.0])
def test_log_count_variance_is_the_variance_of_the_log_of_floored_noisy_counts(expected_counts, electronic_variance):
    # Independent reference: the sample variance of ln max(C + e, 0.5) over 2e6 Poisson + Gaussian draws.
    rng = np.random.default_rng(8)
    counts = rng.poisson(expected_counts, 2_000_000) + rng.normal(0.0, np.sqrt(electronic_variance), 2_000_000)
    sample = np.log(np.maximum(counts, 0.5)).var()
    assert log_count_variance(np.array([expected_counts]), electronic_variance)[0] == pytest.approx(sample, rel=0.01)


def test_log_count_variance_is_continuous_at_the_edges_of_its_table_and_takes_any_shape():
    for edge in (1e-3, 1e3):
        below, above = log_count_variance(np.array([edge * (1 - 1e-9), edge * (1 + 1e-9)]), 16.7)
        assert above == pytest.approx(below, rel=1e-5)
    assert np.shape(log_count_variance(5.0, 10.0)) == () and log_count_variance(np.ones((2, 3)), 10.0).shape == (2, 3)
    assert np.shape(log_count_bias(5e3, 10.0)) == ()


@pytest.mark.parametrize("dose_fraction", [0.9, 0.99])
@pytest.mark.parametrize("detected", [10.0, 100.0, 999.0])
def test_missing_variance_near_full_dose_matches_a_direct_sum(detected, dose_fraction):
    # Near a = 1 the missing variance V(aN) − V(N) is a small difference of two table values (1 % of V(N) at
    # a = 0.99); each V from direct summation and quadrature, no table. Interpolating V itself on 40 points per
    # decade left it up to 3 % off here.
    direct = _direct_log_moments(dose_fraction * detected, 10.0)[1] - _direct_log_moments(detected, 10.0)[1]
    table = log_count_variance(np.array([dose_fraction * detected, detected]), 10.0)
    assert table[0] - table[1] == pytest.approx(direct, rel=0.005)


def test_missing_dose_noise_is_zero_mean_where_few_quanta_arrive():
    # About 3 expected quanta per ray at a = 0.25 (a′ = 1/3): the raw log of the counts is biased by +0.3.
    geometry = FanBeamGeometry.preset("siemens").with_views(400)
    flux = FluxModel(full_dose_photons=1e4, electronic_noise_variance=10.0)
    sinogram = np.full((geometry.n_views, geometry.n_channels), np.log(1e4 / 9.0), dtype=np.float32)
    noise = missing_dose_noise(sinogram, 0.25, geometry, flux, np.random.default_rng(2))
    centre = noise[:, geometry.n_channels // 2 - 20 : geometry.n_channels // 2 + 20]
    assert abs(centre.mean()) < 5.0 * centre.std() / np.sqrt(centre.size)


#: A sharp matched kernel (|T|² = exp(3x² − 1.5x⁴), up to the 2 mm pixels' Nyquist frequency): the laws must not care.
SHARP_KERNEL = NoiseKernel.from_log_polynomial("sharp", "shepp-logan", (3.0, -1.5), 0.25)


@pytest.mark.parametrize("kernel", [STANDARD_KERNEL, SHARP_KERNEL], ids=["standard", "sharp"])
def test_inserted_noise_scales_with_dose_as_the_physics_says(kernel):
    result = noise_dose_scaling(GEOMETRY, size_px=128, pixel_mm=2.0, diameter_mm=200.0, repeats=2, kernel=kernel)
    inserted, total = result["inserted_std"], result["total_std"]
    # Noise-free water cylinder: std ∝ √((1−a)/a) → 1.73 and 3.00 against a = 0.5.
    assert inserted[0.25] / inserted[0.5] == pytest.approx(np.sqrt(3.0), rel=0.10)
    assert inserted[0.1] / inserted[0.5] == pytest.approx(3.0, rel=0.10)
    # Cylinder already carrying full-dose noise: total std ∝ 1/√a → √2 and √5 against a = 0.5.
    assert total[0.25] / total[0.5] == pytest.approx(np.sqrt(2.0), rel=0.10)
    assert total[0.1] / total[0.5] == pytest.approx(np.sqrt(5.0), rel=0.10)
    assert all(abs(bias) <= 3.0 for bias in result["bias"].values())


def test_noise_power_spectrum_is_band_pass_not_white():
    shape = noise_power_shape(GEOMETRY, size_px=128, pixel_mm=2.0, diameter_mm=200.0)
    assert shape["low_over_peak"] < 0.5  # ramp filter: little power near zero frequency
    assert shape["nyquist_over_peak"] < 0.5  # smooth window: little power at the highest frequencies
    assert 0.0 < shape["peak_frequency_per_mm"] < shape["nyquist_per_mm"]


@pytest.mark.parametrize("dose_fraction", [0.0, 1.0, 1.5, -0.1])
def test_dose_fraction_outside_zero_one_is_a_user_error(dose_fraction):
    sinogram = np.zeros((4, 736), np.float32)
    with pytest.raises(CtDenoiseError, match="dose fraction must be between 0 and 1"):
        missing_dose_noise(sinogram, dose_fraction, GEOMETRY, FluxModel(), np.random.default_rng(0))
