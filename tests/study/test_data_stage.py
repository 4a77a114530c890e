import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.study.data_stage import SEED_SPLIT, split_subjects


def test_split_is_by_subject_in_the_seed_proportions():
    subjects = [f"s{i:02d}" for i in range(184)]
    splits = split_subjects(subjects, SEED_SPLIT, seed=3)
    counts = {name: sum(1 for s in splits.values() if s == name) for name in ("train", "val", "test")}
    assert counts == {"train": 80, "val": 20, "test": 84}
    assert set(splits) == set(subjects)


def test_split_is_reproducible_and_depends_on_the_seed():
    subjects = [f"s{i}" for i in range(20)]
    assert split_subjects(subjects, SEED_SPLIT, 0) == split_subjects(subjects, SEED_SPLIT, 0)
    assert split_subjects(subjects, SEED_SPLIT, 0) != split_subjects(subjects, SEED_SPLIT, 1)


def test_every_split_gets_a_subject_even_for_tiny_cohorts():
    splits = split_subjects(["a", "b", "c"], SEED_SPLIT, 0)
    assert sorted(splits.values()) == ["test", "train", "val"]


def test_too_few_subjects_is_refused_clearly():
    with pytest.raises(CtDenoiseError, match="at least 3 subjects"):
        split_subjects(["a", "b"], SEED_SPLIT, 0)
