"""read_mask: label images (written by nibabel / SimpleITK) and RTSTRUCT ROIs, always on the image grid."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import read_mask, read_volume, write_volume
from ctdenoise.volume import Volume


@pytest.fixture
def image_and_labels(tmp_path):
    """A CT image and a label image (0, 1, 2) on the same grid, both written by nibabel."""
    affine = np.diag([-0.7, -0.7, 1.25, 1.0])  # RAS; the same grid in LPS has spacing (1.25, 0.7, 0.7)
    labels = np.zeros((8, 7, 4), dtype=np.uint8)  # (x, y, z)
    labels[1:3, 1:3, 1] = 1
    labels[4:7, 2:5, 2:4] = 2
    nib.save(nib.Nifti1Image(np.full(labels.shape, -800, dtype=np.int16), affine), tmp_path / "ct.nii.gz")
    nib.save(nib.Nifti1Image(labels, affine), tmp_path / "labels.nii.gz")
    return read_volume(tmp_path / "ct.nii.gz"), tmp_path / "labels.nii.gz"


def test_label_image_on_the_image_grid(image_and_labels):
    image, labels_path = image_and_labels
    mask = read_mask(labels_path, reference=image)
    assert mask.modality == "SEG" and mask.same_grid_as(image)
    assert sorted(np.unique(mask.hu)) == [0, 1, 2]
    assert (mask.hu == 2).sum() == 3 * 3 * 2
    assert mask.hu[1, 1, 1] == 1  # nibabel (x=1, y=1, z=1) is our (z, y, x) = (1, 1, 1)
    assert read_mask(labels_path, roi="2").hu.sum() == 18  # one label as a binary mask


def test_mask_on_another_grid_is_refused(tmp_path, image_and_labels):
    image, _ = image_and_labels
    shifted = Volume(np.zeros(image.shape), image.spacing_mm, (5.0, 0.0, 0.0), image.direction)
    write_volume(shifted, tmp_path / "shifted.nii.gz")
    with pytest.raises(CtDenoiseError, match="shifted.nii.gz: the mask is not on the image grid"):
        read_mask(tmp_path / "shifted.nii.gz", reference=image)


def test_label_selection_errors(image_and_labels):
    _, labels_path = image_and_labels
    with pytest.raises(CtDenoiseError, match="no voxel has label 5; labels present: 1, 2"):
        read_mask(labels_path, roi="5")
    with pytest.raises(CtDenoiseError, match="a label image has no ROI names"):
        read_mask(labels_path, roi="GTV-1")


def test_a_ct_image_is_not_a_label_image(tmp_path):
    write_volume(Volume(np.full((2, 3, 3), -512.5)), tmp_path / "ct.nrrd")
    with pytest.raises(CtDenoiseError, match="non-integer values, so it is not a label image"):
        read_mask(tmp_path / "ct.nrrd")


def test_rtstruct_roi_by_name(lung1_dir, lung1_ct):
    cord = read_mask(lung1_dir / "rtstruct.dcm", reference=lung1_ct, roi="Spinal-Cord")
    assert cord.same_grid_as(lung1_ct) and set(np.unique(cord.hu)) == {0.0, 1.0}
    with pytest.raises(CtDenoiseError, match="no ROI named 'Heart'; available: GTV-1, Spinal-Cord, Lung-Left"):
        read_mask(lung1_dir / "rtstruct.dcm", reference=lung1_ct, roi="Heart")
    with pytest.raises(CtDenoiseError, match="holds 4 ROIs; choose one with --roi"):
        read_mask(lung1_dir / "rtstruct.dcm", reference=lung1_ct)


def test_rtstruct_needs_a_reference(lung1_dir):
    with pytest.raises(CtDenoiseError, match="an RTSTRUCT needs the image it was drawn on"):
        read_mask(lung1_dir / "rtstruct.dcm", roi="GTV-1")


def test_unreadable_or_missing_mask(tmp_path):
    (tmp_path / "mask.txt").write_text("1 2 3")
    with pytest.raises(CtDenoiseError, match="mask.txt: cannot read as DICOM"):
        read_mask(tmp_path / "mask.txt", reference=Volume(np.zeros((1, 1, 1))))
    with pytest.raises(CtDenoiseError, match="no such file"):
        read_mask(tmp_path / "nothing.nii.gz")
    with pytest.raises(CtDenoiseError, match="a folder"):
        read_mask(tmp_path)
