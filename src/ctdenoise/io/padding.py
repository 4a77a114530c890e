"""The scanner's padding value (pixels outside the reconstructed field of view) and the HU range inside it.

Scanners fill the corners outside the circular field of view with a value no tissue can have, often −3024 or
−2048 HU, and may name it in Pixel Padding Value (0028,0120), a stored value (PS3.3 C.7.5.1.1.2). Reporting
that value as the image's minimum HU would be wrong: air is −1000 HU (Hounsfield scale), so anything below
−1024 HU is not a measurement.
"""

from __future__ import annotations

import numpy as np

from ctdenoise.volume import Volume

#: The lowest HU a CT measurement can have (air −1000 HU, with noise); lower values are padding.
LOWEST_MEASURED_HU = -1024.0


def padding_value_hu(volume: Volume) -> float | None:
    """The padding value in HU: the DICOM Pixel Padding Value (rescaled), or else the volume's minimum when it
    lies below ``LOWEST_MEASURED_HU`` and fills an in-plane corner (outside the circular field of view)."""
    header = volume.metadata.get("dicom_header")
    if header is not None and header.get("PixelPaddingValue") is not None:
        slope = float(header.get("RescaleSlope", 1.0) or 1.0)
        intercept = float(header.get("RescaleIntercept", 0.0) or 0.0)
        return float(header.PixelPaddingValue) * slope + intercept
    lowest = float(volume.hu.min())
    corners = volume.hu[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    if lowest < LOWEST_MEASURED_HU and np.any(corners == lowest):
        return lowest
    return None


def field_of_view_hu_range(volume: Volume) -> dict[str, float | None]:
    """``{"hu_min", "hu_max"}`` of the voxels that are not padding, and ``"padding_hu"`` (None when none)."""
    padding = padding_value_hu(volume)
    inside = volume.hu if padding is None else volume.hu[volume.hu != np.float32(padding)]
    if inside.size == 0:  # an image of padding only: report it as it is
        inside = volume.hu
    return {"hu_min": float(inside.min()), "hu_max": float(inside.max()), "padding_hu": padding}


def keep_padding(source: Volume, result_hu: np.ndarray, z_scale: int = 1) -> np.ndarray:
    """A network's output ``(z_scale·n_z, y, x)`` as a scanner would store it: no value below
    :data:`LOWEST_MEASURED_HU`, and the source's padding where the source had padding (each source slice covers
    ``z_scale`` output slices). Changes ``result_hu`` in place and returns it.

    A denoiser sees padding (e.g. −2048 HU outside the field of view) as one more dark region and returns noise
    around −1024 HU there; a viewer or a radiomics tool then takes it for air inside the field of view.
    """
    np.maximum(result_hu, LOWEST_MEASURED_HU, out=result_hu)
    padding = padding_value_hu(source)
    if padding is not None:
        mask = np.repeat(source.hu == np.float32(padding), z_scale, axis=0)[: result_hu.shape[0]]
        result_hu[mask] = padding
    return result_hu
