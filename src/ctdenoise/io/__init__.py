"""Reading and writing CT volumes and masks: DICOM series, RTSTRUCT, NIfTI, NRRD, MetaImage.

The names below are imported on first use (PEP 562), so that ``ctdenoise.io.atomic`` — the atomic writes
every stage uses — does not pull in pydicom and SimpleITK through this package.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "atomic_path": "ctdenoise.io.atomic",
    "refuse_to_clobber": "ctdenoise.io.atomic",
    "read_dicom_series": "ctdenoise.io.dicom_series",
    "write_dicom_series": "ctdenoise.io.dicom_writer",
    "read_itk_volume": "ctdenoise.io.itk_formats",
    "write_itk_volume": "ctdenoise.io.itk_formats",
    "read_mask": "ctdenoise.io.masks",
    "read_rtstruct_masks": "ctdenoise.io.rtstruct",
    "rtstruct_roi_names": "ctdenoise.io.rtstruct",
    "read_volume": "ctdenoise.io.volume_io",
    "write_volume": "ctdenoise.io.volume_io",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ctdenoise.io' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
