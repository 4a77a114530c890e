"""The pairs manifest (one reader for training, the study and INT8 calibration) and the patient-level split."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.pairs import PairRecord, assign_splits, read_pairs_manifest

sys.path.insert(0, str(Path(__file__).resolve().parent / "training"))
from training_helpers import write_pairs  # noqa: E402


@pytest.fixture(scope="module")
def pairs_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pairs(tmp_path_factory.mktemp("pairs"), ["train", "train", "train", "val"])


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


def test_the_study_s_nodule_mask_column_is_read_as_a_path(tmp_path: Path, pairs_csv: Path) -> None:
    manifest = tmp_path / "study.csv"
    folder = pairs_csv.parent
    manifest.write_text(
        "subject_id,low_dose,full_dose,split,nodule_mask\n"
        f"s00,{folder}/s00_low.mha,{folder}/s00_full.mha,test,{folder}/s00_full.mha\n"
        f"s01,{folder}/s01_low.mha,{folder}/s01_full.mha,train,\n"
    )
    first, second = read_pairs_manifest(manifest)
    assert first.nodule_mask == folder / "s00_full.mha" and first.split == "test"
    assert second.nodule_mask is None
