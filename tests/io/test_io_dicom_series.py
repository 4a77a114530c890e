"""read_dicom_series against series written directly with pydicom, and the real LUNG1-001 scan vs SimpleITK/GDCM."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import read_dicom_series, read_volume


def stored_values(shape_zyx=(6, 5, 4), seed=1) -> np.ndarray:
    return np.random.default_rng(seed).integers(-2000, 6000, size=shape_zyx).astype(np.int16)


def test_shuffled_series_reads_back_exactly(tmp_path, write_ct_series):
    stored = stored_values()
    write_ct_series(tmp_path, stored, slope=0.5, intercept=-1024.25, origin_mm=(-120.0, -95.5, -310.0))

    volume = read_volume(tmp_path)

    np.testing.assert_array_equal(volume.hu, stored * 0.5 - 1024.25)  # PS3.3 C.11.1.1.2, exact in float32
    assert volume.shape == (6, 5, 4)
    assert volume.spacing_mm == pytest.approx((1.25, 0.7, 0.7))  # z from positions, not SliceThickness (9)
    assert volume.origin_mm == pytest.approx((-120.0, -95.5, -310.0))
    np.testing.assert_allclose(volume.direction, np.eye(3))
    assert volume.modality == "CT"


def test_row_spacing_and_column_spacing_are_not_swapped(tmp_path, write_ct_series):
    # PixelSpacing = [distance between rows (y), distance between columns (x)], PS3.3 C.7.6.2.1.1.
    write_ct_series(tmp_path, stored_values((3, 4, 6)), pixel_spacing_mm=(0.6, 0.8))
    assert read_dicom_series(tmp_path).spacing_mm == pytest.approx((1.25, 0.6, 0.8))


def test_oblique_feet_first_series_maps_voxels_like_the_dicom_equation(tmp_path, write_ct_series):
    row, column = np.array([0.0, 1.0, 0.0]), np.array([0.6, 0.0, -0.8])  # unit, orthogonal, oblique
    orientation = (*row, *column)
    origin = np.array([10.0, -20.0, 30.0])
    stored = stored_values((5, 4, 3))
    write_ct_series(tmp_path, stored, orientation=orientation, origin_mm=tuple(origin), slice_mm=2.0, seed=3)

    volume = read_dicom_series(tmp_path)

    normal = np.cross(row, column)
    for k, r, c in [(0, 0, 0), (4, 3, 2), (2, 1, 0)]:
        # PS3.3 C.7.6.2.1.1: P = S + c·Δcol·row_cosine + r·Δrow·column_cosine, slice origins along the normal.
        expected = origin + k * 2.0 * normal + c * 0.7 * row + r * 0.7 * column
        np.testing.assert_allclose(volume.index_to_lps([k, r, c]), expected, atol=1e-3)
    np.testing.assert_array_equal(volume.hu, stored * 0.5 - 1024.25)


def test_header_template_is_kept_without_pixel_data(tmp_path, write_ct_series):
    write_ct_series(tmp_path, stored_values())
    header = read_dicom_series(tmp_path).metadata["dicom_header"]
    assert header.PatientID == "IO-TEST-1"
    assert "PixelData" not in header


def test_several_series_are_listed_or_picked_by_uid(tmp_path, write_ct_series):
    first, second = "1.2.826.0.1.3680043.8.498.11", "1.2.826.0.1.3680043.8.498.12"
    write_ct_series(tmp_path, stored_values(seed=1), series_uid=first, seed=1)
    write_ct_series(tmp_path, stored_values((3, 5, 4), seed=2), series_uid=second, seed=2)

    with pytest.raises(CtDenoiseError, match="2 image series found; choose one with --series") as error:
        read_dicom_series(tmp_path)
    assert first in str(error.value) and second in str(error.value)
    assert read_dicom_series(tmp_path, series_uid=second).shape == (3, 5, 4)
    with pytest.raises(CtDenoiseError, match="no series with UID 9.9.9"):
        read_dicom_series(tmp_path, series_uid="9.9.9")


def test_refuses_non_ct_modality(tmp_path, write_ct_series):
    write_ct_series(tmp_path, stored_values(), modality="MR")
    with pytest.raises(CtDenoiseError, match="modality is MR, not CT"):
        read_dicom_series(tmp_path)


def test_refuses_a_missing_slice_and_names_the_gap(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path, stored_values(), slice_positions_mm=[0, 1.25, 2.5, 5.0, 6.25, 7.5])
    with pytest.raises(CtDenoiseError, match="1 slice\\(s\\) missing: gap of 2.500 mm") as error:
        read_dicom_series(tmp_path)
    assert paths[2].name in str(error.value) and paths[3].name in str(error.value)
    assert "-307.500 mm" in str(error.value)  # position of the slice before the gap (origin z −310 + 2.5)


def test_refuses_irregular_spacing(tmp_path, write_ct_series):
    write_ct_series(tmp_path, stored_values(), slice_positions_mm=[0, 1.25, 2.5, 3.9, 5.15, 6.4])
    with pytest.raises(CtDenoiseError, match="irregular slice spacing: 1.400 mm between .* expected 1.250 mm"):
        read_dicom_series(tmp_path)


def test_refuses_duplicate_slice_positions(tmp_path, write_ct_series):
    write_ct_series(tmp_path, stored_values(), slice_positions_mm=[0, 1.25, 2.5, 2.5, 3.75, 5.0])
    with pytest.raises(CtDenoiseError, match="lie at the same position"):
        read_dicom_series(tmp_path)


def test_refuses_a_single_slice_without_thickness(tmp_path, write_ct_series):
    write_ct_series(tmp_path, stored_values((1, 5, 4)), per_slice={0: {"SliceThickness": None}})
    with pytest.raises(CtDenoiseError, match="slice spacing is missing"):
        read_dicom_series(tmp_path)


def test_refuses_inconsistent_orientation(tmp_path, write_ct_series):
    tilted = ["1", "0", "0", "0", "0.99", "0.141067"]
    paths = write_ct_series(tmp_path, stored_values(), per_slice={3: {"ImageOrientationPatient": tilted}})
    with pytest.raises(CtDenoiseError, match="inconsistent ImageOrientationPatient") as error:
        read_dicom_series(tmp_path)
    assert paths[3].name in str(error.value)


def test_refuses_inconsistent_pixel_size(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path, stored_values(), per_slice={2: {"PixelSpacing": ["0.8", "0.8"]}})
    with pytest.raises(CtDenoiseError, match="inconsistent PixelSpacing") as error:
        read_dicom_series(tmp_path)
    assert paths[2].name in str(error.value)


def test_refuses_a_tilted_gantry_stack(tmp_path, write_ct_series):
    shifted = [[-120.0, -95.5 + 0.5 * k, -310.0 + 1.25 * k] for k in range(6)]  # slices slide along y
    per_slice = {k: {"ImagePositionPatient": position} for k, position in enumerate(shifted)}
    write_ct_series(tmp_path, stored_values(), per_slice=per_slice)
    with pytest.raises(CtDenoiseError, match="not stacked along the slice normal"):
        read_dicom_series(tmp_path)


def test_refuses_missing_image_position(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path, stored_values(), per_slice={1: {"ImagePositionPatient": None}})
    with pytest.raises(CtDenoiseError, match="missing ImagePositionPatient") as error:
        read_dicom_series(tmp_path)
    assert paths[1].name in str(error.value)


def test_names_dicom_files_whose_header_is_broken(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path, stored_values())
    paths[2].write_bytes(paths[2].read_bytes()[:140] + b"\xff" * 40)  # preamble + DICM, then garbage
    with pytest.raises(CtDenoiseError, match=f"cannot read 1 file\\(s\\) as DICOM: {paths[2].name}"):
        read_dicom_series(tmp_path)


def test_names_slices_whose_pixels_cannot_be_decoded(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path, stored_values())
    paths[4].write_bytes(paths[4].read_bytes()[:-20])  # truncated pixel data
    with pytest.raises(CtDenoiseError, match=f"{paths[4].name}: cannot decode the pixel data"):
        read_dicom_series(tmp_path)


def test_refuses_an_empty_folder(tmp_path):
    with pytest.raises(CtDenoiseError, match="empty folder"):
        read_dicom_series(tmp_path)


def test_refuses_a_folder_without_dicom(tmp_path):
    (tmp_path / "README").write_text("hello")
    with pytest.raises(CtDenoiseError, match="no DICOM files found, only 1 other file\\(s\\): README"):
        read_dicom_series(tmp_path)


def test_lung1_geometry_matches_gdcm(lung1_dir, lung1_ct):
    assert lung1_ct.shape == (134, 512, 512)
    assert lung1_ct.spacing_mm == pytest.approx((3.0, 0.9765625, 0.9765625))
    np.testing.assert_allclose(lung1_ct.direction, np.eye(3))

    # Independent reader: SimpleITK's GDCM series reader, which sorts and rescales on its own.
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(lung1_dir / "dicom")))
    image = reader.Execute()
    assert lung1_ct.origin_mm == pytest.approx(image.GetOrigin(), abs=1e-4)
    assert lung1_ct.spacing_mm[::-1] == pytest.approx(image.GetSpacing(), abs=1e-6)
    np.testing.assert_array_equal(lung1_ct.hu, sitk.GetArrayFromImage(image))
    assert lung1_ct.hu.min() == -1024.0  # RescaleIntercept −1024 applied to the stored zeros
