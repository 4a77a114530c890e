"""NIfTI, NRRD and MetaImage volumes through SimpleITK, geometry kept (ITK's LPS convention = ours)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.atomic import atomic_path
from ctdenoise.volume import Volume

ITK_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")


def is_itk_file(path: Path) -> bool:
    name = Path(path).name.lower()
    return any(name.endswith(suffix) for suffix in ITK_SUFFIXES)


def volume_to_sitk(volume: Volume, pixel_type: int | None = None) -> sitk.Image:
    """The SimpleITK image of a volume, same geometry; float32 unless ``pixel_type`` says otherwise."""
    image = sitk.GetImageFromArray(volume.hu)
    if pixel_type is not None:
        image = sitk.Cast(image, pixel_type)
    image.SetSpacing(volume.spacing_mm[::-1])
    image.SetOrigin(volume.origin_mm)
    image.SetDirection(volume.direction.flatten().tolist())
    return image


def sitk_to_volume(image: sitk.Image, modality: str = "CT", metadata: dict | None = None) -> Volume:
    """The Volume of a 3D SimpleITK image (its pixel values taken as HU)."""
    if image.GetDimension() != 3:
        raise ValueError(f"expected a 3D image, got {image.GetDimension()}D")
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise ValueError(f"expected a scalar image, got {image.GetNumberOfComponentsPerPixel()} components")
    return Volume(
        hu=sitk.GetArrayFromImage(image).astype(np.float32),
        spacing_mm=image.GetSpacing()[::-1],
        origin_mm=image.GetOrigin(),
        direction=np.asarray(image.GetDirection()).reshape(3, 3),
        modality=modality,
        metadata=dict(metadata or {}),
    )


def read_itk_volume(path: Path | str) -> Volume:
    """Read a NIfTI/NRRD/MetaImage file as a Volume; a clear error names the file when it cannot."""
    path = Path(path)
    if not path.is_file():
        raise CtDenoiseError(f"{path}: no such file")
    try:
        image = sitk.ReadImage(str(path))
        return sitk_to_volume(image, metadata={"source_path": str(path)})
    except (RuntimeError, ValueError) as error:
        first_line = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise CtDenoiseError(f"{path}: cannot read as a 3D image ({first_line})") from None


def write_itk_volume(volume: Volume, path: Path | str, pixel_type: int | None = None) -> Path:
    """Write a volume atomically in the format its suffix names (float32 HU unless ``pixel_type`` is given)."""
    path = Path(path)
    with atomic_path(path) as temporary:
        sitk.WriteImage(volume_to_sitk(volume, pixel_type), str(temporary), useCompression=True)
    return path
