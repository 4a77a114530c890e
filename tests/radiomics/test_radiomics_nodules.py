"""Nodule regions from label masks and binary masks."""

from __future__ import annotations

import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.radiomics.nodules import split_nodules
from ctdenoise.volume import Volume


def mask_of(labels: np.ndarray) -> Volume:
    return Volume(labels, modality="SEG")


def test_binary_mask_splits_into_26_connected_components():
    labels = np.zeros((10, 10, 10))
    labels[0:2, 0:2, 0:2] = 1  # 8 voxels
    labels[2, 2, 2] = 1  # touches the first cube only at a corner: same component under 26-connectivity
    labels[6:9, 6:9, 6:9] = 1  # 27 voxels
    regions = split_nodules(mask_of(labels), min_voxels=1)
    assert [(r.label, r.voxel_count) for r in regions] == [(1, 9), (2, 27)]


def test_label_values_give_one_region_each_even_when_touching():
    labels = np.zeros((6, 6, 6))
    labels[1:3, 1:3, 1:3] = 1
    labels[3:5, 1:3, 1:3] = 2
    regions = split_nodules(mask_of(labels), min_voxels=1)
    assert [(r.label, r.voxel_count) for r in regions] == [(1, 8), (2, 8)]
    assert [r.voxel_count for r in split_nodules(mask_of(labels), split="components", min_voxels=1)] == [16]


def test_small_regions_are_skipped_and_a_label_can_be_chosen():
    labels = np.zeros((8, 8, 8))
    labels[0, 0, 0] = 1
    labels[4:7, 4:7, 4:7] = 3
    assert [r.label for r in split_nodules(mask_of(labels), min_voxels=2)] == [3]
    assert [r.voxel_count for r in split_nodules(mask_of(labels), label=1, min_voxels=1)] == [1]
    with pytest.raises(CtDenoiseError, match="no voxel has label 2"):
        split_nodules(mask_of(labels), label=2)
    with pytest.raises(CtDenoiseError, match="at least 100 voxels"):
        split_nodules(mask_of(labels), min_voxels=100)


def test_a_line_of_voxels_is_not_a_nodule():
    labels = np.zeros((8, 8, 8))
    labels[1, 1, 0:6] = 1  # six voxels in a row: pyradiomics cannot build texture matrices from it
    labels[4:7, 4:7, 4:7] = 2
    assert [r.label for r in split_nodules(mask_of(labels), min_voxels=2)] == [2]
