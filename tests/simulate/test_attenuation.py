import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.attenuation import circle_mask, hu_to_mu, mu_to_hu_difference
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.projector import forward_project


def test_hu_to_mu_follows_the_hu_definition_and_turns_air_and_padding_into_air():
    # Left: padding (−3024) and air (−1000); right: lung (−850), water (0) and bone-like (+1000) bands.
    hu = np.full((40, 80), -1000.0, np.float32)
    hu[:, :10] = -3024.0
    for column, value in ((40, -850.0), (55, 0.0), (68, 1000.0)):
        hu[:, column : column + 12] = value
    mu = hu_to_mu(hu, (1.0, 1.0))
    # μ = μ_water (1 + HU/1000), μ_water = 0.0192 /mm, away from the bands' edges (the air test smooths over 2 mm).
    np.testing.assert_allclose(mu[20, [2, 25, 46, 61, 74]], [0.0, 0.0, 0.00288, 0.0192, 0.0384], atol=1e-7)


def test_noisy_air_and_lung_project_like_the_noise_free_image():
    # Independent reference: the projection of the noise-free phantom (noise is zero-mean, so the mean line
    # integral must not change). Rectifying noise (μ < 0 → 0, as until simulator revision 3) added +σ·φ(0) ≈ 40 HU
    # of attenuation to air with σ = 100 HU noise: +0.08 on the rays that cross 100 mm of it.
    pixel = (1.0, 1.0)
    geometry = FanBeamGeometry.preset("siemens").with_views(180)
    rows, cols = np.mgrid[:256, :256] - 127.5
    radius = np.hypot(rows, cols)
    clean = np.where(radius < 80, 0.0, -1000.0).astype(np.float32)
    clean[np.hypot(rows, cols - 35) < 30] = -850.0  # a lung
    noisy = clean + np.random.default_rng(0).normal(0.0, 100.0, clean.shape).astype(np.float32)
    inside = circle_mask(clean.shape, pixel, 127.0)
    bias = forward_project(hu_to_mu(noisy, pixel, inside), pixel, geometry) - forward_project(
        hu_to_mu(clean, pixel, inside), pixel, geometry
    )
    assert abs(bias.mean()) < 0.005


def test_outside_the_reconstruction_circle_is_air_and_differences_convert_back():
    hu = np.zeros((8, 8), np.float32)
    inside = circle_mask(hu.shape, (1.0, 1.0), 4.0)
    mu = hu_to_mu(hu, (1.0, 1.0), inside)
    assert mu[0, 0] == 0.0 and mu[4, 4] > 0.0
    assert not inside[0, 0] and inside[3, 3]
    np.testing.assert_allclose(mu_to_hu_difference(np.float32(0.0192 * 0.01)), 10.0, rtol=1e-5)


def test_a_mask_in_place_of_the_pixel_size_is_a_clear_error():
    hu = np.zeros((8, 8), np.float32)
    with pytest.raises(CtDenoiseError, match="pixel size must be"):
        hu_to_mu(hu, circle_mask(hu.shape, (1.0, 1.0), 4.0))  # the signature before simulator revision 3
