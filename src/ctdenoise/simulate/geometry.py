"""Fan-beam scanner geometries: third-generation CT with an arc (equiangular) detector.

The presets follow the published geometry of two clinical scanners, as given with the AAPM/Mayo low-dose CT
data (McCollough et al. 2017, Med Phys 44:e339, DICOM-CT-PD format) and used by Yu et al. 2012 for noise
insertion:

* ``siemens``: Siemens SOMATOM Definition AS/Flash — source–isocentre 595 mm, source–detector 1085.6 mm,
  736 channels of 1.2858 mm at the detector, 1152 views per rotation (≈ 50 cm scan field of view).
* ``ge``: GE LightSpeed VCT — source–isocentre 541 mm, source–detector 949.075 mm, 888 channels of 1.0239 mm,
  984 views per rotation (≈ 50 cm scan field of view).

A bowtie filter shapes the incident flux across the fan; it is modelled as a water-equivalent thickness that grows
from 0 on the central ray to ``bowtie_edge_water_mm`` at the fan edge (a circular profile), so the relative flux is
``b(γ) = exp(-μ_water · t(γ))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ctdenoise.errors import CtDenoiseError

#: Linear attenuation of water at the effective energy of a 120 kVp beam (≈ 70 keV), NIST XCOM: 0.0192 /mm.
MU_WATER_PER_MM = 0.0192


@dataclass(frozen=True)
class FanBeamGeometry:
    """A fan-beam CT geometry with an equiangular (arc) detector, full 360° rotation.

    Args:
        name: short label, e.g. ``"siemens"``.
        source_to_isocenter_mm: distance from the focal spot to the rotation axis.
        source_to_detector_mm: distance from the focal spot to the detector arc.
        n_channels: detector channels in one row.
        n_views: projections per 360° rotation.
        channel_pitch_mm: width of one channel measured on the detector arc.
        channel_offset: shift of the central ray in channels (0 = central ray hits the middle of the detector;
            real scanners use a quarter-channel offset, which only matters for resolution).
        bowtie_edge_water_mm: water-equivalent bowtie thickness at the fan edge (0 = no bowtie).

    Example:
        >>> geometry = FanBeamGeometry.preset("siemens")
        >>> round(geometry.scan_fov_mm)
        502
    """

    name: str
    source_to_isocenter_mm: float
    source_to_detector_mm: float
    n_channels: int
    n_views: int
    channel_pitch_mm: float
    channel_offset: float = 0.0
    bowtie_edge_water_mm: float = 150.0

    def __post_init__(self) -> None:
        if self.source_to_detector_mm <= self.source_to_isocenter_mm or self.source_to_isocenter_mm <= 0:
            raise CtDenoiseError(f"geometry '{self.name}': need 0 < source-isocentre < source-detector distance")
        if self.n_channels < 2 or self.n_views < 2 or self.channel_pitch_mm <= 0:
            raise CtDenoiseError(f"geometry '{self.name}': channels, views and channel pitch must be positive")
        if self.fan_half_angle_rad >= math.pi / 2:
            raise CtDenoiseError(f"geometry '{self.name}': the fan is wider than 180°")

    @staticmethod
    def preset(name: str) -> FanBeamGeometry:
        """One of :data:`GEOMETRY_PRESETS` by name (``"siemens"`` or ``"ge"``)."""
        try:
            return GEOMETRY_PRESETS[name.lower()]
        except KeyError:
            raise CtDenoiseError(
                f"unknown scanner geometry '{name}'; choose one of {', '.join(GEOMETRY_PRESETS)}"
            ) from None

    def with_views(self, n_views: int) -> FanBeamGeometry:
        """The same scanner with another number of views per rotation (fewer views make tests fast)."""
        return replace(self, n_views=int(n_views))

    @property
    def channel_angle_rad(self) -> float:
        """Fan angle covered by one channel (Δγ)."""
        return self.channel_pitch_mm / self.source_to_detector_mm

    @property
    def fan_half_angle_rad(self) -> float:
        """Half the fan angle, from the central ray to the outer edge of the last channel."""
        return (self.n_channels / 2 + abs(self.channel_offset)) * self.channel_angle_rad

    @property
    def scan_fov_mm(self) -> float:
        """Diameter of the circle every view covers (the scan field of view)."""
        half_angle = (self.n_channels / 2 - abs(self.channel_offset)) * self.channel_angle_rad
        return 2.0 * self.source_to_isocenter_mm * math.sin(half_angle)

    def fan_angles_rad(self) -> np.ndarray:
        """Fan angle γ of each channel's centre, shape ``(n_channels,)``."""
        channel = np.arange(self.n_channels, dtype=np.float64)
        return (channel - (self.n_channels - 1) / 2 + self.channel_offset) * self.channel_angle_rad

    def view_angles_rad(self) -> np.ndarray:
        """Source angle β of each view over one full rotation, shape ``(n_views,)``."""
        return np.arange(self.n_views, dtype=np.float64) * (2.0 * math.pi / self.n_views)

    def bowtie_relative_flux(self) -> np.ndarray:
        """Incident flux per channel relative to the central ray, ``b(γ)`` in (0, 1], shape ``(n_channels,)``."""
        if self.bowtie_edge_water_mm <= 0:
            return np.ones(self.n_channels)
        relative = np.clip(np.sin(self.fan_angles_rad()) / math.sin(self.fan_half_angle_rad), -1.0, 1.0)
        water_mm = self.bowtie_edge_water_mm * (1.0 - np.sqrt(1.0 - relative**2))
        return np.exp(-MU_WATER_PER_MM * water_mm)


GEOMETRY_PRESETS: dict[str, FanBeamGeometry] = {
    "siemens": FanBeamGeometry(
        name="siemens",
        source_to_isocenter_mm=595.0,
        source_to_detector_mm=1085.6,
        n_channels=736,
        n_views=1152,
        channel_pitch_mm=1.2858,
    ),
    "ge": FanBeamGeometry(
        name="ge",
        source_to_isocenter_mm=541.0,
        source_to_detector_mm=949.075,
        n_channels=888,
        n_views=984,
        channel_pitch_mm=1.0239,
    ),
}
