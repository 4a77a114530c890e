"""Image quality of denoised CT: PSNR and SSIM per view and in 3D, and LPIPS v0.1, on a HU window.

Public API:

* ``image_quality(pred, target, window_hu=(-1000, 500), mask=None)`` → dict of PSNR/SSIM values.
* ``evaluate_cases(pairs)`` → per-case metrics and mean ± std over cases.
* ``LPIPS(net, weights_dir)`` and ``lpips_volume(pred, target, net="vgg")``.

``lpips`` imports torch; it is loaded only when one of its names is first used.
"""

from __future__ import annotations

from typing import Any

from ctdenoise.metrics.evaluate import CasePair, evaluate_cases, image_quality, summarize_cases
from ctdenoise.metrics.psnr_ssim import psnr_3d, psnr_per_slice, ssim_3d, ssim_per_slice
from ctdenoise.metrics.window import DEFAULT_WINDOW_HU, parse_window_hu, window_to_signed_unit, window_to_unit

_LAZY_LPIPS_NAMES = ("LPIPS", "lpips_volume", "load_rgb_image")


def __getattr__(name: str) -> Any:
    if name in _LAZY_LPIPS_NAMES:
        from ctdenoise.metrics import lpips

        return getattr(lpips, name)
    raise AttributeError(f"module 'ctdenoise.metrics' has no attribute {name!r}")


__all__ = [
    "DEFAULT_WINDOW_HU",
    "LPIPS",
    "CasePair",
    "evaluate_cases",
    "image_quality",
    "load_rgb_image",
    "lpips_volume",
    "parse_window_hu",
    "psnr_3d",
    "psnr_per_slice",
    "ssim_3d",
    "ssim_per_slice",
    "summarize_cases",
    "window_to_signed_unit",
    "window_to_unit",
]
