"""``ctdenoise radiomics`` prints features as JSON; bad input is a one-line error with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from ctdenoise.cli.main import main
from ctdenoise.io import write_volume
from ctdenoise.radiomics.ibsi import IBSI_PHANTOM_PARAMS
from ctdenoise.volume import Volume


def run_cli(args, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code or 0, captured.out, captured.err


@pytest.fixture
def phantom(shared_dir):
    folder = shared_dir / "data" / "ibsi-digital-phantom"
    return str(folder / "image.nii.gz"), str(folder / "mask.nii.gz")


def test_json_maps_feature_names_to_values_and_states_the_settings(phantom, capsys):
    code, out, _ = run_cli(["radiomics", *phantom, "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["settings"]["binWidth"] == 25
    assert result["settings"]["resampledPixelSpacing"] == [1.0, 1.0, 1.0]
    assert result["nodule"] == 1 and len(result["features"]) == 74


def test_params_file_with_ibsi_settings_reproduces_the_ibsi_mean(phantom, tmp_path, capsys):
    params = tmp_path / "ibsi.yaml"
    params.write_text(yaml.safe_dump(IBSI_PHANTOM_PARAMS))
    code, out, _ = run_cli(["radiomics", *phantom, "--params", str(params), "--label", "1", "--json"], capsys)
    assert code == 0
    features = json.loads(out)["features"]
    assert features["firstorder_Mean"] == pytest.approx(2.15, abs=0.005)  # IBSI stat_mean
    assert features["glszm_ZonePercentage"] == pytest.approx(0.0676, abs=5e-5)  # IBSI szm_z_perc_3D


def test_several_nodules_are_reported_per_nodule(tmp_path, capsys):
    labels = np.zeros((12, 24, 24), dtype=np.float32)
    labels[3:8, 3:8, 3:8] = 1
    labels[3:8, 14:20, 14:20] = 2
    write_volume(Volume(labels, modality="SEG"), tmp_path / "mask.nii.gz")
    write_volume(Volume(np.where(labels == 2, 35.0, -800.0)), tmp_path / "ct.nii.gz")
    code, out, _ = run_cli(["radiomics", str(tmp_path / "ct.nii.gz"), str(tmp_path / "mask.nii.gz"), "--json"], capsys)
    assert code == 0
    nodules = json.loads(out)["nodules"]
    assert nodules["1"]["firstorder_Median"] == pytest.approx(-800, abs=1)
    assert nodules["2"]["firstorder_Median"] == pytest.approx(35, abs=1)
    code, out, _ = run_cli(["radiomics", str(tmp_path / "ct.nii.gz"), str(tmp_path / "mask.nii.gz")], capsys)
    assert code == 0 and "nodule 2:" in out and "binWidth=25" in out


def test_missing_mask_is_a_one_line_error(phantom, tmp_path, capsys):
    code, _, err = run_cli(["radiomics", phantom[0], str(tmp_path / "none.nii.gz")], capsys)
    assert code == 2
    assert "none.nii.gz" in err and len(err.strip().splitlines()) == 1


def _scan_and_nodule(tmp_path, mask_origin_mm):
    """A 2 mm scan at origin (−20, −30, 100) and a 1 mm nodule mask whose own origin is given."""
    z, y, x = np.indices((20, 40, 40))
    nodule = ((z - 10) ** 2 + (y - 20) ** 2 + (x - 20) ** 2 <= 16).astype(np.float32)
    scan = Volume(np.full((10, 20, 20), -850.0), spacing_mm=(2.0, 2.0, 2.0), origin_mm=(-20.0, -30.0, 100.0))
    scan.hu[4:6, 9:11, 9:11] = 40.0
    write_volume(scan, tmp_path / "scan.nii.gz")
    mask = Volume(nodule, spacing_mm=(1.0, 1.0, 1.0), origin_mm=mask_origin_mm, modality="SEG")
    write_volume(mask, tmp_path / "mask.nii.gz")
    return ["radiomics", str(tmp_path / "scan.nii.gz"), str(tmp_path / "mask.nii.gz"), "--json", "--no-progress"]


@pytest.mark.parametrize(
    ("origin_mm", "hint"),
    [((-20.5, -30.5, 400.0), False), ((20.5, 30.5, 99.5), True)],  # 300 mm away; origin written with RAS signs
    ids=["300-mm-away", "ras-origin"],
)
def test_a_mask_outside_the_image_is_refused_saying_where_each_lies(tmp_path, capsys, origin_mm, hint):
    code, out, err = run_cli(_scan_and_nodule(tmp_path, origin_mm), capsys)
    assert code == 2 and out == ""
    assert err.startswith(
        f"ctdenoise: error: {tmp_path / 'mask.nii.gz'}: the mask's labelled voxels lie outside the image {tmp_path / 'scan.nii.gz'}: mask voxels at LPS x "
    )
    assert "image covers x -21.0 to 19.0, y -31.0 to 9.0, z 99.0 to 119.0 mm" in err  # outer voxel faces
    assert ("written in RAS" in err) is hint and err.count("\n") == 1


def test_a_mask_on_the_image_extent_up_to_float_rounding_is_accepted(tmp_path, capsys):
    # The 1 mm grid that tiles the 2 mm scan exactly, origin off by 1e-6 mm (decimal-string rounding).
    code, out, _ = run_cli(_scan_and_nodule(tmp_path, (-20.5 + 1e-6, -30.5, 99.5 - 1e-6)), capsys)
    assert code == 0 and "firstorder_Mean" in json.loads(out)["features"]
