"""NIfTI/NRRD/MetaImage geometry against nibabel, which stores NIfTI affines in RAS (we use DICOM's LPS)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import read_volume, write_volume
from ctdenoise.volume import Volume

RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0])


def rotated_ras_affine() -> np.ndarray:
    """Voxel (i, j, k) → RAS mm: 0.8 × 0.9 × 2.5 mm voxels, rotated 30° about the z axis, shifted."""
    angle = np.radians(30)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([0.8, 0.9, 2.5])
    affine[:3, 3] = [12.0, -40.0, -200.0]
    return affine


def test_nibabel_nifti_reads_with_its_spacing_and_orientation(tmp_path):
    data_ijk = np.random.default_rng(0).uniform(-1000, 1500, size=(5, 4, 3)).astype(np.float32)  # (x, y, z)
    affine = rotated_ras_affine()
    nib.save(nib.Nifti1Image(data_ijk, affine), tmp_path / "ct.nii.gz")

    volume = read_volume(tmp_path / "ct.nii.gz")

    assert volume.shape == (3, 4, 5)  # our arrays are (z, y, x)
    np.testing.assert_array_equal(volume.hu, data_ijk.transpose(2, 1, 0))
    assert volume.spacing_mm == pytest.approx((2.5, 0.9, 0.8))
    for i, j, k in [(0, 0, 0), (4, 3, 2), (1, 2, 1)]:
        ras = affine @ [i, j, k, 1]
        np.testing.assert_allclose(volume.index_to_lps([k, j, i]), RAS_TO_LPS @ ras[:3], atol=1e-4)


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".mha"])
def test_written_files_keep_hu_and_geometry(tmp_path, suffix):
    angle = np.radians(-15)
    direction = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    volume = Volume(
        np.random.default_rng(1).uniform(-1000, 3000, size=(3, 4, 5)),
        spacing_mm=(1.25, 0.7, 0.6),
        origin_mm=(-10.5, 20.25, -300.0),
        direction=direction,
    )
    path = write_volume(volume, tmp_path / f"ct{suffix}")
    back = read_volume(path)
    np.testing.assert_array_equal(back.hu, volume.hu)
    assert back.same_grid_as(volume, tolerance_mm=1e-5)
    if suffix == ".nii.gz":  # and nibabel agrees on where every voxel is
        image = nib.load(path)
        np.testing.assert_allclose(
            RAS_TO_LPS @ (image.affine @ [4, 3, 2, 1])[:3], volume.index_to_lps([2, 3, 4]), atol=1e-4
        )


def test_unknown_suffix_and_missing_file_are_refused(tmp_path):
    (tmp_path / "scan.png").write_bytes(b"\x89PNG")
    with pytest.raises(CtDenoiseError, match="unsupported format"):
        read_volume(tmp_path / "scan.png")
    with pytest.raises(CtDenoiseError, match="no such file"):
        read_volume(tmp_path / "missing.nii.gz")
    with pytest.raises(CtDenoiseError, match="unsupported output format '.png'"):
        write_volume(Volume(np.zeros((1, 2, 2))), tmp_path / "out.png")


def test_corrupt_file_error_names_the_file(tmp_path):
    (tmp_path / "broken.nii.gz").write_bytes(b"not gzip at all")
    with pytest.raises(CtDenoiseError, match="broken.nii.gz: cannot read as a 3D image"):
        read_volume(tmp_path / "broken.nii.gz")
