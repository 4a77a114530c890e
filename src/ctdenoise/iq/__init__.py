"""Task-based image quality (AAPM TG-233, FDA LCD-CT style): NPS, TTF and model-observer detectability.

Public API:

* ``LowContrastPhantom`` — the MITA-CCT189-like phantom; ``simulate_realisations`` — its noisy FBP scans.
* ``ttf_from_rod`` — TG-233 circular-rod task transfer function (f50, f10).
* ``lg_cho`` / ``npw_observer`` — Laguerre–Gauss CHO and non-prewhitening observer (d′, AUC, CI).
* ``assess_image_set`` — all of it on signal-present / signal-absent images → a JSON-ready dict.

The NPS estimator itself is :func:`ctdenoise.metrics.nps.nps_from_rois`.
"""

from ctdenoise.iq.observers import ObserverResult, auc_from_dprime, laguerre_gauss_channels, lg_cho, npw_observer
from ctdenoise.iq.phantom import LowContrastPhantom, RodInsert
from ctdenoise.iq.realisations import STUDY_DOSE_FRACTIONS, RealisationSet, simulate_realisations
from ctdenoise.iq.ttf import TaskTransferFunction, ttf_from_rod

__all__ = [
    "STUDY_DOSE_FRACTIONS",
    "LowContrastPhantom",
    "ObserverResult",
    "RealisationSet",
    "RodInsert",
    "TaskTransferFunction",
    "auc_from_dprime",
    "laguerre_gauss_channels",
    "lg_cho",
    "npw_observer",
    "simulate_realisations",
    "ttf_from_rod",
]
