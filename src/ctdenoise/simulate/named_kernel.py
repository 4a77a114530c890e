"""Clinical reconstruction kernels by name: the noise texture (NPS shape) of a real scan reconstructed with each.

``ctdenoise simulate --kernel siemens-b70f`` gives any scan's inserted noise the texture of a Siemens B70f
reconstruction without that scan at hand. Each named kernel is the radial NPS of a real full-dose chest scan's own
noise (:func:`ctdenoise.simulate.scan_noise.measure_scan_noise`: flat-tissue ROIs of neighbouring-slice differences,
16 pairs over the middle 80 % of the scan), stored as the JSON ``ctdenoise noise --json`` writes, with the scan it
came from and that scan's licence and citation, in ``named_kernels/`` beside this module. ``scripts/make_named_kernels.py``
writes them from the shared data (``$CTDENOISE_SHARED``) and ``tests/simulate/test_named_kernel.py`` checks that it
still does, bit for bit. Only scans whose licence lets derived data ship in an Apache-2.0 package are used (so not
LUNG1-001's B19f, CC BY-NC).

What a name carries is the in-plane texture; the magnitude still comes from the dose physics and I0 (``--photons``
or ``--calibrate``), and the correlation along z from the input (``--slice-correlation``, or measured when
calibrating). An NPS measured at one pixel size is matched on another by frequency in mm⁻¹ (held constant beyond
its last frequency).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.nps import NoisePowerSpectrum
from ctdenoise.simulate.noise_kernel import noise_power_spectrum_from_summary

#: Name → JSON file in ``named_kernels/`` (measured by ``scripts/make_named_kernels.py``).
NAMED_KERNELS = {
    "ge-standard": "ge-standard.json",
    "philips-c": "philips-c.json",
    "siemens-b70f": "siemens-b70f.json",
}


@cache
def named_kernel_record(name: str) -> dict[str, Any]:
    """The stored record of a named kernel: the ``ctdenoise noise --json`` summary of its source scan (σ, NPS peak,
    radial NPS, ρ₁, ROI counts) plus ``name``, ``scanner_kernel``, ``source_scan``, ``licence``, ``citation`` and
    ``made_by``.

    Raises:
        CtDenoiseError: ``name`` is not one of :data:`NAMED_KERNELS` (the error lists them).

    Example:
        >>> record = named_kernel_record("siemens-b70f")
        >>> record["source_scan"], record["peak_frequency_per_mm"]  # a sharp kernel: its noise peaks near 0.5 mm⁻¹
        ('CPTAC C3N-00247', 0.5249)
    """
    if name not in NAMED_KERNELS:
        raise CtDenoiseError(f"unknown named noise kernel {name!r}; named kernels: {', '.join(NAMED_KERNELS)}")
    text = resources.files("ctdenoise.simulate").joinpath("named_kernels", NAMED_KERNELS[name]).read_text()
    return json.loads(text)


def named_kernel_nps(name: str) -> NoisePowerSpectrum:
    """The radial NPS (HU²·mm², shape only matters) of the named kernel's source scan, to match a kernel to
    (:func:`ctdenoise.simulate.calibrate.fit_noise_model`).

    Raises:
        CtDenoiseError: an unknown name.
    """
    return noise_power_spectrum_from_summary(named_kernel_record(name), source=f"named kernel {name}")


def named_kernel_description(name: str) -> str:
    """``"Siemens B70f, from CPTAC C3N-00247"``: what the name is, for notes and help."""
    record = named_kernel_record(name)
    return f"{record['scanner_kernel']}, from {record['source_scan']}"
