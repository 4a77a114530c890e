"""A MITA-CCT189-like low-contrast phantom: the built-in object of the task-based image-quality assessment.

The MITA CCT189 phantom (The Phantom Laboratory; used by the FDA LCD-CT tool, Vaishnav et al. 2014, Med Phys
41:071904) is a 200 mm water-equivalent cylinder with four rod inserts of 3, 5, 7 and 10 mm diameter at +14, +7,
+5 and +3 HU. This digital version adds what AAPM TG-233 (Samei et al. 2019, Med Phys 46:e735) needs for the noise
and resolution metrics: a uniform central region for the noise power spectrum, and two 25 mm rods for the task
transfer function at two contrasts (+340 HU, Delrin-like, and +120 HU, acrylic-like — materials of the TG-233
Mercury phantom). Every feature is a uniform ellipse of :mod:`ctdenoise.simulate.analytic`, so the phantom's
sinogram and its pixel image come from the same exact geometry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ctdenoise.simulate.analytic import Ellipse, hu_ellipse, rasterize_ellipses
from ctdenoise.simulate.geometry import MU_WATER_PER_MM


@dataclass(frozen=True)
class RodInsert:
    """A rod seen end-on in an axial slice: a disk of uniform contrast on the water background.

    Attributes:
        center_mm: centre ``(x, y)`` in mm from the isocentre (x along columns, y along rows).
        diameter_mm: rod diameter in mm.
        contrast_hu: HU above the background (negative for a darker rod).
    """

    center_mm: tuple[float, float]
    diameter_mm: float
    contrast_hu: float

    @property
    def radius_mm(self) -> float:
        return self.diameter_mm / 2.0

    def center_rc(self, shape_yx: tuple[int, int], pixel_mm: tuple[float, float]) -> tuple[float, float]:
        """Continuous ``(row, column)`` index of the rod centre on an image grid centred on the isocentre."""
        return (
            self.center_mm[1] / pixel_mm[0] + (shape_yx[0] - 1) / 2.0,
            self.center_mm[0] / pixel_mm[1] + (shape_yx[1] - 1) / 2.0,
        )

    def as_dict(self) -> dict[str, float | list[float]]:
        return {"center_mm": list(self.center_mm), "diameter_mm": self.diameter_mm, "contrast_hu": self.contrast_hu}


def cct189_inserts(ring_radius_mm: float = 50.0) -> tuple[RodInsert, ...]:
    """The four CCT189 low-contrast rods (3/5/7/10 mm at +14/+7/+5/+3 HU) on a ring, one per quadrant."""
    sizes_hu = ((3.0, 14.0), (5.0, 7.0), (7.0, 5.0), (10.0, 3.0))
    inserts = []
    for index, (diameter_mm, contrast_hu) in enumerate(sizes_hu):
        angle = math.radians(45.0 + 90.0 * index)
        center = (round(ring_radius_mm * math.cos(angle), 3), round(ring_radius_mm * math.sin(angle), 3))
        inserts.append(RodInsert(center, diameter_mm, contrast_hu))
    return tuple(inserts)


def tg233_ttf_rods(offset_mm: float = 62.0) -> tuple[RodInsert, ...]:
    """Two 25 mm TTF rods, +340 HU (Delrin-like) above and +120 HU (acrylic-like) below the centre."""
    return (RodInsert((0.0, offset_mm), 25.0, 340.0), RodInsert((0.0, -offset_mm), 25.0, 120.0))


@dataclass(frozen=True)
class LowContrastPhantom:
    """The digital MITA-CCT189-like phantom on an axial image grid centred on the isocentre.

    Args:
        shape_yx: image size in pixels.
        pixel_mm: pixel size ``(Δy, Δx)`` in mm; the field of view (shape × pixel) must hold the cylinder.
        diameter_mm: water cylinder diameter (CCT189: 200 mm).
        detection_inserts: the low-contrast rods the observers look for.
        ttf_rods: the high-contrast rods of the TTF.
        nps_region_mm: side of the central square the NPS ROIs are taken from; it is uniform in the
            signal-absent images the NPS uses (it reaches past the low-contrast ring, not to the TTF rods).

    Example:
        >>> phantom = LowContrastPhantom(shape_yx=(128, 128), pixel_mm=(2.0, 2.0))
        >>> hu = phantom.hu_image(signal_present=True)
        >>> round(float(hu[64, 64])), round(float(hu[0, 0]))       # water inside, air outside
        (0, -1000)
    """

    shape_yx: tuple[int, int] = (128, 128)
    pixel_mm: tuple[float, float] = (2.0, 2.0)
    diameter_mm: float = 200.0
    detection_inserts: tuple[RodInsert, ...] = field(default_factory=cct189_inserts)
    ttf_rods: tuple[RodInsert, ...] = field(default_factory=tg233_ttf_rods)
    nps_region_mm: float = 64.0

    def __post_init__(self) -> None:
        from ctdenoise.errors import CtDenoiseError

        fov_mm = min(self.shape_yx[0] * self.pixel_mm[0], self.shape_yx[1] * self.pixel_mm[1])
        if fov_mm <= self.diameter_mm:
            raise CtDenoiseError(
                f"phantom: the {fov_mm:g} mm field of view must be larger than the {self.diameter_mm:g} mm cylinder"
            )

    def ellipses(self, signal_present: bool) -> list[Ellipse]:
        """The phantom as ellipses on air (HU changes add up); the detection rods only when ``signal_present``."""
        radius = self.diameter_mm / 2.0
        shapes = [hu_ellipse((0.0, 0.0), (radius, radius), 1000.0)]
        rods = self.ttf_rods + (self.detection_inserts if signal_present else ())
        shapes += [hu_ellipse(rod.center_mm, (rod.radius_mm, rod.radius_mm), rod.contrast_hu) for rod in rods]
        return shapes

    def mu_image(self, signal_present: bool) -> np.ndarray:
        """Linear attenuation (1/mm) on the pixel grid, each pixel the mean over 8×8 sub-pixels (partial volume)."""
        return rasterize_ellipses(self.ellipses(signal_present), self.shape_yx, self.pixel_mm)

    def hu_image(self, signal_present: bool) -> np.ndarray:
        """The noiseless phantom in HU (air −1000), float32 ``(y, x)``: the ground truth of the image sets."""
        return (1000.0 * (self.mu_image(signal_present) / MU_WATER_PER_MM - 1.0)).astype(np.float32)

    def nps_region_mask(self) -> np.ndarray:
        """Boolean ``(y, x)`` mask of the central uniform square NPS ROIs are tiled in."""
        half = self.nps_region_mm / 2.0
        rows = (np.arange(self.shape_yx[0]) - (self.shape_yx[0] - 1) / 2.0) * self.pixel_mm[0]
        cols = (np.arange(self.shape_yx[1]) - (self.shape_yx[1] - 1) / 2.0) * self.pixel_mm[1]
        return (np.abs(rows)[:, None] <= half) & (np.abs(cols)[None, :] <= half)

    def describe(self) -> dict[str, object]:
        """JSON-ready description (grid, cylinder, rods) for reports and caches."""
        return {
            "shape_yx": list(self.shape_yx),
            "pixel_mm": list(self.pixel_mm),
            "diameter_mm": self.diameter_mm,
            "detection_inserts": [rod.as_dict() for rod in self.detection_inserts],
            "ttf_rods": [rod.as_dict() for rod in self.ttf_rods],
            "nps_region_mm": self.nps_region_mm,
        }
