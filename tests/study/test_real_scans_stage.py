"""The study's "real scans" section: scores on a tiny crop of a held-out real scan checked against scikit-image and
a plain numpy interpolation, a one-line skip without the data, and a clear error for a wrong ``--real-data``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from ctdenoise.builtin.evaluation import BODY_WINDOW_HU, PAPER_WINDOW_HU, body_mask
from ctdenoise.cli.main import main
from ctdenoise.io import read_volume
from ctdenoise.metrics.evaluate import PAPER_BORDER_CROP_PX
from ctdenoise.models import HUNormalization, ModelConfig, build_model, save_model_file
from ctdenoise.study.real_scans_stage import locate_real_data, real_scans_report_blocks, run_real_scans_stage

TINY_STUDY = Path(__file__).with_name("tiny-study.yaml")
TINY_CROP = {
    "enabled": True,
    "scans": ["lidc-idri-0003"],
    "n_slices": 16,
    "crop_yx": [48, 48],
    "simulate_crop_only": True,
    "builtin_precisions": ["int8"],
}
CROP = PAPER_BORDER_CROP_PX


def unit(hu: np.ndarray, window_hu) -> np.ndarray:
    low, high = window_hu
    return (np.clip(hu, low, high) - low) / (high - low)


def paper_window_psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean over the axial, coronal and sagittal views of scikit-image's per-slice PSNR, 2-pixel in-plane border
    cropped (the authors' evaluation), in the window [−1000, 500] HU."""
    pred, target = unit(pred, PAPER_WINDOW_HU), unit(target, PAPER_WINDOW_HU)
    views = []
    for axis in range(3):
        values = []
        for index in range(pred.shape[axis]):
            a, b = np.take(pred, index, axis=axis), np.take(target, index, axis=axis)
            a, b = a[CROP:-CROP, CROP:-CROP], b[CROP:-CROP, CROP:-CROP]
            if np.any(a != b):
                values.append(peak_signal_noise_ratio(b, a, data_range=1.0))
        views.append(np.mean(values))
    return float(np.mean(views))


def body_psnr(pred: np.ndarray, target: np.ndarray, body: np.ndarray) -> float:
    """scikit-image's PSNR over the body voxels of the volume cropped by 2 voxels on every axis, [−1000, 1000] HU."""
    inner = (slice(CROP, -CROP),) * 3
    inside = body[inner]
    return peak_signal_noise_ratio(
        unit(target, BODY_WINDOW_HU)[inner][inside], unit(pred, BODY_WINDOW_HU)[inner][inside], data_range=1.0
    )


def linear_in_z(thick: np.ndarray, n_thin: int) -> np.ndarray:
    """Thick slice k (the mean of thin slices 2k, 2k+1) sits at thin index 2k + 0.5: interpolate each voxel's profile
    linearly onto the thin indices, holding the end values beyond the first and last centres."""
    centres = 2 * np.arange(thick.shape[0]) + 0.5
    flat = thick.reshape(thick.shape[0], -1)
    out = np.stack([np.interp(np.arange(n_thin), centres, column) for column in flat.T], axis=1)
    return out.reshape(n_thin, *thick.shape[1:])


@pytest.fixture(scope="module")
def tiny_stage(shared_dir, tmp_path_factory):
    """The stage on a 16×48×48 crop of LIDC-IDRI-0003 with a tiny z×2 STResNet standing in for the study's."""
    folder = tmp_path_factory.mktemp("real-scans")
    config = ModelConfig.of("stresnet", features=4, blocks=1, head_kernel=3, z_scale=2)
    model = save_model_file(folder / "tiny.pt", build_model(config).eval(), config, HUNormalization())
    result = run_real_scans_stage(
        shared_dir / "data", TINY_CROP, {"STResNet FP32": (model, "fp32", "torch")}, 0, folder / "cache", progress=False
    )
    return result, folder / "cache"


