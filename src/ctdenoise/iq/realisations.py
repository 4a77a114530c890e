"""Independent noise realisations of the low-contrast phantom at several doses, through the study's simulator.

Each realisation is a full fan-beam scan of the noiseless phantom (:mod:`ctdenoise.simulate`): exact-geometry
projection (the phantom's sinogram ``p``), quantum + electronic noise ``Δp`` of one scan at the requested dose
(:func:`ctdenoise.simulate.noise.scan_noise`) and fan-beam FBP::

    image = FBP(p + Δp) = FBP(p) + FBP(Δp)

so the rods carry the FBP kernel's blur (what the TTF measures) and the noise its texture. FBP is linear, so
``FBP(p)`` is reconstructed once and only ``FBP(Δp)`` per realisation.

Signal-present and signal-absent realisations are independent (their own random streams), as the model observers
of :mod:`ctdenoise.iq.observers` require.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ctdenoise.errors import CtDenoiseError
from ctdenoise.iq.phantom import LowContrastPhantom
from ctdenoise.simulate.attenuation import mu_to_hu_difference
from ctdenoise.simulate.fbp import fbp_reconstruct
from ctdenoise.simulate.geometry import MU_WATER_PER_MM, FanBeamGeometry
from ctdenoise.simulate.lowdose import resolve_geometry
from ctdenoise.simulate.noise import FluxModel, scan_noise
from ctdenoise.simulate.projector import forward_project

#: The doses of the study's detectability curves, as fractions of the full dose.
STUDY_DOSE_FRACTIONS = (0.1, 0.25, 0.5, 1.0)


@dataclass
class RealisationSet:
    """Signal-present and signal-absent images of one phantom at one dose.

    Attributes:
        present: ``(n, y, x)`` float32 HU images with the detection rods.
        absent: ``(n, y, x)`` float32 HU images without them.
        ground_truth: ``(y, x)`` noiseless signal-present phantom in HU.
        pixel_mm: ``(Δy, Δx)`` in mm.
        dose_fraction: dose relative to the full dose (1.0 = full dose).
    """

    present: np.ndarray
    absent: np.ndarray
    ground_truth: np.ndarray
    pixel_mm: tuple[float, float]
    dose_fraction: float

    def save(self, path: Path) -> Path:
        """Write the set as one ``.npz`` (atomically)."""
        from ctdenoise.io.atomic import atomic_path

        with atomic_path(Path(path)) as temporary, open(temporary, "wb") as handle:
            np.savez(
                handle,
                present=self.present,
                absent=self.absent,
                ground_truth=self.ground_truth,
                pixel_mm=np.asarray(self.pixel_mm),
                dose_fraction=np.asarray(self.dose_fraction),
            )
        return Path(path)

    @staticmethod
    def load(path: Path) -> RealisationSet:
        """Read a set written by :meth:`save`."""
        with np.load(path) as data:
            return RealisationSet(
                present=data["present"],
                absent=data["absent"],
                ground_truth=data["ground_truth"],
                pixel_mm=tuple(float(v) for v in data["pixel_mm"]),
                dose_fraction=float(data["dose_fraction"]),
            )


def check_scan_dose(dose_fraction: float) -> float:
    """``dose_fraction`` if it lies in (0, 1] (a scan's dose as a fraction of the full dose), else a user error."""
    if not 0.0 < dose_fraction <= 1.0:
        raise CtDenoiseError(f"dose fraction must be in (0, 1], got {dose_fraction}")
    return float(dose_fraction)


def _realisation_rng(seed: int, dose_fraction: float, signal_present: bool, index: int) -> np.random.Generator:
    # One independent stream per (dose, class, realisation): any subset can be regenerated bit for bit.
    key = (round(dose_fraction * 1e6), int(signal_present), index)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _scan_realisations(
    phantom: LowContrastPhantom,
    signal_present: bool,
    dose_fraction: float,
    n_realisations: int,
    geometry: FanBeamGeometry,
    flux: FluxModel,
    seed: int,
    progress: Any,
) -> np.ndarray:
    """``(n, y, x)`` HU images FBP(p) + FBP(Δp) of one phantom version (see the module docstring)."""
    sinogram = forward_project(phantom.mu_image(signal_present), phantom.pixel_mm, geometry)
    mean_mu = fbp_reconstruct(sinogram, phantom.shape_yx, phantom.pixel_mm, geometry)
    mean_hu = 1000.0 * (mean_mu / MU_WATER_PER_MM - 1.0)
    images = np.empty((n_realisations, *phantom.shape_yx), dtype=np.float32)
    for index in range(n_realisations):
        rng = _realisation_rng(seed, dose_fraction, signal_present, index)
        noise_sinogram = scan_noise(sinogram, geometry, flux, rng, dose_fraction)
        noise_mu = fbp_reconstruct(noise_sinogram, phantom.shape_yx, phantom.pixel_mm, geometry)
        images[index] = mean_hu + mu_to_hu_difference(noise_mu)
        progress.update(1)
    return images


def simulate_realisations(
    phantom: LowContrastPhantom,
    dose_fraction: float,
    n_realisations: int,
    flux: FluxModel | None = None,
    geometry: str | FanBeamGeometry = "siemens",
    seed: int = 0,
    progress: bool = True,
) -> RealisationSet:
    """``n_realisations`` signal-present and as many signal-absent FBP images of ``phantom`` at ``dose_fraction``.

    Args:
        phantom: the low-contrast phantom and its image grid.
        dose_fraction: dose relative to the full dose ``flux`` describes, in (0, 1].
        n_realisations: images per class (≥ 2).
        flux: full-dose quanta per ray (I0) and electronic noise; default ``FluxModel()`` (I0 = 2e5).
        geometry: scanner preset name or geometry.
        seed: random seed; each (dose, class, index) has its own stream.
        progress: show a progress bar over images.

    Returns:
        A :class:`RealisationSet` in HU.

    Raises:
        CtDenoiseError: for a dose outside (0, 1] or fewer than 2 realisations.
    """
    if n_realisations < 2:
        raise CtDenoiseError(f"need at least 2 realisations per class, got {n_realisations}")
    check_scan_dose(dose_fraction)
    scanner, flux = resolve_geometry(geometry), flux or FluxModel()
    bar = tqdm(total=2 * n_realisations, desc=f"phantom scans {dose_fraction:.0%} dose", disable=not progress)
    with bar:
        present, absent = (
            _scan_realisations(phantom, signal, dose_fraction, n_realisations, scanner, flux, seed, bar)
            for signal in (True, False)
        )
    return RealisationSet(present, absent, phantom.hu_image(True), phantom.pixel_mm, float(dose_fraction))
