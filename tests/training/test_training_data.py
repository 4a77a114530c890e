"""Pairs manifest, patient-level split, pair geometry, and patches whose low and full dose cover the same slab."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from training_helpers import low_dose_from, synthetic_full_dose, write_pairs

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models import HUNormalization
from ctdenoise.training.data import (
    PairRecord,
    RandomPatchDataset,
    StepShardSampler,
    VolumePair,
    assign_splits,
    check_pair_geometry,
    load_pairs,
    read_pairs_manifest,
)
from ctdenoise.volume import Volume


def test_manifest_paths_are_relative_to_the_csv(pairs_csv: Path) -> None:
    records = read_pairs_manifest(pairs_csv)
    assert [r.split for r in records] == ["train", "train", "train", "val"]
    assert records[0].low_dose == pairs_csv.parent / "s00_low.mha"


def test_manifest_errors_name_the_file(tmp_path: Path, pairs_csv: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("subject_id,low_dose\ns1,a.mha\n")
    with pytest.raises(CtDenoiseError, match=r"bad\.csv.*full_dose"):
        read_pairs_manifest(bad)
    bad.write_text("subject_id,low_dose,full_dose\ns1,missing.mha,missing.mha\n")
    with pytest.raises(CtDenoiseError, match="missing.mha does not exist"):
        read_pairs_manifest(bad)
    bad.write_text(f"subject_id,low_dose,full_dose,split\ns1,{pairs_csv.parent}/s00_low.mha,x,holdout\n")
    with pytest.raises(CtDenoiseError, match="holdout"):
        read_pairs_manifest(bad)


def test_split_keeps_each_patient_in_one_split_with_paper_proportions() -> None:
    records = [PairRecord(f"p{i:03d}", Path("l"), Path("f")) for i in range(184)]
    records += [PairRecord("p000", Path("l2"), Path("f2"))]  # a second dose level of patient p000
    splits = assign_splits(records, seed=3)
    assert len(splits) == 184
    counts = {name: sum(1 for s in splits.values() if s == name) for name in ("train", "val", "test")}
    assert counts == {"train": 80, "val": 20, "test": 84}
    assert splits != assign_splits(records, seed=4)  # the seed shuffles patients


def test_split_keeps_given_splits_and_refuses_a_patient_in_two() -> None:
    records = [PairRecord("a", Path("l"), Path("f"), "test"), PairRecord("b", Path("l"), Path("f"))]
    assert assign_splits(records) == {"a": "test", "b": "train"}
    with pytest.raises(CtDenoiseError, match="two splits"):
        assign_splits(records + [PairRecord("a", Path("l"), Path("f"), "train")])


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
