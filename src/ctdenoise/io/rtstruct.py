"""DICOM RTSTRUCT → one binary mask per ROI on the grid of the image the contours were drawn on.

An RT Structure Set (PS3.3 A.19) stores each ROI as closed planar polygons in patient LPS mm, one or more per
image slice (ROI Contour module, C.8.8.6). Each polygon is mapped to voxel indices of the reference image, put on
its slice, and all polygons of a slice are filled together with the even-odd rule, so inner contours cut holes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.polygon_fill import fill_polygons_even_odd
from ctdenoise.volume import Volume

RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
# A contour may sit this far (in slices) from the nearest slice centre before it counts as off the grid.
MAX_OFF_PLANE_SLICES = 0.25


def mask_on_grid(labels: np.ndarray, reference: Volume, metadata: dict) -> Volume:
    """A ``"SEG"`` Volume holding ``labels`` on the grid of ``reference`` (none of its DICOM metadata)."""
    return Volume(
        hu=labels,
        spacing_mm=reference.spacing_mm,
        origin_mm=reference.origin_mm,
        direction=reference.direction,
        modality="SEG",
        metadata=metadata,
    )


def read_rtstruct_dataset(path: Path) -> Dataset:
    """The RTSTRUCT dataset at ``path``; refuses files that are not DICOM or not a structure set."""
    path = Path(path)
    if not path.is_file():
        raise CtDenoiseError(f"{path}: no such file")
    try:
        dataset = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError, EOFError) as error:
        raise CtDenoiseError(f"{path}: cannot read as DICOM ({error})") from None
    if dataset.get("Modality") != "RTSTRUCT" and dataset.get("SOPClassUID") != RTSTRUCT_SOP_CLASS:
        raise CtDenoiseError(f"{path}: a DICOM {dataset.get('Modality', 'file')} object, not an RTSTRUCT")
    return dataset


def _roi_names(dataset: Dataset) -> dict[int, str]:
    names: dict[int, str] = {}
    for item in dataset.get("StructureSetROISequence", []):
        name = str(item.get("ROIName", "")).strip() or f"ROI-{item.ROINumber}"
        while name in names.values():  # duplicate names stay distinguishable
            name += "'"
        names[int(item.ROINumber)] = name
    return names


def _check_frame_of_reference(path: Path, dataset: Dataset, reference: Volume) -> None:
    """Refuse when the image and the structure set declare different frames of reference."""
    header = reference.metadata.get("dicom_header")
    image_frame = str(header.get("FrameOfReferenceUID", "")) if isinstance(header, Dataset) else ""
    rtstruct_frames = {
        str(item.get("ReferencedFrameOfReferenceUID", ""))
        for item in dataset.get("StructureSetROISequence", [])
        if item.get("ReferencedFrameOfReferenceUID")
    }
    if image_frame and rtstruct_frames and image_frame not in rtstruct_frames:
        raise CtDenoiseError(
            f"{path}: contours are in frame of reference {', '.join(sorted(rtstruct_frames))}, but the image is in "
            f"{image_frame}; give the image series this RTSTRUCT was drawn on"
        )


def _contour_points_lps(contour: Dataset) -> np.ndarray:
    """ContourData as an (n, 3) array; parses the raw decimal string directly (pydicom's DS objects are slow)."""
    element = contour.get_item("ContourData")
    if element is None:
        return np.zeros((0, 3))
    raw = element.value
    if isinstance(raw, bytes):
        values = np.array(raw.split(b"\\"), dtype=np.float64) if raw.strip() else np.zeros(0)
    else:
        values = np.asarray(raw, dtype=np.float64)
    return values.reshape(-1, 3)


def _contour_slices(path: Path, name: str, roi_contour: Dataset, reference: Volume) -> dict[int, list[np.ndarray]]:
    """Polygons of one ROI grouped by reference slice index, as (row, column) voxel coordinates."""
    by_slice: dict[int, list[np.ndarray]] = defaultdict(list)
    n_slices = reference.shape[0]
    for contour in roi_contour.get("ContourSequence", []):
        if contour.get("ContourGeometricType", "CLOSED_PLANAR") != "CLOSED_PLANAR":
            continue  # points and open polylines enclose no volume
        points_lps = _contour_points_lps(contour)
        index_zyx = reference.lps_to_index(points_lps)
        slice_position = float(np.mean(index_zyx[:, 0]))
        slice_index = int(round(slice_position))
        off_plane = np.abs(index_zyx[:, 0] - slice_index).max()
        if not -0.5 <= slice_position <= n_slices - 0.5:
            raise CtDenoiseError(
                f"{path}: ROI '{name}' has a contour outside the reference image (slice {slice_position:.1f} of "
                f"0..{n_slices - 1}); give the image series this RTSTRUCT was drawn on"
            )
        if off_plane > MAX_OFF_PLANE_SLICES:
            raise CtDenoiseError(
                f"{path}: ROI '{name}' has a contour {off_plane:.2f} slices away from the nearest image slice; "
                "the reference image is not the grid the contours were drawn on"
            )
        by_slice[slice_index].append(index_zyx[:, 1:])
    return by_slice


def rtstruct_roi_names(rtstruct_path: Path | str) -> list[str]:
    """The ROI names of an RTSTRUCT, in file order."""
    return list(_roi_names(read_rtstruct_dataset(Path(rtstruct_path))).values())


def read_rtstruct_masks(
    rtstruct_path: Path | str, reference: Volume, roi_names: Collection[str] | None = None
) -> dict[str, Volume]:
    """Fill every ROI of an RTSTRUCT (or only ``roi_names``) into a binary mask on the grid of ``reference``.

    Args:
        rtstruct_path: the RTSTRUCT ``.dcm`` file.
        reference: the image volume the contours were drawn on (e.g. from ``read_dicom_series``); its
            FrameOfReferenceUID is checked when it came from DICOM.
        roi_names: fill only these ROIs (each mask of a full CT is as large as the CT); all when ``None``.

    Returns:
        ``{roi_name: mask}``; each mask is a Volume on the reference grid, values 0/1, modality ``"SEG"``,
        ``metadata["roi_name"]`` set. ROIs without closed contours give empty masks.

    Example:
        >>> ct = read_volume("../shared/data/lung1-001/dicom")                                  # doctest: +SKIP
        >>> gtv = read_rtstruct_masks("../shared/data/lung1-001/rtstruct.dcm", ct)["GTV-1"]     # doctest: +SKIP
        >>> gtv.hu.sum() * np.prod(gtv.spacing_mm) / 1000  # mL                                  # doctest: +SKIP
    """
    path = Path(rtstruct_path)
    dataset = read_rtstruct_dataset(path)
    _check_frame_of_reference(path, dataset, reference)
    names = _roi_names(dataset)
    masks: dict[str, Volume] = {}
    contours_by_roi = {int(item.ReferencedROINumber): item for item in dataset.get("ROIContourSequence", [])}
    for number, name in names.items():
        if roi_names is not None and name not in roi_names:
            continue
        mask = np.zeros(reference.shape, dtype=np.float32)
        if number in contours_by_roi:
            for slice_index, polygons in _contour_slices(path, name, contours_by_roi[number], reference).items():
                mask[slice_index] = fill_polygons_even_odd(polygons, reference.shape[1:])
        masks[name] = mask_on_grid(mask, reference, {"roi_name": name, "source_path": str(path)})
    return masks
