"""Read a CT DICOM series from a folder (or an enhanced multi-frame CT file) into a Volume, refusing anything
whose geometry we cannot trust.

The geometry comes from the Image Plane module (DICOM PS3.3 C.7.6.2), never from file names, InstanceNumber or
SliceThickness: slices are sorted by their ImagePositionPatient projected on the slice normal (row cosine ×
column cosine), and the z spacing is the distance between neighbouring positions. HU = stored value ×
RescaleSlope + RescaleIntercept (PS3.3 C.11.1.1.2), applied per slice because scanners may vary it.

Enhanced CT (one multi-frame file, PS3.3 A.38) carries the same values per frame in functional groups
(PS3.3 C.7.6.16): Plane Position, Plane Orientation, Pixel Measures and Pixel Value Transformation, each in the
frame's Per-Frame Functional Groups item or, when shared, in the Shared Functional Groups.

Series hygiene follows dcm2niix and 3D Slicer: files that are not DICOM (Thumbs.db, README, JSON), localizer
(scout) images and byte-identical copies of a file are skipped with one notice line naming them; real conflicts
(two different images at one position) are refused. A folder without DICOM files of its own is searched
recursively, the way PACS exports, CDs (DICOMDIR + DICOM/...) and archives lay series out.
"""

from __future__ import annotations

import filecmp
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from ctdenoise.errors import CtDenoiseError
from ctdenoise.notices import notice
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
# PS3.10 7.1: a DICOM file has a 128-byte preamble followed by these four bytes.
DICOM_MAGIC_OFFSET, DICOM_MAGIC = 128, b"DICM"
PREAMBLELESS_FIRST_GROUP = b"\x08\x00"


@dataclass
class _FileHeader:
    path: Path
    header: Dataset


@dataclass
class _Slice:
    """One image plane: a single-frame file, or one frame of a multi-frame file, with its plane and rescale."""

    path: Path
    header: Dataset
    frame: int | None  # 0-based frame index in a multi-frame file, None for a single-frame file
    orientation: np.ndarray  # (6,) row cosine then column cosine
    pixel_spacing_mm: np.ndarray  # (2,) row spacing, column spacing
    position_mm: np.ndarray  # (3,) LPS of the first transmitted pixel
    slope: float
    intercept: float

    @property
    def name(self) -> str:
        return self.path.name if self.frame is None else f"{self.path.name} frame {self.frame + 1}"


def _name_list(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES_IN_MESSAGE])
    extra = len(names) - MAX_NAMES_IN_MESSAGE
    return shown + (f" and {extra} more" if extra > 0 else "")