def test_every_network_runs_on_the_case_of_its_z_scale(tiny_stage):
    result, _ = tiny_stage
    assert set(result["cases"]) == {"lidc-idri-0003-x1", "lidc-idri-0003-x2"}
    x1, x2 = result["cases"]["lidc-idri-0003-x1"], result["cases"]["lidc-idri-0003-x2"]
    assert "STResNet FP32" in x2 and "STResNet FP32" not in x1
    assert {"built-in stresnet-x1 INT8", "built-in srresnet-x1 INT8"} <= set(x1)
    assert {"built-in stresnet-x2 INT8", "built-in srresnet-x2 INT8"} <= set(x2)
    assert result["shapes_zyx"] == {"lidc-idri-0003": [16, 48, 48]}


def test_input_rows_are_scikit_image_psnr_of_the_simulated_input(tiny_stage):
    result, cache = tiny_stage
    full = read_volume(next(cache.glob("lidc-idri-0003-*-full.nii.gz")))
    low_x1 = read_volume(next(cache.glob("lidc-idri-0003-*-low-x1.nii.gz")))
    low_x2 = read_volume(next(cache.glob("lidc-idri-0003-*-low-x2.nii.gz")))
    assert full.shape == low_x1.shape == (16, 48, 48) and low_x2.shape == (8, 48, 48)
    body = body_mask(full)
    for z_scale, low_on_grid in ((1, low_x1.hu), (2, linear_in_z(low_x2.hu, full.shape[0]))):
        row = result["cases"][f"lidc-idri-0003-x{z_scale}"]["input"]
        assert row["psnr_body_db"] == pytest.approx(body_psnr(low_on_grid, full.hu, body), abs=2e-3)
        assert row["psnr_paper_window_db"] == pytest.approx(paper_window_psnr(low_on_grid, full.hu), abs=2e-3)


def test_report_section_has_the_gains_over_input_and_gaussian(tiny_stage):
    result, _ = tiny_stage
    kind, (rows, _columns) = real_scans_report_blocks({"real_scans": result})[2]
    assert kind == "table"
    case = result["cases"]["lidc-idri-0003-x2"]
    row = next(r for r in rows if r["method"].startswith("STResNet FP32"))
    model, low, gaussian = (case[k]["psnr_body_db"] for k in ("STResNet FP32", "input", "best_gaussian"))
    assert row["gain_input"] == f"{model - low:+.2f}" and row["gain_gaussian"] == f"{model - gaussian:+.2f}"
    text = real_scans_report_blocks({"real_scans": result})[1][1]
    assert "central 16 slices" in text and "48×48" in text and "cropped before the simulation" in text


def test_without_the_shared_folder_the_section_is_one_line_saying_why(tmp_path, monkeypatch):
    monkeypatch.setenv("CTDENOISE_SHARED", str(tmp_path / "nowhere"))
    data_dir, reason = locate_real_data(TINY_CROP, None)
    assert data_dir is None and "not found" in reason and "--real-data" in reason
    blocks = real_scans_report_blocks({"real_scans": {"skipped": reason}})
    assert [kind for kind, _ in blocks] == ["heading", "text"] and "\n" not in blocks[1][1]
    assert blocks[1][1].startswith("Section skipped: held-out real scan")
    assert locate_real_data({**TINY_CROP, "enabled": False}, None)[1].startswith("turned off")
    assert locate_real_data(None, None)[1] == "the study config has no real_scans section"


def test_real_data_without_the_scans_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "reproduce",
                "--preset",
                str(TINY_STUDY),
                "--out",
                str(tmp_path / "study"),
                "--real-data",
                str(tmp_path / "empty"),
            ]
        )
    assert exit_info.value.code == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("ctdenoise: error: --real-data") and "lidc-idri-0003" in message
    assert len(message.splitlines()) == 1
    assert not (tmp_path / "study").exists()  # refused before any work
