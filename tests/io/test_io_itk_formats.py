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


def ras_to_lps_positions(affine: np.ndarray, index_ijk: np.ndarray) -> np.ndarray:
    """nibabel's definition: RAS = affine · (i, j, k, 1); LPS negates R and A."""
    return RAS_TO_LPS @ nib.affines.apply_affine(affine, index_ijk)


def test_nifti_with_different_sform_and_qform_is_placed_by_the_sform_as_nibabel_does(tmp_path):
    data_ijk = np.random.default_rng(1).uniform(-1000, 500, size=(4, 5, 6)).astype(np.float32)
    sform = rotated_ras_affine() @ np.diag([-1.0, 1.0, 1.0, 1.0])  # a flipped first axis as well
    image = nib.Nifti1Image(data_ijk, None)
    image.set_qform(np.diag([1.0, 1.0, 1.0, 1.0]), code=1)  # scanner qform: identity
    image.set_sform(sform, code=2)  # aligned sform: what nibabel (and the standard) use when sform_code > 0
    nib.save(image, tmp_path / "two-forms.nii.gz")
    reference = nib.load(tmp_path / "two-forms.nii.gz")

    volume = read_volume(tmp_path / "two-forms.nii.gz")

    for i, j, k in [(0, 0, 0), (3, 4, 5), (1, 2, 3)]:
        np.testing.assert_allclose(
            volume.index_to_lps([k, j, i]), ras_to_lps_positions(reference.affine, [i, j, k]), atol=1e-4
        )
        assert volume.hu[k, j, i] == pytest.approx(data_ijk[i, j, k])


def test_nifti_scaling_is_applied_like_nibabel(tmp_path):
    stored = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    image = nib.Nifti1Image(stored, np.eye(4))
    image.header.set_slope_inter(2.0, -1024.0)
    nib.save(image, tmp_path / "scaled.nii")
    np.testing.assert_array_equal(read_volume(tmp_path / "scaled.nii").hu, (stored * 2.0 - 1024.0).transpose(2, 1, 0))


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_non_finite_nifti_values_are_refused_not_read_as_zero(tmp_path, bad_value):
    data_ijk = np.zeros((4, 4, 3), np.float32)
    data_ijk[1, 2, 0] = bad_value
    nib.save(nib.Nifti1Image(data_ijk, np.eye(4)), tmp_path / "nan.nii.gz")
    with pytest.raises(CtDenoiseError, match=r"nan.nii.gz: holds 1 non-finite value\(s\) .* \(0, 2, 1\)"):
        read_volume(tmp_path / "nan.nii.gz")


def test_a_4d_nifti_reads_when_its_fourth_axis_has_length_one_and_is_refused_otherwise(tmp_path):
    nib.save(nib.Nifti1Image(np.zeros((4, 5, 6, 1), np.float32), np.eye(4)), tmp_path / "one.nii.gz")
    assert read_volume(tmp_path / "one.nii.gz").shape == (6, 5, 4)
    nib.save(nib.Nifti1Image(np.zeros((4, 5, 6, 3), np.float32), np.eye(4)), tmp_path / "four.nii.gz")
    with pytest.raises(CtDenoiseError, match=r"four.nii.gz: cannot read as a 3D image \(it is 4D with shape"):
        read_volume(tmp_path / "four.nii.gz")


def test_a_sheared_nifti_affine_is_refused(tmp_path):
    affine = np.eye(4)
    affine[0, 1] = 0.3  # j axis leans into x
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), affine), tmp_path / "shear.nii.gz")
    with pytest.raises(CtDenoiseError, match="shear.nii.gz: the NIfTI affine is sheared"):
        read_volume(tmp_path / "shear.nii.gz")


def test_nrrd_in_ras_space_is_placed_in_lps_as_the_nrrd_format_defines(tmp_path):
    # NRRD format, "space" field: right-anterior-superior axes; LPS = (−R, −A, S).
    data_ijk = np.arange(2 * 3 * 4, dtype=np.int16).reshape(4, 3, 2)  # stored with i fastest: (k, j, i)
    header = (
        "NRRD0004\ntype: short\ndimension: 3\nspace: right-anterior-superior\nsizes: 2 3 4\n"
        "space directions: (0.5,0,0) (0,0.75,0) (0,0,2)\nkinds: domain domain domain\nendian: little\n"
        "encoding: raw\nspace origin: (10,20,-30)\n\n"
    )
    (tmp_path / "ras.nrrd").write_bytes(header.encode() + data_ijk.astype("<i2").tobytes())

    volume = read_volume(tmp_path / "ras.nrrd")

    np.testing.assert_array_equal(volume.hu, data_ijk)
    ras = np.array([10.0, 20.0, -30.0]) + np.array([1 * 0.5, 2 * 0.75, 3 * 2.0])  # voxel (i, j, k) = (1, 2, 3)
    np.testing.assert_allclose(volume.index_to_lps([3, 2, 1]), RAS_TO_LPS @ ras, atol=1e-6)
