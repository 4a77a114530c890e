import pytest

from ctdenoise.simulate.calibrate import calibrated_flux
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.lowdose import low_dose_noise_hu, slice_rng
from ctdenoise.simulate.noise import FluxModel
from ctdenoise.simulate.validation import water_cylinder_hu
from ctdenoise.volume import Volume


def test_calibration_recovers_the_flux_of_a_scan_with_known_noise():
    # A "scan" of a 220 mm water cylinder carrying the full-dose noise of I0 = 5e4 quanta per ray (the missing
    # noise of a = 0.5 equals one full-dose scan's noise); calibration starts from the default 2e5.
    geometry = FanBeamGeometry.preset("siemens").with_views(240)
    true_flux = FluxModel(full_dose_photons=5e4)
    clean = water_cylinder_hu(128, 2.0, 220.0)
    scan = [clean + low_dose_noise_hu(clean, (2.0, 2.0), 0.5, geometry, true_flux, slice_rng(99, k)) for k in range(3)]
    volume = Volume(scan, spacing_mm=(1.0, 2.0, 2.0))
    estimated = calibrated_flux(volume, geometry=geometry, n_slices=3)
    assert estimated.full_dose_photons == pytest.approx(5e4, rel=0.15)
