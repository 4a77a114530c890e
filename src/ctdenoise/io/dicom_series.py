"""Read a CT DICOM series from a folder into a Volume, refusing anything whose geometry we cannot trust.

The geometry comes from the Image Plane module (DICOM PS3.3 C.7.6.2), never from file names, InstanceNumber or
SliceThickness: slices are sorted by their ImagePositionPatient projected on the slice normal (row cosine ×
column cosine), and the z spacing is the distance between neighbouring positions. HU = stored value ×
RescaleSlope + RescaleIntercept (PS3.3 C.11.1.1.2), applied per slice because scanners may vary it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from ctdenoise.errors import CtDenoiseError
from ctdenoise.volume import Volume

# Neighbouring slice distances may differ by this much (mm, or this fraction of the spacing, whichever is
# larger) before the series counts as irregular: positions are stored as decimal strings with rounding.
SPACING_TOLERANCE_MM = 0.01
SPACING_TOLERANCE_FRACTION = 0.01
# Direction cosines and pixel sizes that differ by more than this between slices are inconsistent.
ORIENTATION_TOLERANCE = 1e-4
PIXEL_SPACING_TOLERANCE_MM = 1e-4
# How many file names an error message lists before "and N more".
MAX_NAMES_IN_MESSAGE = 5


@dataclass
class _SliceHeader:
    path: Path
    header: Dataset


def _name_list(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES_IN_MESSAGE])
    extra = len(names) - MAX_NAMES_IN_MESSAGE
    return shown + (f" and {extra} more" if extra > 0 else "")


def _read_headers(folder: Path) -> list[_SliceHeader]:
    """Headers (no pixel data) of every file in ``folder``; unreadable files are named in the error."""
    if not folder.is_dir():
        raise CtDenoiseError(f"{folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise CtDenoiseError(f"{folder}: empty folder, no DICOM files found")
    headers, unreadable = [], []
    for path in files:
        try:
            headers.append(_SliceHeader(path, pydicom.dcmread(path, stop_before_pixels=True)))
        except Exception:  # a corrupt header can fail in many ways; each means "unreadable"
            unreadable.append(path.name)
    if unreadable and not headers:
        raise CtDenoiseError(
            f"{folder}: no DICOM files found, only {len(unreadable)} other file(s): {_name_list(unreadable)}"
        )
    if unreadable:
        raise CtDenoiseError(f"{folder}: cannot read {len(unreadable)} file(s) as DICOM: {_name_list(unreadable)}")
    return headers


def _is_image(header: Dataset) -> bool:
    return "Rows" in header and "Columns" in header


def _describe_series(uid: str, slices: list[_SliceHeader]) -> str:
    first = slices[0].header
    description = str(first.get("SeriesDescription", "")).strip()
    text = f"{uid} ({first.get('Modality', '?')}, {len(slices)} files"
    return text + (f", '{description}')" if description else ")")


def _choose_series(folder: Path, headers: list[_SliceHeader], series_uid: str | None) -> list[_SliceHeader]:
    """The slices of the requested series, or of the only image series in the folder."""
    by_series: dict[str, list[_SliceHeader]] = defaultdict(list)
    for item in headers:
        by_series[str(item.header.get("SeriesInstanceUID", ""))].append(item)
    listing = "; ".join(_describe_series(uid, slices) for uid, slices in by_series.items())
    if series_uid is not None:
        if series_uid not in by_series:
            raise CtDenoiseError(f"{folder}: no series with UID {series_uid}; found: {listing}")
        return by_series[series_uid]
    # Objects without pixel rows (RTSTRUCT, SR, DICOMDIR) may sit beside the images; they are not candidates.
    image_series = {uid: slices for uid, slices in by_series.items() if any(_is_image(s.header) for s in slices)}
    if not image_series:
        raise CtDenoiseError(f"{folder}: no image series found, only: {listing}")
    if len(image_series) > 1:
        listing = "; ".join(_describe_series(uid, slices) for uid, slices in image_series.items())
        raise CtDenoiseError(
            f"{folder}: {len(image_series)} image series found; choose one with --series UID: {listing}"
        )
    return next(iter(image_series.values()))


def _require(item: _SliceHeader, keyword: str) -> object:
    value = item.header.get(keyword)
    if value is None or value == "":
        raise CtDenoiseError(f"{item.path}: missing {keyword}; cannot place the slice in space")
    return value


def _check_modality(folder: Path, slices: list[_SliceHeader]) -> None:
    modalities = sorted({str(s.header.get("Modality", "")) for s in slices})
    if modalities != ["CT"]:
        shown = ", ".join(m or "none" for m in modalities)
        raise CtDenoiseError(f"{folder}: series modality is {shown}, not CT; ctdenoise reads CT series only")
    not_images = [s.path.name for s in slices if not _is_image(s.header)]
    if not_images:
        raise CtDenoiseError(f"{folder}: files without image pixels in the CT series: {_name_list(not_images)}")
    multi_frame = [s.path.name for s in slices if int(s.header.get("NumberOfFrames", 1) or 1) > 1]
    if multi_frame:
        raise CtDenoiseError(
            f"{folder}: multi-frame (enhanced) CT files are not supported: {_name_list(multi_frame)}; "
            "convert to one file per slice first"
        )


def _unit_cosines(item: _SliceHeader) -> tuple[np.ndarray, np.ndarray]:
    orientation = np.asarray(_require(item, "ImageOrientationPatient"), dtype=np.float64)
    if orientation.shape != (6,):
        raise CtDenoiseError(f"{item.path}: ImageOrientationPatient needs 6 values, got {orientation.size}")
    row, column = orientation[:3], orientation[3:]
    if np.linalg.norm(row) < 0.5 or np.linalg.norm(column) < 0.5 or abs(np.dot(row, column)) > 1e-3:
        raise CtDenoiseError(f"{item.path}: ImageOrientationPatient {orientation.tolist()} is not two unit vectors")
    return row / np.linalg.norm(row), column / np.linalg.norm(column)


def _check_consistent_planes(folder: Path, slices: list[_SliceHeader]) -> None:
    """Every slice must share orientation, pixel size and matrix size with the first one."""
    first = slices[0]
    orientation = np.asarray(_require(first, "ImageOrientationPatient"), dtype=np.float64)
    pixel_spacing = np.asarray(_require(first, "PixelSpacing"), dtype=np.float64)
    size = (int(first.header.Rows), int(first.header.Columns))
    for item in slices[1:]:
        other = np.asarray(_require(item, "ImageOrientationPatient"), dtype=np.float64)
        if other.shape != orientation.shape or not np.allclose(other, orientation, atol=ORIENTATION_TOLERANCE):
            raise CtDenoiseError(
                f"{folder}: inconsistent ImageOrientationPatient: {first.path.name} has {orientation.tolist()}, "
                f"{item.path.name} has {other.tolist()}"
            )
        other_spacing = np.asarray(_require(item, "PixelSpacing"), dtype=np.float64)
        if other_spacing.shape != (2,) or not np.allclose(
            other_spacing, pixel_spacing, atol=PIXEL_SPACING_TOLERANCE_MM
        ):
            raise CtDenoiseError(
                f"{folder}: inconsistent PixelSpacing: {first.path.name} has {pixel_spacing.tolist()} mm, "
                f"{item.path.name} has {other_spacing.tolist()} mm"
            )
        other_size = (int(item.header.Rows), int(item.header.Columns))
        if other_size != size:
            raise CtDenoiseError(
                f"{folder}: inconsistent image size: {first.path.name} is {size[0]}×{size[1]}, "
                f"{item.path.name} is {other_size[0]}×{other_size[1]}"
            )


def _slice_spacing_mm(folder: Path, slices: list[_SliceHeader], positions_mm: np.ndarray) -> float:
    """The one z spacing of slices already sorted by position along the normal; refuses gaps and irregularity."""
    if len(slices) == 1:
        for keyword in ("SpacingBetweenSlices", "SliceThickness"):
            value = slices[0].header.get(keyword)
            if value not in (None, "") and float(value) > 0:
                return float(value)
        raise CtDenoiseError(
            f"{folder}: a single slice without SliceThickness or SpacingBetweenSlices; the slice spacing is missing"
        )
    gaps = np.diff(positions_mm)
    duplicates = np.flatnonzero(gaps < SPACING_TOLERANCE_MM)
    if duplicates.size:
        k = int(duplicates[0])
        raise CtDenoiseError(
            f"{folder}: {slices[k].path.name} and {slices[k + 1].path.name} lie at the same position "
            f"{positions_mm[k]:.3f} mm along the slice normal (duplicate slices or several acquisitions)"
        )
    spacing_mm = float(np.median(gaps))
    tolerance_mm = max(SPACING_TOLERANCE_MM, SPACING_TOLERANCE_FRACTION * spacing_mm)
    bad = np.flatnonzero(np.abs(gaps - spacing_mm) > tolerance_mm)
    if bad.size:
        k = int(bad[0])
        between = (
            f"{gaps[k]:.3f} mm between {slices[k].path.name} ({positions_mm[k]:.3f} mm) and "
            f"{slices[k + 1].path.name} ({positions_mm[k + 1]:.3f} mm), expected {spacing_mm:.3f} mm"
        )
        missing = gaps[k] / spacing_mm
        more = f" ({bad.size} such gaps)" if bad.size > 1 else ""
        if missing > 1.5 and abs(missing - round(missing)) * spacing_mm <= tolerance_mm:
            raise CtDenoiseError(f"{folder}: {round(missing) - 1} slice(s) missing: gap of {between}{more}")
        raise CtDenoiseError(f"{folder}: irregular slice spacing: {between}{more}")
    return spacing_mm


def _check_stacked_along_normal(
    folder: Path, slices: list[_SliceHeader], positions: np.ndarray, normal: np.ndarray
) -> None:
    """Refuse tilted-gantry or sheared stacks: successive slice origins must move along the normal only."""
    steps = np.diff(positions, axis=0)
    sideways = np.linalg.norm(steps - np.outer(steps @ normal, normal), axis=1)
    along = np.abs(steps @ normal)
    bad = np.flatnonzero(sideways > np.maximum(SPACING_TOLERANCE_MM, SPACING_TOLERANCE_FRACTION * along))
    if bad.size:
        k = int(bad[0])
        angle = np.degrees(np.arctan2(sideways[k], along[k]))
        raise CtDenoiseError(
            f"{folder}: slices are not stacked along the slice normal ({slices[k + 1].path.name} is shifted "
            f"sideways by {sideways[k]:.2f} mm, {angle:.1f}°; gantry tilt?); resample the series first"
        )


def _read_hu_slice(item: _SliceHeader) -> np.ndarray:
    try:
        dataset = pydicom.dcmread(item.path)
        stored = dataset.pixel_array
    except Exception as error:  # pixel decoding raises many types (missing codec, truncated data)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CtDenoiseError(f"{item.path}: cannot decode the pixel data ({reason})") from None
    slope = float(dataset.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(dataset.get("RescaleIntercept", 0.0) or 0.0)
    return (stored.astype(np.float64) * slope + intercept).astype(np.float32)


def read_dicom_series(folder: Path | str, series_uid: str | None = None) -> Volume:
    """Read one CT series from a folder of single-slice DICOM files (sub-folders are not searched).

    Args:
        folder: folder holding the series' files; other series and non-image objects may sit beside it.
        series_uid: SeriesInstanceUID to read when the folder holds several image series.

    Returns:
        The Volume in HU, ``(z, y, x)`` = (slice sorted along the normal, row, column), with
        ``metadata["dicom_header"]`` = the first slice's header without pixel data (a template for writing a
        derived series back), ``metadata["series_instance_uid"]`` and ``metadata["source_path"]``.

    Raises:
        CtDenoiseError: empty folder, unreadable files, several series without ``series_uid``, a non-CT
            modality, inconsistent orientation/pixel size, missing or irregular slice spacing, tilted stacks.

    Example:
        >>> ct = read_dicom_series("../shared/data/lung1-001/dicom")  # doctest: +SKIP
        >>> ct.shape, ct.spacing_mm                                     # doctest: +SKIP
        ((134, 512, 512), (3.0, 0.9765625, 0.9765625))
    """
    folder = Path(folder)
    slices = _choose_series(folder, _read_headers(folder), series_uid)
    _check_modality(folder, slices)
    _check_consistent_planes(folder, slices)
    row, column = _unit_cosines(slices[0])
    normal = np.cross(row, column)

    positions = np.array([np.asarray(_require(s, "ImagePositionPatient"), dtype=np.float64) for s in slices])
    if positions.shape[1:] != (3,):
        raise CtDenoiseError(f"{folder}: ImagePositionPatient must hold 3 values in every file")
    order = np.argsort(positions @ normal, kind="stable")
    slices = [slices[k] for k in order]
    positions = positions[order]
    spacing_z_mm = _slice_spacing_mm(folder, slices, positions @ normal)
    _check_stacked_along_normal(folder, slices, positions, normal)

    hu = np.stack([_read_hu_slice(item) for item in slices])
    row_spacing_mm, column_spacing_mm = (float(v) for v in slices[0].header.PixelSpacing)
    header = slices[0].header
    return Volume(
        hu=hu,
        spacing_mm=(spacing_z_mm, row_spacing_mm, column_spacing_mm),
        origin_mm=tuple(positions[0]),
        direction=np.column_stack([row, column, normal]),
        modality="CT",
        metadata={
            "dicom_header": header,
            "series_instance_uid": str(header.get("SeriesInstanceUID", "")),
            "source_path": str(folder),
        },
    )
