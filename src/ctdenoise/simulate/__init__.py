"""Low-dose CT simulation: fan-beam projection, missing-dose noise insertion, FBP, slice averaging.

Pipeline per axial slice (Yu et al. 2012; Zeng et al. 2015): HU → attenuation → fan-beam sinogram of a clinical
scanner geometry → Poisson + electronic noise for the missing dose → FBP of that noise → added to the input image;
then thin slices are averaged to the requested slice thickness. The noise's kernel (NPS shape) and I0 can be
fitted to a real scan's own noise (:func:`fit_noise_model`, measured by :func:`measure_scan_noise`).
"""

from ctdenoise.simulate.calibrate import ScanNoiseModel, calibrated_flux, fit_noise_model
from ctdenoise.simulate.fbp import fbp_reconstruct
from ctdenoise.simulate.geometry import GEOMETRY_PRESETS, MU_WATER_PER_MM, FanBeamGeometry
from ctdenoise.simulate.lowdose import low_dose_noise_hu, scan_noise_hu, simulate_low_dose
from ctdenoise.simulate.named_kernel import NAMED_KERNELS, named_kernel_nps, named_kernel_record
from ctdenoise.simulate.noise import FluxModel, missing_dose_noise, scan_noise
from ctdenoise.simulate.noise_kernel import STANDARD_KERNEL, NoiseKernel, fit_noise_kernel, refine_noise_kernel
from ctdenoise.simulate.projector import forward_project
from ctdenoise.simulate.scan_noise import ScanNoise, measure_scan_noise
from ctdenoise.simulate.slice_thickness import average_slices

#: Bumped whenever the simulator (``simulate_low_dose``, ``low_dose_noise_hu``, ``missing_dose_noise``) gives a
#: different output for the same arguments, so that caches of simulated scans name it (2: the log's upward bias at
#: few counts is subtracted, ``noise.log_count_bias``; 3: the missing noise is rescaled ray by ray to the exact
#: missing variance of the floored counts, ``noise.log_count_variance``, and noise in air and lung is projected
#: without rectification, ``attenuation.hu_to_mu``; the IQ realisations are ``noise.scan_noise`` at their dose;
#: 4: that variance's table is 3× denser and ``λ·V`` is interpolated, so the missing variance near a = 1 is exact
#: to 0.05 % instead of 3 %; elsewhere the output moves by ≈ 1e-4 of the noise; 5: the whole image is projected and
#: gets noise, not only its inscribed circle, ``projector.reconstruction_radius_mm``: images cropped to the body or
#: with a display field smaller than the patient change, square images with air in their corners do not).
SIMULATOR_REVISION = 5

__all__ = [
    "SIMULATOR_REVISION",
    "GEOMETRY_PRESETS",
    "MU_WATER_PER_MM",
    "NAMED_KERNELS",
    "FanBeamGeometry",
    "STANDARD_KERNEL",
    "FluxModel",
    "NoiseKernel",
    "ScanNoise",
    "ScanNoiseModel",
    "average_slices",
    "calibrated_flux",
    "fbp_reconstruct",
    "fit_noise_kernel",
    "fit_noise_model",
    "forward_project",
    "low_dose_noise_hu",
    "measure_scan_noise",
    "missing_dose_noise",
    "named_kernel_nps",
    "named_kernel_record",
    "refine_noise_kernel",
    "scan_noise",
    "scan_noise_hu",
    "simulate_low_dose",
]
