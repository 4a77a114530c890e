import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference.calibration import read_calibration_data
from ctdenoise.io import write_volume
from ctdenoise.volume import Volume


def test_pairs_manifest_gives_low_dose_volumes_with_references_validation_first(tmp_path):
    rows = ["subject_id,low_dose,full_dose,split"]
    for subject, split, value in (("a", "train", -500.0), ("b", "val", 100.0)):
        write_volume(Volume(np.full((4, 8, 8), value), spacing_mm=(2, 1, 1)), tmp_path / f"{subject}_low.nii.gz")
        write_volume(Volume(np.full((8, 8, 8), value), spacing_mm=(1, 1, 1)), tmp_path / f"{subject}_full.nii.gz")
        rows.append(f"{subject},{subject}_low.nii.gz,{subject}_full.nii.gz,{split}")
    (tmp_path / "pairs.csv").write_text("\n".join(rows) + "\n")
    low, full = read_calibration_data([tmp_path / "pairs.csv"], max_volumes=1)
    assert len(low) == len(full) == 1
    assert low[0].hu[0, 0, 0] == 100.0 and full[0].shape == (8, 8, 8)  # the validation subject


def test_plain_scans_have_no_references_and_missing_inputs_are_named(tmp_path):
    write_volume(Volume(np.zeros((4, 8, 8))), tmp_path / "scan.nii.gz")
    low, full = read_calibration_data([tmp_path / "scan.nii.gz"])
    assert len(low) == 1 and full is None
    with pytest.raises(CtDenoiseError, match="nothing.csv"):
        read_calibration_data([tmp_path / "nothing.csv"])
