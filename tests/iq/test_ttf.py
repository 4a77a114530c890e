"""TTF of a disk blurred by a known Gaussian equals the Gaussian's MTF, exp(−2π²σ²f²)."""

import numpy as np
import pytest
from scipy.stats import ncx2

from ctdenoise.errors import CtDenoiseError
from ctdenoise.iq.ttf import ttf_from_rod


def blurred_disk(n: int, pixel_mm: float, radius_mm: float, sigma_mm: float, center: float, contrast: float):
    """Point samples of disk ⊛ 2D Gaussian: P(|X| ≤ R) for X ~ N((r, 0), σ²I), a noncentral χ² with 2 dof."""
    offsets = (np.arange(n) - center) * pixel_mm
    r = np.hypot(offsets[:, None], offsets[None, :])
    return contrast * ncx2.cdf((radius_mm / sigma_mm) ** 2, 2, (r / sigma_mm) ** 2)


@pytest.mark.parametrize(
    ("pixel_mm", "sigma_mm", "contrast"), [(0.5, 0.6, 100.0), (1.0, 1.2, 340.0), (2.0, 2.0, -120.0)]
)
def test_ttf_of_gaussian_blurred_disk_is_gaussian_mtf(pixel_mm, sigma_mm, contrast):
    n = int(60 / pixel_mm)
    center = (n - 1) / 2 + 0.3  # off the pixel grid, as a real rod is
    image = 50.0 + blurred_disk(n, pixel_mm, 12.5, sigma_mm, center, contrast)
    ttf = ttf_from_rod(image, (pixel_mm, pixel_mm), (center, center), 25.0)
    f50 = np.sqrt(np.log(2.0) / (2 * np.pi**2)) / sigma_mm
    assert ttf.contrast_hu == pytest.approx(contrast, rel=0.01)
    assert ttf.f50_per_mm == pytest.approx(f50, rel=0.03)
    if ttf.f10_per_mm is not None:
        assert ttf.f10_per_mm == pytest.approx(np.sqrt(np.log(10.0) / (2 * np.pi**2)) / sigma_mm, rel=0.03)


def test_rod_outside_image_is_refused():
    with pytest.raises(CtDenoiseError, match="does not fit"):
        ttf_from_rod(np.zeros((32, 32)), (1.0, 1.0), (5.0, 5.0), 25.0)
