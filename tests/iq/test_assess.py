"""Detectability, NPS and TTF of simulated FBP scans of the low-contrast phantom; inserts found in a ground truth."""

import numpy as np
import pytest

from ctdenoise.iq.assess import assess_realisations, find_inserts, remove_hu_offset
from ctdenoise.iq.phantom import LowContrastPhantom, RodInsert, cct189_inserts
from ctdenoise.iq.realisations import simulate_realisations
from ctdenoise.simulate import FanBeamGeometry, FluxModel


@pytest.fixture(scope="module")
def small_phantom_results():
    """A 100 mm cylinder, rods 3/5/7/10 mm all at +14 HU, 40 scans per class at 10 % and 100 % dose (180 views)."""
    inserts = tuple(RodInsert(rod.center_mm, rod.diameter_mm, 14.0) for rod in cct189_inserts(25.0))
    phantom = LowContrastPhantom((112, 112), (1.0, 1.0), 100.0, inserts, ttf_rods=(), nps_region_mm=30.0)
    geometry = FanBeamGeometry.preset("siemens").with_views(180)
    return {
        dose: assess_realisations(
            simulate_realisations(phantom, dose, 40, FluxModel(2.0e4), geometry, seed=0, progress=False), phantom
        )
        for dose in (0.1, 1.0)
    }


@pytest.mark.slow
def test_fbp_detectability_rises_with_dose_and_insert_size(small_phantom_results):
    low, full = small_phantom_results[0.1]["inserts"], small_phantom_results[1.0]["inserts"]
    assert [row["diameter_mm"] for row in full] == [3.0, 5.0, 7.0, 10.0]
    for low_row, full_row in zip(low, full, strict=True):
        assert full_row["dprime"] > low_row["dprime"]
        assert full_row["auc"] > low_row["auc"]
    assert np.all(np.diff([row["dprime"] for row in full]) > 0)
    assert np.all(np.diff([row["auc"] for row in full]) > 0)


@pytest.mark.slow
def test_fbp_noise_scales_as_inverse_square_root_of_dose(small_phantom_results):
    ratio = small_phantom_results[0.1]["nps"]["noise_std_hu"] / small_phantom_results[1.0]["nps"]["noise_std_hu"]
    assert ratio == pytest.approx(np.sqrt(10.0), rel=0.1)  # quantum noise: σ ∝ 1/√dose


def test_cct189_inserts_are_found_in_the_ground_truth():
    phantom = LowContrastPhantom((256, 256), (0.8, 0.8))
    found = find_inserts(phantom.hu_image(signal_present=True), phantom.pixel_mm)
    low_contrast = [insert for insert in found if abs(insert.contrast_hu) <= 100]
    assert [round(insert.diameter_mm) for insert in low_contrast] == [3, 5, 7, 10]
    assert [insert.contrast_hu for insert in low_contrast][1:] == pytest.approx([7.0, 5.0, 3.0], abs=0.2)
    expected = phantom.detection_inserts[3].center_rc(phantom.shape_yx, phantom.pixel_mm)
    assert low_contrast[3].center_rc == pytest.approx(expected, abs=0.1)
    assert sorted(round(insert.contrast_hu) for insert in found if abs(insert.contrast_hu) > 100) == [120, 340]


def test_plus_1000_storage_offset_is_detected():
    hu = LowContrastPhantom().hu_image(signal_present=False)
    assert remove_hu_offset(hu + 1000.0)[1] == 1000.0
    assert remove_hu_offset(hu)[1] == 0.0
    water_only = np.random.default_rng(0).normal(0.0, 10.0, (4, 32, 32))
    assert remove_hu_offset(water_only)[1] == 0.0
