"""Feature extraction with the CT defaults and with parameter files, on volumes whose answer is analytic."""

from __future__ import annotations

import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.radiomics import build_extractor, extract_nodule_features, extraction_settings
from ctdenoise.volume import Volume


def sphere_mask(shape, centre, radius, spacing_mm=(1.0, 1.0, 1.0)) -> Volume:
    z, y, x = np.indices(shape)
    inside = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2 <= radius**2
    return Volume(inside.astype(np.float32), spacing_mm=spacing_mm, modality="SEG")


def test_uniform_nodule_has_its_hu_as_mean_and_no_spread():
    mask = sphere_mask((16, 20, 20), (8, 10, 10), 4)
    (row,) = extract_nodule_features(Volume(np.full(mask.shape, 40.0)), mask)
    assert row["nodule"] == 1
    assert row["firstorder_Mean"] == pytest.approx(40.0, abs=1e-3)
    assert row["firstorder_Variance"] == pytest.approx(0.0, abs=1e-3)
    assert sum(name.split("_")[0] in ("firstorder", "glcm", "glrlm", "glszm") for name in row) == 74


def test_image_on_a_coarser_grid_is_measured_on_the_mask_voxels():
    """A 2 mm scan (HU = 10·z_mm, origin +0.5 mm like simulated low dose) and a mask drawn on the 1 mm grid."""
    mask = sphere_mask((24, 16, 16), (12, 8, 8), 3.5)
    z_mm = np.arange(12) * 2.0 + 0.5  # slice k = mean of 1 mm slices 2k and 2k+1
    ramp = np.broadcast_to((10.0 * z_mm)[:, None, None], (12, 16, 16))
    coarse = Volume(ramp, spacing_mm=(2.0, 1.0, 1.0), origin_mm=(0.0, 0.0, 0.5))
    (row,) = extract_nodule_features(coarse, mask)
    mask_z_mm = np.argwhere(mask.hu > 0)[:, 0].astype(float)
    assert row["firstorder_Mean"] == pytest.approx(10.0 * mask_z_mm.mean(), abs=1e-2)


def test_each_label_is_one_nodule():
    labels = sphere_mask((16, 24, 24), (8, 6, 6), 3).hu + 2 * sphere_mask((16, 24, 24), (8, 17, 17), 3).hu
    image = np.where(labels == 1, -600.0, 30.0)  # a ground-glass and a solid nodule
    rows = extract_nodule_features(Volume(image), Volume(labels, modality="SEG"))
    assert [(r["nodule"], round(r["firstorder_Mean"])) for r in rows] == [(1, -600), (2, 30)]


def test_parameter_file_replaces_the_defaults(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("setting:\n  binWidth: 5\nfeatureClass:\n  firstorder:\n")
    mask = sphere_mask((12, 12, 12), (6, 6, 6), 3)
    (row,) = extract_nodule_features(Volume(np.full(mask.shape, -700.0)), mask, params=params)
    assert set(row) - {"nodule"} and all(name.startswith("firstorder_") for name in row if name != "nodule")
    settings = extraction_settings(build_extractor(params))
    assert settings["binWidth"] == 5 and settings.get("resampledPixelSpacing") is None


def test_bad_parameters_are_clear_errors(tmp_path):
    with pytest.raises(CtDenoiseError, match="no such parameter file"):
        build_extractor(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("setting:\n  binWidth: wide\n")
    with pytest.raises(CtDenoiseError, match="bad.yaml: invalid pyradiomics parameters"):
        build_extractor(bad)
    bad.write_text("setting: [unclosed\n")
    with pytest.raises(CtDenoiseError, match="not valid YAML"):
        build_extractor(bad)


@pytest.mark.slow
def test_real_tumour_matches_pyradiomics_run_on_the_files(lung1_dir):
    """LUNG1-001 GTV-1: DICOM → Volume → crop → pyradiomics equals pyradiomics on the DICOM series and mask file.

    Without resampling the crop cannot change any value, so this checks geometry, HU and mask handling end to end.
    """
    import SimpleITK as sitk

    from ctdenoise.io import read_mask, read_volume

    params = {"featureClass": {"firstorder": [], "glcm": []}, "setting": {"binWidth": 25, "label": 1}}
    mask_path = lung1_dir / "masks" / "mask_GTV-1.nii.gz"
    (ours,) = extract_nodule_features(read_volume(lung1_dir / "dicom"), read_mask(mask_path), params=params)

    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(lung1_dir / "dicom")))
    direct = build_extractor(params).execute(reader.Execute(), sitk.ReadImage(str(mask_path)))
    expected = {key.removeprefix("original_"): float(v) for key, v in direct.items() if key.startswith("original_")}
    assert set(expected) == set(ours) - {"nodule"}
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, rel=1e-6), name
    assert -100 < ours["firstorder_Median"] < 60  # a soft-tissue tumour
