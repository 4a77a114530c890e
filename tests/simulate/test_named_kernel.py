"""Named clinical kernels (``--kernel siemens-b70f``): measured on real scans, shipped, reproducible, and matched."""

import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import read_volume
from ctdenoise.metrics.nps import nps_from_rois, nps_shape_correlation
from ctdenoise.simulate.calibrate import fit_noise_model
from ctdenoise.simulate.geometry import FanBeamGeometry
from ctdenoise.simulate.lowdose import scan_noise_hu, slice_rng
from ctdenoise.simulate.named_kernel import NAMED_KERNELS, named_kernel_nps, named_kernel_record
from ctdenoise.simulate.noise import FluxModel
from ctdenoise.simulate.scan_noise import measure_scan_noise, tissue_rois
from ctdenoise.simulate.validation import water_cylinder_hu
from ctdenoise.volume import Volume

GEOMETRY = FanBeamGeometry.preset("siemens").with_views(240)
PIXEL_MM = 0.7  # the real scans' pixels (0.56–0.98 mm): the named NPS reach 0.5–0.9 mm⁻¹


@pytest.mark.parametrize("name", list(NAMED_KERNELS))
def test_each_named_kernel_is_what_its_recipe_measures_on_its_source_scan(shared_dir, name):
    # The shipped file against a new measurement of the real scan it names (scripts/make_named_kernels.py).
    record = named_kernel_record(name)
    scan = read_volume(shared_dir / "data" / record["source_file"])
    measured = measure_scan_noise(scan, n_slices=record["n_slice_pairs"], source=name).summary()
    assert measured["radial_nps_hu2_mm2"] == record["radial_nps_hu2_mm2"]
    assert measured["noise_std_hu"] == record["noise_std_hu"]
    assert record["licence"] and record["citation"] and "NC" not in record["licence"]  # may ship in Apache-2.0


def test_named_kernels_order_as_their_sharpness():
    peaks = {name: named_kernel_record(name)["peak_frequency_per_mm"] for name in NAMED_KERNELS}
    assert peaks["ge-standard"] < 0.15 < peaks["philips-c"] < 0.35 < peaks["siemens-b70f"]


def _noise_with(kernel_name: str) -> tuple[np.ndarray, np.ndarray, object]:
    """The simulator's full-dose noise on a water cylinder, with the named kernel fitted to it, and its ROIs."""
    clean = water_cylinder_hu(160, PIXEL_MM, 100.0)
    scan = Volume(np.stack([clean] * 4), spacing_mm=(2.0, PIXEL_MM, PIXEL_MM))
    model = fit_noise_model(scan, GEOMETRY, kernel_name, n_slices=3, source="cylinder")
    rois = tissue_rois(scan, 24, 3, None, "cylinder")
    noise = {
        k: scan_noise_hu(clean, (PIXEL_MM, PIXEL_MM), GEOMETRY, FluxModel(), slice_rng(7, k), model.kernel)
        for k in np.unique(rois.slice_index).tolist()
    }
    return nps_from_rois(rois.cut(noise), (PIXEL_MM, PIXEL_MM)), model


@pytest.mark.parametrize("name", ["ge-standard", "siemens-b70f"])
def test_a_named_kernel_gives_the_inserted_noise_the_texture_of_its_real_scan(name):
    inserted, model = _noise_with(name)
    real = named_kernel_nps(name)
    assert name in model.note and named_kernel_record(name)["source_scan"] in model.note
    assert "0.000 (independent slices: ρ₁ is measured when calibrating" in model.note  # not "too few slices"
    assert nps_shape_correlation(real, inserted) >= 0.95
    # The real scan's peak from its fine (zero-padded) curve, recorded with it; the radial bins are 0.06 mm⁻¹ apart.
    assert inserted.peak_frequency_per_mm == pytest.approx(named_kernel_record(name)["peak_frequency_per_mm"], rel=0.1)


def test_an_unknown_kernel_name_is_refused_with_the_names_there_are():
    scan = Volume(np.stack([water_cylinder_hu(64, 2.0, 50.0)] * 2), spacing_mm=(2.0, 2.0, 2.0))
    with pytest.raises(CtDenoiseError, match="unknown noise kernel 'b30f'.*ge-standard, philips-c, siemens-b70f"):
        fit_noise_model(scan, GEOMETRY, "b30f", source="cylinder")
