"""Seconds per 512² slice of the low-dose simulator (default Siemens geometry: 1152 views × 736 channels).

Run: ``.venv/bin/python benchmarks/bench_simulate.py [--slices 4] [--threads 1 2]``. Prints, for each thread
count, wall seconds per slice and CPU seconds per slice (all threads; this is "seconds per slice per core" and is
not inflated when other work shares the cores), and the CPU time of each stage (projector, noise, filter,
backprojection) on one thread. The target is ≤ 1 s per slice per core (issue 3). Uses a chest-like ellipse phantom
so it needs no data.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

from ctdenoise.simulate.analytic import chest_like_phantom, rasterize_ellipses
from ctdenoise.simulate.attenuation import circle_mask, hu_to_mu
from ctdenoise.simulate.fbp import backproject, filter_cutoff_for_pixels, filter_sinogram
from ctdenoise.simulate.geometry import MU_WATER_PER_MM, FanBeamGeometry
from ctdenoise.simulate.lowdose import simulate_low_dose, slice_rng
from ctdenoise.simulate.noise import FluxModel, missing_dose_noise
from ctdenoise.simulate.projector import forward_project, reconstruction_radius_mm
from ctdenoise.volume import Volume


def _chest_slice(size_px: int, pixel_mm: float) -> np.ndarray:
    mu = rasterize_ellipses(chest_like_phantom(size_px * pixel_mm), (size_px, size_px), (pixel_mm, pixel_mm), 2)
    return 1000.0 * (mu / MU_WATER_PER_MM - 1.0)


def _stage_times(hu: np.ndarray, pixel_mm: float, geometry: FanBeamGeometry) -> dict[str, float]:
    pixel = (pixel_mm, pixel_mm)
    times = {}
    start = time.process_time()
    inside = circle_mask(hu.shape, pixel, reconstruction_radius_mm(hu.shape, pixel, geometry))
    sinogram = forward_project(hu_to_mu(hu, pixel, inside), pixel, geometry)
    times["project"] = time.process_time() - start
    start = time.process_time()
    noise = missing_dose_noise(sinogram, 0.1, geometry, FluxModel(), slice_rng(0, 0))
    times["noise"] = time.process_time() - start
    start = time.process_time()
    filtered = filter_sinogram(noise, geometry, filter_cutoff_for_pixels(pixel, geometry))
    times["filter"] = time.process_time() - start
    start = time.process_time()
    backproject(filtered, hu.shape, pixel, geometry)
    times["backproject"] = time.process_time() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=4, help="512² slices per timed run")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="numba thread counts to time")
    parser.add_argument("--geometry", default="siemens", help="scanner preset")
    args = parser.parse_args()

    geometry = FanBeamGeometry.preset(args.geometry)
    pixel_mm = 0.977  # the 500 mm field of view of a typical chest CT
    hu = _chest_slice(512, pixel_mm)
    volume = Volume(np.repeat(hu[None], args.slices, axis=0), spacing_mm=(1.0, pixel_mm, pixel_mm))
    simulate_low_dose(volume.with_array(volume.hu[:1]), slice_mm=None, geometry=geometry, progress=False)  # JIT

    print(f"geometry {geometry.name}: {geometry.n_views} views x {geometry.n_channels} channels, 512x512 slices")
    numba.set_num_threads(1)
    stages = _stage_times(hu, pixel_mm, geometry)
    print("1 thread, CPU per stage: " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in stages.items()))
    for threads in args.threads:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        start, start_cpu = time.perf_counter(), time.process_time()
        simulate_low_dose(volume, slice_mm=None, geometry=geometry, progress=False)
        wall = (time.perf_counter() - start) / args.slices
        cpu = (time.process_time() - start_cpu) / args.slices
        print(f"{numba.get_num_threads()} thread(s): {wall:.3f} s/slice wall, {cpu:.3f} CPU-s/slice (per core)")


if __name__ == "__main__":
    main()
