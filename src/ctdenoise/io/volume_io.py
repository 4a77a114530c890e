"""One entry point for every supported format: ``read_volume`` and ``write_volume`` pick the format by path.

DICOM series (folders) are read by ``ctdenoise.io.dicom_series`` and written by ``ctdenoise.io.dicom_writer``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.atomic import refuse_to_clobber
from ctdenoise.io.itk_formats import ITK_SUFFIXES, is_itk_file, read_itk_volume, write_itk_volume
from ctdenoise.volume import Volume

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".7z", ".rar")


def read_volume(path: Path | str, series_uid: str | None = None) -> Volume:
    """Read a CT volume from a DICOM folder (or an enhanced multi-frame CT file) or a NIfTI/NRRD/MetaImage file.

    Raises:
        CtDenoiseError: a missing path, an unsupported format, or a volume holding NaN or infinite values (no
            stage can give a meaningful result from them, so they are refused here, naming the file).
    """
    path = Path(path)
    if not path.exists():
        raise CtDenoiseError(f"{path}: no such file or folder")
    if path.is_dir() or is_dicom_file(path):
        from ctdenoise.io.dicom_series import read_dicom_series

        volume = read_dicom_series(path, series_uid=series_uid)
    elif is_itk_file(path):
        volume = read_itk_volume(path)
    elif path.name.lower().endswith(ARCHIVE_SUFFIXES):
        raise CtDenoiseError(f"{path}: an archive; unpack it and pass the folder that holds the DICOM files")
    else:
        raise CtDenoiseError(
            f"{path}: unsupported format; use a DICOM folder, an enhanced CT .dcm file or one of {', '.join(ITK_SUFFIXES)}"
        )
    refuse_non_finite(volume, path)
    return volume


def is_dicom_file(path: Path) -> bool:
    """True for a file with the DICOM preamble (PS3.10 7.1) or a ``.dcm`` suffix."""
    from ctdenoise.io.dicom_series import has_dicom_magic

    return path.is_file() and (path.suffix.lower() == ".dcm" or has_dicom_magic(path))


def refuse_non_finite(volume: Volume, path: Path | str) -> None:
    """Raise ``CtDenoiseError`` naming ``path`` when the volume holds NaN or ±inf values."""
    bad = ~np.isfinite(volume.hu)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CtDenoiseError(
            f"{path}: holds {int(bad.sum())} non-finite value(s) (NaN or infinite), the first at voxel (z, y, x) "
            f"{first}; CT values must be finite HU"
        )


def output_is_dicom_series(path: Path | str) -> bool:
    """True for a suffix-less path (a DICOM series folder), False for an image file; refuses other suffixes.

    Lets callers check an output path before slow work, not after it.
    """
    path = Path(path)
    if is_itk_file(path):
        return False
    if path.suffix:
        raise CtDenoiseError(
            f"{path}: unsupported output format '{path.suffix}'; use a folder (DICOM) or {', '.join(ITK_SUFFIXES)}"
        )
    return True


def write_volume(volume: Volume, path: Path | str, overwrite: bool = False) -> Path:
    """Write a volume; a path without an image suffix means a DICOM series folder. Atomic, never clobbers."""
    path = Path(path)
    is_dicom = output_is_dicom_series(path)
    refuse_to_clobber(path, overwrite)
    if not is_dicom:
        return write_itk_volume(volume, path)
    from ctdenoise.io.dicom_writer import write_dicom_series

    return write_dicom_series(volume, path)
