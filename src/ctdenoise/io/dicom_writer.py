"""Write a Volume as a derived, secondary CT DICOM series that PACS viewers accept.

Each slice is one CT Image Storage file (DICOM PS3.3 A.3) in Explicit VR Little Endian with file meta
information (PS3.10 7.1). The series is new (fresh SeriesInstanceUID and SOPInstanceUIDs, ImageType
DERIVED\\SECONDARY), but it stays in the source's patient, study and frame of reference when the volume carries
the source header (``metadata["dicom_header"]``, set by ``read_dicom_series``), so a viewer files it next to the
original scan and can overlay the two. Pixels are int16 with a RescaleSlope/Intercept chosen so the whole HU
range fits (PS3.3 C.11.1.1.2: HU = stored × slope + intercept).
"""

from __future__ import annotations

import copy
import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid
from pydicom.valuerep import DSfloat

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.atomic import atomic_path
from ctdenoise.volume import Volume

INT16_MIN, INT16_MAX = -32768, 32767
# Finest HU step a non-integer volume is stored with (2^-8 HU); powers of two keep slope strings exact.
FINEST_SLOPE_LOG2 = -8

# Patient, study, frame-of-reference and acquisition attributes carried over from the source slice.
SOURCE_KEYWORDS = (
    "SpecificCharacterSet",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "PatientWeight",
    "PatientSize",
    "PatientIdentityRemoved",
    "DeidentificationMethod",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyDescription",
    "FrameOfReferenceUID",
    "PositionReferenceIndicator",
    "PatientPosition",
    "BodyPartExamined",
    "Laterality",
    "KVP",
)


def choose_rescale(hu: np.ndarray) -> tuple[float, float]:
    """RescaleSlope and RescaleIntercept that store ``hu`` in int16 without clipping.

    Integer HU within the int16 range are stored exactly (slope 1, intercept 0). Otherwise the slope is the
    smallest power of two (at least 2^-8 HU) for which the HU range spans at most 65534 steps, and the integer
    intercept sits in the middle of the range; the rounding error is at most slope / 2.

    Args:
        hu: the HU values to store.

    Example:
        >>> choose_rescale(np.array([-1024.0, 3071.0]))
        (1.0, 0.0)
        >>> choose_rescale(np.array([-1000.4, 2999.6]))
        (0.0625, 1000.0)
    """
    if hu.size == 0 or not np.all(np.isfinite(hu)):
        raise ValueError("HU values must be finite")
    low, high = float(hu.min()), float(hu.max())
    if low >= INT16_MIN and high <= INT16_MAX and np.array_equal(hu, np.rint(hu)):
        return 1.0, 0.0
    steps_needed = (high - low + 2.0) / (INT16_MAX - INT16_MIN - 1)
    slope_log2 = max(FINEST_SLOPE_LOG2, math.ceil(math.log2(steps_needed)))
    return float(2.0**slope_log2), float(round((low + high) / 2.0))


def _ds(value: float) -> DSfloat:
    """A decimal string (at most 16 characters, PS3.5 6.2) holding ``value``."""
    return DSfloat(float(value), auto_format=True)


def _orientation_of(volume: Volume, path: Path) -> tuple[list[float], np.ndarray]:
    """ImageOrientationPatient and the unit slice normal; refuses grids DICOM slices cannot describe."""
    row, column, slice_axis = (volume.direction[:, k] for k in range(3))
    normal = np.cross(row, column)
    if not np.isclose(abs(float(np.dot(normal, slice_axis))), 1.0, atol=1e-4):
        raise CtDenoiseError(
            f"{path}: the volume's slice axis is not perpendicular to its slices (direction "
            f"{volume.direction.round(4).tolist()}); a DICOM series cannot store that grid"
        )
    return [float(v) for v in (*row, *column)], normal


