"""write_dicom_series checked with pydicom's strict validation and SimpleITK/GDCM as independent readers."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom import config
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import read_dicom_series, read_volume, write_dicom_series, write_volume
from ctdenoise.io.dicom_writer import choose_rescale
from ctdenoise.volume import Volume


@pytest.fixture
def strict_pydicom(monkeypatch):
    """Make pydicom raise (not warn) on any value that breaks its VR rules, when writing and reading."""
    monkeypatch.setattr(config.settings, "writing_validation_mode", config.RAISE)
    monkeypatch.setattr(config.settings, "reading_validation_mode", config.RAISE)


def oblique_volume(hu: np.ndarray) -> Volume:
    angle = np.radians(20)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    return Volume(hu, spacing_mm=(2.5, 0.8, 0.6), origin_mm=(-100.0, -150.25, 40.5), direction=rotation)


def test_written_series_is_valid_derived_ct(tmp_path, write_ct_series, strict_pydicom):
    source_folder = tmp_path / "source"
    stored = np.random.default_rng(0).integers(-1000, 3000, size=(5, 6, 7)).astype(np.int16)
    source_files = write_ct_series(source_folder, stored, slope=1.0, intercept=-1024.0)
    source = read_dicom_series(source_folder)
    source_uids = {pydicom.dcmread(p).SOPInstanceUID for p in source_files}

    folder = write_dicom_series(source, tmp_path / "derived")

    files = sorted(folder.iterdir())
    assert len(files) == 5
    slices = [pydicom.dcmread(path) for path in files]  # raises on invalid values in RAISE mode
    for k, ds in enumerate(slices):
        assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert ds.file_meta.MediaStorageSOPClassUID == CTImageStorage == ds.SOPClassUID
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert list(ds.ImageType[:2]) == ["DERIVED", "SECONDARY"]
        assert ds.Modality == "CT" and ds.PixelRepresentation == 1 and ds.BitsAllocated == 16
        assert ds.pixel_array.dtype == np.int16
        # Patient, study and frame of reference come from the source; the series and instances are new.
        assert (ds.PatientName, ds.PatientID, ds.AccessionNumber) == ("Test^Phantom", "IO-TEST-1", "ACC42")
        assert ds.StudyInstanceUID == source.metadata["dicom_header"].StudyInstanceUID
        assert ds.FrameOfReferenceUID == source.metadata["dicom_header"].FrameOfReferenceUID
        assert ds.SeriesInstanceUID != source.metadata["dicom_header"].SeriesInstanceUID
        assert ds.SOPInstanceUID not in source_uids
        np.testing.assert_allclose([float(v) for v in ds.ImagePositionPatient], source.index_to_lps([k, 0, 0]))
        assert float(ds.SliceThickness) == pytest.approx(1.25) == float(ds.SpacingBetweenSlices)
        assert ds.InstanceNumber == k + 1
    assert len({ds.SOPInstanceUID for ds in slices}) == 5
    assert len({ds.SeriesInstanceUID for ds in slices}) == 1
    hu = np.stack([ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept) for ds in slices])
    np.testing.assert_array_equal(hu, source.hu)


def test_gdcm_reads_an_oblique_series_with_the_same_geometry(tmp_path):
    hu = np.random.default_rng(1).uniform(-1000, 2000, size=(4, 5, 6)).astype(np.float32)
    volume = oblique_volume(hu)
    folder = write_dicom_series(volume, tmp_path / "oblique")

    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    image = reader.Execute()
    assert image.GetOrigin() == pytest.approx(volume.origin_mm, abs=1e-4)
    assert image.GetSpacing() == pytest.approx(volume.spacing_mm[::-1], abs=1e-5)
    np.testing.assert_allclose(np.reshape(image.GetDirection(), (3, 3)), volume.direction, atol=1e-5)
    slope, _ = choose_rescale(hu)
    np.testing.assert_allclose(sitk.GetArrayFromImage(image), hu, atol=slope / 2 + 1e-4)


def test_volume_without_source_gets_a_new_anonymous_study(tmp_path, strict_pydicom):
    folder = write_dicom_series(Volume(np.full((2, 3, 3), -1000.0)), tmp_path / "new")
    first, second = (pydicom.dcmread(path) for path in sorted(folder.iterdir()))
    assert first.PatientName == "ANONYMOUS" and first.PatientID == "CTDENOISE"
    assert first.StudyInstanceUID == second.StudyInstanceUID != first.SeriesInstanceUID
    assert first.FrameOfReferenceUID == second.FrameOfReferenceUID


@pytest.mark.parametrize(
    ("low", "high", "max_slope"),
    [(-1024.0, 3071.0, 1.0), (-1000.3, 2999.7, 0.125), (-0.01, 0.02, 2.0**-8), (-31000.5, 42000.25, 2.0)],
)
def test_rescale_keeps_the_hu_range_within_half_a_step(tmp_path, low, high, max_slope):
    hu = np.linspace(low, high, 2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5)
    folder = write_dicom_series(Volume(hu), tmp_path / "rescaled")
    slices = [pydicom.dcmread(path) for path in sorted(folder.iterdir())]
    slope = float(slices[0].RescaleSlope)
    assert slope <= max_slope
    read_back = np.stack([ds.pixel_array * slope + float(ds.RescaleIntercept) for ds in slices])
    np.testing.assert_allclose(read_back, hu, atol=slope / 2 * 1.0001, rtol=0)


def test_dicom_to_nifti_to_dicom_keeps_hu_and_geometry(tmp_path, write_ct_series):
    stored = np.random.default_rng(2).integers(-1500, 4000, size=(4, 6, 5)).astype(np.int16)
    write_ct_series(tmp_path / "in", stored, slope=0.5, intercept=-1024.25)
    original = read_volume(tmp_path / "in")

    write_volume(original, tmp_path / "ct.nii.gz")
    via_nifti = read_volume(tmp_path / "ct.nii.gz")
    write_volume(via_nifti, tmp_path / "out")
    back = read_volume(tmp_path / "out")

    np.testing.assert_array_equal(back.hu, stored * 0.5 - 1024.25)
    assert back.same_grid_as(original, tolerance_mm=1e-4)


def test_nan_is_refused_and_leaves_no_folder(tmp_path):
    hu = np.zeros((2, 3, 3), dtype=np.float32)
    hu[1, 1, 1] = np.nan
    with pytest.raises(CtDenoiseError, match="NaN or infinite"):
        write_dicom_series(Volume(hu), tmp_path / "bad")
    assert list(tmp_path.iterdir()) == []


def test_a_grid_dicom_cannot_describe_is_refused(tmp_path):
    sheared = np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 0.0], [0.0, 0.0, 0.95]])
    with pytest.raises(CtDenoiseError, match="not perpendicular"):
        write_dicom_series(Volume(np.zeros((2, 2, 2)), direction=sheared), tmp_path / "sheared")


def test_write_volume_refuses_to_clobber_a_series(tmp_path):
    write_volume(Volume(np.zeros((2, 3, 3))), tmp_path / "series")
    with pytest.raises(CtDenoiseError, match="already exists; pass --overwrite"):
        write_volume(Volume(np.ones((2, 3, 3))), tmp_path / "series")
    write_volume(Volume(np.ones((2, 3, 3))), tmp_path / "series", overwrite=True)
    assert read_volume(tmp_path / "series").hu.max() == 1.0
