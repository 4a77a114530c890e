import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.simulate.analytic import chest_like_phantom, ellipse_line_integrals, hu_ellipse, rasterize_ellipses
from ctdenoise.simulate.geometry import MU_WATER_PER_MM, FanBeamGeometry
from ctdenoise.simulate.lowdose import ProjectedSlice, low_dose_noise_hu, simulate_low_dose, slice_rng
from ctdenoise.simulate.noise import FluxModel
from ctdenoise.simulate.noise_kernel import NoiseKernel
from ctdenoise.volume import Volume

SMALL_GEOMETRY = FanBeamGeometry.preset("siemens").with_views(180)


def _phantom_volume(n_slices: int, size_px: int = 64, pixel_mm: float = 4.0) -> Volume:
    mu = rasterize_ellipses(chest_like_phantom(size_px * pixel_mm), (size_px, size_px), (pixel_mm, pixel_mm), 2)
    hu = 1000.0 * (mu / MU_WATER_PER_MM - 1.0)
    return Volume(np.repeat(hu[None], n_slices, axis=0), spacing_mm=(1.0, pixel_mm, pixel_mm), origin_mm=(0, 0, 5))


def test_same_seed_same_output_bit_for_bit_and_slices_do_not_depend_on_the_count():
    volume = _phantom_volume(4)
    first = simulate_low_dose(volume, 0.1, slice_mm=None, seed=7, geometry=SMALL_GEOMETRY, progress=False)
    again = simulate_low_dose(volume, 0.1, slice_mm=None, seed=7, geometry=SMALL_GEOMETRY, progress=False)
    shorter = simulate_low_dose(
        volume.with_array(volume.hu[:2]), 0.1, slice_mm=None, seed=7, geometry=SMALL_GEOMETRY, progress=False
    )
    other = simulate_low_dose(volume, 0.1, slice_mm=None, seed=8, geometry=SMALL_GEOMETRY, progress=False)
    assert np.array_equal(first.hu, again.hu)
    assert np.array_equal(first.hu[:2], shorter.hu)
    assert not np.array_equal(first.hu, other.hu)
    assert not np.array_equal(first.hu[0], first.hu[1])  # every slice has its own noise


def test_output_is_averaged_to_2_mm_with_the_geometry_kept():
    volume = _phantom_volume(5)
    low = simulate_low_dose(volume, 0.25, slice_mm=2.0, seed=0, geometry=SMALL_GEOMETRY, progress=False)
    assert low.shape == (2, 64, 64)
    assert low.spacing_mm == (2.0, 4.0, 4.0)
    assert low.origin_mm == pytest.approx((0.0, 0.0, 5.5))
    assert low.metadata["simulation"]["dose_fraction"] == 0.25
    noise = low.hu - volume.hu[:2]
    assert np.isfinite(low.hu).all() and 0.1 < noise.std() < 200.0  # coarse 4 mm pixels average most noise away


def test_default_siemens_geometry_on_a_full_512_slice():
    # One 512² slice of 0.7 mm pixels (36 cm field of view) with the full 1152-view, 736-channel geometry.
    mu = rasterize_ellipses(chest_like_phantom(358.4), (512, 512), (0.7, 0.7), 1)
    hu = 1000.0 * (mu / MU_WATER_PER_MM - 1.0)
    hu[0, :] = -3024.0  # scanner padding outside the field: must stay as it was
    volume = Volume(hu[None], spacing_mm=(1.0, 0.7, 0.7))
    low = simulate_low_dose(volume, 0.1, slice_mm=None, progress=False)
    noise = low.hu[0] - hu
    assert np.isfinite(noise).all()
    assert np.all(noise[0, :] == 0.0)
    body = noise[200:312, 180:332]  # soft tissue between the lungs
    # 10 % dose at I0 = 2e5 and 0.7 mm pixels: tens of HU, zero mean.
    assert 10.0 < body.std() < 150.0
    assert abs(body.mean()) < 0.2 * body.std()


