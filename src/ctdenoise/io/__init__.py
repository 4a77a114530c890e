"""Reading and writing CT volumes and masks: DICOM series, RTSTRUCT, NIfTI, NRRD, MetaImage."""

from ctdenoise.io.atomic import atomic_path, refuse_to_clobber
from ctdenoise.io.dicom_series import read_dicom_series
from ctdenoise.io.dicom_writer import write_dicom_series
from ctdenoise.io.itk_formats import read_itk_volume, write_itk_volume
from ctdenoise.io.masks import read_mask
from ctdenoise.io.rtstruct import read_rtstruct_masks, rtstruct_roi_names
from ctdenoise.io.volume_io import read_volume, write_volume

__all__ = [
    "atomic_path",
    "read_dicom_series",
    "read_itk_volume",
    "read_mask",
    "read_rtstruct_masks",
    "read_volume",
    "refuse_to_clobber",
    "rtstruct_roi_names",
    "write_dicom_series",
    "write_itk_volume",
    "write_volume",
]
