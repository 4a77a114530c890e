"""Linear model observers for a signal-known-exactly detection task: LG-CHO and the non-prewhitening observer.

Both reduce an ROI ``g`` (pixels, known signal location) to a scalar test statistic ``t = wᵀ f(g)`` and are scored
by the detectability index and the area under the ROC curve (Barrett & Myers, *Foundations of Image Science*,
2004, ch. 13–14)::

    d′ = (⟨t⟩₁ − ⟨t⟩₀) / √(½ (σ₁² + σ₀²)),        AUC = Φ(d′ / √2)

(``Φ`` the standard normal CDF; the AUC relation is exact for Gaussian statistics of equal variance).

* **LG-CHO** — channelized Hotelling observer with Laguerre–Gauss channels (Gallas & Barrett 2003, JOSA A
  20:1725; Barrett & Myers §14.3.2)::

      u_j(r) = (√2 / a) · exp(−π r² / a²) · L_j(2π r² / a²),    v = Uᵀ g,    w = S_v⁻¹ (⟨v⟩₁ − ⟨v⟩₀)

  with ``L_j`` the Laguerre polynomials, ``a`` the channel width and ``S_v = ½(S₁ + S₀)`` the channel covariance.
  For white noise of variance σ² and a known signal ``s`` its d′ is √((Uᵀs)ᵀ(σ²UᵀU)⁻¹(Uᵀs)) ≤ ‖s‖/σ.
* **NPW** — non-prewhitening matched filter: ``w = ⟨g⟩₁ − ⟨g⟩₀`` on the pixels; on white noise d′ = ‖s‖/σ.

The templates are estimated on a training half of the realisations and d′ is measured on the other half (no
resubstitution bias); this is repeated over ``n_readers`` random splits (the FDA LCD-CT tool's "readers") and
averaged. The 95 % confidence interval comes from bootstrapping the test statistics of every split (present and
absent resampled independently), pooled over splits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import eval_laguerre, ndtr

from ctdenoise.errors import CtDenoiseError

OBSERVERS = ("LG-CHO", "NPW")


@dataclass(frozen=True)
class ObserverResult:
    """Detectability of one signal by one observer.

    Attributes:
        observer: ``"LG-CHO"`` or ``"NPW"``.
        dprime: mean d′ over the train/test splits.
        dprime_ci: 95 % bootstrap confidence interval of d′.
        n_present, n_absent: realisations per class.
        n_readers: train/test splits.
    """

    observer: str
    dprime: float
    dprime_ci: tuple[float, float]
    n_present: int
    n_absent: int
    n_readers: int

    @property
    def auc(self) -> float:
        """Area under the ROC curve, ``Φ(d′/√2)``."""
        return auc_from_dprime(self.dprime)

    @property
    def auc_ci(self) -> tuple[float, float]:
        return auc_from_dprime(self.dprime_ci[0]), auc_from_dprime(self.dprime_ci[1])

    def summary(self) -> dict[str, Any]:
        return {
            "observer": self.observer,
            "dprime": round(self.dprime, 4),
            "dprime_ci": [round(v, 4) for v in self.dprime_ci],
            "auc": round(self.auc, 4),
            "auc_ci": [round(v, 4) for v in self.auc_ci],
        }


def auc_from_dprime(dprime: float) -> float:
    """AUC of an equal-variance binormal observer: ``Φ(d′/√2)`` (Barrett & Myers 2004, §13.2)."""
    return float(ndtr(dprime / np.sqrt(2.0)))


def dprime_from_statistics(present: np.ndarray, absent: np.ndarray) -> float:
    """``(⟨t⟩₁ − ⟨t⟩₀) / √(½(σ₁² + σ₀²))`` of two samples of test statistics."""
    pooled = 0.5 * (np.var(present, ddof=1) + np.var(absent, ddof=1))
    return float((np.mean(present) - np.mean(absent)) / np.sqrt(max(pooled, 1e-300)))


def laguerre_gauss_channels(roi_shape: tuple[int, int], width_px: float, n_channels: int = 5) -> np.ndarray:
    """Laguerre–Gauss channels centred on the ROI centre (Gallas & Barrett 2003), ``(Ny·Nx, n_channels)``.

    Args:
        roi_shape: ROI size ``(Ny, Nx)``; the centre is at ``((Ny−1)/2, (Nx−1)/2)``.
        width_px: Gaussian width ``a`` in pixels.
        n_channels: number of channels (orders 0 … n−1).
    """
    if width_px <= 0 or n_channels < 1:
        raise CtDenoiseError("Laguerre–Gauss channels need a positive width and at least one channel")
    rows = np.arange(roi_shape[0]) - (roi_shape[0] - 1) / 2.0
    cols = np.arange(roi_shape[1]) - (roi_shape[1] - 1) / 2.0
    r2 = (rows[:, None] ** 2 + cols[None, :] ** 2).ravel()
    gauss = (np.sqrt(2.0) / width_px) * np.exp(-np.pi * r2 / width_px**2)
    return np.stack([gauss * eval_laguerre(j, 2.0 * np.pi * r2 / width_px**2) for j in range(n_channels)], axis=1)


def _hotelling_template(present: np.ndarray, absent: np.ndarray) -> np.ndarray:
    covariance = 0.5 * (np.cov(present, rowvar=False) + np.cov(absent, rowvar=False))
    return np.linalg.pinv(np.atleast_2d(covariance)) @ (present.mean(axis=0) - absent.mean(axis=0))


def _npw_template(present: np.ndarray, absent: np.ndarray) -> np.ndarray:
    return present.mean(axis=0) - absent.mean(axis=0)


def _split_readers(
    features_present: np.ndarray,
    features_absent: np.ndarray,
    make_template: Callable[[np.ndarray, np.ndarray], np.ndarray],
    observer: str,
    n_readers: int,
    n_bootstrap: int,
    seed: int,
) -> ObserverResult:
    """Train on half, test on the other half, over ``n_readers`` random splits; bootstrap CI (module docstring)."""
    n_p, n_a = len(features_present), len(features_absent)
    if min(n_p, n_a) < 4:
        raise CtDenoiseError(f"{observer}: need at least 4 signal-present and 4 signal-absent images, got {n_p}/{n_a}")
    rng = np.random.default_rng(seed)
    dprimes, resampled = [], []
    per_reader = max(n_bootstrap // n_readers, 1)
    for _ in range(n_readers):
        order_p, order_a = rng.permutation(n_p), rng.permutation(n_a)
        train_p, test_p = order_p[: n_p // 2], order_p[n_p // 2 :]
        train_a, test_a = order_a[: n_a // 2], order_a[n_a // 2 :]
        template = make_template(features_present[train_p], features_absent[train_a])
        t_p, t_a = features_present[test_p] @ template, features_absent[test_a] @ template
        dprimes.append(dprime_from_statistics(t_p, t_a))
        for _ in range(per_reader):
            boot_p = t_p[rng.integers(0, len(t_p), len(t_p))]
            boot_a = t_a[rng.integers(0, len(t_a), len(t_a))]
            resampled.append(dprime_from_statistics(boot_p, boot_a))
    low, high = np.percentile(resampled, [2.5, 97.5])
    return ObserverResult(observer, float(np.mean(dprimes)), (float(low), float(high)), n_p, n_a, n_readers)


def _flatten(rois: np.ndarray, name: str) -> np.ndarray:
    rois = np.asarray(rois, dtype=np.float64)
    if rois.ndim != 3:
        raise CtDenoiseError(f"{name} ROIs must be shaped (n, Ny, Nx), got {rois.shape}")
    return rois.reshape(len(rois), -1)


def lg_cho(
    present_rois: np.ndarray,
    absent_rois: np.ndarray,
    channel_width_px: float,
    n_channels: int = 5,
    n_readers: int = 10,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> ObserverResult:
    """Laguerre–Gauss channelized Hotelling observer on ROIs centred on the known signal location.

    Args:
        present_rois: ``(n₁, Ny, Nx)`` signal-present ROIs (HU).
        absent_rois: ``(n₀, Ny, Nx)`` signal-absent ROIs at the same location.
        channel_width_px: LG width ``a`` in pixels (a common choice: about the signal diameter).
        n_channels: LG orders 0 … n−1.
        n_readers: random 50/50 train/test splits.
        n_bootstrap: bootstrap resamples in total (spread over the splits) for the 95 % CI.
        seed: seed of the splits and the bootstrap.

    Returns:
        :class:`ObserverResult` (d′, its CI, AUC = Φ(d′/√2)).

    Raises:
        CtDenoiseError: on mismatched ROI shapes or fewer than 4 images per class.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> signal = np.zeros((15, 15)); signal[5:10, 5:10] = 1.0
        >>> present = rng.normal(0, 1, (200, 15, 15)) + signal
        >>> result = lg_cho(present, rng.normal(0, 1, (200, 15, 15)), channel_width_px=6.0)
        >>> 3.5 < result.dprime < 5.5                      # ideal observer: ‖s‖/σ = 5
        True
    """
    flat_p, flat_a = _flatten(present_rois, "signal-present"), _flatten(absent_rois, "signal-absent")
    if np.shape(present_rois)[1:] != np.shape(absent_rois)[1:]:
        raise CtDenoiseError("signal-present and signal-absent ROIs differ in size")
    channels = laguerre_gauss_channels(np.shape(present_rois)[1:], channel_width_px, n_channels)
    return _split_readers(
        flat_p @ channels, flat_a @ channels, _hotelling_template, "LG-CHO", n_readers, n_bootstrap, seed
    )


def npw_observer(
    present_rois: np.ndarray, absent_rois: np.ndarray, n_readers: int = 10, n_bootstrap: int = 1000, seed: int = 0
) -> ObserverResult:
    """Non-prewhitening matched-filter observer (template = mean signal of the training half); see :func:`lg_cho`."""
    flat_p, flat_a = _flatten(present_rois, "signal-present"), _flatten(absent_rois, "signal-absent")
    if flat_p.shape[1] != flat_a.shape[1]:
        raise CtDenoiseError("signal-present and signal-absent ROIs differ in size")
    return _split_readers(flat_p, flat_a, _npw_template, "NPW", n_readers, n_bootstrap, seed)
