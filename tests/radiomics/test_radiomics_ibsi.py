"""pyradiomics through ctdenoise reproduces the IBSI 1 digital-phantom reference values (Zwanenburg et al. 2020)."""

from __future__ import annotations

import csv
import math

import pytest

from ctdenoise.io import read_volume
from ctdenoise.radiomics import extract_nodule_features
from ctdenoise.radiomics.extractor import FEATURE_FAMILIES
from ctdenoise.radiomics.ibsi import (
    IBSI_ALIASES,
    IBSI_NOT_IN_PYRADIOMICS,
    IBSI_PHANTOM_PARAMS,
    NOT_IN_IBSI,
    PYRADIOMICS_TO_IBSI,
    to_ibsi,
)

#: The IBSI families/aggregations pyradiomics' four feature classes correspond to.
CHECKED = {("intensity_statistics", ""), ("glcm", "3D_avg"), ("glrlm", "3D_avg"), ("glszm", "3D")}


@pytest.fixture(scope="module")
def phantom_dir(shared_dir):
    return shared_dir / "data" / "ibsi-digital-phantom"


@pytest.fixture(scope="module")
def reference_values(phantom_dir) -> dict[str, dict]:
    with (phantom_dir / "reference_values.csv").open(newline="") as handle:
        return {row["tag"]: row for row in csv.DictReader(handle) if row["has_reference"] == "True"}


@pytest.fixture(scope="module")
def phantom_features(phantom_dir) -> dict[str, float]:
    image = read_volume(phantom_dir / "image.nii.gz")
    mask = read_volume(phantom_dir / "mask.nii.gz")
    (row,) = extract_nodule_features(image, mask, params=IBSI_PHANTOM_PARAMS, min_voxels=1, label=1)
    return to_ibsi({name: value for name, value in row.items() if name != "nodule"})


def within_reference(value: float, reference: float, tolerance: float) -> bool:
    """IBSI values are given to 3 significant digits: allow the tolerance plus half a unit of the last digit."""
    rounding = 0.5 * 10 ** (math.floor(math.log10(abs(reference))) - 2) if reference else 0.0
    return abs(value - reference) <= tolerance + rounding + 1e-12


def pyradiomics_feature_names() -> set[str]:
    """Every non-deprecated feature of pyradiomics' first-order, GLCM, GLRLM and GLSZM classes."""
    from radiomics import getFeatureClasses

    classes = getFeatureClasses()
    return {
        f"{family}_{name}"
        for family in FEATURE_FAMILIES
        for name, deprecated in classes[family].getFeatureNames().items()
        if not deprecated
    }


def test_mapping_covers_every_pyradiomics_feature_exactly_once():
    names = pyradiomics_feature_names()
    assert len(names) == 74  # 18 + 24 + 16 + 16, as the paper notes list
    assert set(PYRADIOMICS_TO_IBSI) | set(NOT_IN_IBSI) == names
    assert not set(PYRADIOMICS_TO_IBSI) & set(NOT_IN_IBSI)
    assert len(set(PYRADIOMICS_TO_IBSI.values())) == len(PYRADIOMICS_TO_IBSI)


def test_every_ibsi_feature_of_the_four_families_is_mapped_or_listed_as_missing(reference_values):
    checked_tags = {tag for tag, row in reference_values.items() if (row["family"], row["aggregation"]) in CHECKED}
    mapped = set(PYRADIOMICS_TO_IBSI.values()) | set(IBSI_ALIASES)
    assert mapped <= set(reference_values)  # every tag we use is a real IBSI tag
    assert checked_tags - mapped == set(IBSI_NOT_IN_PYRADIOMICS)


@pytest.mark.parametrize("tag", sorted(set(PYRADIOMICS_TO_IBSI.values()) | set(IBSI_ALIASES)))
def test_feature_matches_ibsi_reference(tag, phantom_features, reference_values):
    row = reference_values[tag]
    reference, tolerance = float(row["reference_value"]), float(row["tolerance"])
    assert within_reference(phantom_features[tag], reference, tolerance), (
        f"{tag}: ctdenoise {phantom_features[tag]:.6g}, IBSI {reference} ± {tolerance}"
    )


def test_kurtosis_is_reported_as_excess_kurtosis(phantom_features):
    assert phantom_features["stat_kurt"] == pytest.approx(-0.355, abs=5e-4)
