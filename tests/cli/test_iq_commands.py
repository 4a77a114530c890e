import json

import numpy as np
import pytest
import SimpleITK as sitk

from ctdenoise.cli.main import main
from ctdenoise.iq.phantom import LowContrastPhantom

SIGMA_HU = 8.0


def _run(arguments) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main([str(argument) for argument in arguments])
    return exit_info.value.code


def _write_mhd(stack: np.ndarray, path, pixel_mm: float) -> None:
    """A MetaImage stack as the FDA LCD-CT data store it: HU + 1000, one realisation per slice."""
    image = sitk.GetImageFromArray((stack + 1000.0).astype(np.int16))
    image.SetSpacing((pixel_mm, pixel_mm, 1.0))
    sitk.WriteImage(image, str(path))


def test_iq_on_fda_style_metaimage_stacks(tmp_path, capsys):
    phantom = LowContrastPhantom((256, 256), (0.8, 0.8))
    rng = np.random.default_rng(0)
    present = phantom.hu_image(True)[None] + rng.normal(0.0, SIGMA_HU, (40, 256, 256))
    absent = phantom.hu_image(False)[None] + rng.normal(0.0, SIGMA_HU, (40, 256, 256))
    _write_mhd(present, tmp_path / "signal_present.mhd", 0.8)
    _write_mhd(absent, tmp_path / "signal_absent.mhd", 0.8)
    _write_mhd(phantom.hu_image(True)[None], tmp_path / "ground_truth.mhd", 0.8)
    arguments = ["iq", "--present", tmp_path / "signal_present.mhd", "--absent", tmp_path / "signal_absent.mhd"]
    assert _run([*arguments, "--ground-truth", tmp_path / "ground_truth.mhd", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["observer"] == "LG-CHO"
    assert [round(row["diameter_mm"]) for row in result["inserts"]] == [3, 5, 7, 10]
    for row in result["inserts"]:
        assert row["auc_ci"][0] <= row["auc"] <= row["auc_ci"][1]
        assert 0.5 < row["auc"] <= 1.0
    # White noise of σ: the NPS integrates to σ² (Parseval) after the ensemble-mean subtraction is undone.
    assert result["nps"]["noise_std_hu"] == pytest.approx(SIGMA_HU, rel=0.05)
    assert sorted(round(ttf["contrast_hu"]) for ttf in result["ttf"]) == [120, 340]
    # The same inserts given as JSON (positions from the phantom's definition) instead of found in the ground truth
    rods = phantom.detection_inserts
    inserts = [
        {"center_px": list(rod.center_rc((256, 256), (0.8, 0.8))), "diameter_mm": rod.diameter_mm, "contrast_hu": 9}
        for rod in rods
    ]
    (tmp_path / "inserts.json").write_text(json.dumps(inserts))
    assert _run([*arguments, "--inserts", tmp_path / "inserts.json", "--json", "--no-progress"]) == 0
    given = json.loads(capsys.readouterr().out)
    assert [row["diameter_mm"] for row in given["inserts"]] == [3.0, 5.0, 7.0, 10.0]
    assert given["nps"] is None  # no ground truth: no uniform region is known
    for found, listed in zip(result["inserts"], given["inserts"], strict=True):
        assert listed["dprime"] == pytest.approx(found["dprime"], abs=0.5)


def test_iq_needs_both_image_sets_and_insert_locations(tmp_path, capsys):
    assert _run(["iq", "--present", tmp_path / "p.mhd"]) == 2
    assert "give both --present and --absent" in capsys.readouterr().err
    assert _run(["iq", "--present", tmp_path / "p.mhd", "--absent", tmp_path / "a.mhd"]) == 2
    assert "--ground-truth or --inserts" in capsys.readouterr().err


def test_iq_without_arguments_runs_on_the_built_in_phantom(capsys):
    assert _run(["iq", "--dose", "1", "--realisations", "4", "--json", "--no-progress"]) == 0
    result = json.loads(capsys.readouterr().out)  # stdout holds JSON only
    assert result["dose_fraction"] == 1.0
    assert [row["contrast_hu"] for row in result["inserts"]] == [14.0, 7.0, 5.0, 3.0]
    assert result["n_present"] == result["n_absent"] == 4
