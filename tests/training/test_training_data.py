"""Pair geometry, and patches whose low and full dose cover the same slab (the manifest: tests/test_pairs.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from training_helpers import low_dose_from, synthetic_full_dose, write_pairs

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models import HUNormalization
from ctdenoise.pairs import read_pairs_manifest
from ctdenoise.training.data import (
    RandomPatchDataset,
    StepShardSampler,
    VolumePair,
    check_pair_geometry,
    load_pairs,
)
from ctdenoise.volume import Volume


def test_pair_geometry_check() -> None:
    rng = np.random.default_rng(0)
    full = Volume(synthetic_full_dose(rng), spacing_mm=(1.0, 0.8, 0.8), origin_mm=(0.0, 0.0, 50.0))
    low = low_dose_from(full, 0.0, rng)
    check_pair_geometry(low, full, 2, "pair")
    shifted = low.with_array(low.hu, origin_mm=(0.0, 0.0, 51.0))
    with pytest.raises(CtDenoiseError, match="origin"):
        check_pair_geometry(shifted, full, 2, "pair")
    with pytest.raises(CtDenoiseError, match="slice spacing"):
        check_pair_geometry(low, full, 1, "pair")


def test_patches_cover_the_same_slab_through_every_flip(tmp_path: Path) -> None:
    """Noise-free low dose = mean of full-dose slice pairs, so every patch must satisfy it exactly, flips included."""
    manifest = write_pairs(tmp_path, ["train", "train"], noise_hu=0.0)
    pairs = load_pairs(read_pairs_manifest(manifest), HUNormalization(), z_scale=2)
    dataset = RandomPatchDataset(pairs, (3, 8, 7), z_scale=2, seed=5, flips=True)
    for index in range(40):
        low, full = dataset[index]
        assert low.shape == (1, 3, 8, 7) and full.shape == (1, 6, 8, 7)
        np.testing.assert_allclose(full.numpy().reshape(1, 3, 2, 8, 7).mean(axis=2), low.numpy(), atol=1e-5)
    np.testing.assert_array_equal(dataset[11][0].numpy(), dataset[11][0].numpy())  # a pure function of the index
    assert not np.array_equal(dataset[11][0].numpy(), dataset[12][0].numpy())


def test_patch_larger_than_volume_is_refused() -> None:
    pair = VolumePair("tiny", np.zeros((2, 8, 8), np.float32), np.zeros((4, 8, 8), np.float32))
    with pytest.raises(CtDenoiseError, match="tiny"):
        RandomPatchDataset([pair], (4, 8, 8), z_scale=2, seed=0)


def test_step_shards_partition_the_global_batch_and_restart_at_any_step() -> None:
    single = list(StepShardSampler(0, 3, global_batch=4))
    assert single == list(range(12))
    ranks = [list(StepShardSampler(0, 3, 4, rank, world_size=2)) for rank in (0, 1)]
    assert sorted(ranks[0] + ranks[1]) == single and not set(ranks[0]) & set(ranks[1])
    assert list(StepShardSampler(2, 3, 4)) == single[8:]
    with pytest.raises(CtDenoiseError, match="divisible"):
        StepShardSampler(0, 3, 3, 0, world_size=2)
