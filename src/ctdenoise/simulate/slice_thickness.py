"""Thicker slices from thin ones: average groups of adjacent axial slices and keep the geometry right."""

from __future__ import annotations

import numpy as np

from ctdenoise.errors import CtDenoiseError
from ctdenoise.notices import notice
from ctdenoise.volume import Volume


def slices_per_output(input_slice_mm: float, slice_mm: float, source: str = "input") -> int:
    """How many input slices make one output slice; ``slice_mm`` must be a whole multiple of the input spacing."""
    ratio = slice_mm / input_slice_mm
    factor = int(round(ratio))
    if factor < 1 or abs(ratio - factor) > 1e-3:
        raise CtDenoiseError(
            f"{source}: cannot make {slice_mm:g} mm slices from {input_slice_mm:g} mm slices; choose a whole "
            f"multiple of {input_slice_mm:g} mm, or keep the input slices (--slice-mm 0)"
        )
    return factor


def average_slices(volume: Volume, slice_mm: float, source: str = "input") -> Volume:
    """Average each run of ``slice_mm / spacing`` adjacent slices into one thicker slice.

    From Z slices of 1 mm, ``slice_mm=2`` gives Z//2 slices of 2 mm: slice k is the mean of slices 2k and 2k+1
    (leftover last slices that cannot fill a whole output slice are left out, with a notice naming them). The first output slice's centre lies between the slices it averages, so
    the origin moves half the removed distance, ``(factor − 1)/2 · spacing``, along the slice axis.

    Args:
        volume: input volume with equally spaced slices.
        slice_mm: output slice spacing and thickness, a whole multiple of ``volume.spacing_mm[0]``.
        source: name of the input for error messages (its file path).

    Example:
        >>> thin = Volume(np.zeros((10, 4, 4)), spacing_mm=(1.0, 0.7, 0.7))
        >>> average_slices(thin, 2.0).shape
        (5, 4, 4)
    """
    factor = slices_per_output(volume.spacing_mm[0], slice_mm, source)
    if factor == 1:
        return volume.with_array(volume.hu.copy())
    n_out = volume.shape[0] // factor
    if n_out == 0:
        raise CtDenoiseError(f"{source}: {volume.shape[0]} slices are too few to average into {slice_mm:g} mm")
    leftover = volume.shape[0] - n_out * factor
    if leftover:
        notice(
            f"{source}: the last {leftover} of {volume.shape[0]} slices ({leftover * volume.spacing_mm[0]:g} mm) "
            f"cannot fill a whole {slice_mm:g} mm slice and are left out; the output has {n_out} slices"
        )
    grouped = volume.hu[: n_out * factor].reshape(n_out, factor, *volume.shape[1:])
    averaged = grouped.mean(axis=1, dtype=np.float64).astype(np.float32)
    shift_mm = 0.5 * (factor - 1) * volume.spacing_mm[0]
    origin = np.asarray(volume.origin_mm) + shift_mm * volume.direction[:, 2]
    spacing = (volume.spacing_mm[0] * factor, volume.spacing_mm[1], volume.spacing_mm[2])
    return volume.with_array(averaged, spacing_mm=spacing, origin_mm=tuple(origin))
