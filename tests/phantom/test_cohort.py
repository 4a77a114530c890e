"""The cohort on disk: manifest schema (the API contract), files readable by SimpleITK, previews, no clobbering."""

import json

import numpy as np
import pytest
import SimpleITK as sitk

from ctdenoise.errors import CtDenoiseError
from ctdenoise.phantom import generate_cohort, generate_subject
from ctdenoise.phantom.cohort import subject_seed

TINY = {"shape_zyx": (16, 56, 56), "spacing_mm": (1.0, 3.5, 3.5)}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    out = tmp_path_factory.mktemp("phantoms")
    return generate_cohort(out, n_subjects=2, seed=7, preview=True, progress=False, **TINY)


def test_manifest_follows_the_contract(cohort):
    manifest = json.loads(cohort.read_text())
    assert cohort.name == "manifest.json"
    assert [s["subject_id"] for s in manifest["subjects"]] == ["phantom-000", "phantom-001"]
    for subject in manifest["subjects"]:
        for key in ("full_dose", "nodule_mask", "lung_mask", "preview"):
            assert (cohort.parent / subject[key]).is_file(), key
        assert subject["full_dose"] == f"{subject['subject_id']}/full_dose.nii.gz"
        assert len(subject["nodules"]) >= 1
        for nodule in subject["nodules"]:
            assert {"label", "diameter_mm", "type", "shape", "center_zyx"} <= set(nodule)
            assert nodule["type"] in ("solid", "part-solid", "ground-glass")
            assert nodule["shape"] in ("round", "lobulated", "spiculated")
            assert len(nodule["center_zyx"]) == 3


def test_files_read_back_with_simpleitk(cohort):
    manifest = json.loads(cohort.read_text())
    subject = manifest["subjects"][0]
    image = sitk.ReadImage(str(cohort.parent / subject["full_dose"]))
    nodules = sitk.ReadImage(str(cohort.parent / subject["nodule_mask"]))
    lungs = sitk.ReadImage(str(cohort.parent / subject["lung_mask"]))
    assert image.GetSize() == (56, 56, 16)  # SimpleITK lists x, y, z
    assert image.GetSpacing() == pytest.approx((3.5, 3.5, 1.0))
    for mask in (nodules, lungs):
        assert mask.GetPixelID() == sitk.sitkUInt8
        assert mask.GetOrigin() == pytest.approx(image.GetOrigin())
    labels = sitk.GetArrayFromImage(nodules)
    assert sorted(np.unique(labels[labels > 0]).tolist()) == [n["label"] for n in subject["nodules"]]
    assert set(np.unique(sitk.GetArrayFromImage(lungs)).tolist()) == {0, 1}
    # The file holds exactly the subject the API makes from the same seed.
    again = generate_subject(subject_seed(7, 0), **TINY)
    assert np.array_equal(sitk.GetArrayFromImage(image), again.full_dose.hu)


def test_preview_png_is_written(cohort):
    png = cohort.parent / "phantom-000" / "preview.png"
    data = png.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_existing_cohort_is_not_clobbered(cohort):
    with pytest.raises(CtDenoiseError, match="--overwrite"):
        generate_cohort(cohort.parent, n_subjects=1, progress=False, **TINY)


def test_an_identical_cohort_can_be_reused_but_not_a_different_one(cohort):
    before = cohort.stat().st_mtime_ns
    kept = generate_cohort(
        cohort.parent, n_subjects=2, seed=7, preview=True, progress=False, reuse_existing=True, **TINY
    )
    assert kept == cohort and cohort.stat().st_mtime_ns == before
    with pytest.raises(CtDenoiseError, match="--overwrite"):
        generate_cohort(cohort.parent, n_subjects=2, seed=8, progress=False, reuse_existing=True, **TINY)


def test_dicom_output_reads_back(tmp_path):
    pytest.importorskip("ctdenoise.io.dicom_writer")
    from ctdenoise.io import read_volume

    manifest_path = generate_cohort(tmp_path / "dicom", n_subjects=1, output_format="dicom", progress=False, **TINY)
    subject = json.loads(manifest_path.read_text())["subjects"][0]
    assert subject["full_dose"] == "phantom-000/full_dose"
    volume = read_volume(manifest_path.parent / subject["full_dose"])
    expected = generate_subject(subject_seed(0, 0), **TINY).full_dose
    assert volume.shape == expected.shape
    assert np.abs(volume.hu - expected.hu).max() <= 1.0  # integer storage with rescale slope ≤ 1 HU
