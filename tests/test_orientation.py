"""Work along the patient's slice axis whatever the storage order: checked against the DICOM equation
(position = origin + Σ index · spacing · direction, PS3.3 C.7.6.2.1.1) evaluated by ``Volume.index_to_lps``."""

from __future__ import annotations

import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.orientation import along_slice_axis, axial_order, permute_axes
from ctdenoise.simulate.slice_thickness import average_slices
from ctdenoise.volume import Volume

# A coronal stack as a coronal DICOM series stores it: rows run feet-ward (−S), slices step anterior (−A... +P).
CORONAL_DIRECTION = np.column_stack([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def coronal_volume() -> Volume:
    volume = Volume(np.zeros((4, 12, 5)), spacing_mm=(3.0, 1.0, 0.7), origin_mm=(5.0, -20.0, 40.0))
    volume.direction = CORONAL_DIRECTION
    positions = volume.index_to_lps(np.stack(np.indices(volume.shape), axis=-1))
    # HU linear in LPS: averaging along any straight line keeps HU = f(position) at the averaged voxel's centre.
    volume.hu = (2.0 * positions[..., 0] - 3.0 * positions[..., 1] + 5.0 * positions[..., 2]).astype(np.float32)
    return volume


def test_the_head_feet_axis_of_a_coronal_stack_is_found_and_voxels_keep_their_positions():
    volume = coronal_volume()
    order = axial_order(volume)
    assert order == (1, 0, 2)  # rows run along S–I
    axial = permute_axes(volume, order)
    assert axial.shape == (12, 4, 5) and axial.spacing_mm == (1.0, 3.0, 0.7)
    for index in [(0, 0, 0), (7, 3, 4), (11, 1, 2)]:
        original = (index[1], index[0], index[2])
        np.testing.assert_allclose(axial.index_to_lps(index), volume.index_to_lps(original), atol=1e-9)
        assert axial.hu[index] == volume.hu[original]


def test_slice_averaging_of_a_coronal_stack_acts_along_head_feet_and_is_stored_back():
    volume = coronal_volume()
    thick = along_slice_axis(volume, lambda axial: average_slices(axial, 2.0))
    assert thick.shape == (4, 6, 5)  # the 12 rows along S–I became 6 two-mm rows; slices and columns kept
    assert thick.spacing_mm == pytest.approx((3.0, 2.0, 0.7))
    np.testing.assert_allclose(thick.direction, CORONAL_DIRECTION)
    positions = thick.index_to_lps(np.stack(np.indices(thick.shape), axis=-1))
    expected = 2.0 * positions[..., 0] - 3.0 * positions[..., 1] + 5.0 * positions[..., 2]
    np.testing.assert_allclose(thick.hu, expected, atol=1e-3)


def test_an_axial_volume_is_left_as_it_is_and_an_oblique_one_refused():
    axial = Volume(np.zeros((3, 4, 4)))
    assert along_slice_axis(axial, lambda v: v) is axial
    angle = np.radians(45)
    oblique = Volume(np.zeros((3, 4, 4)))
    oblique.direction = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    with pytest.raises(CtDenoiseError, match="scan.nii.gz: no array axis lies along the patient's head–feet axis"):
        axial_order(oblique, "scan.nii.gz")
