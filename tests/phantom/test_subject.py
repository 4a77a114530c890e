"""Phantom subjects against literature HU values, the requested nodule sizes/types, and determinism by seed."""

import numpy as np
import pytest
from scipy import ndimage

from ctdenoise.errors import CtDenoiseError
from ctdenoise.phantom import generate_subject
from ctdenoise.phantom.anatomy import Tissue

SHAPE = (40, 112, 112)
SPACING = (1.0, 2.0, 2.0)


@pytest.fixture(scope="module")
def subjects():
    return [generate_subject(seed, shape_zyx=SHAPE, spacing_mm=SPACING, n_nodules=4) for seed in (3, 4, 5)]


def _core(mask: np.ndarray) -> np.ndarray:
    """Voxels at least one voxel away from the mask's edge (no partial volume)."""
    return ndimage.binary_erosion(mask, iterations=1)


# Literature ranges (HU, 120 kVp, unenhanced): Hofer CT Teaching Manual; Kalender 2011; Hoffman et al. 2006.
LITERATURE_HU = {
    Tissue.SUBCUTANEOUS_FAT: (-120.0, -70.0),
    Tissue.MUSCLE: (30.0, 60.0),
    Tissue.LUNG: (-900.0, -700.0),
    Tissue.GREAT_VESSEL: (30.0, 55.0),
    Tissue.CANCELLOUS_BONE: (150.0, 400.0),
}


@pytest.mark.parametrize("tissue", list(LITERATURE_HU), ids=lambda t: t.name.lower())
def test_tissue_hu_matches_literature(subjects, tissue):
    low, high = LITERATURE_HU[tissue]
    for subject in subjects:
        core = _core(subject.tissue_labels == tissue)
        assert core.sum() > 20, f"{tissue.name} missing"
        assert low <= np.median(subject.full_dose.hu[core]) <= high


def test_air_outside_body_and_bone_is_dense(subjects):
    for subject in subjects:
        hu = subject.full_dose.hu
        assert np.all(hu[_core(subject.tissue_labels == Tissue.AIR)] == pytest.approx(-1000.0, abs=1e-3))
        # Cortical bone (700–1000 HU) is present; its thin shells are partial-volumed in 2 mm voxels.
        assert (subject.tissue_labels == Tissue.CORTICAL_BONE).any()
        assert hu.max() > 400.0
        assert hu.min() >= -1000.0 - 1e-3


def test_partial_volume_gives_intermediate_values_at_the_lung_edge(subjects):
    hu = subjects[0].full_dose.hu
    lung = subjects[0].lung_mask.hu > 0
    edge = lung & ~_core(lung)
    between = (hu[edge] > -700) & (hu[edge] < -100)
    assert between.mean() > 0.05


def test_nodule_masks_have_the_requested_equivalent_sphere_diameter(subjects):
    voxel_mm3 = float(np.prod(SPACING))
    checked = 0
    for subject in subjects:
        labels = subject.nodule_mask.hu
        assert sorted(np.unique(labels[labels > 0]).astype(int)) == [n["label"] for n in subject.nodules]
        for nodule in subject.nodules:
            assert 4.0 <= nodule["diameter_mm"] <= 30.0
            volume_mm3 = (labels == nodule["label"]).sum() * voxel_mm3
            diameter = (6.0 * volume_mm3 / np.pi) ** (1 / 3)
            if nodule["diameter_mm"] >= 6.0:  # ≥ 3 voxels across
                assert diameter == pytest.approx(nodule["diameter_mm"], rel=0.12)
                checked += 1
    assert checked >= 3


def test_nodule_types_have_their_density(subjects):
    seen = set()
    for subject in subjects:
        hu, labels = subject.full_dose.hu, subject.nodule_mask.hu
        for nodule in subject.nodules:
            core = _core(labels == nodule["label"])
            if core.sum() < 5:
                continue
            values = hu[core]
            seen.add(nodule["type"])
            if nodule["type"] == "solid":
                assert -20.0 <= np.median(values) <= 80.0
            elif nodule["type"] == "ground-glass":  # Fleischner glossary: hazy, well below soft tissue
                assert -750.0 <= np.median(values) <= -300.0
            else:  # part-solid: ground glass around a solid core
                assert (values < -300).any() and (values > -100).any()
    assert {"solid", "ground-glass"} <= seen


def test_nodules_lie_inside_the_lungs(subjects):
    for subject in subjects:
        assert len(subject.nodules) == 4  # as many as asked for
        nodule_voxels = subject.nodule_mask.hu > 0
        assert nodule_voxels.any()
        assert np.all(subject.lung_mask.hu[nodule_voxels] == 1)
        for nodule in subject.nodules:
            z, y, x = (int(round(c)) for c in nodule["center_zyx"])
            assert subject.nodule_mask.hu[z, y, x] == nodule["label"]


def test_geometry_and_modalities(subjects):
    subject = subjects[0]
    assert subject.full_dose.shape == SHAPE
    assert subject.full_dose.spacing_mm == SPACING
    assert subject.full_dose.same_grid_as(subject.nodule_mask)
    assert subject.full_dose.same_grid_as(subject.lung_mask)
    assert (subject.full_dose.modality, subject.lung_mask.modality) == ("CT", "SEG")
    assert set(np.unique(subject.lung_mask.hu)) == {0.0, 1.0}


def test_same_seed_gives_identical_arrays_and_other_seed_differs():
    small = {"shape_zyx": (16, 48, 48), "spacing_mm": (1.0, 4.0, 4.0)}
    first, again, other = generate_subject(11, **small), generate_subject(11, **small), generate_subject(12, **small)
    assert np.array_equal(first.full_dose.hu, again.full_dose.hu)
    assert np.array_equal(first.nodule_mask.hu, again.nodule_mask.hu)
    assert np.array_equal(first.lung_mask.hu, again.lung_mask.hu)
    assert first.nodules == again.nodules
    assert not np.array_equal(first.full_dose.hu, other.full_dose.hu)


def test_bad_shape_is_a_clear_error():
    with pytest.raises(CtDenoiseError, match="shape"):
        generate_subject(0, shape_zyx=(4, 64, 64))
