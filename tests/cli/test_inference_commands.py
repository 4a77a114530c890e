import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ctdenoise.cli.main import app, main
from ctdenoise.io import read_volume, write_volume
from ctdenoise.models import NETWORKS, HUNormalization, ModelConfig, build_model, save_model_file
from ctdenoise.volume import Volume

TINY = ModelConfig.of("stresnet", features=4, blocks=1, head_kernel=3, z_scale=2)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    torch.manual_seed(0)
    model = save_model_file(folder / "tiny.pt", build_model(TINY), TINY, HUNormalization())
    hu = np.full((6, 24, 24), -1000.0, dtype=np.float32)
    hu[:, 4:20, 4:20] = 40.0
    scan = write_volume(Volume(hu, spacing_mm=(2.0, 0.8, 0.8), origin_mm=(0, 0, 50)), folder / "low.nii.gz")
    return {"folder": folder, "model": model, "scan": scan}


def test_denoise_writes_the_z2_volume_and_names_the_fallback(files):
    out = files["folder"] / "denoised.nii.gz"
    result = CliRunner().invoke(
        app, ["denoise", str(files["scan"]), str(out), "--model", str(files["model"]), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "has no INT8" in result.output
    denoised = read_volume(out)
    assert denoised.shape == (12, 24, 24)
    np.testing.assert_allclose(denoised.spacing_mm, (1.0, 0.8, 0.8), atol=1e-6)
    np.testing.assert_allclose(denoised.origin_mm, (0, 0, 49.5), atol=1e-5)
    record = json.loads((files["folder"] / "denoised.json").read_text())  # the NIfTI's sidecar: how it was made
    assert record["ctdenoise_inference"]["z_scale"] == 2 and record["ctdenoise_inference"]["precision"] == "fp32"
    assert f"wrote {files['folder'] / 'denoised.json'}" in result.output  # the user is told it is there


def test_denoise_refuses_to_clobber_with_exit_code_2(files, capsys, monkeypatch):
    out = files["folder"] / "exists.nii.gz"
    out.write_bytes(b"")
    arguments = ["denoise", str(files["scan"]), str(out), "--model", str(files["model"])]
    monkeypatch.setattr(sys, "argv", ["ctdenoise", *arguments])
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert "already exists" in capsys.readouterr().err


def test_export_then_quantize_then_denoise_int8(files):
    runner = CliRunner()
    onnx_path = files["folder"] / "tiny.onnx"
    result = runner.invoke(app, ["export", "--model", str(files["model"]), "--format", "onnx", "--out", str(onnx_path)])
    assert result.exit_code == 0 and onnx_path.is_file(), result.output
    int8_dir = files["folder"] / "tiny_int8"
    result = runner.invoke(
        app,
        ["quantize", "--model", str(files["model"]), "--calibration", str(files["scan"]), "--out", str(int8_dir)]
        + ["--patches", "8", "--patch-size", "4,16,16", "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    assert "psnr_int8_vs_fp32" in result.output
    out = files["folder"] / "int8.nii.gz"
    result = runner.invoke(app, ["denoise", str(files["scan"]), str(out), "--model", str(int8_dir), "--no-progress"])
    assert result.exit_code == 0 and "openvino int8" in result.output, result.output


def test_benchmark_json_has_the_results_list(capsys):
    result = CliRunner().invoke(
        app,
        ["benchmark", "--json", "--shape", "2,24,24", "--preset", "tiny", "--runtimes", "torch", "--repetitions", "1"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(row["model"], row["precision"]) for row in report["results"]] == [
        (arch, precision) for arch in NETWORKS for precision in ("fp32", "bf16")
    ]
    assert set(report["results"][0]) == {"model", "runtime", "precision", "median_s", "speedup_vs_srresnet_fp32"}
    with pytest.raises(SystemExit) as exit_info:  # RED-CNN's unpadded 5×5 layers need 21 pixels in-plane
        main(["benchmark", "--shape", "2,8,8", "--preset", "tiny", "--runtimes", "torch", "--no-progress"])
    assert exit_info.value.code == 2 and "too small for redcnn" in capsys.readouterr().err
