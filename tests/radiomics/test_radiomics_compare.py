"""compare-radiomics end to end on synthetic cases whose answer is known by construction."""

from __future__ import annotations

import csv
import json

import pytest

from ctdenoise.cli.main import main
from ctdenoise.errors import CtDenoiseError
from ctdenoise.figures import plot_radiomics_heatmap
from ctdenoise.radiomics.cases import read_cases
from ctdenoise.radiomics.compare import compare_radiomics


def read_csv(path):
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_compare_radiomics_finds_the_shift_and_nothing_for_a_copy(radiomics_cases, tmp_path):
    out = tmp_path / "out"
    summary = compare_radiomics(
        radiomics_cases,
        out,
        baseline="base",
        reference="full_dose",
        progress=False,
        plot_heatmap=plot_radiomics_heatmap,
    )
    assert summary["nodules"] == 4 and summary["cases"] == 2 and summary["features"] == 74
    assert summary["settings"]["binWidth"] == 25 and summary["settings"]["resampledPixelSpacing"] == [1.0, 1.0, 1.0]
    assert summary["consistent_features"]["same"] == 74  # an identical copy never differs
    rows = read_csv(out / "radiomics_tests.csv")
    shifted_mean = next(r for r in rows if r["method"] == "shifted" and r["feature"] == "firstorder_Mean")
    assert float(shifted_mean["mean_difference"]) == pytest.approx(10.0, abs=1e-3)
    assert shifted_mean["significant"] == "True"
    features = read_csv(out / "radiomics_features.csv")
    assert len(features) == 4 * 4 and {f["nodule"] for f in features} == {"1", "2"}
    assert (out / "radiomics_heatmap.png").stat().st_size > 1000
    assert json.loads((out / "radiomics_summary.json").read_text())["baseline"] == "base"
    with pytest.raises(CtDenoiseError, match="already exists"):
        compare_radiomics(radiomics_cases, out, baseline="base", progress=False)


def test_compare_radiomics_command(radiomics_cases, tmp_path, capsys):
    out = tmp_path / "cli-out"
    with pytest.raises(SystemExit) as exit_info:
        main(["compare-radiomics", str(radiomics_cases), "--baseline", "base", "--out", str(out), "--no-progress"])
    assert exit_info.value.code in (0, None)
    assert "same: 74/74 consistent with base" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["compare-radiomics", str(radiomics_cases), "--baseline", "nope", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2
    assert "no method 'nope'" in capsys.readouterr().err


def test_case_list_errors_name_the_file(tmp_path):
    bad = tmp_path / "cases.csv"
    bad.write_text("case,image\nA,a.nii.gz\n")
    with pytest.raises(CtDenoiseError, match="missing column"):
        read_cases(bad)
    bad.write_text("case,mask,base\nA,missing.nii.gz,a.nii.gz\n")
    with pytest.raises(CtDenoiseError, match="does not exist"):
        read_cases(bad)


def test_json_case_list_is_read(tmp_path, radiomics_cases):
    listing = {
        "cases": [
            {"case": c.case_id, "mask": str(c.mask_path), "images": {k: str(v) for k, v in c.image_paths.items()}}
            for c in read_cases(radiomics_cases)
        ]
    }
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(listing))
    cases = read_cases(path)
    assert [c.case_id for c in cases] == ["case-0", "case-1"]
    assert list(cases[0].image_paths) == ["base", "same", "shifted", "full_dose"]
