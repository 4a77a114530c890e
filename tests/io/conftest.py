"""Reference DICOM data for the io tests, written directly with pydicom (not with ctdenoise's writer).

The fixture ``write_ct_series`` builds a CT series slice by slice from the Image Plane definition (DICOM PS3.3 C.7.6.2):
slice k sits at ``origin + position_k × normal`` with ``normal = row cosine × column cosine``. Files get random
names and shuffled InstanceNumbers so that nothing but ImagePositionPatient tells the slice order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from dicom_helpers import write_with_file_meta
from pydicom.dataset import Dataset
from pydicom.uid import CTImageStorage, generate_uid

from ctdenoise.io import read_dicom_series

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
RTSTRUCT_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"


def _write_ct_series(
    folder: Path,
    stored: np.ndarray,
    *,
    pixel_spacing_mm: tuple[float, float] = (0.7, 0.7),
    slice_positions_mm: Sequence[float] | None = None,
    slice_mm: float = 1.25,
    origin_mm: tuple[float, float, float] = (-120.0, -95.5, -310.0),
    orientation: Sequence[float] = AXIAL,
    slope: float = 0.5,
    intercept: float = -1024.25,
    modality: str = "CT",
    series_uid: str | None = None,
    frame_uid: str = "1.2.826.0.1.3680043.8.498.1001",
    per_slice: dict[int, dict] | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write ``stored`` (int16, (z, y, x)) as one DICOM file per slice; returns the paths in slice order.

    Args:
        slice_positions_mm: offsets of the slices along the normal from ``origin_mm`` (default k × slice_mm).
        per_slice: attribute overrides for individual slices, e.g. ``{3: {"PixelSpacing": [0.8, 0.8]}}``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_slices = stored.shape[0]
    positions = np.arange(n_slices) * slice_mm if slice_positions_mm is None else np.asarray(slice_positions_mm)
    row, column = np.asarray(orientation[:3], float), np.asarray(orientation[3:], float)
    normal = np.cross(row, column)
    series_uid = series_uid or generate_uid()
    study_uid = "1.2.826.0.1.3680043.8.498.2002"
    instance_numbers = rng.permutation(n_slices) + 1
    paths = []
    for k in range(n_slices):
        ds = Dataset()
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.Modality = modality
        ds.PatientName = "Test^Phantom"
        ds.PatientID = "IO-TEST-1"
        ds.PatientBirthDate = "19500101"
        ds.PatientSex = "F"
        ds.StudyInstanceUID = study_uid
        ds.StudyDate, ds.StudyTime = "20240102", "101500"
        ds.AccessionNumber = "ACC42"
        ds.ReferringPhysicianName = ""
        ds.StudyID = "7"
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = 3
        ds.SeriesDescription = "synthetic chest"
        ds.FrameOfReferenceUID = frame_uid
        ds.InstanceNumber = int(instance_numbers[k])
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in orientation]
        ds.ImagePositionPatient = [f"{v:.4f}" for v in np.asarray(origin_mm) + positions[k] * normal]
        ds.PixelSpacing = [f"{v}" for v in pixel_spacing_mm]
        ds.SliceThickness = "9"  # deliberately wrong: spacing must come from the positions
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = stored.shape[1], stored.shape[2]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = f"{slope}", f"{intercept}"
        ds.PixelData = np.ascontiguousarray(stored[k], dtype="<i2").tobytes()
        for keyword, value in (per_slice or {}).get(k, {}).items():
            setattr(ds, keyword, value)
        paths.append(write_with_file_meta(ds, folder / f"IM{rng.integers(1e9):09d}.dcm"))
    return paths


def _write_rtstruct(
    path: Path, rois: dict[str, list[np.ndarray]], frame_uid: str = "1.2.826.0.1.3680043.8.498.1001"
) -> Path:
    """An RTSTRUCT with closed planar contours given as (n, 3) LPS point arrays per ROI name."""
    ds = Dataset()
    ds.SOPClassUID = RTSTRUCT_STORAGE
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "RTSTRUCT"
    ds.PatientID = "IO-TEST-1"
    ds.StructureSetLabel = "test"
    frame = Dataset()
    frame.FrameOfReferenceUID = frame_uid
    ds.ReferencedFrameOfReferenceSequence = [frame]
    ds.StructureSetROISequence, ds.ROIContourSequence = [], []
    for number, (name, contours) in enumerate(rois.items(), start=1):
        roi = Dataset()
        roi.ROINumber, roi.ROIName, roi.ReferencedFrameOfReferenceUID = number, name, frame_uid
        ds.StructureSetROISequence.append(roi)
        roi_contour = Dataset()
        roi_contour.ReferencedROINumber = number
        roi_contour.ContourSequence = []
        for points in contours:
            contour = Dataset()
            contour.ContourGeometricType = "CLOSED_PLANAR"
            contour.NumberOfContourPoints = len(points)
            contour.ContourData = [f"{v:.4f}" for v in np.asarray(points).ravel()]
            roi_contour.ContourSequence.append(contour)
        ds.ROIContourSequence.append(roi_contour)
    return write_with_file_meta(ds, path)


@pytest.fixture(scope="session")
def lung1_ct(lung1_dir: Path):
    """The real LUNG1-001 CT, read once for all io tests."""
    return read_dicom_series(lung1_dir / "dicom")


@pytest.fixture
def write_ct_series():
    """``write_ct_series(folder, stored_int16_zyx, **geometry) -> paths`` (see ``_write_ct_series``)."""
    return _write_ct_series


@pytest.fixture
def write_rtstruct():
    """``write_rtstruct(path, {roi_name: [points_lps (n, 3), ...]}) -> path`` (see ``_write_rtstruct``)."""
    return _write_rtstruct
