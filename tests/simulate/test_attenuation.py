import numpy as np

from ctdenoise.simulate.attenuation import circle_mask, hu_to_mu, mu_to_hu_difference


def test_hu_to_mu_follows_the_hu_definition_and_turns_padding_into_air():
    hu = np.array([[-3024.0, -1100.0, -1000.0, 0.0, 1000.0]])
    mu = hu_to_mu(hu)
    # μ = μ_water (1 + HU/1000), μ_water = 0.0192 /mm; below air clips to 0; padding (< −1024) is air.
    np.testing.assert_allclose(mu[0], [0.0, 0.0, 0.0, 0.0192, 0.0384], atol=1e-7)


def test_outside_the_reconstruction_circle_is_air_and_differences_convert_back():
    hu = np.zeros((8, 8), np.float32)
    inside = circle_mask(hu.shape, (1.0, 1.0), 4.0)
    mu = hu_to_mu(hu, inside)
    assert mu[0, 0] == 0.0 and mu[4, 4] > 0.0
    assert not inside[0, 0] and inside[3, 3]
    np.testing.assert_allclose(mu_to_hu_difference(np.float32(0.0192 * 0.01)), 10.0, rtol=1e-5)
