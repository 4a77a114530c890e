"""Model observers against analytic results on white Gaussian noise (Barrett & Myers 2004, ch. 13–14)."""

import numpy as np
import pytest
from scipy.stats import norm

from ctdenoise.errors import CtDenoiseError
from ctdenoise.iq.observers import auc_from_dprime, laguerre_gauss_channels, lg_cho, npw_observer

SIGMA = 2.0
SHAPE = (15, 15)


def disk_signal(radius_px: float, amplitude: float) -> np.ndarray:
    rows, cols = np.indices(SHAPE) - 7.0
    return amplitude * (np.hypot(rows, cols) <= radius_px)


def white_noise_sets(signal: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    present = rng.normal(0.0, SIGMA, (n, *SHAPE)) + signal
    return present, rng.normal(0.0, SIGMA, (n, *SHAPE))


def analytic_channel_dprime(signal: np.ndarray, channels: np.ndarray) -> float:
    """√((Uᵀs)ᵀ(σ²UᵀU)⁻¹(Uᵀs)): the CHO's d′ on white noise, computed directly from the definition."""
    projected = channels.T @ signal.ravel()
    return float(np.sqrt(projected @ np.linalg.solve(SIGMA**2 * channels.T @ channels, projected)))


@pytest.mark.parametrize(("radius_px", "amplitude", "width_px"), [(3.0, 1.0, 6.0), (2.0, 2.0, 4.0)])
def test_lg_cho_matches_channel_space_dprime_on_white_noise(radius_px, amplitude, width_px):
    signal = disk_signal(radius_px, amplitude)
    ideal = np.linalg.norm(signal) / SIGMA
    channels = laguerre_gauss_channels(SHAPE, width_px, 5)
    expected = analytic_channel_dprime(signal, channels)
    present, absent = white_noise_sets(signal, 3000, seed=1)
    result = lg_cho(present, absent, channel_width_px=width_px, n_channels=5, n_readers=5, n_bootstrap=200)
    assert expected <= ideal
    assert result.dprime == pytest.approx(expected, rel=0.05)
    assert result.dprime <= ideal
    # 95 % CI half-width ≈ 1.96·√((1/n₁ + 1/n₀)(1 + d′²/4)), the large-sample s.e. of d′ for n = 1500 test images.
    half_width = 0.5 * (result.dprime_ci[1] - result.dprime_ci[0])
    assert half_width == pytest.approx(1.96 * np.sqrt((2 / 1500) * (1 + expected**2 / 4)), rel=0.25)
    assert result.auc == pytest.approx(norm.cdf(result.dprime / np.sqrt(2.0)), abs=1e-12)


def test_npw_on_white_noise_equals_ideal_observer():
    signal = disk_signal(3.0, 1.0)
    present, absent = white_noise_sets(signal, 4000, seed=2)
    result = npw_observer(present, absent, n_readers=5, n_bootstrap=200)
    assert result.dprime == pytest.approx(np.linalg.norm(signal) / SIGMA, rel=0.05)


def test_no_signal_gives_chance_auc():
    present, absent = white_noise_sets(np.zeros(SHAPE), 400, seed=3)
    result = lg_cho(present, absent, channel_width_px=5.0)
    assert result.dprime_ci[0] < 0.0 < result.dprime_ci[1]
    assert auc_from_dprime(0.0) == 0.5


def test_observer_rejects_too_few_images():
    with pytest.raises(CtDenoiseError, match="at least 4"):
        npw_observer(np.zeros((3, *SHAPE)), np.zeros((3, *SHAPE)))
