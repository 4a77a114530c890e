"""Reading and writing CT volumes and masks: DICOM series, RTSTRUCT, NIfTI, NRRD, MetaImage."""

from ctdenoise.io.atomic import atomic_path, refuse_to_clobber
from ctdenoise.io.itk_formats import read_itk_volume, write_itk_volume
from ctdenoise.io.volume_io import read_volume, write_volume

__all__ = [
    "atomic_path",
    "read_itk_volume",
    "read_volume",
    "refuse_to_clobber",
    "write_itk_volume",
    "write_volume",
]
