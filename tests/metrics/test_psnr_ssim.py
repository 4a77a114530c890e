"""PSNR/SSIM against scikit-image (an independent implementation) and closed-form cases."""

import math

import numpy as np
import pydicom
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.psnr_ssim import (
    VIEW_SLICE_AXIS,
    mean_over_slices,
    psnr_3d,
    psnr_per_slice,
    ssim_3d,
    ssim_per_slice,
)
from ctdenoise.metrics.window import window_to_unit

SKIMAGE_SSIM = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False, "data_range": 1.0}


@pytest.fixture(scope="module")
def ct_pair(lung1_dir):
    """12 real LUNG1 slices (a 64×96 chest-wall patch) windowed to [0, 1], and a noisier copy."""
    files = sorted((lung1_dir / "dicom").glob("*.dcm"))[60:72]
    slices = []
    for path in files:
        dataset = pydicom.dcmread(path)
        hu = dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)
        slices.append((float(dataset.ImagePositionPatient[2]), hu[200:264, 40:136]))
    target = window_to_unit(np.stack([hu for _, hu in sorted(slices)]))
    noisy = window_to_unit(
        np.stack([hu for _, hu in sorted(slices)]) + np.random.default_rng(1).normal(0, 60, (12, 64, 96))
    )
    return noisy, target


@pytest.mark.parametrize("view", list(VIEW_SLICE_AXIS))
def test_per_slice_ssim_and_psnr_match_scikit_image_on_ct(ct_pair, view):
    noisy, target = ct_pair
    axis = VIEW_SLICE_AXIS[view]
    slices = range(target.shape[axis])
    expected_ssim = [structural_similarity(noisy.take(i, axis), target.take(i, axis), **SKIMAGE_SSIM) for i in slices]
    expected_psnr = [peak_signal_noise_ratio(target.take(i, axis), noisy.take(i, axis), data_range=1.0) for i in slices]
    np.testing.assert_allclose(ssim_per_slice(noisy, target, view, chunk_slices=5), expected_ssim, rtol=0, atol=1e-10)
    np.testing.assert_allclose(psnr_per_slice(noisy, target, view), expected_psnr, rtol=1e-12)


def test_border_crop_equals_scikit_image_on_the_cropped_slice(ct_pair):
    noisy, target = ct_pair
    expected = [structural_similarity(noisy[i, 2:-2, 2:-2], target[i, 2:-2, 2:-2], **SKIMAGE_SSIM) for i in range(12)]
    np.testing.assert_allclose(ssim_per_slice(noisy, target, "axial", border_crop_px=2), expected, atol=1e-10)


def test_3d_metrics_match_scikit_image_on_the_whole_volume(ct_pair):
    noisy, target = ct_pair
    assert ssim_3d(noisy, target, chunk_slices=1) == pytest.approx(structural_similarity(noisy, target, **SKIMAGE_SSIM))
    assert psnr_3d(noisy, target) == pytest.approx(peak_signal_noise_ratio(target, noisy, data_range=1.0))


def test_masked_ssim_averages_scikit_image_ssim_map_over_the_mask(ct_pair):
    noisy, target = ct_pair
    mask = np.zeros(target.shape, dtype=bool)
    mask[:, 20:50, 30:80] = True
    for i in range(12):
        _, full_map = structural_similarity(noisy[i], target[i], full=True, **SKIMAGE_SSIM)
        inside = mask[i, 5:-5, 5:-5]  # scikit-image averages only the valid region (5-px border cropped)
        expected = full_map[5:-5, 5:-5][inside].mean()
        assert ssim_per_slice(noisy, target, "axial", mask=mask)[i] == pytest.approx(expected, abs=1e-10)


def test_constant_offset_gives_the_analytic_psnr_in_every_view():
    target = np.full((12, 14, 16), 0.5)
    pred = target + 0.01  # MSE = 1e-4 → PSNR = 10·log10(1 / 1e-4) = 40 dB
    for view in VIEW_SLICE_AXIS:
        np.testing.assert_allclose(psnr_per_slice(pred, target, view), 40.0)
    assert psnr_3d(pred, target) == pytest.approx(40.0)


def test_masked_psnr_uses_only_masked_voxels():
    target = np.full((3, 12, 12), 0.5)
    pred = target.copy()
    pred[:, :, :6] += 0.1  # error 0.1 left of the mask, 0.001 inside it
    pred[:, :, 6:] += 0.001
    mask = np.zeros(target.shape, dtype=bool)
    mask[:, :, 6:] = True
    np.testing.assert_allclose(psnr_per_slice(pred, target, "axial", mask=mask), 60.0)
    assert psnr_3d(pred, target, mask=mask) == pytest.approx(60.0)


def test_slices_without_mask_or_error_are_left_out_of_the_view_mean():
    assert mean_over_slices(np.array([30.0, math.inf, np.nan, 40.0])) == 35.0
    assert mean_over_slices(np.array([math.inf, math.inf])) == math.inf


def test_identical_volumes_have_ssim_one():
    volume = np.random.default_rng(0).random((11, 12, 13))
    assert ssim_3d(volume, volume) == pytest.approx(1.0)
    np.testing.assert_allclose(ssim_per_slice(volume, volume, "sagittal"), 1.0)


def test_too_small_images_raise_a_clear_error():
    small = np.zeros((4, 20, 20))
    with pytest.raises(CtDenoiseError, match="too small for SSIM"):
        ssim_per_slice(small, small, "coronal")
