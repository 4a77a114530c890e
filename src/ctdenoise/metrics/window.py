"""Map HU to the intensity range a metric expects: clip to a display window, then scale linearly.

The paper's evaluation (Wei & Hsu, MIDL 2021, authors' code) clips HU to [−1000, 500] before PSNR/SSIM/LPIPS,
so that metal, bone above 500 HU and air outside the body do not dominate the error.
"""

from __future__ import annotations

import numpy as np

from ctdenoise.errors import CtDenoiseError

DEFAULT_WINDOW_HU: tuple[float, float] = (-1000.0, 500.0)


def check_window_hu(window_hu: tuple[float, float]) -> tuple[float, float]:
    """Return ``window_hu`` as two floats, raising ``CtDenoiseError`` unless low < high."""
    try:
        low_hu, high_hu = (float(value) for value in window_hu)
    except (TypeError, ValueError) as error:
        raise CtDenoiseError(f"window {window_hu!r}: expected two numbers LOW,HIGH in HU") from error
    if not low_hu < high_hu:
        raise CtDenoiseError(f"window {window_hu!r}: the low HU must be below the high HU")
    return low_hu, high_hu


def parse_window_hu(text: str) -> tuple[float, float]:
    """Parse ``"-1000,500"`` into ``(-1000.0, 500.0)`` (the CLI's ``--window`` format)."""
    parts = text.split(",")
    if len(parts) != 2:
        raise CtDenoiseError(f"--window {text!r}: expected LOW,HIGH in HU, e.g. -1000,500")
    try:
        return check_window_hu((float(parts[0]), float(parts[1])))
    except ValueError as error:
        raise CtDenoiseError(f"--window {text!r}: expected LOW,HIGH in HU, e.g. -1000,500") from error


def window_to_unit(hu: np.ndarray, window_hu: tuple[float, float] = DEFAULT_WINDOW_HU) -> np.ndarray:
    """Clip HU to ``window_hu`` and map it to [0, 1] (float64), so the metrics' data range is 1.

    Args:
        hu: HU values of any shape.
        window_hu: ``(low, high)`` in HU; ``low`` maps to 0 and ``high`` to 1.

    Example:
        >>> window_to_unit(np.array([-2000.0, -1000.0, -250.0, 500.0, 3000.0]))
        array([0. , 0. , 0.5, 1. , 1. ])
    """
    low_hu, high_hu = check_window_hu(window_hu)
    clipped = np.clip(np.asarray(hu, dtype=np.float64), low_hu, high_hu)
    return (clipped - low_hu) / (high_hu - low_hu)


def window_to_signed_unit(hu: np.ndarray, window_hu: tuple[float, float] = DEFAULT_WINDOW_HU) -> np.ndarray:
    """Clip HU to ``window_hu`` and map it to [−1, 1] (float32), the input range of LPIPS (Zhang et al. 2018).

    Example:
        >>> window_to_signed_unit(np.array([-1000.0, -250.0, 500.0]))
        array([-1.,  0.,  1.], dtype=float32)
    """
    return (window_to_unit(hu, window_hu) * 2.0 - 1.0).astype(np.float32)
