import numpy as np
import pytest
import torch
from inference_helpers import TINY_Z2, randomised_model

from ctdenoise.inference.runtimes import TorchPredictor
from ctdenoise.inference.sliding_window import blend_profile, default_tile_zyx, sliding_window_denoise, tile_starts


@pytest.mark.parametrize(
    ("length", "max_tile", "overlap"), [(512, 192, 16), (150, 32, 4), (33, 32, 4), (20, 32, 4), (100, 10, 9)]
)
def test_tiles_cover_the_axis_with_at_least_the_overlap(length, max_tile, overlap):
    tile, starts = tile_starts(length, max_tile, overlap)
    assert tile <= max_tile
    assert starts[0] == 0 and starts[-1] + tile == length
    assert all(b - a <= tile - overlap for a, b in zip(starts, starts[1:], strict=False))


def test_blend_profile_is_positive_and_ramps_only_at_shared_edges():
    profile = blend_profile(20, 6, ramp_start=True, ramp_end=False)
    assert np.all(profile > 0) and np.all(profile <= 1)
    assert np.all(np.diff(profile[:6]) > 0) and np.all(profile[6:] == 1)


def test_identity_network_is_reproduced_exactly_over_many_tiles():
    volume = np.random.default_rng(0).normal(size=(20, 50, 45)).astype(np.float32)
    output = sliding_window_denoise(
        volume, lambda tile: tile, tile_zyx=(8, 16, 16), overlap_zyx=(2, 4, 4), progress=False
    )
    np.testing.assert_allclose(output, volume, rtol=0, atol=1e-5)


def test_pointwise_z2_network_tiles_match_one_shot():
    # Nearest z-upsampling then a 1×1×1 conv: each output voxel depends on one input voxel, so any tiling with
    # correct z×2 placement must give exactly the one-shot result.
    weight = torch.tensor(0.7)

    def network(tile):
        upsampled = np.repeat(tile, 2, axis=2)
        return (torch.from_numpy(upsampled) * weight + 0.1).numpy()

    volume = np.random.default_rng(1).normal(size=(13, 30, 27)).astype(np.float32)
    tiled = sliding_window_denoise(
        volume, network, tile_zyx=(4, 12, 10), overlap_zyx=(1, 3, 3), z_scale=2, progress=False
    )
    one_shot = network(volume[None, None])[0, 0]
    assert tiled.shape == (26, 30, 27)
    np.testing.assert_allclose(tiled, one_shot, rtol=0, atol=1e-5)


def test_tiled_equals_one_shot_on_a_volume_that_fits_one_tile():
    model = randomised_model(TINY_Z2)
    volume = np.random.default_rng(2).normal(size=(6, 24, 20)).astype(np.float32)
    tiled = sliding_window_denoise(volume, TorchPredictor(model), tile_zyx=(32, 64, 64), z_scale=2, progress=False)
    with torch.no_grad():
        one_shot = model(torch.from_numpy(volume)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(tiled, one_shot, rtol=1e-5, atol=1e-5)


def test_multi_tile_real_network_stays_close_to_one_shot():
    # With a 3-voxel receptive-field radius and 4-voxel overlaps, tile borders only differ where the blending
    # weight is small; the blended result stays within 1 % of the signal range of the one-shot output.
    model = randomised_model(TINY_Z2)
    volume = np.random.default_rng(3).normal(size=(12, 40, 40)).astype(np.float32)
    tiled = sliding_window_denoise(
        volume, TorchPredictor(model), tile_zyx=(8, 24, 24), overlap_zyx=(4, 8, 8), z_scale=2, progress=False
    )
    with torch.no_grad():
        one_shot = model(torch.from_numpy(volume)[None, None])[0, 0].numpy()
    assert np.abs(tiled - one_shot).max() < 0.01 * np.ptp(one_shot)


def test_a_network_returning_the_wrong_shape_is_reported():
    with pytest.raises(ValueError, match="expected"):
        sliding_window_denoise(np.zeros((4, 8, 8), np.float32), lambda tile: tile, z_scale=2, progress=False)


def test_default_tiles_repeat_less_work_for_int8_on_a_150_slice_scan():
    def repeated_fraction(tile_zyx) -> float:
        tile, starts = tile_starts(150, tile_zyx[0], 4)
        return tile * len(starts) / 150 - 1

    assert repeated_fraction(default_tile_zyx("int8")) < 0.07  # 3 tiles of 53 slices
    assert repeated_fraction(default_tile_zyx("fp32")) > 0.15  # 6 tiles of 29: the memory-bound choice


class LookAheadIdentity:
    """An identity predictor whose ``map_tiles`` reads every tile before it returns the first output (as a
    runtime with tiles in flight does, only more so)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, tile):
        self.calls += 1
        return tile

    def map_tiles(self, tiles):
        return iter([tile.copy() for tile in tiles])


def test_a_predictor_running_tiles_ahead_blends_the_same_as_one_at_a_time():
    volume = np.random.default_rng(1).normal(size=(20, 50, 45)).astype(np.float32)
    window = {"tile_zyx": (8, 20, 16), "overlap_zyx": (2, 4, 4), "z_scale": 1, "progress": False}
    look_ahead = LookAheadIdentity()
    ahead = sliding_window_denoise(volume, look_ahead, **window)
    assert look_ahead.calls == 0  # map_tiles was used
    np.testing.assert_array_equal(ahead, sliding_window_denoise(volume, lambda tile: tile.copy(), **window))


def test_outputs_that_share_the_input_memory_are_not_weighed_in_place():
    # Tiles cut along z only are views of the input; an identity network hands them back unchanged.
    volume = np.random.default_rng(2).normal(size=(20, 12, 10)).astype(np.float32)
    original = volume.copy()
    output = sliding_window_denoise(
        volume, lambda tile: tile, tile_zyx=(8, 12, 10), overlap_zyx=(3, 2, 2), progress=False
    )
    np.testing.assert_array_equal(volume, original)
    np.testing.assert_allclose(output, volume, rtol=0, atol=1e-5)
