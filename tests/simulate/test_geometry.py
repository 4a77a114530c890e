import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.geometry import FanBeamGeometry


@pytest.mark.parametrize("name", ["siemens", "ge"])
def test_presets_cover_the_published_50_cm_scan_field(name):
    # Both scanners are specified with a 50 cm scan field of view.
    assert FanBeamGeometry.preset(name).scan_fov_mm == pytest.approx(500.0, abs=5.0)


def test_bowtie_passes_full_flux_on_the_central_ray_and_less_towards_the_edges():
    geometry = FanBeamGeometry.preset("siemens")
    flux = geometry.bowtie_relative_flux()
    centre = geometry.n_channels // 2
    assert flux.max() == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.diff(flux[centre:]) < 0) and np.all(np.diff(flux[:centre]) > 0)
    # The outermost channel centre sits half a channel inside the fan edge, where the bowtie is 150 mm of water.
    assert np.exp(-0.0192 * 150.0) < flux[-1] < np.exp(-0.0192 * 130.0)


def test_unknown_preset_is_a_user_error():
    with pytest.raises(CtDenoiseError, match="unknown scanner geometry 'philips'"):
        FanBeamGeometry.preset("philips")
