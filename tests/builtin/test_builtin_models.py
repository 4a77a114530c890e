"""The built-in models: they ship, load weights-only, match their configs, reproduce their recorded output on the
example crop, and `ctdenoise denoise` / `models` / `denoise_volume` use them without being told a path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import ctdenoise
from ctdenoise.builtin.catalog import BUILTIN_NAMES, DEFAULT_BUILTIN, builtin_card, builtin_folder, builtin_names
from ctdenoise.errors import CtDenoiseError
from ctdenoise.examples import EXAMPLE_FULL_DOSE, EXAMPLE_LOW_DOSE, EXAMPLE_NODULES
from ctdenoise.io import read_volume
from ctdenoise.models import load_model_file
from ctdenoise.training import load_training_config, model_config

PACKAGE_DIR = Path(ctdenoise.__file__).parent


def run_cli(*args: str):
    from ctdenoise.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_every_builtin_ships_and_the_package_stays_small():
    assert builtin_names() == list(BUILTIN_NAMES)
    total = sum(
        path.stat().st_size for path in PACKAGE_DIR.rglob("*") if path.is_file() and "__pycache__" not in path.parts
    )
    assert total < 30e6


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_loads_weights_only_and_matches_its_config(name, monkeypatch):
    calls = []
    original = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(k.get("weights_only")) or original(*a, **k))
    loaded = load_model_file(builtin_folder(name) / "model.pt")
    assert calls and all(calls)
    assert loaded.config == model_config(load_training_config(f"builtin-{name}"))
    description = json.loads((builtin_folder(name) / "model.json").read_text())
    assert description["config"] == loaded.config.as_dict()
    assert "openvino_int8" in description["files"]
    assert builtin_card(name)["model"] == loaded.config.as_dict()


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_reproduces_its_recorded_output_on_the_example_crop(name):
    from ctdenoise.inference import denoise_volume

    record = builtin_card(name)["reference_output"]
    low = read_volume(EXAMPLE_LOW_DOSE)
    box = tuple(slice(a, b) for a, b in record["input_box_zyx"])
    small = low.with_array(low.hu[box].copy())
    out = denoise_volume(small, builtin_folder(name) / "model.pt", "fp32", "torch", progress=False)
    assert out.shape == tuple(record["shape"])
    assert float(out.hu.mean()) == pytest.approx(record["mean_hu"], abs=0.05)
    assert float(out.hu.std()) == pytest.approx(record["std_hu"], abs=0.05)
    np.testing.assert_allclose(out.hu.ravel()[:: record["stride"]], record["samples_hu"], atol=0.05)


def test_example_crop_is_real_ct_with_nodules():
    full, low, nodules = (read_volume(path) for path in (EXAMPLE_FULL_DOSE, EXAMPLE_LOW_DOSE, EXAMPLE_NODULES))
    assert full.same_grid_as(low) and full.same_grid_as(nodules)
    assert set(np.unique(nodules.hu).astype(int)) == {0, 1, 2, 3}
    assert full.hu.min() >= -1024 and full.hu.max() <= 3071
    assert np.std(low.hu - full.hu) > 10  # the 10 % dose partner is visibly noisier


def test_denoise_cli_uses_the_builtin_int8_by_default(tmp_path):
    low = read_volume(EXAMPLE_LOW_DOSE)
    small = tmp_path / "small.nii.gz"
    from ctdenoise.io import write_volume

    write_volume(low.with_array(low.hu[:8, :96, :96].copy()), small)
    result = run_cli("denoise", str(small), str(tmp_path / "out.nii.gz"), "--no-progress")
    assert result.exit_code == 0, result.output
    assert f"built-in {DEFAULT_BUILTIN[1]}" in result.output and "openvino int8" in result.output
    assert read_volume(tmp_path / "out.nii.gz").shape == (8, 96, 96)
    result = run_cli(
        "denoise",
        str(small),
        str(tmp_path / "x2.nii.gz"),
        "--z-scale",
        "2",
        "--no-progress",
        "--preview",
        str(tmp_path / "preview.png"),
    )
    assert result.exit_code == 0, result.output
    assert f"built-in {DEFAULT_BUILTIN[2]}" in result.output
    assert read_volume(tmp_path / "x2.nii.gz").shape == (16, 96, 96)
    assert (tmp_path / "preview.png").read_bytes()[:4] == b"\x89PNG"
    result = run_cli("denoise", str(small), str(tmp_path / "sr.nii.gz"), "--model", "srresnet-x1", "--no-progress")
    assert result.exit_code == 0 and "built-in srresnet-x1" in result.output


def test_unknown_builtin_name_and_wrong_z_scale_are_clear_errors(tmp_path, capsys):
    from ctdenoise.builtin.catalog import resolve_model
    from ctdenoise.cli.main import main

    with pytest.raises(CtDenoiseError, match="z-scale"):
        resolve_model(None, 3)
    with pytest.raises(CtDenoiseError, match="no built-in model named 'stresnet-x9'"):
        builtin_folder("stresnet-x9")
    args = ["denoise", str(EXAMPLE_LOW_DOSE), str(tmp_path / "o.nii.gz"), "--model", "stresnet-x1", "--z-scale", "2"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "stresnet-x1: is a z×1 model, but --z-scale 2 was asked for" in capsys.readouterr().err
    assert not (tmp_path / "o.nii.gz").exists()


def test_models_lists_the_builtins():
    result = run_cli("models")
    assert result.exit_code == 0
    for name in BUILTIN_NAMES:
        assert name in result.output


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_listed_quality_is_the_mean_int8_gain_on_the_real_held_out_scans_only(name):
    from ctdenoise.builtin.catalog import builtin_summary

    cases = builtin_card(name)["held_out"]
    real = [case for key, case in cases.items() if not key.startswith("phantom-")]
    assert len(real) == 2 and len(cases) == 4  # two real scans, two phantom test subjects
    expected = np.mean([case[f"{name}-int8"]["psnr_body_db"] - case["input"]["psnr_body_db"] for case in real])
    assert builtin_summary(name)["gain_over_input_db"] == pytest.approx(expected, abs=1e-9)


def test_preview_reference_must_be_the_same_scan_and_unknown_names_list_the_builtins(tmp_path, capsys):
    from ctdenoise.cli.main import main
    from ctdenoise.io import write_volume

    low = read_volume(EXAMPLE_LOW_DOSE)
    small = write_volume(low.with_array(low.hu[:4, :48, :48].copy()), tmp_path / "small.nii.gz")
    other = write_volume(low.with_array(low.hu[:4, :40, :40].copy()), tmp_path / "other.nii.gz")
    out = tmp_path / "out.nii.gz"
    cases = [
        (["--reference", str(other), "--preview", str(tmp_path / "p.png")], "other.nii.gz: not the same scan's grid"),
        (["--reference", str(small)], "--reference is only shown in a --preview"),
        (["--model", "stresnet-x7"], "no built-in of that name (built-ins: stresnet-x1, stresnet-x2"),
    ]
    for extra, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(["denoise", str(small), str(out), "--no-progress", *extra])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
        assert not out.exists() and not (tmp_path / "p.png").exists()