def _series_template(volume: Volume, orientation: list[float], slope: float, intercept: float) -> Dataset:
    """Attributes shared by every slice of the new series."""
    source = volume.metadata.get("dicom_header")
    now = datetime.now()
    date, time = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    ds = Dataset()
    if isinstance(source, Dataset):
        for keyword in SOURCE_KEYWORDS:
            if keyword in source:
                ds[keyword] = copy.deepcopy(source[keyword])
        source_description = str(source.get("SeriesDescription", "")).strip()
        source_number = source.get("SeriesNumber")
    else:
        # A volume from NIfTI/NRRD or a phantom: a new study with anonymous placeholders.
        ds.PatientName = "ANONYMOUS"
        ds.PatientID = "CTDENOISE"
        ds.StudyInstanceUID = generate_uid()
        ds.StudyDate, ds.StudyTime = date, time
        ds.FrameOfReferenceUID = generate_uid()
        source_description, source_number = "", None
    # Type 2 attributes must be present even when empty (PS3.3 C.7.1.1, C.7.2.1, C.7.4.1).
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime"):
        if keyword not in ds:
            setattr(ds, keyword, "")
    # Laterality is Type 2C (General Series, C.7.3.1): required for paired body parts, which a NIfTI source cannot
    # rule out, so it is present, empty = unknown, unless the source says it.
    for keyword in ("StudyID", "AccessionNumber", "ReferringPhysicianName", "PositionReferenceIndicator", "Laterality"):
        if keyword not in ds:
            setattr(ds, keyword, "")
    for keyword in ("PatientPosition", "KVP"):
        if keyword not in ds:
            setattr(ds, keyword, None)
    if "SpecificCharacterSet" not in ds:
        ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8

    ds.SOPClassUID = CTImageStorage
    ds.Modality = "CT"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = int(source_number) + 1000 if source_number not in (None, "") else 1001
    description = volume.metadata.get("series_description") or " ".join(
        part for part in (source_description, "ctdenoise") if part
    )
    ds.SeriesDescription = str(description)[:64]
    ds.SeriesDate = ds.ContentDate = ds.InstanceCreationDate = date
    ds.SeriesTime = ds.ContentTime = ds.InstanceCreationTime = time
    ds.Manufacturer = "ctdenoise"
    from ctdenoise import __version__

    ds.SoftwareVersions = f"ctdenoise {__version__}"
    ds.DerivationDescription = str(volume.metadata.get("derivation_description", "processed by ctdenoise"))[:1024]
    axial = abs(orientation[2]) < 1e-3 and abs(orientation[5]) < 1e-3
    ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL" if axial else "REFORMATTED"]
    ds.AcquisitionNumber = None

    ds.ImageOrientationPatient = [_ds(v) for v in orientation]
    ds.PixelSpacing = [_ds(volume.spacing_mm[1]), _ds(volume.spacing_mm[2])]
    ds.SliceThickness = _ds(volume.spacing_mm[0])
    ds.SpacingBetweenSlices = _ds(volume.spacing_mm[0])

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = volume.shape[1], volume.shape[2]
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.PixelRepresentation = 1  # signed int16
    ds.RescaleSlope, ds.RescaleIntercept = _ds(slope), _ds(intercept)
    ds.RescaleType = "HU"
    ds.WindowCenter = [_ds(-600), _ds(40)]  # lung and soft-tissue windows
    ds.WindowWidth = [_ds(1500), _ds(400)]
    ds.WindowCenterWidthExplanation = ["LUNG", "MEDIASTINUM"]
    return ds


def write_dicom_series(volume: Volume, folder: Path | str) -> Path:
    """Write ``volume`` as a new derived CT series, one file per slice, into ``folder`` (atomically).

    The folder is built under a temporary name and renamed at the end, so a crash never leaves half a series.
    Callers decide about clobbering (``write_volume`` refuses an existing folder unless asked to overwrite).

    Args:
        volume: the CT volume in HU. ``metadata["dicom_header"]`` (optional) is the source slice whose
            patient/study/frame of reference the new series joins; ``metadata["series_description"]``
            (optional) names the series.
        folder: the output folder; files are named ``slice-0001.dcm`` ... in slice order.

    Returns:
        The folder written.

    Example:
        >>> write_dicom_series(denoised, "out/denoised-dicom")  # doctest: +SKIP
    """
    folder = Path(folder)
    if not np.all(np.isfinite(volume.hu)):
        raise CtDenoiseError(f"{folder}: the volume holds NaN or infinite values; cannot store them in DICOM")
    orientation, normal = _orientation_of(volume, folder)
    slope, intercept = choose_rescale(volume.hu)
    # float32 is exact enough: the slope is a power of two and the step it rounds to is far above float32's ulp.
    stored = np.rint((volume.hu - np.float32(intercept)) / np.float32(slope))
    stored = np.clip(stored, INT16_MIN, INT16_MAX).astype("<i2")
    template = _series_template(volume, orientation, slope, intercept)

    n_slices = volume.shape[0]
    positions = volume.index_to_lps(np.column_stack([np.arange(n_slices), np.zeros(n_slices), np.zeros(n_slices)]))
    with atomic_path(folder, is_dir=True) as temporary:
        for k in range(volume.shape[0]):
            ds = copy.copy(template)  # shallow: every per-slice attribute below is a new element
            ds.SOPInstanceUID = generate_uid()
            ds.InstanceNumber = k + 1
            ds.ImagePositionPatient = [_ds(v) for v in positions[k]]
            ds.SliceLocation = _ds(float(positions[k] @ normal))
            ds.PixelData = stored[k].tobytes()
            ds["PixelData"].VR = "OW"
            ds.file_meta = FileMetaDataset()
            ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            pydicom.dcmwrite(temporary / f"slice-{k + 1:04d}.dcm", ds, enforce_file_format=True)
    return folder