def has_dicom_magic(path: Path) -> bool:
    """True for a DICOM file: the 128-byte preamble and ``DICM`` (PS3.10 7.1), or, as older scanners and
    ACR-NEMA exports write, no preamble and a first element in group 0008 (little endian)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(DICOM_MAGIC_OFFSET + len(DICOM_MAGIC))
    except OSError:
        return False
    return head[DICOM_MAGIC_OFFSET:] == DICOM_MAGIC or head[:2] == PREAMBLELESS_FIRST_GROUP


def _read_dataset(path: Path, stop_before_pixels: bool = False) -> Dataset:
    """pydicom's dataset of a file ``has_dicom_magic`` accepted; a file without file meta information gets the
    transfer syntax pydicom found while reading it, so its pixels can be decoded."""
    dataset = pydicom.dcmread(path, stop_before_pixels=stop_before_pixels, force=True)
    if "TransferSyntaxUID" not in dataset.file_meta and dataset.original_encoding[0] is not None:
        implicit_vr, little_endian = dataset.original_encoding
        syntax = ImplicitVRLittleEndian if implicit_vr else ExplicitVRLittleEndian
        dataset.file_meta.TransferSyntaxUID = syntax if little_endian else ExplicitVRBigEndian
    return dataset


def _visible_files(folder: Path, recursive: bool) -> list[Path]:
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        p for p in candidates if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _shown_name(folder: Path, path: Path) -> str:
    return str(path.relative_to(folder))


def _read_headers(folder: Path) -> list[_FileHeader]:
    """Headers (no pixel data) of the DICOM files in ``folder`` (recursively when it holds none itself).

    Files without the DICOM preamble are skipped with a notice; a DICOM file whose header cannot be parsed is an
    error (it would be a lost slice).
    """
    if not folder.is_dir():
        raise CtDenoiseError(f"{folder}: not a folder")
    files = _visible_files(folder, recursive=False)
    dicom_files = [p for p in files if has_dicom_magic(p)]
    searched_below = False
    if not dicom_files and any(p.is_dir() and not p.name.startswith(".") for p in folder.iterdir()):
        files = _visible_files(folder, recursive=True)
        dicom_files = [p for p in files if has_dicom_magic(p)]
        searched_below = True
    if not files:
        raise CtDenoiseError(f"{folder}: empty folder, no DICOM files found")
    others = [_shown_name(folder, p) for p in files if p not in set(dicom_files)]
    if not dicom_files:
        where = " (sub-folders searched too)" if searched_below else ""
        raise CtDenoiseError(
            f"{folder}: no DICOM files found{where}, only {len(others)} other file(s): {_name_list(others)}"
        )
    headers, unreadable = [], []
    for path in dicom_files:
        try:
            header = _read_dataset(path, stop_before_pixels=True)
        except Exception:  # a corrupt header can fail in many ways; each means "unreadable"
            header = None
        # pydicom reads some damaged headers leniently; one without a SOP Class UID is unusable all the same.
        if header is None or "SOPClassUID" not in header:
            unreadable.append(_shown_name(folder, path))
        else:
            headers.append(_FileHeader(path, header))
    if unreadable:
        raise CtDenoiseError(f"{folder}: cannot read {len(unreadable)} file(s) as DICOM: {_name_list(unreadable)}")
    if others:
        notice(f"{folder}: skipped {len(others)} file(s) that are not DICOM: {_name_list(others)}")
    return headers


def _drop_identical_copies(folder: Path, headers: list[_FileHeader]) -> list[_FileHeader]:
    """Keep one of several byte-identical files with the same SOPInstanceUID (a copied file, not a conflict)."""
    kept: list[_FileHeader] = []
    by_uid: dict[str, list[_FileHeader]] = defaultdict(list)
    copies = []
    for item in headers:
        uid = str(item.header.get("SOPInstanceUID", ""))
        twin = next((k for k in by_uid[uid] if uid and filecmp.cmp(k.path, item.path, shallow=False)), None)
        if twin is not None:
            copies.append(f"{_shown_name(folder, item.path)} (= {_shown_name(folder, twin.path)})")
            continue
        by_uid[uid].append(item)
        kept.append(item)
    if copies:
        notice(f"{folder}: skipped {len(copies)} byte-identical duplicate file(s): {_name_list(copies)}")
    return kept


def _is_image(header: Dataset) -> bool:
    return "Rows" in header and "Columns" in header


def _is_localizer(header: Dataset) -> bool:
    image_type = header.get("ImageType") or []
    values = [image_type] if isinstance(image_type, str) else list(image_type)
    return "LOCALIZER" in (str(v).upper() for v in values)


def _drop_localizers(folder: Path, headers: list[_FileHeader]) -> list[_FileHeader]:
    """Skip localizer (scout) images, ImageType value 3 = LOCALIZER (PS3.3 C.8.2.1.1.1)."""
    localizers = [_shown_name(folder, item.path) for item in headers if _is_localizer(item.header)]
    if not localizers:
        return headers
    notice(f"{folder}: skipped {len(localizers)} localizer (scout) image(s): {_name_list(localizers)}")
    return [item for item in headers if not _is_localizer(item.header)]


def _describe_series(folder: Path, uid: str, files: list[_FileHeader]) -> str:
    first = files[0].header
    description = str(first.get("SeriesDescription", "")).strip()
    parents = sorted({_shown_name(folder, item.path.parent) for item in files})
    where = f", in {_name_list(parents)}" if parents != ["."] else ""
    text = f"{uid} ({first.get('Modality', '?')}, {len(files)} files{where}"
    return text + (f", '{description}')" if description else ")")


def _choose_series(folder: Path, headers: list[_FileHeader], series_uid: str | None) -> list[_FileHeader]:
    """The files of the requested series, or of the only image series in the folder."""
    by_series: dict[str, list[_FileHeader]] = defaultdict(list)
    for item in headers:
        by_series[str(item.header.get("SeriesInstanceUID", ""))].append(item)
    listing = "; ".join(_describe_series(folder, uid, files) for uid, files in by_series.items())
    if series_uid is not None:
        if series_uid not in by_series:
            raise CtDenoiseError(f"{folder}: no series with UID {series_uid}; found: {listing}")
        return by_series[series_uid]
    # Objects without pixel rows (RTSTRUCT, SR, DICOMDIR) may sit beside the images; they are not candidates.
    image_series = {uid: files for uid, files in by_series.items() if any(_is_image(s.header) for s in files)}
    if not image_series:
        raise CtDenoiseError(f"{folder}: no image series found, only: {listing}")
    if len(image_series) > 1:
        listing = "; ".join(_describe_series(folder, uid, files) for uid, files in image_series.items())
        raise CtDenoiseError(
            f"{folder}: {len(image_series)} image series found; choose one with --series UID: {listing}"
        )
    return next(iter(image_series.values()))


def _check_modality(folder: Path, files: list[_FileHeader]) -> None:
    modalities = sorted({str(s.header.get("Modality", "")) for s in files})
    if modalities != ["CT"]:
        shown = ", ".join(m or "none" for m in modalities)
        raise CtDenoiseError(f"{folder}: series modality is {shown}, not CT; ctdenoise reads CT series only")
    not_images = [s.path.name for s in files if not _is_image(s.header)]
    if not_images:
        raise CtDenoiseError(f"{folder}: files without image pixels in the CT series: {_name_list(not_images)}")


def _require(where: str, dataset: Dataset | None, keyword: str) -> object:
    value = None if dataset is None else dataset.get(keyword)
    if value is None or value == "":
        raise CtDenoiseError(f"{where}: missing {keyword}; cannot place the slice in space")
    return value


def _float_or(value: object, default: float) -> float:
    return default if value in (None, "") else float(value)


def _frame_group(header: Dataset, frame: int, sequence: str) -> Dataset | None:
    """The one item of functional group ``sequence`` for ``frame``: per-frame first, else shared (C.7.6.16)."""
    per_frame = list(header.get("PerFrameFunctionalGroupsSequence") or [])
    shared = list(header.get("SharedFunctionalGroupsSequence") or [])
    for groups in per_frame[frame : frame + 1] + shared[:1]:
        if sequence in groups and groups[sequence].value:
            return groups[sequence].value[0]
    return None


def _frames_of(item: _FileHeader) -> list[_Slice]:
    """The image planes of one file: itself, or each frame of an enhanced (functional-group) multi-frame file."""
    header = item.header
    n_frames = int(header.get("NumberOfFrames", 1) or 1)
    if n_frames == 1 and "PerFrameFunctionalGroupsSequence" not in header:
        where = str(item.path)
        return [
            _Slice(
                item.path,
                header,
                None,
                np.asarray(_require(where, header, "ImageOrientationPatient"), dtype=np.float64),
                np.asarray(_require(where, header, "PixelSpacing"), dtype=np.float64),
                np.asarray(_require(where, header, "ImagePositionPatient"), dtype=np.float64),
                _float_or(header.get("RescaleSlope"), 1.0),
                _float_or(header.get("RescaleIntercept"), 0.0),
            )
        ]
    per_frame = header.get("PerFrameFunctionalGroupsSequence")
    if not per_frame or len(per_frame) != n_frames:
        raise CtDenoiseError(
            f"{item.path}: a multi-frame file with {n_frames} frames but "
            f"{len(per_frame or [])} Per-Frame Functional Groups items; cannot place the frames in space"
        )
    frames = []
    for frame in range(n_frames):
        where = f"{item.path} frame {frame + 1}"
        transformation = _frame_group(header, frame, "PixelValueTransformationSequence")
        frames.append(
            _Slice(
                item.path,
                header,
                frame,
                np.asarray(
                    _require(where, _frame_group(header, frame, "PlaneOrientationSequence"), "ImageOrientationPatient"),
                    dtype=np.float64,
                ),
                np.asarray(
                    _require(where, _frame_group(header, frame, "PixelMeasuresSequence"), "PixelSpacing"),
                    dtype=np.float64,
                ),
                np.asarray(
                    _require(where, _frame_group(header, frame, "PlanePositionSequence"), "ImagePositionPatient"),
                    dtype=np.float64,
                ),
                _float_or(None if transformation is None else transformation.get("RescaleSlope"), 1.0),
                _float_or(None if transformation is None else transformation.get("RescaleIntercept"), 0.0),
            )
        )
    return frames


def _unit_cosines(item: _Slice) -> tuple[np.ndarray, np.ndarray]:
    orientation = item.orientation
    if orientation.shape != (6,):
        raise CtDenoiseError(f"{item.path}: ImageOrientationPatient needs 6 values, got {orientation.size}")
    row, column = orientation[:3], orientation[3:]
    if np.linalg.norm(row) < 0.5 or np.linalg.norm(column) < 0.5 or abs(np.dot(row, column)) > 1e-3:
        raise CtDenoiseError(f"{item.path}: ImageOrientationPatient {orientation.tolist()} is not two unit vectors")
    return row / np.linalg.norm(row), column / np.linalg.norm(column)


def _check_consistent_planes(folder: Path, slices: list[_Slice]) -> None:
    """Every slice must share orientation, pixel size and matrix size with the first one."""
    first = slices[0]
    size = (int(first.header.Rows), int(first.header.Columns))
    for item in slices[1:]:
        if item.orientation.shape != first.orientation.shape or not np.allclose(
            item.orientation, first.orientation, atol=ORIENTATION_TOLERANCE
        ):
            raise CtDenoiseError(
                f"{folder}: inconsistent ImageOrientationPatient: {first.name} has {first.orientation.tolist()}, "
                f"{item.name} has {item.orientation.tolist()}"
            )
        if item.pixel_spacing_mm.shape != (2,) or not np.allclose(
            item.pixel_spacing_mm, first.pixel_spacing_mm, atol=PIXEL_SPACING_TOLERANCE_MM
        ):
            raise CtDenoiseError(
                f"{folder}: inconsistent PixelSpacing: {first.name} has {first.pixel_spacing_mm.tolist()} mm, "
                f"{item.name} has {item.pixel_spacing_mm.tolist()} mm"
            )
        other_size = (int(item.header.Rows), int(item.header.Columns))
        if other_size != size:
            raise CtDenoiseError(
                f"{folder}: inconsistent image size: {first.name} is {size[0]}×{size[1]}, "
                f"{item.name} is {other_size[0]}×{other_size[1]}"
            )


def _slice_spacing_mm(folder: Path, slices: list[_Slice], positions_mm: np.ndarray) -> float:
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
            f"{folder}: {slices[k].name} and {slices[k + 1].name} are different images that lie at the same "
            f"position {positions_mm[k]:.3f} mm along the slice normal (several acquisitions in one series?)"
        )
    spacing_mm = float(np.median(gaps))
    tolerance_mm = max(SPACING_TOLERANCE_MM, SPACING_TOLERANCE_FRACTION * spacing_mm)
    bad = np.flatnonzero(np.abs(gaps - spacing_mm) > tolerance_mm)
    if bad.size:
        k = int(bad[0])
        between = (
            f"{gaps[k]:.3f} mm between {slices[k].name} ({positions_mm[k]:.3f} mm) and "
            f"{slices[k + 1].name} ({positions_mm[k + 1]:.3f} mm), expected {spacing_mm:.3f} mm"
        )
        missing = gaps[k] / spacing_mm
        more = f" ({bad.size} such gaps)" if bad.size > 1 else ""
        if missing > 1.5 and abs(missing - round(missing)) * spacing_mm <= tolerance_mm:
            raise CtDenoiseError(f"{folder}: {round(missing) - 1} slice(s) missing: gap of {between}{more}")
        raise CtDenoiseError(f"{folder}: irregular slice spacing: {between}{more}")
    return spacing_mm


def _check_stacked_along_normal(folder: Path, slices: list[_Slice], positions: np.ndarray, normal: np.ndarray) -> None:
    """Refuse tilted-gantry or sheared stacks: successive slice origins must move along the normal only."""
    steps = np.diff(positions, axis=0)
    sideways = np.linalg.norm(steps - np.outer(steps @ normal, normal), axis=1)
    along = np.abs(steps @ normal)
    bad = np.flatnonzero(sideways > np.maximum(SPACING_TOLERANCE_MM, SPACING_TOLERANCE_FRACTION * along))
    if bad.size:
        k = int(bad[0])
        angle = np.degrees(np.arctan2(sideways[k], along[k]))
        raise CtDenoiseError(
            f"{folder}: slices are not stacked along the slice normal ({slices[k + 1].name} is shifted "
            f"sideways by {sideways[k]:.2f} mm, {angle:.1f}°; gantry tilt?); resample the series first"
        )


def _decode_stored(path: Path) -> np.ndarray:
    """Stored values of every frame of one file, ``(frames, rows, columns)``; names the transfer syntax on failure."""
    try:
        dataset = _read_dataset(path)
        stored = dataset.pixel_array
    except Exception as error:  # pixel decoding raises many types (missing codec, truncated data)
        reason = " ".join(str(error).split()) or type(error).__name__
        try:
            syntax = _read_dataset(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
            syntax_text = f"transfer syntax {syntax.name} ({syntax}): "
        except Exception:  # the header itself is damaged; the reason says enough
            syntax_text = ""
        raise CtDenoiseError(f"{path}: cannot decode the pixel data ({syntax_text}{reason})") from None
    n_frames = int(dataset.get("NumberOfFrames", 1) or 1)
    return stored.reshape(n_frames, *stored.shape[-2:])


def _read_hu(slices: list[_Slice]) -> np.ndarray:
    """HU of every slice, ``(z, y, x)`` float32; each file is decoded once, its frames picked from it."""
    decoded: dict[Path, np.ndarray] = {}
    planes = []
    for item in slices:
        if item.path not in decoded:
            decoded[item.path] = _decode_stored(item.path)
        stored = decoded[item.path][item.frame or 0]
        planes.append((stored.astype(np.float64) * item.slope + item.intercept).astype(np.float32))
    return np.stack(planes)


def _series_files(path: Path, series_uid: str | None) -> tuple[Path, list[_FileHeader]]:
    """The folder messages name and the DICOM files of the series ``path`` points at (a folder or one file)."""
    if path.is_dir():
        headers = _drop_localizers(path, _drop_identical_copies(path, _read_headers(path)))
        return path, _choose_series(path, headers, series_uid)
    try:
        header = _read_dataset(path, stop_before_pixels=True)
    except Exception:  # a corrupt header can fail in many ways; each means "unreadable"
        raise CtDenoiseError(f"{path}: cannot read as DICOM") from None
    if "DirectoryRecordSequence" in header:  # a DICOMDIR: the series lie in its folder
        return _series_files(path.parent, series_uid)
    if not _is_image(header):
        raise CtDenoiseError(f"{path}: a DICOM {header.get('Modality', '')} object without image pixels, not a CT")
    if int(header.get("NumberOfFrames", 1) or 1) == 1:
        raise CtDenoiseError(
            f"{path}: one slice of a series; pass the folder that holds the series ({path.parent}) instead"
        )
    return path, [_FileHeader(path, header)]


def read_dicom_series(folder: Path | str, series_uid: str | None = None) -> Volume:
    """Read one CT series: a folder of DICOM files, or one enhanced (multi-frame) CT file.

    Args:
        folder: folder holding the series' files (searched recursively when it holds no DICOM file itself);
            other series, non-image objects, non-DICOM files and localizers may sit beside it. May also be one
            enhanced CT file, or a DICOMDIR (then its folder is read).
        series_uid: SeriesInstanceUID to read when the folder holds several image series.

    Returns:
        The Volume in HU, ``(z, y, x)`` = (slice sorted along the normal, row, column), with
        ``metadata["dicom_header"]`` = the first slice's header without pixel data (a template for writing a
        derived series back), ``metadata["series_instance_uid"]`` and ``metadata["source_path"]``.

    Raises:
        CtDenoiseError: empty folder, unreadable DICOM files, several series without ``series_uid``, a non-CT
            modality, inconsistent orientation/pixel size, missing or irregular slice spacing, two different
            images at one position, tilted stacks, pixel data that cannot be decoded.

    Example:
        >>> ct = read_dicom_series("../shared/data/lung1-001/dicom")  # doctest: +SKIP
        >>> ct.shape, ct.spacing_mm                                     # doctest: +SKIP
        ((134, 512, 512), (3.0, 0.9765625, 0.9765625))
    """
    folder = Path(folder)
    folder, files = _series_files(folder, series_uid)
    _check_modality(folder, files)
    slices = [frame for item in files for frame in _frames_of(item)]
    _check_consistent_planes(folder, slices)
    row, column = _unit_cosines(slices[0])
    normal = np.cross(row, column)

    positions = np.array([item.position_mm for item in slices])
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise CtDenoiseError(f"{folder}: ImagePositionPatient must hold 3 values in every file")
    order = np.argsort(positions @ normal, kind="stable")
    slices = [slices[k] for k in order]
    positions = positions[order]
    spacing_z_mm = _slice_spacing_mm(folder, slices, positions @ normal)
    _check_stacked_along_normal(folder, slices, positions, normal)

    hu = _read_hu(slices)
    row_spacing_mm, column_spacing_mm = (float(v) for v in slices[0].pixel_spacing_mm)
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
