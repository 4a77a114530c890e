"""RTSTRUCT → masks: a pydicom-written structure set with known pixel counts, and LUNG1-001 vs its reference masks."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import read_dicom_series, read_rtstruct_masks

SHAPE_ZYX = (6, 12, 12)


@pytest.fixture
def reference(tmp_path, write_ct_series):
    """A 6-slice CT (0.7 mm pixels, 1.25 mm slices, origin (−120, −95.5, −310) LPS) written with pydicom."""
    write_ct_series(tmp_path / "ct", np.zeros(SHAPE_ZYX, dtype=np.int16))
    return read_dicom_series(tmp_path / "ct")


def square_lps(first: float, last: float, slice_index: int) -> np.ndarray:
    """Axial square contour enclosing pixel centres first..last in rows and columns, on one slice."""
    low, high = (first - 0.5) * 0.7, (last + 0.5) * 0.7
    corners = [(low, low), (high, low), (high, high), (low, high)]  # (x, y) offsets in mm
    return np.array([(-120.0 + x, -95.5 + y, -310.0 + 1.25 * slice_index) for x, y in corners])


def test_contours_fill_their_slices_with_holes(tmp_path, reference, write_rtstruct):
    rois = {
        "Ring": [square_lps(1, 8, 2), square_lps(3, 5, 2)],  # outer square with a 3 × 3 hole
        "Small": [square_lps(2, 4, 4), square_lps(6, 7, 5)],
    }
    masks = read_rtstruct_masks(write_rtstruct(tmp_path / "rs.dcm", rois), reference)

    assert set(masks) == {"Ring", "Small"}
    ring = masks["Ring"]
    assert ring.modality == "SEG" and ring.same_grid_as(reference)
    assert ring.hu.sum() == 64 - 9
    assert ring.hu[2, 1:9, 1:9].sum() == 55 and ring.hu[2, 3:6, 3:6].sum() == 0
    small = masks["Small"].hu
    assert small[4, 2:5, 2:5].all() and small[5, 6:8, 6:8].all() and small.sum() == 9 + 4


def test_other_frame_of_reference_is_refused(tmp_path, reference, write_rtstruct):
    path = write_rtstruct(tmp_path / "rs.dcm", {"A": [square_lps(1, 2, 0)]}, frame_uid="1.2.3.999")
    with pytest.raises(CtDenoiseError, match="frame of reference 1.2.3.999"):
        read_rtstruct_masks(path, reference)


def test_contour_between_slices_is_refused(tmp_path, reference, write_rtstruct):
    between = square_lps(1, 2, 0) + [0.0, 0.0, 0.6]  # half a 1.25 mm slice off
    with pytest.raises(CtDenoiseError, match="ROI 'A' has a contour 0.48 slices away"):
        read_rtstruct_masks(write_rtstruct(tmp_path / "rs.dcm", {"A": [between]}), reference)


def test_contour_outside_the_image_is_refused(tmp_path, reference, write_rtstruct):
    with pytest.raises(CtDenoiseError, match="outside the reference image"):
        read_rtstruct_masks(write_rtstruct(tmp_path / "rs.dcm", {"A": [square_lps(1, 2, 9)]}), reference)


def test_a_ct_slice_is_not_an_rtstruct(tmp_path, reference, write_ct_series):
    path = write_ct_series(tmp_path / "other", np.zeros((1, 2, 2), dtype=np.int16))[0]
    with pytest.raises(CtDenoiseError, match="a DICOM CT object, not an RTSTRUCT"):
        read_rtstruct_masks(path, reference)


def test_lung1_gtv_matches_the_reference_mask(lung1_dir, lung1_ct):
    gtv = read_rtstruct_masks(lung1_dir / "rtstruct.dcm", lung1_ct)["GTV-1"]
    reference_image = sitk.ReadImage(str(lung1_dir / "masks" / "mask_GTV-1.nii.gz"))
    reference_mask = sitk.GetArrayFromImage(reference_image) > 0
    ours = gtv.hu > 0

    dice = 2 * np.logical_and(ours, reference_mask).sum() / (ours.sum() + reference_mask.sum())
    assert dice >= 0.97
    volume_ml = ours.sum() * np.prod(gtv.spacing_mm) / 1000
    assert volume_ml == pytest.approx(156, rel=0.02)
    assert gtv.origin_mm == pytest.approx(reference_image.GetOrigin(), abs=1e-3)
