"""Low-dose CT simulation: fan-beam projection, missing-dose noise insertion, FBP, slice averaging.

Pipeline per axial slice (Yu et al. 2012; Zeng et al. 2015): HU → attenuation → fan-beam sinogram of a clinical
scanner geometry → Poisson + electronic noise for the missing dose → FBP of that noise → added to the input image;
then thin slices are averaged to the requested slice thickness.
"""

from ctdenoise.simulate.calibrate import calibrated_flux
from ctdenoise.simulate.fbp import fbp_reconstruct
from ctdenoise.simulate.geometry import GEOMETRY_PRESETS, MU_WATER_PER_MM, FanBeamGeometry
from ctdenoise.simulate.lowdose import low_dose_noise_hu, simulate_low_dose
from ctdenoise.simulate.noise import FluxModel, missing_dose_noise
from ctdenoise.simulate.projector import forward_project
from ctdenoise.simulate.slice_thickness import average_slices

__all__ = [
    "GEOMETRY_PRESETS",
    "MU_WATER_PER_MM",
    "FanBeamGeometry",
    "FluxModel",
    "average_slices",
    "calibrated_flux",
    "fbp_reconstruct",
    "forward_project",
    "low_dose_noise_hu",
    "missing_dose_noise",
    "simulate_low_dose",
]
