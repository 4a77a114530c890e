import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.slice_thickness import average_slices
from ctdenoise.volume import Volume


def test_two_1_mm_slices_become_one_2_mm_slice_centred_between_them():
    hu = np.arange(5, dtype=np.float32)[:, None, None] * np.ones((5, 3, 3), np.float32)
    # Slice axis pointing feet-ward (−z) to check the origin moves along the slice direction, not +z.
    direction = np.diag([1.0, 1.0, -1.0])
    thin = Volume(hu, spacing_mm=(1.0, 0.8, 0.8), origin_mm=(10.0, 20.0, 30.0), direction=direction)
    thick = average_slices(thin, 2.0)
    assert thick.shape == (2, 3, 3)
    np.testing.assert_allclose(thick.hu[:, 0, 0], [0.5, 2.5])
    assert thick.spacing_mm == (2.0, 0.8, 0.8)
    assert thick.origin_mm == pytest.approx((10.0, 20.0, 29.5))
    # Output slice k sits midway between input slices 2k and 2k+1.
    np.testing.assert_allclose(thick.index_to_lps(np.array([1, 0, 0])), thin.index_to_lps(np.array([2.5, 0, 0])))


def test_slice_thickness_that_is_not_a_multiple_is_a_user_error():
    thick_input = Volume(np.zeros((4, 2, 2)), spacing_mm=(3.0, 1.0, 1.0))
    with pytest.raises(CtDenoiseError, match=r"scan.nii.gz: cannot make 2 mm slices from 3 mm slices"):
        average_slices(thick_input, 2.0, source="scan.nii.gz")
    assert average_slices(thick_input, 6.0).shape == (2, 2, 2)


def test_slices_that_cannot_fill_a_thick_slice_are_named_not_dropped_silently(caplog):
    thin = Volume(np.zeros((13, 2, 2)), spacing_mm=(1.0, 1.0, 1.0))  # 13 × 1 mm → 2 mm: 6 slices + 1 mm over
    with caplog.at_level("WARNING", logger="ctdenoise"):
        thick = average_slices(thin, 2.0, source="scan.nii.gz")
    assert thick.shape == (6, 2, 2)
    (message,) = [record.getMessage() for record in caplog.records]
    assert message.startswith("scan.nii.gz: the last 1 of 13 slices (1 mm) cannot fill a whole 2 mm slice")
    caplog.clear()
    with caplog.at_level("WARNING", logger="ctdenoise"):
        average_slices(Volume(np.zeros((12, 2, 2))), 2.0)
    assert not caplog.records  # nothing left over, nothing to say
