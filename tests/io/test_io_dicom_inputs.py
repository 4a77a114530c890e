"""DICOM as PACS, CDs and colleagues hand it over: every transfer syntax a CT can carry, enhanced (multi-frame) CT,
and folders with localizers, stray files, copies and sub-folders. References are the stored values written here
(HU = stored × slope + intercept, PS3.3 C.11.1.1.2) and the positions put in the headers."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pydicom
import pytest
from dicom_helpers import GDCM_ENCODED_SYNTAXES, PYDICOM_ENCODED_SYNTAXES, transcode, write_with_file_meta
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import read_dicom_series, read_volume

ENHANCED_CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"


def stored_values(shape_zyx=(3, 32, 24), seed=5) -> np.ndarray:
    return np.random.default_rng(seed).integers(-2000, 6000, size=shape_zyx).astype(np.int16)


@pytest.mark.parametrize("transfer_syntax_uid", [*GDCM_ENCODED_SYNTAXES, *PYDICOM_ENCODED_SYNTAXES])
def test_every_lossless_transfer_syntax_gives_the_hu_of_the_uncompressed_series(
    tmp_path, write_ct_series, transfer_syntax_uid
):
    stored = stored_values()
    paths = write_ct_series(tmp_path, stored, slope=0.5, intercept=-1024.25)
    for path in paths:
        transcode(path, transfer_syntax_uid)
    assert pydicom.dcmread(paths[0]).file_meta.TransferSyntaxUID == transfer_syntax_uid

    volume = read_volume(tmp_path)

    np.testing.assert_array_equal(volume.hu, stored * 0.5 - 1024.25)
    assert volume.origin_mm == pytest.approx((-120.0, -95.5, -310.0))


def test_an_undecodable_pixel_encoding_names_file_and_transfer_syntax_in_full(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path, stored_values())
    dataset = pydicom.dcmread(paths[1])
    dataset.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.70"  # claims JPEG Lossless, holds raw bytes
    dataset.PixelData = pydicom.encaps.encapsulate([b"\x00" * 64])
    pydicom.dcmwrite(paths[1], dataset, enforce_file_format=True)

    with pytest.raises(CtDenoiseError) as error:
        read_dicom_series(tmp_path)
    message = str(error.value)
    assert message.startswith(f"{paths[1]}: cannot decode the pixel data (transfer syntax JPEG Lossless")
    assert "\n" not in message and message.endswith(")")


def _functional_group(**sequences: Dataset) -> Dataset:
    group = Dataset()
    for keyword, item in sequences.items():
        setattr(group, keyword, Sequence([item]))
    return group


def _item(**values) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def write_enhanced_ct(path, stored, positions_mm, slopes, intercepts, orientation=(1, 0, 0, 0, 1, 0)):
    """One Enhanced CT Image Storage file (PS3.3 A.38): plane orientation and pixel size shared, position and
    rescale per frame (PS3.3 C.7.6.16)."""
    ds = Dataset()
    ds.SOPClassUID = ENHANCED_CT_STORAGE
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "CT"
    ds.PatientID = "ENH-1"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.FrameOfReferenceUID = generate_uid()
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.NumberOfFrames = stored.shape[0]
    ds.Rows, ds.Columns = stored.shape[1], stored.shape[2]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.SharedFunctionalGroupsSequence = Sequence(
        [
            _functional_group(
                PixelMeasuresSequence=_item(PixelSpacing=[0.6, 0.8], SliceThickness=9),
                PlaneOrientationSequence=_item(ImageOrientationPatient=list(orientation)),
            )
        ]
    )
    ds.PerFrameFunctionalGroupsSequence = Sequence(
        [
            _functional_group(
                PlanePositionSequence=_item(ImagePositionPatient=[f"{v:.4f}" for v in position]),
                PixelValueTransformationSequence=_item(
                    RescaleSlope=f"{slope}", RescaleIntercept=f"{intercept}", RescaleType="HU"
                ),
            )
            for position, slope, intercept in zip(positions_mm, slopes, intercepts, strict=True)
        ]
    )
    ds.PixelData = np.ascontiguousarray(stored, dtype="<i2").tobytes()
    return write_with_file_meta(ds, path)


def test_enhanced_ct_frames_are_placed_by_their_own_position_and_rescaled_by_their_own_slope(tmp_path):
    stored = stored_values((4, 6, 5))
    z_mm = np.array([-300.0, -297.5, -305.0, -302.5])  # frames stored out of order, 2.5 mm apart
    slopes, intercepts = [1.0, 0.5, 2.0, 1.0], [-1024.0, -1000.0, -3000.0, -1024.0]
    positions = [(-150.0, -120.0, z) for z in z_mm]
    path = write_enhanced_ct(tmp_path / "enhanced.dcm", stored, positions, slopes, intercepts)

    for source in (path, tmp_path):  # the file itself, or the folder that holds it
        volume = read_volume(source)
        order = np.argsort(z_mm)
        expected = np.stack([stored[k] * slopes[k] + intercepts[k] for k in order])
        np.testing.assert_array_equal(volume.hu, expected)
        assert volume.spacing_mm == pytest.approx((2.5, 0.6, 0.8))  # z from the positions, not SliceThickness 9
        assert volume.origin_mm == pytest.approx((-150.0, -120.0, -305.0))


def test_enhanced_ct_with_a_missing_frame_is_refused_like_a_series(tmp_path):
    stored = stored_values((4, 6, 5))
    positions = [(0.0, 0.0, z) for z in (0.0, 2.0, 4.0, 8.0)]
    write_enhanced_ct(tmp_path / "enhanced.dcm", stored, positions, [1.0] * 4, [0.0] * 4)
    with pytest.raises(CtDenoiseError, match="1 slice\\(s\\) missing: gap of 4.000 mm between enhanced.dcm frame 3"):
        read_volume(tmp_path / "enhanced.dcm")


def test_a_single_slice_file_points_at_its_folder(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path, stored_values())
    with pytest.raises(CtDenoiseError, match=f"one slice of a series; pass the folder .*{tmp_path}"):
        read_volume(paths[0])


def test_localizer_stray_files_and_byte_identical_copies_are_skipped_and_named(tmp_path, write_ct_series, caplog):
    stored = stored_values()
    paths = write_ct_series(tmp_path, stored, series_uid="1.2.826.0.1.3680043.8.498.77")
    # A lateral scout in the same series, as many scanners export it.
    scout = write_ct_series(
        tmp_path / "tmp",
        stored_values((1, 32, 24), seed=9),
        series_uid="1.2.826.0.1.3680043.8.498.77",
        orientation=(0.0, 1.0, 0.0, 0.0, 0.0, -1.0),
        per_slice={0: {"ImageType": ["ORIGINAL", "PRIMARY", "LOCALIZER"]}},
    )[0]
    scout.rename(tmp_path / "scout.dcm")
    (tmp_path / "tmp").rmdir()
    (tmp_path / "Thumbs.db").write_bytes(b"\x00\x01 thumbnail cache")
    (tmp_path / "README").write_text("CD of a chest CT")
    (tmp_path / "series.json").write_text('{"kind": "sidecar"}')
    shutil.copyfile(paths[1], tmp_path / "copy-of-slice.dcm")

    with caplog.at_level(logging.WARNING, logger="ctdenoise"):
        volume = read_dicom_series(tmp_path)

    np.testing.assert_array_equal(volume.hu, stored * 0.5 - 1024.25)
    notes = [record.getMessage() for record in caplog.records]
    assert len(notes) == 3 and all("\n" not in note for note in notes)
    assert any("3 file(s) that are not DICOM: README, Thumbs.db, series.json" in note for note in notes)
    assert any("localizer (scout) image(s): scout.dcm" in note for note in notes)
    assert any(f"duplicate file(s): copy-of-slice.dcm (= {paths[1].name})" in note for note in notes)


def test_two_different_images_at_one_position_stay_refused(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path, stored_values())
    twin = pydicom.dcmread(paths[1])
    twin.PixelData = np.zeros((32, 24), "<i2").tobytes()  # same SOPInstanceUID and position, other pixels
    pydicom.dcmwrite(tmp_path / "conflict.dcm", twin, enforce_file_format=True)
    with pytest.raises(CtDenoiseError, match="are different images that lie at the same position"):
        read_dicom_series(tmp_path)


def test_a_cd_layout_is_searched_below_and_its_series_named_by_folder(tmp_path, write_ct_series):
    stored = stored_values()
    export = tmp_path / "CD"
    paths = write_ct_series(export / "DICOM" / "ST000" / "SE000", stored, series_uid="1.2.826.0.1.3680043.8.498.5")
    for path in paths:
        path.rename(path.with_suffix(""))  # CD files have no suffix
    (export / "AUTORUN.INF").write_text("[autorun]")

    np.testing.assert_array_equal(read_volume(export).hu, stored * 0.5 - 1024.25)

    write_ct_series(
        export / "DICOM" / "ST000" / "SE001", stored_values(seed=2), series_uid="1.2.826.0.1.3680043.8.498.6"
    )
    with pytest.raises(CtDenoiseError, match="2 image series found") as error:
        read_volume(export)
    assert "in DICOM/ST000/SE000" in str(error.value) and "in DICOM/ST000/SE001" in str(error.value)
    assert read_volume(export, series_uid="1.2.826.0.1.3680043.8.498.6").shape == (3, 32, 24)


def test_an_archive_is_pointed_at_precisely(tmp_path, write_ct_series):
    paths = write_ct_series(tmp_path / "series", stored_values())
    archive = shutil.make_archive(str(tmp_path / "export"), "zip", paths[0].parent)
    with pytest.raises(CtDenoiseError, match="export.zip: an archive; unpack it and pass the folder"):
        read_volume(archive)


def test_files_without_preamble_and_file_meta_are_read_like_dcm2niix_does(tmp_path, write_ct_series):
    stored = stored_values()
    for path in write_ct_series(tmp_path, stored):
        dataset = pydicom.dcmread(path)
        bare = Dataset()
        bare.update(dataset)  # the data set alone: no preamble, no DICM, no file meta (ACR-NEMA style)
        pydicom.dcmwrite(path.with_suffix(""), bare, implicit_vr=True, little_endian=True, enforce_file_format=False)
        path.unlink()
    assert not any(path.read_bytes()[128:132] == b"DICM" for path in tmp_path.iterdir())
    np.testing.assert_array_equal(read_volume(tmp_path).hu, stored * 0.5 - 1024.25)
