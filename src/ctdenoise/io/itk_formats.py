"""NIfTI, NRRD and MetaImage volumes, geometry kept in ITK's LPS convention (= ours).

NRRD and MetaImage are read through SimpleITK. NIfTI is read through nibabel, its reference library: the voxel
to world mapping is nibabel's ``affine`` (sform when ``sform_code`` > 0, else qform, NIfTI-1 standard, section
"Orientation and location in space") turned from RAS into LPS, and the voxel values keep NaN and ±inf (ITK 5's
NIfTI reader silently replaces them with 0, ITK pull request 6683), so they can be refused instead of read as
0 HU. All formats are written through SimpleITK.
"""

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


# Columns of a NIfTI affine may deviate this much from orthogonal before the grid counts as sheared.
SHEAR_TOLERANCE = 1e-4
RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0])


def read_nifti_volume(path: Path) -> Volume:
    """A NIfTI-1/NIfTI-2 file as a Volume, geometry from nibabel's affine (RAS → LPS), values as nibabel scales them.

    Raises:
        CtDenoiseError: not a NIfTI file, not 3D (trailing axes of length 1 are dropped), or a sheared affine.
    """
    import nibabel

    try:
        image = nibabel.load(str(path))
        data = np.asanyarray(image.dataobj)  # applies scl_slope / scl_inter like every NIfTI reader
    except Exception as error:  # nibabel raises many types for damaged files
        reason = " ".join(str(error).split()) or type(error).__name__
        raise CtDenoiseError(f"{path}: cannot read as a 3D image ({reason})") from None
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise CtDenoiseError(
            f"{path}: cannot read as a 3D image (it is {data.ndim}D with shape {tuple(data.shape)}; a CT volume is 3D)"
        )
    linear = RAS_TO_LPS @ np.asarray(image.affine, dtype=np.float64)[:3, :3]
    spacing_xyz = np.linalg.norm(linear, axis=0)
    direction = linear / spacing_xyz
    if np.abs(direction.T @ direction - np.eye(3)).max() > SHEAR_TOLERANCE:
        raise CtDenoiseError(
            f"{path}: the NIfTI affine is sheared (its voxel axes are not perpendicular); resample it first"
        )
    return Volume(
        hu=np.ascontiguousarray(data.transpose(2, 1, 0), dtype=np.float32),  # nibabel (i, j, k) → (z, y, x)
        spacing_mm=tuple(spacing_xyz[::-1]),
        origin_mm=tuple(RAS_TO_LPS @ np.asarray(image.affine, dtype=np.float64)[:3, 3]),
        direction=direction,
        metadata={"source_path": str(path)},
    )


def read_itk_volume(path: Path | str) -> Volume:
    """Read a NIfTI/NRRD/MetaImage file as a Volume; a clear error names the file when it cannot."""
    path = Path(path)
    if not path.is_file():
        raise CtDenoiseError(f"{path}: no such file")
    if path.name.lower().endswith((".nii", ".nii.gz")):
        return read_nifti_volume(path)
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
