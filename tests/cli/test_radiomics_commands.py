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