def test_a_coronal_stack_gets_noise_in_its_axial_planes_and_thicker_slices_along_head_feet():
    axial = _phantom_volume(4)
    # The same voxels stored coronally: array (A–P, S–I, R–L), rows along the patient's S–I axis.
    coronal = Volume(
        np.ascontiguousarray(axial.hu.transpose(1, 0, 2)),
        spacing_mm=(4.0, 1.0, 4.0),
        origin_mm=axial.origin_mm,
        direction=np.column_stack([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
    )
    from_axial = simulate_low_dose(axial, 0.25, slice_mm=2.0, seed=3, geometry=SMALL_GEOMETRY, progress=False)
    from_coronal = simulate_low_dose(coronal, 0.25, slice_mm=2.0, seed=3, geometry=SMALL_GEOMETRY, progress=False)
    assert from_coronal.shape == (64, 2, 64) and from_coronal.spacing_mm == (4.0, 2.0, 4.0)
    np.testing.assert_array_equal(from_coronal.hu, from_axial.hu.transpose(1, 0, 2))
    np.testing.assert_allclose(from_coronal.index_to_lps((5, 1, 7)), from_axial.index_to_lps((1, 5, 7)), atol=1e-9)


def test_an_implausible_result_is_refused_before_it_is_written():
    # I0 = 3 quanta per ray (the kind of value a broken calibration once produced): tissue ends up far below air.
    volume = _phantom_volume(2)
    with pytest.raises(
        CtDenoiseError, match=r"scan.nii.gz: implausible simulated scan: .* of tissue voxels fall below"
    ):
        simulate_low_dose(
            volume, 0.1, None, geometry=SMALL_GEOMETRY, progress=False, flux=FluxModel(3.0), source="scan.nii.gz"
        )


def test_clipping_keeps_the_output_at_or_above_minus_1024_hu_and_padding_as_it_was():
    volume = _phantom_volume(2)
    hu = volume.hu.copy()
    hu[:, :4, :4] = -2048.0  # a scanner's padding outside the field of view
    volume = volume.with_array(hu)
    arguments = dict(slice_mm=None, seed=1, geometry=SMALL_GEOMETRY, progress=False, flux=FluxModel(2e3))
    raw = simulate_low_dose(volume, 0.1, **arguments)
    clipped = simulate_low_dose(volume, 0.1, clip_below_hu=-1024.0, **arguments)
    measured = volume.hu >= -1024.0
    assert (raw.hu[measured] < -1024.0).any()  # the noise in air does reach below what a scanner stores
    assert clipped.hu[measured].min() == -1024.0
    assert np.array_equal(clipped.hu[~measured], volume.hu[~measured])
    above = raw.hu >= -1024.0
    assert np.array_equal(clipped.hu[above], raw.hu[above])


def test_an_image_cropped_to_the_body_is_projected_whole_and_gets_noise_to_its_sides():
    # A 310 × 220 mm water body in an image cropped to 320 × 240 mm (as the shared LIDC scans are): its sides lie
    # beyond the image's inscribed circle (120 mm), which until simulator revision 5 was all that was projected.
    geometry = FanBeamGeometry.preset("siemens").with_views(360)
    body = [hu_ellipse((0.0, 0.0), (155.0, 110.0), 1000.0)]
    pixel_mm = (1.0, 1.0)
    hu = rasterize_ellipses(body, (240, 320), pixel_mm) / MU_WATER_PER_MM * 1000.0 - 1000.0
    projected = ProjectedSlice.of(hu, pixel_mm, geometry)
    exact = ellipse_line_integrals(body, geometry)  # closed-form chords (Kak & Slaney 1988)
    error = np.linalg.norm(projected.sinogram - exact) / np.linalg.norm(exact)
    assert error <= 0.01
    # Lateral rays (the central channel of the views along x) cross all 310 mm of water.
    views = geometry.view_angles_rad()
    lateral = np.argmin(np.abs(np.sin(views)))
    centre = np.argmin(np.abs(geometry.fan_angles_rad()))
    assert projected.sinogram[lateral, centre] == pytest.approx(MU_WATER_PER_MM * 310.0, rel=5e-3)
    noise = low_dose_noise_hu(hu, pixel_mm, 0.25, geometry, FluxModel(), slice_rng(0, 0))
    sides = noise[100:140, [10, 20, 299, 309]]  # 140–150 mm from the centre, inside the body
    assert sides.std() > 0.3 * noise[100:140, 140:180].std()


def test_the_inserted_noise_of_neighbouring_slices_correlates_as_the_kernel_asks():
    volume = _phantom_volume(8)
    kernel = NoiseKernel("correlated", slice_correlation=0.3)
    inserted = [
        simulate_low_dose(volume, 0.25, None, seed=3, geometry=SMALL_GEOMETRY, progress=False, kernel=k).hu - volume.hu
        for k in (kernel, NoiseKernel("independent"))
    ]
    for noise, rho1 in zip(inserted, (0.3, 0.0), strict=True):
        inner = noise[1:-1]
        lag1 = np.sum(inner[:-1] * inner[1:]) / np.sqrt(np.sum(inner[:-1] ** 2) * np.sum(inner[1:] ** 2))
        assert lag1 == pytest.approx(rho1, abs=0.04)
    # Each slice keeps the noise level of independent slices (the filter along z preserves variance).
    assert inserted[0].std() == pytest.approx(inserted[1].std(), rel=0.05)
