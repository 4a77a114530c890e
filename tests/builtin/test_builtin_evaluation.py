"""Held-out evaluation against analytic cases: the input brought to the output grid, and the body mask."""

from __future__ import annotations

import numpy as np

from ctdenoise.builtin.evaluation import body_mask
from ctdenoise.radiomics.grid import resample_to_grid
from ctdenoise.simulate.slice_thickness import average_slices
from ctdenoise.volume import Volume


def test_interpolation_of_thick_slices_reproduces_a_linear_ramp_at_the_thin_positions():
    z = np.arange(20, dtype=np.float32)
    thin = Volume(
        np.broadcast_to((10.0 * z)[:, None, None], (20, 4, 4)).copy(), spacing_mm=(1.0, 0.7, 0.7), origin_mm=(0, 0, -30)
    )
    thick = average_slices(thin, 2.0)  # slice k = mean of thin 2k, 2k+1 → centre at 2k + 0.5
    back = resample_to_grid(thick, thin, linear=True)  # how the evaluation brings the input to the output grid
    assert back.same_grid_as(thin)
    # Linear interpolation is exact for a linear profile between the first and last thick-slice centres.
    np.testing.assert_allclose(back.hu[1:-1, 0, 0], thin.hu[1:-1, 0, 0], atol=1e-4)
    assert back.hu[0, 0, 0] == thick.hu[0, 0, 0]  # beyond the ends: the nearest slice


def test_body_mask_is_the_body_with_its_lungs_filled_and_without_air_or_padding():
    y, x = np.mgrid[-1:1:96j, -1:1:96j]
    body = (y / 0.6) ** 2 + (x / 0.9) ** 2 < 1
    lungs = (y / 0.4) ** 2 + ((np.abs(x) - 0.4) / 0.3) ** 2 < 1
    plane = np.where(body, np.where(lungs, -850.0, 40.0), -1000.0)
    plane[:4] = -2048.0  # scanner padding
    mask = body_mask(Volume(np.stack([plane] * 3)))
    assert (mask[1] == body).mean() > 0.995


def test_body_scores_are_image_quality_3d_scores_over_the_body_mask():
    from ctdenoise.builtin.evaluation import BODY_WINDOW_HU, score
    from ctdenoise.metrics import image_quality

    rng = np.random.default_rng(0)
    y, x = np.mgrid[-1:1:64j, -1:1:64j]
    plane = np.where((y / 0.6) ** 2 + (x / 0.9) ** 2 < 1, 40.0, -1000.0)
    reference = Volume(np.stack([plane] * 20) + rng.normal(0, 5, (20, 64, 64)))
    pred = reference.with_array(reference.hu + rng.normal(0, 20, reference.shape))
    body = body_mask(reference)
    scores, full = score(pred, reference, body), image_quality(pred, reference, BODY_WINDOW_HU, body.astype(np.uint8))
    assert scores["psnr_body_db"] == round(full["psnr_3d"], 3)
    assert scores["ssim_body"] == round(full["ssim_3d"], 4)


def test_phantom_test_split_is_disjoint_from_the_training_cohort():
    from ctdenoise.builtin.training_data import PHANTOM_SUBJECTS, PHANTOM_TEST_SUBJECTS

    assert PHANTOM_TEST_SUBJECTS and not set(PHANTOM_TEST_SUBJECTS) & set(range(PHANTOM_SUBJECTS))
