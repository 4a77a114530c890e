import numpy as np
import pytest

from ctdenoise.simulate.analytic import ellipse_line_integrals, water_cylinder
from ctdenoise.simulate.attenuation import circle_mask
from ctdenoise.simulate.fbp import fbp_reconstruct
from ctdenoise.simulate.geometry import MU_WATER_PER_MM, FanBeamGeometry
from ctdenoise.simulate.validation import round_trip_rmse_hu


def test_noise_free_round_trip_is_within_3_hu_in_flat_regions():
    geometry = FanBeamGeometry.preset("siemens").with_views(360)
    assert round_trip_rmse_hu(geometry, size_px=128, pixel_mm=2.0) <= 3.0


def test_fbp_of_the_exact_sinogram_recovers_water():
    # Exact (analytic) line integrals of a 200 mm water cylinder: FBP must give 0 HU inside, air outside.
    geometry = FanBeamGeometry.preset("ge").with_views(360)
    sinogram = ellipse_line_integrals(water_cylinder(200.0), geometry)
    image = fbp_reconstruct(sinogram, (128, 128), (2.0, 2.0), geometry)
    hu = 1000.0 * (image / MU_WATER_PER_MM - 1.0)
    inside = circle_mask(image.shape, (2.0, 2.0), 90.0)
    outside = ~circle_mask(image.shape, (2.0, 2.0), 110.0) & circle_mask(image.shape, (2.0, 2.0), 125.0)
    assert hu[inside].mean() == pytest.approx(0.0, abs=2.0)
    assert np.abs(hu[inside]).max() < 10.0
    assert hu[outside].mean() == pytest.approx(-1000.0, abs=5.0)
