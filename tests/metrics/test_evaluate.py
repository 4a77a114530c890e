"""image_quality / evaluate_cases on volumes with closed-form answers."""

import math

import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics import CasePair, evaluate_cases, image_quality
from ctdenoise.volume import Volume

WINDOW_WIDTH_HU = 1500.0  # default window [−1000, 500]


def offset_pair(offset_hu: float) -> tuple[Volume, Volume]:
    """A uniform −500 HU target and a copy shifted by ``offset_hu``: PSNR = 20·log10(1500 / offset)."""
    target = Volume(np.full((16, 17, 18), -500.0), spacing_mm=(2.0, 0.8, 0.8))
    return target.with_array(target.hu + offset_hu), target


def test_image_quality_reports_every_view_and_3d_with_analytic_psnr():
    pred, target = offset_pair(15.0)
    metrics = image_quality(pred, target)
    views = ("axial", "coronal", "sagittal")
    expected_keys = {"psnr", "ssim", "psnr_3d", "ssim_3d"} | {f"{m}_{v}" for m in ("psnr", "ssim") for v in views}
    assert set(metrics) == expected_keys
    for name in ("psnr", "psnr_3d", *(f"psnr_{view}" for view in views)):
        assert metrics[name] == pytest.approx(40.0)
    # SSIM of a constant shift on flat images: luminance term (2μxμy + C1) / (μx² + μy² + C1), μ in [0, 1] units.
    mu_x, mu_y, c1 = (500 + 15) / WINDOW_WIDTH_HU, 500 / WINDOW_WIDTH_HU, 0.01**2
    assert metrics["ssim"] == pytest.approx((2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1))


def test_window_clipping_hides_errors_outside_the_window():
    target = Volume(np.full((16, 16, 16), 800.0))  # bone above the window top
    assert image_quality(target.with_array(target.hu + 200.0), target, border_crop_px=0)["psnr_3d"] == math.inf


def test_volumes_on_different_grids_are_refused():
    pred, target = offset_pair(15.0)
    with pytest.raises(CtDenoiseError, match="same grid"):
        image_quality(pred.with_array(pred.hu, spacing_mm=(1.0, 0.8, 0.8)), target)


def test_mask_restricts_psnr_to_its_voxels():
    pred, target = offset_pair(15.0)
    pred.hu[:, :, :9] += 300.0  # a large error outside the mask only
    mask = target.with_array(np.zeros(target.shape), modality="SEG")
    mask.hu[:, :, 9:] = 1
    assert image_quality(pred, target, mask=mask, border_crop_px=0)["psnr_3d"] == pytest.approx(40.0)
    with pytest.raises(CtDenoiseError, match="empty"):
        image_quality(pred, target, mask=mask.with_array(np.zeros(target.shape)))


def test_evaluate_cases_gives_per_case_values_and_mean_std():
    pairs = [CasePair(f"case-{offset}", *offset_pair(offset)) for offset in (15.0, 30.0, 150.0)]
    result = evaluate_cases(pairs, progress=False)
    expected = [20 * math.log10(WINDOW_WIDTH_HU / offset) for offset in (15.0, 30.0, 150.0)]  # 40, 33.98, 20 dB
    assert [case["case_id"] for case in result["cases"]] == ["case-15.0", "case-30.0", "case-150.0"]
    np.testing.assert_allclose([case["psnr_3d"] for case in result["cases"]], expected)
    summary = result["summary"]["psnr_3d"]
    assert summary["n"] == 3
    assert summary["mean"] == pytest.approx(np.mean(expected))
    assert summary["std"] == pytest.approx(np.std(expected, ddof=1))


def test_evaluate_cases_reads_files_and_adds_lpips(tmp_path, shared_dir):
    from ctdenoise.io import write_volume

    rng = np.random.default_rng(0)
    target = Volume(rng.normal(-600, 150, (16, 40, 40)), spacing_mm=(2.0, 0.8, 0.8))
    write_volume(target, tmp_path / "target.nii.gz")
    write_volume(target.with_array(target.hu + rng.normal(0, 30, target.shape)), tmp_path / "pred.nii.gz")
    pairs = [CasePair("a", tmp_path / "pred.nii.gz", tmp_path / "target.nii.gz")]
    result = evaluate_cases(pairs, lpips_net="alex", lpips_weights_dir=shared_dir / "weights" / "lpips", progress=False)
    assert result["cases"][0]["lpips"] > 0
    assert math.isnan(result["summary"]["lpips"]["std"])  # one case: no spread
