"""``ctdenoise evaluate`` and ``ctdenoise lpips`` end to end, through the real CLI entry point."""

import json
import math

import numpy as np
import pytest

from ctdenoise.cli.main import main
from ctdenoise.io import write_volume
from ctdenoise.volume import Volume


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture()
def volume_files(tmp_path):
    """A uniform −500 HU target and a prediction 15 HU off (PSNR = 20·log10(1500 / 15) = 40 dB), as NIfTI."""
    target = Volume(np.full((16, 32, 36), -500.0), spacing_mm=(2.0, 0.7, 0.7), origin_mm=(-10.0, 5.0, 30.0))
    write_volume(target, tmp_path / "target.nii.gz")
    write_volume(target.with_array(target.hu + 15.0), tmp_path / "pred.nii.gz")
    return tmp_path / "pred.nii.gz", tmp_path / "target.nii.gz"


def test_evaluate_json_reports_the_analytic_psnr(volume_files, capsys):
    pred, target = volume_files
    code, out, _ = run_cli(
        ["evaluate", "--pred", str(pred), "--target", str(target), "--lpips", "none", "--json"], capsys
    )
    assert code == 0
    report = json.loads(out)
    assert report["window_hu"] == [-1000.0, 500.0] and report["border_crop_px"] == 2
    assert report["metrics"]["psnr"] == pytest.approx(40.0, abs=1e-3)
    assert report["metrics"]["psnr_3d"] == pytest.approx(40.0, abs=1e-3)


def test_evaluate_with_mask_window_and_lpips(volume_files, tmp_path, shared_dir, capsys):
    pred, target = volume_files
    mask = Volume(np.ones((16, 32, 36)), spacing_mm=(2.0, 0.7, 0.7), origin_mm=(-10.0, 5.0, 30.0), modality="SEG")
    write_volume(mask, tmp_path / "mask.nii.gz")
    args = ["evaluate", "--pred", str(pred), "--target", str(target), "--mask", str(tmp_path / "mask.nii.gz")]
    args += ["--window", "-1000,-490", "--lpips", "alex", "--lpips-weights", str(shared_dir / "weights" / "lpips")]
    code, out, _ = run_cli([*args, "--json"], capsys)
    assert code == 0
    metrics = json.loads(out)["metrics"]
    assert metrics["psnr_3d"] == pytest.approx(
        20 * math.log10(510 / 10), abs=1e-3
    )  # −485 HU clipped to −490: 10 HU off
    assert 0.0 < metrics["lpips"] < 0.01  # a 10 HU shift of a flat image is barely perceptible


def test_evaluate_refuses_volumes_on_different_grids(volume_files, tmp_path, capsys):
    _, target = volume_files
    write_volume(Volume(np.zeros((16, 32, 36))), tmp_path / "other.nii.gz")
    code, _, err = run_cli(["evaluate", "--pred", str(tmp_path / "other.nii.gz"), "--target", str(target)], capsys)
    assert code == 2
    assert "not on the same grid" in err and "other.nii.gz" in err


def test_lpips_command_reproduces_upstream_lpips_2imgs(shared_dir, capsys):
    weights = shared_dir / "weights" / "lpips"
    args = ["lpips", str(weights / "ex_ref.png"), str(weights / "ex_p0.png"), "--lpips-weights", str(weights)]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert float(out.split(":")[1]) == pytest.approx(0.722, abs=5e-4)


def test_evaluate_names_an_empty_mask_file(volume_files, tmp_path, capsys):
    pred, target = volume_files
    empty = Volume(np.zeros((16, 32, 36)), spacing_mm=(2.0, 0.7, 0.7), origin_mm=(-10.0, 5.0, 30.0), modality="SEG")
    write_volume(empty, tmp_path / "empty.nii.gz")
    args = ["evaluate", "--pred", str(pred), "--target", str(target), "--mask", str(tmp_path / "empty.nii.gz")]
    code, _, err = run_cli([*args, "--lpips", "none"], capsys)
    assert code == 2
    assert err.startswith(f"ctdenoise: error: {tmp_path / 'empty.nii.gz'} is empty") and err.count("\n") == 1


def test_evaluate_names_a_volume_too_thin_for_ssim(tmp_path, capsys):
    thin = Volume(np.full((6, 32, 36), -500.0), spacing_mm=(2.0, 0.7, 0.7))  # 6 − 2·2 crop = 2 slices < 11
    write_volume(thin, tmp_path / "target.nii.gz")
    write_volume(thin.with_array(thin.hu + 15.0), tmp_path / "thin.nii.gz")
    args = ["evaluate", "--pred", str(tmp_path / "thin.nii.gz"), "--target", str(tmp_path / "target.nii.gz")]
    code, _, err = run_cli([*args, "--lpips", "none", "--no-progress"], capsys)
    assert code == 2
    assert err.startswith(f"ctdenoise: error: {tmp_path / 'thin.nii.gz'}: shape (6, 32, 36), coronal view:")
    assert "too small for SSIM" in err and err.count("\n") == 1


def test_evaluate_refuses_a_mask_300_mm_away_saying_where_each_lies(volume_files, tmp_path, capsys):
    pred, target = volume_files
    away = Volume(np.ones((16, 32, 36)), spacing_mm=(2.0, 0.7, 0.7), origin_mm=(-10.0, 5.0, 330.0), modality="SEG")
    write_volume(away, tmp_path / "away.nii.gz")
    args = ["evaluate", "--pred", str(pred), "--target", str(target), "--mask", str(tmp_path / "away.nii.gz")]
    code, out, err = run_cli([*args, "--lpips", "none", "--json"], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"ctdenoise: error: {tmp_path / 'away.nii.gz'}: the mask is not on the image grid")
    assert "origin (-10, 5, 330) mm; image" in err and "origin (-10, 5, 30) mm" in err
